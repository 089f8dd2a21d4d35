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
)
from segmentation.errors import InputError
from segmentation.features import build_features
from segmentation.k_selection import choose_k, eligible
from segmentation.naming import format_money
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
    from segmentation import k_selection

    seen = []
    original = k_selection.sampled_silhouettes

    def spy(X, labelings, sample_size, random_state):
        seen.append((len(X), len(labelings), sample_size))
        return original(X, labelings, sample_size, random_state)

    monkeypatch.setattr(k_selection, "sampled_silhouettes", spy)
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

    from segmentation.k_selection import sampled_silhouettes

    rng = np.random.default_rng(n)
    X = rng.normal(size=(n, 4))
    X[: n // 2] += 2.5
    labelings = [rng.integers(0, k, n) for k in ks] + [(X[:, 0] > 1.2).astype(int) * 7]
    ours = sampled_silhouettes(X, labelings, sample_size, 11)
    theirs = [
        silhouette_score(X, lab, sample_size=sample_size, random_state=11) for lab in labelings
    ]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_sampled_silhouette_is_nan_when_the_sample_holds_one_cluster():
    from segmentation.k_selection import sampled_silhouettes

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


# -- the project's sample generator (scripts.sample_crm), end to end through ingest ------------


@pytest.mark.parametrize("dirty", [False, True])
def test_sample_generator_customer_types_are_recovered(dirty):
    sample = pytest.importorskip("scripts.sample_crm")
    from segmentation.accounts import prepare_accounts
    from segmentation.schema import infer_mapping

    export, truth = sample.generate_accounts(4000, seed=7, dirty=dirty)
    prepared = prepare_accounts(export, infer_mapping(export))
    result = customer_types(prepared.accounts, prepared.extra_features, seed=0)
    assert adjusted_rand_score(truth["customer_type"], result.ids) >= 0.9
    assert result.quality["verdict"] in {"strong", "moderate"}


# -- the number of types (issue 13, item 6) -------------------------------------------------------

_STATUSES = ("customer", "prospect", "former")


def planted_k(k: int, n: int = 1500, seed: int = 3, nested: bool = False):
    """Accounts from ``k`` planted types (size, revenue, deal size, 90% one status).

    ``nested`` plants the types in pairs: each pair shares size, revenue and status and differs
    only in deal size (6.7 standard deviations apart), the shape that made silhouette merge
    each pair into one type.
    """
    rng = np.random.default_rng(seed)
    groups = (k + 1) // 2 if nested else k
    centres: list[np.ndarray] = []
    while len(centres) < groups:
        size = rng.uniform(0.8, 4.3)
        c = np.array([size, 5.5 + size + rng.uniform(-0.4, 0.4), rng.uniform(2.5, 5.5)])
        if all(np.abs(c - o).max() >= (1.4 if nested else 0.7) for o in centres):
            centres.append(c)
    status = list(rng.integers(0, 3, groups))
    if nested:
        centres = [c + [0, 0, sign * 0.4] for c in centres for sign in (1, -1)][:k]
        status = [s for s in status for _ in range(2)][:k]
    truth = rng.choice(k, n, p=rng.dirichlet(np.full(k, 8.0)))
    x = np.array(centres)[truth] + rng.normal(0, 0.12, (n, 3))
    noisy = rng.random(n) >= 0.9
    names = np.array(_STATUSES, dtype=object)[np.array(status)[truth]]
    names[noisy] = rng.choice(_STATUSES, int(noisy.sum()))
    accounts = pd.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(n)],
            "account_name": [f"a{i}" for i in range(n)],
            "employees": np.round(10 ** x[:, 0]),
            "annual_revenue": np.round(10 ** x[:, 1], -3),
            "deal_size": np.round(10 ** x[:, 2], -1),
            "status": pd.array(names, dtype="str"),
        }
    )
    return accounts, truth


@pytest.mark.parametrize(
    "k, seed, nested",
    [
        *[(k, 3, False) for k in range(2, 9)],
        # Pairs the silhouette rule merged (it chose 2, 3, 3 and 4 types here).
        (3, 4, True),
        (5, 3, True),
        (6, 8, True),
        (7, 6, True),
    ],
)
def test_the_planted_number_of_types_is_found(k, seed, nested):
    # Not every nested case is solved: on 42 nested data sets (2-8 types, seeds 3-8) the gap
    # rule found 22, silhouette 15; the misses are pairs at 6-8 types, where the 10% of accounts
    # with another status weigh as much as the deal-size split inside a pair.
    accounts, truth = planted_k(k, seed=seed, nested=nested)
    result = customer_types(accounts, seed=0)
    assert result.quality["k"] == k
    assert adjusted_rand_score(truth, result.ids) >= 0.9


