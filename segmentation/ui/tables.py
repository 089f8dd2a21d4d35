"""Tables as a sales leader reads them: plain headers, money as $1.2M, shares as 48%.

:func:`money_format` and :func:`display_frame` are pure (tested without streamlit);
:func:`show` draws the table with ``st.column_config`` so numbers stay numbers (sortable), and
:func:`warning_list` a page's warnings in one box.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from segmentation.markdown import escape as md
from segmentation.summary import value_in_unit

LABELS: dict[str, str] = {
    "customer_type": "Customer type",
    "customer_type_id": "Type #",
    "vertical": "Vertical",
    "segment": "Segment",
    "segments": "Segments",
    "accounts": "Accounts",
    "share": "Share",
    "customers": "Customers",
    "prospects": "Prospects",
    "former": "Former",
    "partners": "Partners",
    "customer_share": "Customers (share)",
    "median_employees": "Median employees",
    "median_revenue": "Median revenue",
    "median_deal_size": "Median deal",
    "median_won_revenue": "Median won revenue",
    "total_revenue": "Total revenue",
    "total_deal_value": "Total deal value",
    "confidence": "Match confidence",
    "top_labels": "Most common labels in your file",
    "team": "Team",
    "motion": "Motion",
    "role": "Role",
    "specialization": "Specialisation",
    "headcount": "Reps recommended",
    "headcount_workload": "Reps by workload",
    "headcount_capacity": "Reps by quota capacity",
    "gap": "Workload − capacity",
    "reason": "Why",
    "rules": "Rules applied",
    "sources": "Sources",
    "deal_size_basis": "Deal size from",
    "deal_size_used": "Deal size used",
    "annual_potential": "Annual potential",
    "rep": "Rep",
    "reps": "Reps",
    "value": "Book value",
    "kept": "Kept",
    "moved_in": "Moved in",
    "moved_out": "Moved out",
    "value_in": "Value in",
    "value_out": "Value out",
    "value_cv": "Spread (CV)",
    "balanced": "Balanced",
    "value_max_min": "Max ÷ min book",
    "continuity": "Owners kept",
    "unassigned": "Unassigned",
    "account_id": "Account ID",
    "account_name": "Account",
    "from_owner": "Current owner",
    "to_rep": "New rep",
    "current_owner": "Current owner",
    "status": "Status",
    "field": "Field",
    "column": "Column",
    "what": "What we did",
    "count": "Values",
    "examples": "Examples",
    "place": "Place",
    "kind": "Kind",
    "rep_equivalents": "Full-time reps",
    "team_share": "Team's share of value",
    "balance": "Load vs average rep",
    "value_per_rep": "Value per rep",
}
"""Engine column → header the app shows."""

MONEY = {
    "median_revenue", "median_deal_size", "median_won_revenue", "total_revenue",
    "total_deal_value", "deal_size_used", "annual_potential", "value", "value_in", "value_out",
    "value_per_rep",
    "annual_revenue", "deal_size", "won_revenue",
}  # fmt: skip
SHARES = {
    "share",
    "customer_share",
    "continuity",
    "confidence",
    "fidelity",
    "precision",
    "team_share",
}
COUNTS = {
    "accounts", "customers", "prospects", "former", "partners", "other_status", "segments",
    "headcount", "reps", "kept", "moved_in", "moved_out", "unassigned", "median_employees",
    "employees", "deal_size_known", "count",
}  # fmt: skip
DECIMALS = {
    "headcount_workload",
    "headcount_capacity",
    "gap",
    "value_cv",
    "value_max_min",
    "balance",
    "rep_equivalents",
}

# The headcount model's columns (teams, segments, hiring plan, sensitivity).
LABELS.update({
    "bookings": "Bookings a year", "bookings_basis": "Bookings from", "cost": "Cost a year",
    "cost_of_sales": "Cost of sales", "headcount_coverage": "Reps by coverage (floor)",
    "headcount_affordable": "Reps affordable (ceiling)", "named_accounts": "Named accounts",
    "per_rep_bookings": "Bookings a rep", "loaded_cost_per_rep": "Loaded cost a rep",
    "coverage_change": "Coverage change", "transition": "Hand-over", "deal_size_confidence": "Deal size confidence",
    "reps_coverage": "Reps by coverage", "reps_capacity": "Reps by capacity", "role_detail": "Role (detail)",
    "month": "Month", "hires": "Hires", "ramped_reps": "Ramped reps", "capacity": "Capacity",
    "bookings_target": "Bookings target", "parameter": "Parameter", "change": "Change",
    "headcount_delta": "Reps ±", "cost_delta": "Cost ±",
})  # fmt: skip
MONEY |= {
    "bookings",
    "cost",
    "per_rep_bookings",
    "loaded_cost_per_rep",
    "capacity",
    "bookings_target",
    "cost_delta",
}
SHARES |= {"cost_of_sales"}
DECIMALS |= {
    "headcount_coverage",
    "headcount_affordable",
    "reps_coverage",
    "reps_capacity",
    "hires",
    "ramped_reps",
}


def money_format(values: pd.Series | Sequence[float], symbol: str = "$") -> tuple[float, str]:
    """Pick one unit for a money column: ``$1.2M``, ``$41K``, ``$0.7K`` or ``$735``.

    The unit follows the column's upper quartile (so a few large values don't read as
    ``$3267K``), one unit up when the largest value would reach 1,000 of it (``$1.03B``, not
    ``$1030.0M``); decimals are kept as far as the smallest value needs them.

    Parameters
    ----------
    values : sequence of float
    symbol : str
        The currency symbol (``$``, ``€``...).

    Returns
    -------
    divisor : float
        Divide the values by this before display.
    format : str
        A printf format for ``st.column_config.NumberColumn``.
    """
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").abs()
    numbers = numbers[np.isfinite(numbers) & (numbers > 0)]
    sym = symbol.replace("%", "%%")
    if not len(numbers):
        return 1.0, f"{sym}%,.0f"
    typical = float(numbers.quantile(0.75))
    largest = float(numbers.max())
    units = ((1e9, "B", 5e8), (1e6, "M", 5e5), (1e3, "K", 5e3))
    for i, (divisor, suffix, start) in enumerate(units):
        if typical >= start:
            up = units[i - 1][0] if i > 0 else None
            if up and largest >= 999.5 * divisor and float(numbers.min()) >= 0.01 * up:
                # The largest value would read 1000.0M: the column goes one unit up ($1.03B),
                # unless its smallest value would then read $0.00B.
                divisor, suffix, _ = units[i - 1]
                smallest = float(numbers.min()) / divisor
                return divisor, f"{sym}%.{2 if smallest < 10 else 1}f{suffix}"
            smallest = float(numbers.min()) / divisor
            decimals = 0 if smallest >= 10 else 1 if smallest >= 0.1 else 2
            return divisor, f"{sym}%.{decimals}f{suffix}"
    return 1.0, f"{sym}%,.0f"


def display_frame(
    frame: pd.DataFrame, columns: Sequence[str] | None = None, *, currency: str = "$"
) -> tuple[pd.DataFrame, dict[str, dict]]:
    """A copy of ``frame`` ready to show, and the format of each column.

    Money is scaled to one unit per column, shares become percentages, lists become text.

    Parameters
    ----------
    frame : pandas.DataFrame
    columns : sequence of str, optional
        Columns to keep, in order (default: all).

    Returns
    -------
    frame : pandas.DataFrame
        Same column names as the input.
    formats : dict
        ``{column: {"label": header, "kind": "money" | "share" | "count" | "decimal" | "text",
        "format": printf or None}}``.
    """
    columns = [c for c in (columns or frame.columns) if c in frame.columns]
    out = frame[columns].copy()
    formats: dict[str, dict] = {}
    for col in columns:
        label = LABELS.get(col, col.replace("_", " ").capitalize() if col.islower() else col)
        values = out[col]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if col == "value" and "unit" in frame.columns:
            # The playbook: every rule's value in its own unit (%, months, accounts, USD).
            out[col] = [value_in_unit(v, u, currency) for v, u in zip(values, frame["unit"])]
            formats[col] = {"label": "Value", "kind": "text", "format": None}
        elif col in MONEY and numeric:
            divisor, fmt = money_format(values, currency)
            out[col] = values.astype("float64") / divisor
            formats[col] = {"label": label, "kind": "money", "format": fmt}
        elif col in SHARES and numeric:
            out[col] = values.astype("float64") * 100
            formats[col] = {"label": label, "kind": "share", "format": "%.0f%%"}
        elif col in COUNTS and numeric:
            formats[col] = {"label": label, "kind": "count", "format": "%,.0f"}
        elif col in DECIMALS and numeric:
            formats[col] = {"label": label, "kind": "decimal", "format": "%.2f"}
        elif numeric:
            formats[col] = {"label": label, "kind": "decimal", "format": "%,.2f"}
        else:
            if values.map(lambda v: isinstance(v, (list, tuple))).astype(bool).any():
                out[col] = values.map(
                    lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v
                )
            formats[col] = {"label": label, "kind": "text", "format": None}
    return out, formats


def show(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    key: str | None = None,
    height: int | str = "auto",
    widths: Mapping[str, str] | None = None,
    help: Mapping[str, str] | None = None,
    currency: str = "$",
    **kwargs,
):
    """Draw a table with plain headers and formatted numbers (``st.dataframe``)."""
    import streamlit as st

    data, formats = display_frame(frame, columns, currency=currency)
    widths = widths or {}
    help = help or {}
    config = {}
    for col, spec in formats.items():
        if spec["kind"] == "text":
            config[col] = st.column_config.TextColumn(
                spec["label"], width=widths.get(col), help=help.get(col)
            )
        else:
            config[col] = st.column_config.NumberColumn(
                spec["label"], format=spec["format"], width=widths.get(col), help=help.get(col)
            )
    return st.dataframe(
        data,
        column_config=config,
        hide_index=True,
        key=key,
        height=height,
        width="stretch",
        placeholder="—",
        **kwargs,
    )


def fit_height(rows: int, row_height: int = 35) -> int:
    """Pixel height that shows every row of a table (no inner scrollbar) up to 20 rows."""
    return (min(rows, 20) + 1) * row_height + 3


def plain_number(value: float) -> str:
    """A playbook value as people write it: 25,000 · 0.85 · 1,200."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def warning_list(notes: list[str], limit: int = 3) -> None:
    """Warnings in one box: the first few, the rest behind an expander (never a wall of boxes)."""
    import streamlit as st

    if not notes:
        return
    st.warning("\n".join(f"- {md(note)}" for note in notes[:limit]))
    if len(notes) > limit:
        with st.expander(f"{len(notes) - limit} more warnings"):
            st.markdown("\n".join(f"- {md(note)}" for note in notes[limit:]))
