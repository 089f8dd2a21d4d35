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
    loose: dict[str, str] = {}  # HubSpot's internal values drop the "and"
    for vertical in load_taxonomy():
        labels = [
            vertical["name"],
            *vertical["salesforce"],
            *vertical["hubspot"],
            *vertical["linkedin"],
            *vertical["fortune"],
            *vertical["naics_descriptions"],
            *vertical["sic_descriptions"],
            *vertical["synonyms"],
        ]
        for label in labels:
            norm = normalize_label(label)
            assert owner.setdefault(norm, vertical["name"]) == vertical["name"], label
            key = " ".join(w for w in norm.split() if w != "and")
            assert loose.setdefault(key, vertical["name"]) == vertical["name"], label


@pytest.mark.parametrize("system", ["naics", "sic"])
def test_no_code_belongs_to_two_verticals(system):
    codes = [code for vertical in load_taxonomy() for code in vertical[system]]
    assert len(codes) == len(set(codes))
    assert all(code.isdigit() and 2 <= len(code) <= 6 for code in codes)


def test_taxonomy_carries_the_standard_label_sets():
    taxonomy = load_taxonomy()
    count = {k: sum(len(v[k]) for v in taxonomy) for k in
             ("hubspot", "linkedin", "fortune", "sic", "sic_descriptions", "naics")}  # fmt: skip
    # LinkedIn's original list (HubSpot's picklist) has ~147 values, Fortune ~70 industries.
    assert count["hubspot"] >= 140 and count["linkedin"] >= 250 and count["fortune"] >= 65
    assert count["sic"] >= 60 and count["sic_descriptions"] >= 150 and count["naics"] >= 25


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