HUBSPOT_TYPES = (
    # share, log10 employees, log10 revenue, log10 deal size, lifecycle stage
    (0.20, 3.7, 9.0, 5.0, "Customer"),
    (0.20, 3.7, 9.0, 4.2, "Customer"),
    (0.30, 1.5, 6.5, 3.4, "Lead"),
    (0.30, 1.5, 6.5, 2.6, "Lead"),
)


def hubspot_export(n: int = 1500, seed: int = 0) -> tuple[bytes, np.ndarray]:
    """A HubSpot companies export (CSV) with four clear customer types, and the planted truth.

    Enterprise and small companies, each in a big-deal and a small-deal group (deal sizes a
    factor of 6 apart, 6.7 standard deviations): four types a sales leader plans differently,
    nested two by two, which is the shape that made silhouette choose two.
    """
    rng = np.random.default_rng(seed)
    truth = rng.choice(4, n, p=[t[0] for t in HUBSPOT_TYPES])

    def planted(j: int) -> np.ndarray:
        return np.array([t[j] for t in HUBSPOT_TYPES])[truth]

    frame = pd.DataFrame(
        {
            "Record ID": rng.permutation(n) * 7 + 5_000_000_000,
            "Company name": [f"Acme {i} Inc" for i in range(n)],
            "Company Domain Name": [f"acme{i}.com" for i in range(n)],
            "Industry": rng.choice(["COMPUTER_SOFTWARE", "HOSPITAL_HEALTH_CARE", "RETAIL"], n),
            "Number of Employees": np.round(10 ** (planted(1) + rng.normal(0, 0.12, n))).astype(
                int
            ),
            "Annual Revenue": np.round(10 ** (planted(2) + rng.normal(0, 0.12, n)), -3),
            "Average Deal Size": np.round(10 ** (planted(3) + rng.normal(0, 0.12, n)), -1),
            "Lifecycle Stage": planted(4),
            "Company owner": rng.choice(["Ana Diaz", "Ben Ito"], n),
            "Create Date": [
                f"2024-{m:02d}-{d:02d} 10:00"
                for m, d in zip(rng.integers(1, 13, n), rng.integers(1, 29, n))
            ],  # fmt: skip
            "Phone Number": [
                f"+1 {a}-{b}-{c:04d}"
                for a, b, c in zip(
                    rng.integers(201, 990, n), rng.integers(200, 999, n), rng.integers(0, 10000, n)
                )
            ],  # fmt: skip
            "Postal Code": [f"{z:05d}" for z in rng.integers(501, 99950, n)],
            "Number of Associated Contacts": rng.poisson(4, n),
        }
    )
    return frame.to_csv(index=False).encode(), truth


def test_hubspot_export_with_four_clear_types_gives_four():
    from segmentation.pipeline import run

    data, truth = hubspot_export()
    result = run(data, name="hubspot-crm-exports-all-companies.csv")
    types = result.segmentation.types
    assert types.quality["k"] == 4 and types.quality["verdict"] == "strong"
    assert adjusted_rand_score(truth, types.ids) >= 0.95
    curve = {row["k"]: row for row in result.report()["quality"]["k_curve"]}
    # The trap: two types separate better (silhouette) and are as stable as four.
    assert curve[2]["silhouette"] > curve[4]["silhouette"] and curve[4]["stability"] >= 0.99
    assert curve[4]["gap"] > curve[2]["gap"] + 0.5 and curve[4]["chosen"]
    assert [row["k"] for row in curve.values()] == list(range(2, 9))
    deals = types.table["median_deal_size"].tolist()
    assert deals == sorted(deals, reverse=True) and deals[0] > 5 * deals[1]
    # Each planted type gets one motion: the small companies' $2.6K deals go inside and the
    # $400 ones digital (as two types merged, a ~$660 median split them by vertical instead).
    # The motion the deal size calls for: a segment whose bookings then paid for no rep there was
    # pooled into a cheaper motion, and says where it came from.
    segments = result.team_plan.plan.segments
    pooled = segments["pooled_from"].astype("str")
    planned = (
        pooled.str.split(" · ")
        .str[0]
        .str.lower()
        .where(pooled != "", segments["motion"].astype("str"))
    )
    motions = planned.groupby(segments["customer_type"], observed=True).unique()
    assert [list(motions[name]) for name in types.table["customer_type"]] == [
        ["field"], ["field"], ["inside"], ["digital"],
    ]  # fmt: skip


