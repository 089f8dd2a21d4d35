"""build_features: log scaling, median imputation, status as category, drops and ignores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.errors import InputError
from segmentation.features import build_features, signed_expm1, signed_log1p


def _accounts(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"account_id": [str(i) for i in range(n)], "account_name": [f"a{i}" for i in range(n)]}
    return pd.DataFrame({**base, **columns})


@pytest.mark.parametrize(
    "x, expected",
    [(0.0, 0.0), (np.e - 1, 1.0), (-(np.e - 1), -1.0), (np.nan, np.nan)],
)
def test_signed_log1p(x, expected):
    np.testing.assert_allclose(signed_log1p(np.array([x])), [expected])


def test_signed_expm1_inverts_signed_log1p():
    x = np.array([-1e6, -3.0, 0.0, 0.5, 42.0, 1e9])
    np.testing.assert_allclose(signed_expm1(signed_log1p(x)), x)


def test_log1p_of_canonical_numbers_and_extra_columns():
    accounts = _accounts(
        employees=[9.0, 99.0, 999.0], annual_revenue=[0.0, 1e6, 1e9], deal_size=[1e3, 1e4, 1e5]
    )
    extra = pd.DataFrame({"Fresh": [10.0, 100.0, 1000.0]})
    X = build_features(accounts, extra, features=["Fresh"])
    assert list(X.columns) == ["employees", "annual_revenue", "deal_size", "Fresh"]
    np.testing.assert_allclose(X["employees"], np.log1p([9, 99, 999]))
    np.testing.assert_allclose(X["Fresh"], np.log1p([10, 100, 1000]))
    assert X.attrs["transform"]["Fresh"] == "log1p"
    assert X.attrs["source"] == {
        "employees": "accounts",
        "annual_revenue": "accounts",
        "deal_size": "accounts",
        "Fresh": "extra",
    }
    assert X.attrs["chosen"] == ["Fresh"] and X.attrs["offered"] == {}


def test_missing_values_take_the_median_and_are_counted():
    accounts = _accounts(employees=[1.0, np.nan, 99.0, np.nan], deal_size=[1.0, 2.0, 3.0, 4.0])
    X = build_features(accounts)
    assert X.attrs["imputed"] == {"employees": 2}
    median = np.median(np.log1p([1.0, 99.0]))
    assert X["employees"].tolist()[1] == pytest.approx(median)
    assert not X.isna().any().any()


@pytest.mark.parametrize(
    "column, values, reason",
    [
        ("employees", [np.nan] * 4, "all missing"),
        ("employees", [5.0] * 4, "constant"),
        ("employees", [5.0, 5.0, np.nan, 5.0], "constant"),
    ],
)
def test_useless_columns_are_dropped_with_a_reason(column, values, reason):
    accounts = _accounts(**{column: values}, deal_size=[1.0, 2.0, 3.0, 4.0])
    X = build_features(accounts)
    assert column not in X.columns
    assert X.attrs["dropped"][column] == reason
    assert column not in X.attrs["imputed"]


def test_status_is_categorical_with_unknown_for_missing():
    accounts = _accounts(
        deal_size=[1.0, 2.0, 3.0], status=pd.array(["customer", None, "prospect"], dtype="str")
    )
    X = build_features(accounts)
    assert isinstance(X["status"].dtype, pd.CategoricalDtype)
    assert X["status"].tolist() == ["customer", "unknown", "prospect"]


@pytest.mark.parametrize(
    "status, reason",
    [([None, None, None], "all missing"), (["customer"] * 3, "constant")],
)
def test_useless_status_is_dropped(status, reason):
    accounts = _accounts(deal_size=[1.0, 2.0, 3.0], status=pd.array(status, dtype="str"))
    X = build_features(accounts)
    assert "status" not in X.columns and X.attrs["dropped"]["status"] == reason


@pytest.mark.parametrize("ignore", [["employees"], ["Channel"], ["status", "Region"]])
def test_ignore_leaves_columns_out(ignore):
    accounts = _accounts(
        employees=[1.0, 2.0, 3.0],
        deal_size=[3.0, 2.0, 5.0],
        status=pd.array(["customer", "prospect", "former"], dtype="str"),
    )
    extra = pd.DataFrame({"Channel": [1.0, 2.0, 1.0], "Region": [1.0, 2.0, 3.0]})
    X = build_features(accounts, extra, ignore=ignore)
    for name in ignore:
        assert name not in X.columns and X.attrs["dropped"][name] == "ignored"


def test_ignoring_a_column_that_is_not_there_is_recorded_not_fatal():
    # The pipeline passes the user's ignore list (source columns) after dropping them upstream.
    X = build_features(_accounts(deal_size=[1.0, 2.0]), ignore=["Channel"])
    assert list(X.columns) == ["deal_size"] and X.attrs["not_found"] == ["Channel"]


def test_extra_with_another_length_is_an_input_error():
    with pytest.raises(InputError, match="rows"):
        build_features(_accounts(deal_size=[1.0, 2.0]), pd.DataFrame({"x": [1.0]}))


def test_extra_named_like_a_canonical_field_does_not_overwrite_it():
    accounts = _accounts(employees=[1.0, 2.0, 3.0])
    extra = pd.DataFrame({"employees": [7.0, 8.0, 10.0]})
    assert "employees (extra)" in build_features(accounts, extra).attrs["offered"]
    X = build_features(accounts, extra, features=["employees (extra)"])
    assert {"employees", "employees (extra)"} <= set(X.columns)
    np.testing.assert_allclose(X["employees"], np.log1p([1, 2, 3]))


def test_negative_and_infinite_values():
    accounts = _accounts(deal_size=[-100.0, np.inf, 100.0, 50.0])
    X = build_features(accounts)
    assert X["deal_size"].iloc[0] == pytest.approx(-np.log1p(100))
    assert X.attrs["imputed"] == {"deal_size": 1}  # inf is treated as missing


def test_keeps_the_account_index_and_does_not_mutate_inputs():
    accounts = _accounts(employees=[1.0, np.nan, 3.0]).set_axis([7, 8, 9])
    before = accounts.copy()
    X = build_features(accounts)
    assert X.index.tolist() == [7, 8, 9]
    pd.testing.assert_frame_equal(accounts, before)


def test_no_extra_columns_is_fine():
    X = build_features(_accounts(deal_size=[1.0, 2.0]), pd.DataFrame(index=range(2)))
    assert list(X.columns) == ["deal_size"]
