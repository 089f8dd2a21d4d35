"""Money units: the scale (thousands, millions) and currency of a money column, and why.

The scale comes from the user (``--unit``), else the header ("$M", "Mio. €", "in
thousands"), else the cells' own suffixes ("$1.2M"), else, for annual revenue, from
plausibility: revenue per employee far outside :data:`REVENUE_PER_EMPLOYEE` while x1e3, x1e6
or x1e9 lands inside it. Reading the amounts themselves is :mod:`segmentation.numbers`'s job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from segmentation.errors import InputError
from segmentation.fields import FIELDS_BY_NAME
from segmentation.numbers import HeaderUnit, cell_currency, header_unit, scaled_cells

if TYPE_CHECKING:
    from segmentation.accounts import ChangeLog

REVENUE_PER_EMPLOYEE: tuple[float, float] = (1e4, 5e6)
"""Annual revenue per employee, in dollars, that real companies fall within (about $10K for
the leanest labour-heavy firms to $5M for trading and holding companies). A median far outside
it while x1e3 or x1e6 lands inside says the revenue column is in thousands or millions."""

_SCALE_NAMES = {1e3: "thousands", 1e6: "millions", 1e9: "billions"}


def money_unit(
    f: str,
    values: pd.Series,
    t: pd.Series | None,
    column: str | None,
    user: tuple[float | None, str | None] | None,
    employees: pd.Series,
    log: ChangeLog,
) -> tuple[pd.Series, dict]:
    """Scale a money column to single units and name its currency, saying why.

    Parameters
    ----------
    f : str
        The money field (one of :data:`segmentation.fields.MONEY_FIELDS`).
    values : pandas.Series
        The column's amounts as parsed (float64).
    t : pandas.Series or None
        The column's cleaned text; None when no column is mapped to the field.
    column : str or None
        The column's header.
    user : tuple or None
        ``(multiplier, currency)`` from ``--unit``; either may be None to keep what is detected.
    employees : pandas.Series
        The accounts' employees, for the revenue-per-employee check.
    log : ChangeLog
        Where the scaled cells are counted and the warnings said.

    Returns
    -------
    tuple of (pandas.Series, dict)
        The amounts in single units, and ``column, multiplier, currency, source, evidence``.

    Raises
    ------
    InputError
        ``--unit`` names a field without a column.
    """
    label = FIELDS_BY_NAME[f].label
    if column is None or t is None:
        if user is not None:
            raise InputError(
                f"--unit {f}: no column is mapped to {label.lower()}; map one with --map {f}=COLUMN."
            )
        return values, {
            "column": None,
            "multiplier": None,
            "currency": None,
            "source": None,
            "evidence": "no column for this field",
        }
    user_mult, user_cur = user if user is not None else (None, None)
    head = header_unit(column)
    # a fixed sample of rows is enough to name a currency and see suffixes (cheap at 1M rows)
    if len(t) > 2000:
        rows = np.sort(np.random.default_rng(0).choice(len(t), 2000, replace=False))
        sample = t.iloc[rows].dropna().head(1000)
    else:
        sample = t.dropna()
    currency, cur_why = _currency(user_cur, head, sample)
    mult, source, why, warning = _multiplier(f, user_mult, head, sample, values, employees, column)
    scale = pd.Series(False, index=values.index)
    if mult != 1:
        # cells with their own K/M ("$1.2M") are already in single units
        scale = values.notna() & ~_scaled_rows(t)
        values = values.where(~scale, values * mult)
    if f == "annual_revenue" and source in ("header", "you"):
        why, warning = _check_stated_revenue(values, employees, column, source, why, warning)
    if mult != 1:
        n = log.add(f, column, f"multiplied by {_number(mult)} ({why})", scale, t)
        if n:
            log.warn(f"{n:,} {column} values were multiplied by {_number(mult)}: {why}.")
    if warning:
        log.warn(warning)
    if currency is not None and currency != "USD":
        log.warn(
            f"{column} is in {currency}; the playbook's money thresholds are in USD and are "
            "applied as they are (no exchange rate)."
        )
    multiplier = int(mult) if float(mult).is_integer() else float(mult)
    return values, {
        "column": column,
        "multiplier": multiplier,
        "currency": currency,
        "source": source,
        "evidence": f"{why}; {cur_why}",
    }


def _currency(user_cur: str | None, head: HeaderUnit, sample: pd.Series) -> tuple[str | None, str]:
    """The column's currency and why: the user's, else the header's, else most cells'."""
    if user_cur:
        return user_cur, "currency set by you"
    if head.currency:
        return head.currency, f"currency from {head.text!r} in the header"
    code, share = cell_currency(sample)
    if code is not None and share >= 0.5:
        return code, f"currency: {share:.0%} of the cells say {code}"
    return None, "no currency in the header or the cells"


def _multiplier(
    f, user_mult, head: HeaderUnit, sample, values, employees, column
) -> tuple[float, str, str, str | None]:
    """The column's scale, its source and why (and a warning when in doubt)."""
    if user_mult is not None:
        return user_mult, "you", f"set by you (--unit {f}={_number(user_mult)})", None
    if head.multiplier is not None:
        why = f"the header {column!r} says {head.text!r} ({_SCALE_NAMES.get(head.multiplier, _number(head.multiplier))})"
        return head.multiplier, "header", why, None
    own_scale = float(scaled_cells(sample).mean()) if len(sample) else 0.0
    if own_scale >= 0.5:
        why = f"no scale in the header; {own_scale:.0%} of the cells carry their own (K, M, B)"
        return 1.0, "cells", why, None
    if f == "annual_revenue":
        return _revenue_scale(values, employees, column)
    return 1.0, "as written", "no scale in the header; amounts read as written", None