@pytest.mark.parametrize(
    "rows, chosen",
    [
        # (k, gap, stability, min_share): highest gap - 0.15 k among the eligible
        (
            [(2, 0.97, 1.0, 0.4), (3, 1.17, 1.0, 0.3), (4, 2.03, 1.0, 0.19), (5, 1.96, 0.77, 0.12)],
            4,
        ),  # fmt: skip
        # a bigger gap that is not stable is not chosen
        ([(2, 1.0, 1.0, 0.4), (3, 1.1, 0.99, 0.3), (4, 2.0, 0.6, 0.2)], 2),
        # nor one that leaves a type under 3% of accounts
        ([(2, 1.0, 1.0, 0.4), (3, 1.2, 1.0, 0.3), (4, 2.0, 1.0, 0.01)], 3),
        # one more type must earn 0.15 of gap
        ([(2, 1.0, 1.0, 0.4), (3, 1.14, 1.0, 0.3)], 2),
        ([(2, 1.0, 1.0, 0.4), (3, 1.16, 1.0, 0.3)], 3),
        # one step that does not pay does not stop the count (nested types)
        (
            [
                (2, 0.46, 1.0, 0.4),
                (3, 0.52, 0.9, 0.12),
                (4, 0.86, 1.0, 0.12),
                (5, 1.11, 1.0, 0.12),
                (6, 1.22, 0.92, 0.12),
            ],
            5,
        ),  # fmt: skip
        # nothing stable: the fewest tiers
        ([(2, 0.5, 0.7, 0.4), (3, 0.9, 0.8, 0.3)], 2),
    ],
)
def test_k_rule_table(rows, chosen):
    selection = pd.DataFrame(rows, columns=["k", "gap", "stability", "min_share"])
    min_share = CustomerTypeModel().min_share
    selection["score"] = selection["gap"] - 0.15 * selection["k"]
    selection["eligible"] = eligible(selection, min_share)
    assert choose_k(selection, min_share) == chosen


def test_k_curve_is_in_the_report_quality(planted):
    _, _, result = planted
    curve = result.quality["k_curve"]
    assert [row["k"] for row in curve] == result.selection["k"].tolist()
    assert sum(row["chosen"] for row in curve) == 1
    assert set(curve[0]) == {
        "k", "gap", "score", "stability", "silhouette", "null_silhouette", "min_share",
        "eligible", "chosen",
    }  # fmt: skip
    assert "gap" in result.quality["k_rule"] and result.quality["gap"] > 0


def test_k_choice_chart_shows_the_gap_curve_and_marks_what_can_be_chosen():
    from segmentation.ui.charts.segments import k_choice_chart

    selection = pd.DataFrame(
        {"k": [2, 3, 4, 5], "gap": [0.97, 1.17, 2.03, 1.96], "score": [0.67, 0.72, 1.43, 1.21],
         "stability": [1.0, 1.0, 1.0, 0.77], "silhouette": [0.84, 0.76, 0.71, 0.57],
         "eligible": [True, True, True, False], "chosen": [False, False, True, False]}
    )  # fmt: skip
    fig = k_choice_chart(selection)
    curve = fig.data[0]
    assert list(curve.x) == [2, 3, 4, 5] and list(curve.y) == [0.97, 1.17, 2.03, 1.96]
    assert list(curve.marker.color) == ["#1f4e79"] * 3 + ["#ffffff"]  # k=5 hollow: unstable
    assert [s.x0 for s in fig.layout.shapes] == [4]
    assert fig.data[1].name.startswith("not stable")
    # Without the flags (an older report), the chosen k comes from the quality dict.
    bare = k_choice_chart(selection.drop(columns=["eligible", "chosen"]), {"k": 3})
    assert [s.x0 for s in bare.layout.shapes] == [3] and len(bare.data) == 1
