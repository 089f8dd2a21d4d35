"""parse_money / parse_count: the number formats real exports contain, in both locales."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.numbers import (
    cell_currency,
    header_unit,
    parse_count,
    parse_money,
    parse_money_range,
    parse_unit,
    scaled_cells,
)


def _one(text):
    values, failed = parse_money(pd.Series([text], dtype="str"))
    return values.iloc[0], bool(failed.iloc[0])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1000", 1000.0),
        ("1234.5", 1234.5),
        ("USD 1,234,567.00", 1234567.0),
        ("$1,234.56", 1234.56),
        ("$1.2M", 1.2e6),
        ("1.2 M", 1.2e6),
        ("850K", 850e3),
        ("850k", 850e3),
        ("$2.5B", 2.5e9),
        ("3.1bn", 3.1e9),
        ("4 MM", 4e6),
        ("12 million", 12e6),
        ("1.234.567,89 €", 1234567.89),
        ("€1.234.567,89", 1234567.89),
        ("1 234 567,89", 1234567.89),
        ("1\u00a0234\u00a0567,89", 1234567.89),
        ("1'234'567.50", 1234567.5),
        ("(1,000)", -1000.0),
        ("-1,000", -1000.0),
        ("$-250", -250.0),
        ("GBP 500", 500.0),
        ("£500", 500.0),
        ("500 EUR", 500.0),
        ("1e6", 1e6),
        ("+42", 42.0),
        ("0", 0.0),
    ],
)
def test_money_strings(text, expected):
    value, failed = _one(text)
    assert not failed
    assert value == pytest.approx(expected)


@pytest.mark.parametrize("text", ["abc", "12%", "1.2.3.4,5,6", "$", "TBD", "1-5M"])
def test_money_unparseable_is_flagged(text):
    value, failed = _one(text)
    assert math.isnan(value) and failed


@pytest.mark.parametrize("text", ["", "   ", None])
def test_money_blank_is_missing_not_failed(text):
    value, failed = _one(text)
    assert math.isnan(value) and not failed


@pytest.mark.parametrize(
    "column, expected",
    [
        # US column: commas group thousands, so "1,234" is one thousand two hundred...
        (["1,234", "2,500.50", "10"], [1234.0, 2500.5, 10.0]),
        # European column: the same "1.234" is read as a thousands group consistently
        (["1.234", "2.500,50", "10"], [1234.0, 2500.5, 10.0]),
        (["1.234", "5.678"], [1234.0, 5678.0]),
        (["1,5", "2,25", "1.000"], [1.5, 2.25, 1000.0]),
        (["1.5", "2.25", "1,000"], [1.5, 2.25, 1000.0]),
        (["1.234.567", "12"], [1234567.0, 12.0]),
        (["1,234,567", "12"], [1234567.0, 12.0]),
    ],
)
def test_locale_decided_per_column(column, expected):
    values, failed = parse_money(pd.Series(column, dtype="str"))
    assert values.tolist() == pytest.approx(expected)
    assert not failed.any()


def test_money_keeps_index_and_dtype():
    s = pd.Series(["1", None, "x"], index=[10, 20, 30], dtype="str")
    values, failed = parse_money(s)
    assert list(values.index) == [10, 20, 30] and values.dtype == np.float64
    assert failed.tolist() == [False, False, True]


def test_money_passes_numeric_dtype_through():
    values, failed = parse_money(pd.Series([1.5, np.nan, 3]))
    assert values.tolist()[0] == 1.5 and not failed.any()


@pytest.mark.parametrize(
    "text, value, is_range",
    [
        ("250", 250.0, False),
        ("1,200", 1200.0, False),
        ("1-10", 5.5, True),
        ("51-200", 125.5, True),
        ("51 - 200", 125.5, True),
        ("201–500", 350.5, True),
        ("1 to 10", 5.5, True),
        ("10,001+", 10001.0, True),
        ("10000+", 10000.0, True),
        ("5000 or more", 5000.0, True),
        ("More than 5000", 5000.0, True),
        ("1-2K", 1500.0, True),
        ("5-10 K", 7500.0, True),
        ("1.5K", 1500.0, False),
    ],
)
def test_employee_counts_and_ranges(text, value, is_range):
    values, failed, ranged = parse_count(pd.Series([text], dtype="str"))
    assert values.iloc[0] == pytest.approx(value)
    assert bool(ranged.iloc[0]) is is_range and not failed.iloc[0]


@pytest.mark.parametrize(
    "text, value, is_range",
    [
        ("$1M-$5M", 3e6, True),
        ("$10M - $50M", 3e7, True),
        ("$500K to $1M", 7.5e5, True),
        ("USD 10M-50M", 3e7, True),
        ("€1M–€5M", 3e6, True),
        ("$1B+", 1e9, True),
        ("$5,000,000 or more", 5e6, True),
        ("More than $5M", 5e6, True),
        ("$10-50M", 3e7, True),  # the upper bound's unit is the lower bound's too
        ("1-2M", 1.5e6, True),
        ("$1.2M", 1.2e6, False),
        ("USD 1,234.00", 1234.0, False),
        ("(1,000)", -1000.0, False),
    ],
)
def test_revenue_bands_read_as_their_midpoint(text, value, is_range):
    values, failed, ranged = parse_money_range(pd.Series([text], dtype="str"))
    assert values.iloc[0] == pytest.approx(value)
    assert bool(ranged.iloc[0]) is is_range and not failed.iloc[0]
    # Deal amounts stay strict: a band is no amount.
    assert parse_money(pd.Series([text], dtype="str"))[1].iloc[0] is np.bool_(is_range)


def test_bands_among_plain_amounts_read_as_they_do_alone():
    cells = ["$2M", "USD 1,234.00", "$10M - $50M", "€5K", "$1B+", "750", "$500K to $1M", "(30)"]
    together = parse_money_range(pd.Series(cells * 3, dtype="str"))
    alone = [parse_money_range(pd.Series([c], dtype="str")) for c in cells]
    for i, (value, _failed, ranged) in enumerate(alone * 3):
        assert together[0].iloc[i] == pytest.approx(value.iloc[0])
        assert together[2].iloc[i] == ranged.iloc[0] and not together[1].iloc[i]


@pytest.mark.parametrize(
    "text", ["< $1M", "Less than $1M", "lots", "12345-6789", "555-1234", "1,000,000-5,000,000"]
)
def test_revenue_bands_without_a_lower_bound_or_money_are_flagged(text):
    values, failed, ranged = parse_money_range(pd.Series([text], dtype="str"))
    assert math.isnan(values.iloc[0]) and failed.iloc[0] and not ranged.iloc[0]


@pytest.mark.parametrize("text", ["lots", "n/a?", "ten"])
def test_employee_count_failures(text):
    values, failed, ranged = parse_count(pd.Series([text], dtype="str"))
    assert math.isnan(values.iloc[0]) and failed.iloc[0] and not ranged.iloc[0]


def test_parse_is_fast_on_many_rows():
    import time

    s = pd.Series([f"USD {i:,}.00" for i in range(200_000)], dtype="str")
    t0 = time.perf_counter()
    values, failed = parse_money(s)
    assert time.perf_counter() - t0 < 10
    assert values.iloc[123456] == 123456.0 and not failed.any()


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=1e12, allow_nan=False).map(lambda x: round(x, 2)))
def test_us_formatted_amounts_round_trip(x):
    text = f"${x:,.2f}"
    values, failed = parse_money(pd.Series([text, "$1,000.50"], dtype="str"))
    assert values.iloc[0] == pytest.approx(x) and not failed.any()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=20))
def test_money_never_raises(texts):
    values, failed = parse_money(pd.Series(texts, dtype="str"))
    assert len(values) == len(failed) == len(texts)
    counts, failed2, ranged = parse_count(pd.Series(texts, dtype="str"))
    assert len(counts) == len(texts)


# --- units written in headers, cells and by the user (issue 13) ------------------------------


@pytest.mark.parametrize(
    "header, base, multiplier, currency",
    [
        ("Revenues ($M)", "Revenues", 1e6, "USD"),
        ("Revenue (in millions)", "Revenue", 1e6, None),
        ("Umsatz (Mio. €)", "Umsatz", 1e6, "EUR"),
        ("Umsatz Mrd. EUR", "Umsatz", 1e9, "EUR"),
        ("Umsatz (TEUR)", "Umsatz", 1e3, "EUR"),
        ("Umsatz k€", "Umsatz", 1e3, "EUR"),
        ("Sales in thousands", "Sales", 1e3, None),
        ("Revenue (000s)", "Revenue", 1e3, None),
        ("Revenue ('000)", "Revenue", 1e3, None),
        ("ARR $K", "ARR", 1e3, "USD"),
        ("Revenue MM", "Revenue", 1e6, None),
        ("Revenue ($ millions)", "Revenue", 1e6, "USD"),
        ("Turnover £bn", "Turnover", 1e9, "GBP"),
        ("Revenue (€m)", "Revenue", 1e6, "EUR"),
        ("Revenue (MUSD)", "Revenue", 1e6, "USD"),
        ("Revenue (M)", "Revenue", 1e6, None),
        ("Avg Deal Value ($K)", "Avg Deal Value", 1e3, "USD"),
        ("Revenue (USD)", "Revenue", None, "USD"),
        ("Revenue in EUR", "Revenue", None, "EUR"),
        # no unit: the header stays as it is
        ("Annual Revenue", "Annual Revenue", None, None),
        ("Revenue 2000", "Revenue 2000", None, None),
        ("Amount (converted)", "Amount (converted)", None, None),
    ],
)
def test_header_units(header, base, multiplier, currency):
    unit = header_unit(header)
    assert (unit.base, unit.multiplier, unit.currency) == (base, multiplier, currency)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1e6", (1e6, None)),
        ("1000000", (1e6, None)),
        ("1,000", (1e3, None)),
        ("M", (1e6, None)),
        ("millions", (1e6, None)),
        ("k", (1e3, None)),
        ("1", (1.0, None)),
        ("EUR", (None, "EUR")),
        ("1e6 EUR", (1e6, "EUR")),
        ("1e3:gbp", (1e3, "GBP")),
    ],
)
def test_user_units(text, expected):
    assert parse_unit(text) == expected


@pytest.mark.parametrize("text", ["abc", "-5", "0", "", "1e6 dollars"])
def test_user_units_refused(text):
    with pytest.raises(ValueError):
        parse_unit(text)


def test_cell_currency_is_the_majority_of_cells():
    assert cell_currency(pd.Series(["1.200 €", "EUR 3", "€ 4", "$5", None, "7"])) == ("EUR", 0.6)
    assert cell_currency(pd.Series(["1,200", "300"])) == (None, 0.0)


def test_cells_with_their_own_scale():
    cells = pd.Series(
        ["$1.2M", "850K", "2 bn", "1,100.04", "USD 1.5M", "1,5 Mio. €", None, "12 EUR"]
    )
    assert scaled_cells(cells).tolist() == [True, True, True, False, True, True, False, False]