def _check_stated_revenue(
    values, employees, column, source, why, warning
) -> tuple[str, str | None]:
    """A stated unit is used as stated, but a result no real company has is worth a warning."""
    ratio, n = _revenue_per_employee(values, employees)
    if ratio is None:
        return why, warning
    why += f"; median revenue per employee then {_money(ratio)} ({n:,} accounts)"
    lo, hi = REVENUE_PER_EMPLOYEE
    if not lo <= ratio <= hi:
        who = "you set" if source == "you" else "the header states"
        warning = (
            f"{column}: with the unit {who}, the median revenue per employee is "
            f"{_money(ratio)}, outside any real company's range ({_money(lo)}-{_money(hi)}); "
            "check it (--unit annual_revenue=...)."
        )
    return why, warning


def _revenue_per_employee(revenue: pd.Series, employees: pd.Series) -> tuple[float | None, int]:
    both = (revenue > 0) & (employees > 0)
    n = int(both.sum())
    # ten accounts at least: a median of a handful says little about a whole column
    if n < 10:
        return None, n
    return float((revenue[both] / employees[both]).median()), n


def _revenue_scale(values, employees, column) -> tuple[float, str, str, str | None]:
    ratio, n = _revenue_per_employee(values, employees)
    if ratio is None:
        why = (
            "no scale in the header; amounts read as written (too few accounts with both revenue "
            "and employees to check the scale)"
        )
        # Without employees the scale cannot be chosen, but revenue no company has can be named.
        positive = values[values > 0]
        warning = None
        if len(positive) >= 10 and positive.median() < REVENUE_PER_EMPLOYEE[0]:
            warning = (
                f"{column}: the median annual revenue as written is {_money(positive.median())}, "
                "smaller than any company's; if the amounts are thousands or millions, say so with "
                "--unit annual_revenue=1e3 (or 1e6)."
            )
        return 1.0, "as written", why, warning
    lo, hi = REVENUE_PER_EMPLOYEE
    if lo <= ratio <= hi:
        why = (
            f"no scale in the header; the median revenue per employee as written, {_money(ratio)} "
            f"({n:,} accounts), is in real companies' range ({_money(lo)}-{_money(hi)})"
        )
        return 1.0, "as written", why, None
    # Only far outside (ten times below the range) is the scale sure: AdventureWorks-style data
    # at $4K per employee is odd, but x1,000 would make a two-person shop a $30M business.
    if ratio < lo / _FAR:
        for mult in (1e3, 1e6, 1e9):
            if lo <= ratio * mult <= hi:
                why = (
                    f"no scale in the header, but the median revenue per employee as written is "
                    f"{_money(ratio)} ({n:,} accounts), far below any real company's "
                    f"({_money(lo)}-{_money(hi)}); read as {_SCALE_NAMES[mult]} it is {_money(ratio * mult)}"
                )
                return mult, "plausibility", why, None
    why = f"no scale in the header; amounts read as written (median revenue per employee {_money(ratio)})"
    side = "below" if ratio < lo else "above"
    warning = (
        f"{column}: the median revenue per employee as written is {_money(ratio)} ({n:,} accounts), "
        f"{side} real companies' range ({_money(lo)}-{_money(hi)}), and no scale makes it clearly "
        "real; the amounts were read as written. If they are thousands or millions, say so with "
        "--unit annual_revenue=1e3 (or 1e6)."
    )
    return 1.0, "as written", why, warning


_FAR = 10
"""How far outside :data:`REVENUE_PER_EMPLOYEE` revenue per employee must be to infer a scale."""


def _scaled_rows(t: pd.Series) -> pd.Series:
    # on the distinct cells: a money column repeats few values compared with its rows
    codes, uniques = pd.factorize(t)
    if not len(uniques):
        return pd.Series(False, index=t.index)
    own = scaled_cells(pd.Series(uniques, dtype="str")).to_numpy()
    return pd.Series(np.where(codes >= 0, own[np.maximum(codes, 0)], False), index=t.index)


def _number(x: float) -> str:
    x = float(x)
    return f"{x:,.0f}" if x.is_integer() else f"{x:,.6g}"


def _money(x: float) -> str:
    # Not naming.format_money: a revenue per employee of $0.27 (the evidence of a missing scale)
    # must not read "$0", so amounts under $100 keep their cents here.
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(x) >= size:
            return f"${x / size:,.1f}{suffix}".replace(".0" + suffix, suffix)
    return f"${x:,.2f}" if abs(x) < 100 else f"${x:,.0f}"