# Label sets of real exports and company lists -> vertical. Each row is a value those sources
# really carry; "set" says which. Fortune's labels landed in Construction & Real Estate, Other or
# Manufacturing before the taxonomy carried them.
STANDARD_LABELS = [
    # Fortune 500 industries
    ("fortune", "Commercial Banks", "Financial Services"),
    ("fortune", "Insurance: Property and Casualty (Stock)", "Financial Services"),
    ("fortune", "Insurance: Life, Health (Mutual)", "Financial Services"),
    ("fortune", "Health Care: Medical Facilities", "Healthcare & Life Sciences"),
    ("fortune", "Health Care: Insurance and Managed Care", "Healthcare & Life Sciences"),
    ("fortune", "Securities", "Financial Services"),
    ("fortune", "Diversified Financials", "Financial Services"),
    ("fortune", "Motor Vehicles and Parts", "Manufacturing"),
    ("fortune", "Motor Vehicles & Parts", "Manufacturing"),
    ("fortune", "Mining, Crude-Oil Production", "Energy & Utilities"),
    ("fortune", "Petroleum Refining", "Energy & Utilities"),
    ("fortune", "Utilities: Gas and Electric", "Energy & Utilities"),
    ("fortune", "Aerospace and Defense", "Manufacturing"),
    ("fortune", "Scientific, Photographic and Control Equipment", "Manufacturing"),
    ("fortune", "Food Consumer Products", "Agriculture & Food"),
    ("fortune", "Food and Drug Stores", "Retail & Consumer"),
    ("fortune", "General Merchandisers", "Retail & Consumer"),
    ("fortune", "Specialty Retailers: Other", "Retail & Consumer"),
    ("fortune", "Household and Personal Products", "Retail & Consumer"),
    ("fortune", "Wholesalers: Health Care", "Healthcare & Life Sciences"),
    ("fortune", "Internet Services and Retailing", "Technology"),
    ("fortune", "Semiconductors and Other Electronic Components", "Technology"),
    ("fortune", "Mail, Package, and Freight Delivery", "Transportation & Logistics"),
    ("fortune", "Trucking, Truck Leasing", "Transportation & Logistics"),
    ("fortune", "Engineering, Construction", "Construction & Real Estate"),
    ("fortune", "Hotels, Casinos, Resorts", "Hospitality & Leisure"),
    ("fortune", "Temporary Help", "Professional Services"),
    ("fortune", "Publishing, Printing", "Media & Telecom"),
    # SIC divisions, major groups and the industry titles of SEC filings
    ("sic", "Finance, Insurance, and Real Estate", "Financial Services"),
    ("sic", "Depository Institutions", "Financial Services"),
    ("sic", "STATE COMMERCIAL BANKS", "Financial Services"),
    ("sic", "Insurance Agents, Brokers, and Service", "Financial Services"),
    ("sic", "SERVICES-PREPACKAGED SOFTWARE", "Technology"),
    ("sic", "PHARMACEUTICAL PREPARATIONS", "Healthcare & Life Sciences"),
    ("sic", "Oil and Gas Extraction", "Energy & Utilities"),
    ("sic", "Petroleum Refining and Related Industries", "Energy & Utilities"),
    ("sic", "Electric, Gas, and Sanitary Services", "Energy & Utilities"),
    ("sic", "Motor Freight Transportation and Warehousing", "Transportation & Logistics"),
    ("sic", "Eating and Drinking Places", "Hospitality & Leisure"),
    ("sic", "Food and Kindred Products", "Agriculture & Food"),
    ("sic", "Wholesale Trade-Durable Goods", "Retail & Consumer"),
    (
        "sic",
        "Engineering, Accounting, Research, Management, and Related Services",
        "Professional Services",
    ),
    ("sic", "Telephone Communications (No Radiotelephone)", "Media & Telecom"),
    ("sic", "Membership Organizations", "Non-profit"),
    ("sic", "Justice, Public Order, and Safety", "Government & Public Sector"),
    ("sic", "SIC 7372", "Technology"),
    ("sic", "SIC code 6021", "Financial Services"),
    ("sic", "sic 2834", "Healthcare & Life Sciences"),  # drugs, in the chemicals group 28
    ("sic", "SIC 2821", "Manufacturing"),
    ("sic", "SIC 1311", "Energy & Utilities"),
    ("sic", "SIC 5812", "Hospitality & Leisure"),
    ("sic", "7372 Prepackaged Software", "Technology"),  # a number with its title: the title
    # NAICS sectors, subsectors and codes
    ("naics", "Finance and Insurance", "Financial Services"),
    (
        "naics",
        "Administrative and Support and Waste Management and Remediation Services",
        "Professional Services",
    ),
    ("naics", "Petroleum and Coal Products Manufacturing", "Energy & Utilities"),
    ("naics", "Motor Vehicle and Parts Dealers", "Retail & Consumer"),
    ("naics", "Transit and Ground Passenger Transportation", "Transportation & Logistics"),
    ("naics", "Performing Arts, Spectator Sports, and Related Industries", "Hospitality & Leisure"),
    ("naics", "Monetary Authorities-Central Bank", "Financial Services"),
    ("naics", "NAICS 522110", "Financial Services"),
    ("naics", "NAICS 324110", "Energy & Utilities"),
    ("naics", "NAICS 211120", "Energy & Utilities"),
    ("naics", "NAICS 212", "Manufacturing"),
    ("naics", "NAICS 561510", "Hospitality & Leisure"),  # travel agencies, in sector 56
    ("naics", "NAICS 92", "Government & Public Sector"),
    # LinkedIn industries (2022 names)
    ("linkedin", "Hospitals and Health Care", "Healthcare & Life Sciences"),
    ("linkedin", "Software Development", "Technology"),
    ("linkedin", "IT Services and IT Consulting", "Technology"),
    ("linkedin", "Business Consulting and Services", "Professional Services"),
    ("linkedin", "Oil, Gas, and Mining", "Energy & Utilities"),
    ("linkedin", "Motor Vehicle Manufacturing", "Manufacturing"),
    (
        "linkedin",
        "Transportation, Logistics, Supply Chain and Storage",
        "Transportation & Logistics",
    ),
    ("linkedin", "Non-profit Organizations", "Non-profit"),
    ("linkedin", "Armed Forces", "Government & Public Sector"),
    ("linkedin", "Advertising Services", "Media & Telecom"),
    ("linkedin", "Retail Apparel and Fashion", "Retail & Consumer"),
    ("linkedin", "Food and Beverage Services", "Hospitality & Leisure"),
    ("linkedin", "Food and Beverage Manufacturing", "Agriculture & Food"),
    ("linkedin", "E-Learning Providers", "Education"),
    ("linkedin", "Leasing Non-residential Real Estate", "Construction & Real Estate"),
    # HubSpot's picklist: labels and internal values
    ("hubspot", "Hospital & Health Care", "Healthcare & Life Sciences"),
    ("hubspot", "HOSPITAL_HEALTH_CARE", "Healthcare & Life Sciences"),
    ("hubspot", "COMPUTER_NETWORK_SECURITY", "Technology"),
    ("hubspot", "INFORMATION_TECHNOLOGY_AND_SERVICES", "Technology"),
    ("hubspot", "FOOD_BEVERAGES", "Agriculture & Food"),
    ("hubspot", "LEISURE_TRAVEL_TOURISM", "Hospitality & Leisure"),
    ("hubspot", "NON_PROFIT_ORGANIZATION_MANAGEMENT", "Non-profit"),
    ("hubspot", "VENTURE_CAPITAL_PRIVATE_EQUITY", "Financial Services"),
    ("hubspot", "MECHANICAL_OR_INDUSTRIAL_ENGINEERING", "Manufacturing"),
    ("hubspot", "TRANSPORTATION_TRUCKING_RAILROAD", "Transportation & Logistics"),
    ("hubspot", "Alternative Dispute Resolution", "Professional Services"),
    ("hubspot", "Libraries", "Education"),
    ("hubspot", "Shipbuilding", "Manufacturing"),
    ("hubspot", "Oil & Energy", "Energy & Utilities"),
    ("hubspot", "Government Administration", "Government & Public Sector"),
    # Salesforce's Account.Industry picklist
    ("salesforce", "Not For Profit", "Non-profit"),
    ("salesforce", "Shipping", "Transportation & Logistics"),
    ("salesforce", "Recreation", "Hospitality & Leisure"),
    ("salesforce", "Environmental", "Energy & Utilities"),
    ("salesforce", "Engineering", "Manufacturing"),
    ("salesforce", "Food & Beverage", "Agriculture & Food"),
    ("salesforce", "Communications", "Media & Telecom"),
    ("salesforce", "Consulting", "Professional Services"),
]


@pytest.mark.parametrize("label_set, label, vertical", STANDARD_LABELS)
def test_standard_label_sets_map_to_their_vertical(clf, label_set, label, vertical):
    assert clf.predict(pd.Series([label])).iloc[0] == vertical
    assert clf.predict_confidence(pd.Series([label])).iloc[0] == 1.0


def test_every_label_set_is_in_the_table():
    assert {row[0] for row in STANDARD_LABELS} == {
        "fortune", "sic", "naics", "linkedin", "hubspot", "salesforce"
    }  # fmt: skip
    assert len(STANDARD_LABELS) >= 60


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
    sample = pytest.importorskip("scripts.sample_crm")
    from segmentation.accounts import prepare_accounts
    from segmentation.schema import infer_mapping

    export, truth = sample.generate_accounts(4000, seed=7, dirty=dirty)
    industry = prepare_accounts(export, infer_mapping(export)).accounts["industry"]
    labels = assign_verticals(industry).labels
    # Accounts without an industry can only go to Other; purity is about the labelled ones.
    labelled = industry.notna()
    crosstab = pd.crosstab(labels[labelled], truth["vertical"][labelled])
    assert crosstab.max(axis=1).sum() / labelled.sum() >= 0.95
