"""segment_profiles (the planner's input) and explain_customer_types (rules and sentences)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.clustering import customer_types
from segmentation.profiles import PROFILE_COLUMNS, explain_customer_types, segment_profiles
from tests.planted import planted_accounts

# A hand-computed fixture: 6 accounts, 2 verticals, 2 types.
ACCOUNTS = pd.DataFrame(
    {
        "account_id": list("abcdef"),
        "account_name": list("ABCDEF"),
        "status": pd.array(
            ["customer", "prospect", "customer", None, "former", "partner"], dtype="str"
        ),
        "employees": [100.0, 300.0, np.nan, 10.0, 20.0, 30.0],
        "annual_revenue": [1e6, 3e6, 2e6, np.nan, np.nan, np.nan],
        "deal_size": [10.0, np.nan, 30.0, 1.0, 2.0, np.nan],
    }
)
VERTICAL = pd.Series(["Tech", "Tech", "Retail", "Tech", "Tech", "Other"])
TYPE = pd.Series(["Big", "Big", "Big", "Small", "Small", "Small"])


@pytest.fixture
def profiles():
    return segment_profiles(ACCOUNTS, VERTICAL, TYPE)


def test_columns_are_exactly_the_contract(profiles):
    assert list(profiles.columns) == list(PROFILE_COLUMNS)


def test_one_row_per_segment_with_accounts_sorted_by_type_then_vertical_size(profiles):
    # Big has 3 accounts, Small 3: tie broken by name; Tech is the biggest vertical, Other last.
    assert profiles["segment"].tolist() == [
        "Tech · Big",
        "Retail · Big",
        "Tech · Small",
        "Other · Small",
    ]


@pytest.mark.parametrize(
    "segment, expected",
    [
        (
            "Tech · Big",
            {
                "accounts": 2,
                "customers": 1,
                "prospects": 1,
                "former": 0,
                "partners": 0,
                "other_status": 0,
                "customer_share": 0.5,
                "median_employees": 200.0,
                "median_revenue": 2e6,
                "median_deal_size": 10.0,
                "deal_size_known": 1,
                "total_revenue": 4e6,
                "total_deal_value": 10.0,
            },
        ),
        (
            "Retail · Big",
            {
                "accounts": 1,
                "customers": 1,
                "median_employees": np.nan,
                "median_revenue": 2e6,
                "deal_size_known": 1,
                "total_deal_value": 30.0,
            },
        ),
        (
            "Tech · Small",
            {
                "accounts": 2,
                "customers": 0,
                "former": 1,
                "customer_share": 0.0,
                "median_revenue": np.nan,
                "total_revenue": 0.0,
                "median_deal_size": 1.5,
                "deal_size_known": 2,
                "total_deal_value": 3.0,
            },
        ),
        (
            "Other · Small",
            {
                "accounts": 1,
                "partners": 1,
                "median_deal_size": np.nan,
                "deal_size_known": 0,
                "total_deal_value": 0.0,
            },
        ),
    ],
)
def test_hand_computed_rows(profiles, segment, expected):
    row = profiles.set_index("segment").loc[segment]
    for column, value in expected.items():
        if isinstance(value, float) and np.isnan(value):
            assert np.isnan(row[column]), column
        else:
            assert row[column] == pytest.approx(value), column


def test_missing_status_counts_only_in_accounts(profiles):
    status_sum = profiles[["customers", "prospects", "former", "partners", "other_status"]].sum(
        axis=1
    )
    assert (status_sum <= profiles["accounts"]).all()
    assert profiles["accounts"].sum() == len(ACCOUNTS)
    assert status_sum.sum() == len(ACCOUNTS) - 1


def test_dtypes(profiles):
    for col in (
        "accounts",
        "customers",
        "prospects",
        "former",
        "partners",
        "other_status",
        "deal_size_known",
    ):
        assert profiles[col].dtype == "int64", col
    for col in (
        "customer_share",
        "median_employees",
        "median_revenue",
        "median_deal_size",
        "total_revenue",
        "total_deal_value",
    ):
        assert profiles[col].dtype == "float64", col


def test_categorical_customer_type_sets_the_order():
    order = pd.Categorical(TYPE, categories=["Small", "Big"])
    profiles = segment_profiles(ACCOUNTS, VERTICAL, pd.Series(order))
    assert profiles["customer_type"].tolist()[:2] == ["Small", "Small"]


def test_works_without_optional_columns():
    accounts = ACCOUNTS[["account_id", "account_name"]]
    profiles = segment_profiles(accounts, VERTICAL, TYPE)
    assert (profiles["customers"] == 0).all() and profiles["median_deal_size"].isna().all()


def test_non_range_index_gives_the_same_profiles(profiles):
    accounts = ACCOUNTS.set_axis(range(10, 16))
    shifted = segment_profiles(
        accounts, VERTICAL.set_axis(range(10, 16)), TYPE.set_axis(range(10, 16))
    )
    pd.testing.assert_frame_equal(shifted, profiles)


# -- explanations --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted_explained():
    accounts, _ = planted_accounts(3000, seed=0)
    result = customer_types(accounts, seed=0)
    return accounts, result, explain_customer_types(result.features, result.ids, result.labels)


def test_one_row_per_type_with_the_contract_columns(planted_explained):
    _, result, explained = planted_explained
    assert list(explained.columns) == [
        "customer_type_id",
        "customer_type",
        "accounts",
        "distinguishing",
        "rule",
        "sentence",
        "fidelity",
        "precision",
    ]
    assert explained["customer_type"].tolist() == result.table["customer_type"].tolist()


def test_rules_are_faithful_on_planted_types(planted_explained):
    _, _, explained = planted_explained
    assert (explained["fidelity"] >= 0.9).all()
    assert (explained["precision"] >= 0.9).all()


def test_rules_from_a_sample_are_scored_on_every_account(planted_explained, monkeypatch):
    from segmentation import profiles

    accounts, result, _ = planted_explained
    monkeypatch.setattr(profiles, "TREE_ROWS", 400)
    explained = explain_customer_types(result.features, result.ids, result.labels)
    assert explained["accounts"].sum() == len(accounts)
    for row in explained.itertuples():
        # Fidelity is counted over the type's accounts in the whole file, not over the sample.
        captured = (result.ids.loc[accounts.query(row.rule).index] == row.customer_type_id).sum()
        assert captured / row.accounts == pytest.approx(row.fidelity, abs=1e-9)
    assert (explained["fidelity"] >= 0.85).all()


def test_machine_rule_runs_as_a_query_on_the_accounts(planted_explained):
    accounts, result, explained = planted_explained
    for row in explained.itertuples():
        selected = accounts.query(row.rule)
        share = (result.ids.loc[selected.index] == row.customer_type_id).mean()
        assert share == pytest.approx(row.precision, abs=0.02)


def test_sentences_and_distinguishing_read_as_words(planted_explained):
    _, _, explained = planted_explained
    enterprise = explained.iloc[0]
    assert "Employees" in enterprise["sentence"] or "Deal size" in enterprise["sentence"]
    assert "`" not in enterprise["sentence"]
    assert any("× the rest" in s for s in enterprise["distinguishing"])
    assert all(isinstance(d, list) and d for d in explained["distinguishing"])


def test_status_appears_in_words(planted_explained):
    _, _, explained = planted_explained
    text = " ".join(" ".join(d) for d in explained["distinguishing"])
    assert "are customers" in text or "are former customers" in text


def test_names_can_be_given_per_type_id(planted_explained):
    _, result, _ = planted_explained
    names = result.table.set_index("customer_type_id")["customer_type"]
    explained = explain_customer_types(result.features, result.ids, names)
    assert explained["customer_type"].tolist() == names.tolist()
