"""Verticals: the taxonomy, the dirty-label classifier and assign_verticals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from segmentation.errors import InputError
from segmentation.verticals import (
    ALL_ACCOUNTS,
    OTHER,
    VerticalClassifier,
    assign_verticals,
    load_taxonomy,
    normalize_label,
    vertical_names,
)
from tests.planted import planted_accounts


@pytest.fixture(scope="module")
def clf() -> VerticalClassifier:
    return VerticalClassifier().fit()


# -- taxonomy ------------------------------------------------------------------------------------


def test_taxonomy_has_12_to_16_documented_verticals():
    taxonomy = load_taxonomy()
    assert 12 <= len(taxonomy) <= 16
    for vertical in taxonomy:
        assert vertical["description"].strip(), vertical["name"]
        for key in ("salesforce", "hubspot", "naics", "naics_descriptions", "synonyms"):
            assert vertical[key], f"{vertical['name']} has no {key}"
    assert OTHER not in vertical_names()


def test_no_known_label_belongs_to_two_verticals():
    owner: dict[str, str] = {}
    for vertical in load_taxonomy():
        labels = [
            vertical["name"],
            *vertical["salesforce"],
            *vertical["hubspot"],
            *vertical["naics_descriptions"],
            *vertical["synonyms"],
        ]
        for label in labels:
            norm = normalize_label(label)
            assert owner.setdefault(norm, vertical["name"]) == vertical["name"], label


@pytest.mark.parametrize(
    "raw, norm",
    [
        ("Hospital & Health-Care ", "hospital and health care"),
        ("  IT   Services", "it services"),
        ("E-Commerce", "e commerce"),
        ("", ""),
    ],
)
def test_normalize_label(raw, norm):
    assert normalize_label(raw) == norm


# -- classifier ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label, vertical",
    [
        ("Technology", "Technology"),
        ("technolgy", "Technology"),
        ("  TECH ", "Technology"),
        ("SaaS", "Technology"),
        ("computer software", "Technology"),
        ("Helthcare", "Healthcare & Life Sciences"),
        ("hospital & health care", "Healthcare & Life Sciences"),
        ("pharmaceutical", "Healthcare & Life Sciences"),
        ("Banking ", "Financial Services"),
        ("financial servces", "Financial Services"),
        ("Insurence", "Financial Services"),
        ("manufactoring", "Manufacturing"),
        ("Retial", "Retail & Consumer"),
        ("e-comerce", "Retail & Consumer"),
        ("Higher Ed", "Education"),
        ("Goverment", "Government & Public Sector"),
        ("oil and gas", "Energy & Utilities"),
        ("telecommunication", "Media & Telecom"),
        ("consultng", "Professional Services"),
        ("logistic", "Transportation & Logistics"),
        ("real-estate", "Construction & Real Estate"),
        ("Restaurants", "Hospitality & Leisure"),
        ("farming", "Agriculture & Food"),
        ("nonproft", "Non-profit"),
        ("NAICS 62", "Healthcare & Life Sciences"),
        ("541511", "Technology"),  # longest NAICS prefix wins over sector 54
        ("5416", "Professional Services"),
        ("Widgets", OTHER),
        ("xyz", OTHER),
        ("Unknown", OTHER),
        ("N/A", OTHER),
    ],
)
def test_classifier_maps_dirty_labels(clf, label, vertical):
    assert clf.predict(pd.Series([label])).iloc[0] == vertical


def test_missing_labels_are_other_with_zero_confidence(clf):
    labels = pd.Series(["Banking", None, np.nan], dtype="object")
    assert clf.predict(labels).tolist() == ["Financial Services", OTHER, OTHER]
    assert clf.predict_confidence(labels).tolist() == [1.0, 0.0, 0.0]


def test_confidence_is_between_0_and_1_and_keeps_index(clf):
    labels = pd.Series(["technolgy", "Banking", "qqq"], index=[10, 20, 30])
    conf = clf.predict_confidence(labels)
    assert conf.index.tolist() == [10, 20, 30]
    assert conf.between(0, 1).all()
    assert conf[20] == 1.0 and conf[10] < 1.0


@pytest.mark.parametrize("min_confidence, expected", [(0.0, "Technology"), (0.99, OTHER)])
def test_min_confidence_cuts_to_other(min_confidence, expected):
    clf = VerticalClassifier(min_confidence=min_confidence).fit()
    assert clf.predict(pd.Series(["technolgy"])).iloc[0] == expected


def test_fit_with_extra_labels_overrides_taxonomy():
    clf = VerticalClassifier().fit({"Widgets": "Manufacturing", "Banking": "Money"})
    assert clf.predict(pd.Series(["widgets", "Banking"])).tolist() == ["Manufacturing", "Money"]


def test_sklearn_contract():
    clf = VerticalClassifier(min_confidence=0.7)
    assert clf.fit() is clf
    twin = clone(clf)
    assert twin.get_params() == clf.get_params() and not hasattr(twin, "neighbors_")
    with pytest.raises(NotFittedError):
        VerticalClassifier().predict(pd.Series(["Tech"]))
    with pytest.raises(InputError):
        VerticalClassifier(min_confidence=1.5).fit()


# -- assign_verticals ------------------------------------------------------------------------------


def test_planted_vertical_purity_and_accuracy():
    accounts, truth = planted_accounts(3000, seed=3)
    result = assign_verticals(accounts["industry"])
    crosstab = pd.crosstab(result.labels, truth["vertical"])
    purity = crosstab.max(axis=1).sum() / len(accounts)
    assert purity >= 0.95
    assert (result.labels == truth["vertical"]).mean() >= 0.95


@pytest.mark.parametrize("industry", [None, pd.Series([None] * 30, dtype="str")])
def test_no_industry_means_one_vertical(industry):
    result = assign_verticals(industry, index=pd.RangeIndex(30))
    assert len(result.labels) == 30 and set(result.labels) == {ALL_ACCOUNTS}
    assert result.table["vertical"].tolist() == [ALL_ACCOUNTS]
    assert result.table["accounts"].tolist() == [30]
    assert any("all accounts are one vertical" in w for w in result.warnings)


def test_small_verticals_fold_into_other_with_a_warning():
    industry = pd.Series(["Banking"] * 50 + ["Retail"] * 45 + ["Education"] * 3 + ["Hotels"] * 2)
    result = assign_verticals(industry, min_accounts=20)
    assert set(result.labels) == {"Financial Services", "Retail & Consumer", OTHER}
    assert (result.labels == OTHER).sum() == 5
    assert any("2 verticals" in w and "folded into Other" in w for w in result.warnings)
    assert result.table["vertical"].iloc[-1] == OTHER  # the catch-all comes last


def test_table_shape_and_shares():
    industry = pd.Series(["Banking"] * 60 + ["finance"] * 10 + ["Retail"] * 30)
    result = assign_verticals(industry, min_accounts=1, min_share=0)
    table = result.table
    assert list(table.columns) == ["vertical", "accounts", "share", "confidence", "top_labels"]
    assert table["accounts"].sum() == 100
    assert table["share"].sum() == pytest.approx(1.0)
    first = table.iloc[0]
    assert first["vertical"] == "Financial Services" and first["accounts"] == 70
    assert first["top_labels"].startswith("Banking (60), finance (10)")


def test_unmatched_labels_are_reported():
    industry = pd.Series(["Banking"] * 40 + ["Widgets"] * 25)
    result = assign_verticals(industry)
    assert (result.labels == OTHER).sum() == 25
    assert any("'Widgets'" in w for w in result.warnings)


def test_merges_and_renames():
    industry = pd.Series(["Banking"] * 40 + ["Insurance"] * 10 + ["Widgets"] * 30 + ["Retail"] * 30)
    result = assign_verticals(
        industry,
        merges={"widgets": "Manufacturing", "Retail & Consumer": "Consumer"},
        renames={"Financial Services": "FS"},
    )
    counts = result.labels.value_counts().to_dict()
    assert counts == {"FS": 50, "Manufacturing": 30, "Consumer": 30}


def test_classifies_unique_labels_only(monkeypatch):
    calls = []
    clf = VerticalClassifier().fit()
    original = clf.vectorizer_.transform

    def counting(x):
        calls.append(len(x))
        return original(x)

    monkeypatch.setattr(clf.vectorizer_, "transform", counting)
    industry = pd.Series(["technolgy", "Helthcare", "zzz"] * 10_000)
    assign_verticals(industry, classifier=clf)
    assert calls == [3]


def test_preserves_the_account_index():
    industry = pd.Series(["Banking"] * 25, index=range(100, 125))
    result = assign_verticals(industry)
    assert result.labels.index.equals(industry.index)
    assert result.confidence.index.equals(industry.index)


@pytest.mark.parametrize("dirty", [False, True])
def test_sample_generator_vertical_purity(dirty):
    sample = pytest.importorskip("segmentation.sample")
    from segmentation.accounts import prepare_accounts
    from segmentation.schema import infer_mapping

    export, truth = sample.generate_accounts(4000, seed=7, dirty=dirty)
    industry = prepare_accounts(export, infer_mapping(export)).accounts["industry"]
    labels = assign_verticals(industry).labels
    # Accounts without an industry can only go to Other; purity is about the labelled ones.
    labelled = industry.notna()
    crosstab = pd.crosstab(labels[labelled], truth["vertical"][labelled])
    assert crosstab.max(axis=1).sum() / labelled.sum() >= 0.95
