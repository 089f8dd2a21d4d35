"""Customer types: recovery of planted types, the UCI channel, honesty on noise, the sklearn contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score

from segmentation.clustering import (
    CustomerTypeModel,
    _verdict,
    customer_types,
    format_money,
)
from segmentation.errors import InputError
from segmentation.features import build_features
from tests.planted import planted_accounts, random_accounts

UCI = Path(__file__).parent / "fixtures" / "real" / "wholesale.csv"


@pytest.fixture(scope="module")
def planted():
    accounts, truth = planted_accounts(3000, seed=0)
    return accounts, truth, customer_types(accounts, seed=0)


def _uci():
    data = pd.read_csv(UCI)
    accounts = pd.DataFrame(
        {
            "account_id": [str(i) for i in range(len(data))],
            "account_name": [f"Client {i}" for i in range(len(data))],
        }
    )
    extra = data.drop(columns=["Channel", "Region"]).astype("float64")
    return accounts, extra, data["Channel"]


# -- quality a user relies on --------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_customer_types_are_recovered(seed):
    accounts, truth = planted_accounts(3000, seed=seed)
    result = customer_types(accounts, seed=seed)
    assert result.quality["k"] == 4
    assert adjusted_rand_score(truth["customer_type"], result.ids) >= 0.9
    assert result.quality["verdict"] == "strong"


def test_uci_wholesale_two_types_match_the_channel():
    accounts, extra, channel = _uci()
    result = customer_types(accounts, extra, n_types=2)
    assert adjusted_rand_score(channel, result.ids) >= 0.45


def test_log_scaling_is_what_recovers_the_uci_channel():
    # Raw spend (no log) clusters on a few big spenders; this pins down why features log-scale.
    _accounts, extra, channel = _uci()
    raw = CustomerTypeModel(n_types=2).fit(extra)
    assert adjusted_rand_score(channel, raw.labels_) < 0.3


@pytest.mark.parametrize("seed", [0, 1])
def test_random_structure_gets_a_weak_verdict(seed):
    result = customer_types(random_accounts(3000, seed=seed), seed=seed)
    assert result.quality["verdict"] == "weak"
    assert "tiers, not natural segments" in result.quality["message"]


@pytest.mark.parametrize(
    "silhouette, stability, null, verdict",
    [
        (0.7, 1.0, 0.2, "strong"),
        (0.35, 0.85, 0.12, "moderate"),
        (0.19, 0.45, 0.19, "weak"),
        (0.6, 0.95, 0.55, "weak"),
        (0.7, 0.6, 0.2, "weak"),
        (float("nan"), 1.0, 0.0, "weak"),
    ],
)
def test_verdict_table(silhouette, stability, null, verdict):
    assert _verdict(silhouette, stability, null) == verdict


def test_same_seed_same_labels_and_names():
    accounts, _ = planted_accounts(1500, seed=4)
    a, b = customer_types(accounts, seed=7), customer_types(accounts, seed=7)
    pd.testing.assert_series_equal(a.labels, b.labels)
    pd.testing.assert_series_equal(a.ids, b.ids)
    pd.testing.assert_frame_equal(a.selection, b.selection)


def test_ids_are_ordered_most_valuable_first(planted):
    _, _, result = planted
    deals = result.table["median_deal_size"].to_numpy()
    assert (np.diff(deals) < 0).all()
    assert result.table["customer_type_id"].tolist() == list(range(result.quality["k"]))


def test_result_shapes(planted):
    accounts, _, result = planted
    k = result.quality["k"]
    assert result.labels.index.equals(accounts.index) and result.ids.index.equals(accounts.index)
    assert result.ids.dtype == "int64"
    assert result.labels.nunique() == k == len(result.table)
    assert {
        "customer_type_id",
        "customer_type",
        "accounts",
        "share",
        "median_employees",
        "median_revenue",
        "median_deal_size",
    } <= set(result.table.columns)
    assert result.table["accounts"].sum() == len(accounts)
    assert result.table["share"].sum() == pytest.approx(1.0)
    assert set(result.quality) >= {"k", "silhouette", "stability", "verdict", "message", "sizes"}
    assert sum(result.quality["sizes"].values()) == len(accounts)
    assert list(result.selection.columns) == [
        "k",
        "silhouette",
        "stability",
        "null_silhouette",
        "min_share",
        "gap",
        "score",
        "eligible",
        "chosen",
    ]
    assert result.selection["chosen"].sum() == 1
    assert list(result.embedding.columns) == ["x", "y", "customer_type"]
    assert len(result.embedding) <= 5000
    assert set(result.embedding["customer_type"]) <= set(result.labels)


def test_names_read_like_a_vp_would_say_them(planted):
    _, _, result = planted
    names = result.table["customer_type"].tolist()
    assert names[0].startswith("Enterprise customers · ~$")
    assert any(name.startswith("Small business prospects") for name in names)
    assert all(" deals" in name for name in names)


def test_embedding_is_sampled_to_5000_accounts():
    accounts, _ = planted_accounts(6000, seed=5)
    result = customer_types(accounts, n_types=4)
    assert len(result.embedding) == 5000
    assert result.embedding.index.isin(accounts.index).all()
    joined = result.labels.loc[result.embedding.index]
    assert (joined == result.embedding["customer_type"]).all()


def test_fixed_n_types_is_respected():
    accounts, _ = planted_accounts(1000, seed=6)
    result = customer_types(accounts, n_types=3)
    assert result.quality["k"] == 3 and result.selection["k"].tolist() == [3]


def test_uci_names_come_from_the_spend_columns():
    accounts, extra, _ = _uci()
    result = customer_types(accounts, extra, n_types=2)
    assert all(name.startswith(("High ", "Low ")) for name in result.table["customer_type"])
    assert "median_Grocery" in result.table.columns


# -- input errors ------------------------------------------------------------------------------


def test_nothing_numeric_to_cluster_on_is_an_input_error():
    accounts = pd.DataFrame(
        {
            "account_id": [str(i) for i in range(50)],
            "account_name": ["x"] * 50,
            "status": pd.array(["customer", "prospect"] * 25, dtype="str"),
        }
    )
    with pytest.raises(InputError, match="No numeric column"):
        customer_types(accounts)


def test_too_few_accounts_is_an_input_error():
    accounts, _ = planted_accounts(10, seed=0)
    with pytest.raises(InputError, match="at least"):
        customer_types(accounts)


def test_more_types_than_distinct_profiles_is_an_input_error():
    accounts = pd.DataFrame(
        {
            "account_id": [str(i) for i in range(40)],
            "account_name": ["x"] * 40,
            "deal_size": [100.0, 1000.0] * 20,
        }
    )
    with pytest.raises(InputError, match="distinct"):
        customer_types(accounts, n_types=3)


@pytest.mark.parametrize(
    "params",
    [
        {"n_types": 1},
        {"k_range": (1, 4)},
        {"k_range": (5, 3)},
        {"min_share": 0.7},
        {"categorical_weight": -1},
    ],
)
def test_bad_parameters_are_input_errors(params):
    X = build_features(planted_accounts(100, seed=0)[0])
    with pytest.raises(InputError):
        CustomerTypeModel(**params).fit(X)


# -- scikit-learn contract -------------------------------------------------------------------------


def test_fit_returns_self_and_sets_learned_attributes():
    X = build_features(planted_accounts(800, seed=1)[0])
    model = CustomerTypeModel(random_state=0)
    assert model.fit(X) is model
    for attr in (
        "labels_",
        "n_types_",
        "selection_",
        "silhouette_",
        "stability_",
        "cluster_centers_",
        "pipeline_",
    ):
        assert hasattr(model, attr)
    assert model.cluster_centers_.shape[0] == model.n_types_


def test_clone_copies_params_not_state():
    X = build_features(planted_accounts(500, seed=1)[0])
    model = CustomerTypeModel(n_types=3, categorical_weight=0.5).fit(X)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert not hasattr(twin, "labels_")


def test_predict_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        CustomerTypeModel().predict(pd.DataFrame({"x": [1.0]}))


def test_predict_agrees_with_labels_on_training_data():
    X = build_features(planted_accounts(1000, seed=2)[0])
    model = CustomerTypeModel(random_state=3).fit(X)
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    np.testing.assert_array_equal(model.fit_predict(X), model.labels_)


def test_determinism_under_random_state():
    X = build_features(random_accounts(1000, seed=0))
    a = CustomerTypeModel(random_state=5).fit(X)
    b = CustomerTypeModel(random_state=5).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    pd.testing.assert_frame_equal(a.selection_, b.selection_)


def test_silhouette_is_sampled_not_full(monkeypatch):
    from segmentation import clustering

    seen = []
    original = clustering.sampled_silhouettes

    def spy(X, labelings, sample_size, random_state):
        seen.append((len(X), len(labelings), sample_size))
        return original(X, labelings, sample_size, random_state)

    monkeypatch.setattr(clustering, "sampled_silhouettes", spy)
    X = build_features(planted_accounts(3000, seed=0)[0])
    model = CustomerTypeModel(sample_size=500, n_resamples=1).fit(X)
    # One call for the real data, one for the shuffled baseline, each scoring every candidate k.
    assert seen == [(3000, len(model.selection_), 500)] * 2


@pytest.mark.parametrize(
    ("n", "sample_size", "ks"),
    [(3000, 800, (2, 3, 5, 8)), (300, 300, (2, 4)), (50, 10, (2, 3)), (6, 6, (2, 5))],
)
def test_sampled_silhouettes_equal_scikit_learns_score(n, sample_size, ks):
    from sklearn.metrics import silhouette_score

    from segmentation.clustering import sampled_silhouettes

    rng = np.random.default_rng(n)
    X = rng.normal(size=(n, 4))
    X[: n // 2] += 2.5
    labelings = [rng.integers(0, k, n) for k in ks] + [(X[:, 0] > 1.2).astype(int) * 7]
    ours = sampled_silhouettes(X, labelings, sample_size, 11)
    theirs = [silhouette_score(X, lab, sample_size=sample_size, random_state=11) for lab in labelings]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_sampled_silhouette_is_nan_when_the_sample_holds_one_cluster():
    from segmentation.clustering import sampled_silhouettes

    X = np.arange(20, dtype=float).reshape(10, 2)
    assert np.isnan(sampled_silhouettes(X, [np.zeros(10, dtype=int)], 10, 0)[0])
    assert sampled_silhouettes(X, [], 10, 0) == []


def test_large_inputs_choose_k_on_a_bounded_subset_and_label_every_account(monkeypatch):
    from segmentation import clustering

    monkeypatch.setattr(clustering, "SELECTION_ROWS", 1500)
    accounts, truth = planted_accounts(4000, seed=8)
    model = CustomerTypeModel(n_resamples=2).fit(build_features(accounts))
    assert len(model.labels_) == 4000
    assert adjusted_rand_score(truth["customer_type"], model.labels_) >= 0.9


@pytest.mark.parametrize(
    "value, text",
    [
        (950, "$950"),
        (4_500, "$4.5K"),
        (180_000, "$180K"),
        (1_200_000, "$1.2M"),
        (999_999, "$1M"),
        (999.6, "$1K"),
        (9_960, "$10K"),
        (-12_345, "-$12K"),
        (3_400_000_000, "$3.4B"),
        (10_000, "$10K"),
        (float("nan"), "n/a"),
    ],
)
def test_format_money(value, text):
    assert format_money(value) == text


# -- the project's sample generator (segmentation.sample), end to end through ingest ------------


@pytest.mark.parametrize("dirty", [False, True])
def test_sample_generator_customer_types_are_recovered(dirty):
    sample = pytest.importorskip("segmentation.sample")
    from segmentation.accounts import prepare_accounts
    from segmentation.schema import infer_mapping

    export, truth = sample.generate_accounts(4000, seed=7, dirty=dirty)
    prepared = prepare_accounts(export, infer_mapping(export))
    result = customer_types(prepared.accounts, prepared.extra_features, seed=0)
    assert adjusted_rand_score(truth["customer_type"], result.ids) >= 0.9
    assert result.quality["verdict"] in {"strong", "moderate"}
