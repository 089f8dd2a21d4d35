"""Headcount a VP can defend: bookings, capacity, a coverage floor and an affordability ceiling.

The model (see ``docs`` in the README and ``capacity-planning.md``):

- **Bookings** per segment: from history where the opportunities have it (won value over the
  last ``bookings_history_months`` before the latest close date, else the open pipeline at the
  segment's win rate), else from the playbook's rates on the book (customers renew and expand,
  prospects and former customers convert).
- **Capacity**: reps = bookings ÷ what one rep books a year, ``quota × attainment × (1 − loss)``,
  where the loss is the share of a rep-year that attrition costs: a leaver's seat stays empty for
  ``time_to_fill_months`` and the backfill then ramps for ``ramp_months`` at
  ``ramp_productivity``.
- **Coverage floor**: named accounts ÷ the most accounts one rep can own (``coverage_<motion>_max``).
  Field reps own every account of their book; inside reps own the customers (prospects and former
  customers are worked as a pool).
- **Affordability ceiling**: reps × loaded cost (``OTE × loaded_cost_multiplier``) may be at most
  ``cost_of_sales_max`` of the bookings. The recommendation is the larger of capacity and the
  floor, rounded up, but never above the ceiling: where the floor asks for more, the coverage
  changes (the smallest accounts pooled into inside, or moved to digital with a named hand-over)
  and the team's sentence says so and what it costs.

Every sentence is written where its decision is made.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from segmentation.planner._common import _money_text, _num
from segmentation.playbook import Playbook

BOOKINGS_WON = "won last 12 months"
BOOKINGS_PIPELINE = "open pipeline × win rate"
BOOKINGS_RATES = "playbook rates"
BOOKINGS_NONE = "no bookings (digital)"
BOOKINGS_UNKNOWN = "unknown (no deal size)"

MAX_REPS = 1e12
"""Cap on any team's reps, so absurd input cannot overflow the integer headcount."""
SIZE_COLUMNS: tuple[str, ...] = (
    "per_rep_bookings",
    "loaded_cost_per_rep",
    "headcount_capacity",
    "headcount_coverage",
    "headcount_affordable",
    "headcount",
    "cost",
    "cost_of_sales",
)


# --- the formulas, one function each (the tests work them by hand) -----------------------------
def per_rep_bookings(
    quota: float,
    attainment: float,
    *,
    ramp_months: float,
    ramp_productivity: float,
    attrition: float,
    time_to_fill_months: float,
) -> float:
    """Bookings one seat brings in a year, ramp-weighted with attrition.

    Parameters
    ----------
    quota : float
        Fully ramped annual quota.
    attainment : float
        Average share of quota attained.
    ramp_months : float
        Months a new rep takes to reach full productivity.
    ramp_productivity : float
        Average share of quota a rep brings while ramping.
    attrition : float
        Share of reps who leave in a year.
    time_to_fill_months : float
        Months a leaver's seat stays empty.

    Returns
    -------
    float
        ``quota × attainment × (1 − attrition × (time_to_fill + ramp_months × (1 − ramp_productivity)) ÷ 12)``:
        a leaver costs the empty months and the backfill's lost ramp months.

    Examples
    --------
    >>> round(per_rep_bookings(1_000_000, 0.85, ramp_months=6, ramp_productivity=0.5, attrition=0.14,
    ...                        time_to_fill_months=1.5))
    805375
    """
    lost_months = min(
        time_to_fill_months + min(ramp_months, 12.0) * (1 - min(ramp_productivity, 1.0)), 12.0
    )
    loss = min(max(attrition, 0.0), 1.0) * lost_months / 12.0
    return quota * attainment * max(1.0 - loss, 1e-9)


def motion_bookings_per_rep(
    pb: Playbook, motion: str, *, quota_factor: float = 1.0, attainment_factor: float = 1.0
) -> float:
    """:func:`per_rep_bookings` for an inside or field seat, with the playbook's values.

    Parameters
    ----------
    pb : Playbook
        ``quota_<motion>``, ``attainment``, ``ramp_months_<motion>``, ``ramp_productivity``,
        ``attrition_annual`` and ``time_to_fill_months``.
    motion : {"inside", "field"}
    quota_factor, attainment_factor : float
        Scale quota or attainment (the sensitivity's ±20 %).

    Returns
    -------
    float
    """
    return per_rep_bookings(
        pb.value(f"quota_{motion}") * quota_factor,
        pb.value("attainment") * attainment_factor,
        ramp_months=pb.value(f"ramp_months_{motion}"),
        ramp_productivity=pb.value("ramp_productivity"),
        attrition=pb.value("attrition_annual"),
        time_to_fill_months=pb.value("time_to_fill_months"),
    )


def capacity_reps(bookings: float, per_rep: float) -> float:
    """Reps the bookings need: ``bookings ÷ per_rep`` (0 without bookings)."""
    return bookings / per_rep if per_rep > 0 and bookings > 0 else 0.0


def coverage_reps(named_accounts: float, accounts_per_rep_max: float) -> float:
    """The coverage floor: named accounts ÷ the most accounts one rep can own."""
    return named_accounts / accounts_per_rep_max if accounts_per_rep_max > 0 else 0.0


def affordable_reps(bookings: float, cost_of_sales_max: float, loaded_cost: float) -> float:
    """The affordability ceiling: ``bookings × cost_of_sales_max ÷ loaded cost per rep``."""
    return bookings * cost_of_sales_max / loaded_cost if loaded_cost > 0 else 0.0


def recommend(capacity: float, floor: float, ceiling: float) -> int:
    """Reps recommended: the larger of capacity and the floor, rounded up, never above the ceiling.

    Rounding happens on 6 decimals first so 5.0000000001 from float sums stays 5 reps; the
    ceiling is rounded down, so ``reps × loaded cost ≤ cost_of_sales_max × bookings`` holds.
    """
    # Absurd inputs (a $1e26 deal in a broken export) must not overflow the integer column: no
    # team needs more reps than this, and the figures beside it show the input was absurd.
    need = math.ceil(round(min(max(capacity, floor, 0.0), MAX_REPS), 6))
    return int(min(need, math.floor(round(min(max(ceiling, 0.0), MAX_REPS), 6))))


# --- bookings per segment ----------------------------------------------------------------------
def segment_bookings(
    seg: pd.DataFrame,
    motion: np.ndarray,
    deal: np.ndarray,
    pb: Playbook,
    accounts: pd.DataFrame | None,
) -> tuple[pd.DataFrame, list[str], list[list[str]]]:
    """Expected annual bookings per segment, with the basis and the sentence.

    Parameters
    ----------
    seg : pandas.DataFrame
        Segment profiles (``segment, customers, prospects, former``).
    motion, deal : numpy.ndarray
        Motion and typical deal size per segment.
    pb : Playbook
    accounts : pandas.DataFrame, optional
        Per account ``segment`` and, from the opportunities, ``won_revenue_recent`` (won value in
        the history window; absent when the deals carry no close dates), ``won_deals``,
        ``lost_deals`` and ``open_pipeline``.

    Returns
    -------
    (pandas.DataFrame, list of str, list of list of str)
        Columns ``bookings, bookings_basis, won_recent, win_rate, pipeline_expected``; the
        sentence and the rule ids per segment.

    Notes
    -----
    History, where the segment has closed deals or open pipeline in the file: won value over
    the window scaled to a year, or, when nothing was won in the window, the open pipeline at the
    segment's win rate. Renewals and expansions the CRM records as won deals count for the
    accounts' team (farmers are credited with what their book renews and expands). Without
    history: ``deal × (customers × (potential_customer_rate + renewal_credit_rate) + prospects ×
    potential_prospect_rate + former × potential_former_rate)``.
    """
    n = len(seg)
    customers, prospects, former = (
        np.nan_to_num(_num(seg[c])) for c in ("customers", "prospects", "former")
    )
    months = max(pb.value("bookings_history_months"), 1.0)
    has_dates = accounts is not None and "won_revenue_recent" in accounts.columns
    won_recent, closed, won_all, pipeline = _deal_history(seg, accounts, months)
    with np.errstate(invalid="ignore", divide="ignore"):
        win_rate = np.where(closed > 0, won_all / closed, np.nan)
    pipeline_expected = pipeline * np.nan_to_num(win_rate)
    history = has_dates & ((closed > 0) | (pipeline > 0))
    rates = deal * (
        customers * (pb.value("potential_customer_rate") + pb.value("renewal_credit_rate"))
        + prospects * pb.value("potential_prospect_rate")
        + former * pb.value("potential_former_rate")
    )
    digital = motion == "digital"
    use_won = ~digital & history & (np.nan_to_num(won_recent) > 0)
    use_pipe = ~digital & history & ~use_won
    use_rates = ~digital & ~history
    # Without a deal size the rates give no figure: bookings stay unknown (NaN), never a made-up 0.
    bookings = np.select(
        [use_won, use_pipe, use_rates], [won_recent, pipeline_expected, rates], 0.0
    )
    unknown = use_rates & ~np.isfinite(rates)
    basis = np.select(
        [digital, use_won, use_pipe, unknown],
        [BOOKINGS_NONE, BOOKINGS_WON, BOOKINGS_PIPELINE, BOOKINGS_UNKNOWN],
        BOOKINGS_RATES,
    ).astype(object)
    if months != 12:
        basis = np.where(basis == BOOKINGS_WON, f"won last {months:g} months, per year", basis)
    kind = np.select(
        [digital, use_won, use_pipe, unknown], ["digital", "won", "pipeline", "unknown"], "rates"
    )
    src = (
        "no opportunities with close dates cover it"
        if accounts is None or not has_dates
        else "it has no deals in the opportunities file"
    )
    why, rules = [], []
    for i in range(n):
        text, fired = _bookings_why(kind[i], bookings[i], pipeline[i], win_rate[i], months, src, pb)
        why.append(text)
        rules.append(fired)
    out = pd.DataFrame(
        {
            "bookings": bookings,
            "bookings_basis": basis,
            "won_recent": won_recent,
            "win_rate": win_rate,
            "pipeline_expected": pipeline_expected,
        }
    )
    return out, why, rules


def _deal_history(
    seg: pd.DataFrame, accounts: pd.DataFrame | None, months: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per segment from the opportunities: won value a year in the window, closed deals, won deals, pipeline."""
    n = len(seg)
    names = seg["segment"].astype("string")
    won_recent = np.full(n, np.nan)
    closed = np.zeros(n)
    won_all = np.zeros(n)
    pipeline = np.zeros(n)
    has_dates = accounts is not None and "won_revenue_recent" in accounts.columns
    if accounts is not None and {"won_deals", "lost_deals"} <= set(accounts.columns):
        cols = [
            c
            for c in ("won_deals", "lost_deals", "open_pipeline", "won_revenue_recent")
            if c in accounts.columns
        ]
        frame = (
            accounts[cols]
            .apply(pd.to_numeric, errors="coerce")
            .assign(seg=accounts["segment"].astype("string"))
        )
        sums = frame.groupby("seg", sort=False)[cols].sum(min_count=1).reindex(names)
        won_all = np.nan_to_num(sums["won_deals"].to_numpy(dtype=float, na_value=np.nan))
        closed = won_all + np.nan_to_num(sums["lost_deals"].to_numpy(dtype=float, na_value=np.nan))
        if "open_pipeline" in sums:
            pipeline = np.nan_to_num(sums["open_pipeline"].to_numpy(dtype=float, na_value=np.nan))
        if has_dates:
            won_recent = (
                np.nan_to_num(sums["won_revenue_recent"].to_numpy(dtype=float, na_value=np.nan))
                * 12.0
                / months
            )
    return won_recent, closed, won_all, pipeline


def _bookings_why(
    kind: str,
    bookings: float,
    pipeline: float,
    win_rate: float,
    months: float,
    src: str,
    pb: Playbook,
) -> tuple[str, list[str]]:
    """One segment's bookings sentence and rule ids, by where its bookings came from."""
    if kind == "digital":
        return "", []
    if kind == "won":
        return (
            f"it booked {_money_text(bookings)} a year in won deals over the last {months:g} months "
            f"(renewals and expansions included, as the CRM records them)"
        ), ["bookings_history_months"]
    if kind == "pipeline":
        return (
            f"it won nothing in the last {months:g} months; its open pipeline {_money_text(pipeline)} "
            f"at its {win_rate:.0%} win rate gives {_money_text(bookings)}"
            if np.isfinite(win_rate)
            else f"it won nothing in the last {months:g} months and has no win rate, so no bookings are expected"
        ), ["bookings_history_months"]
    if kind == "unknown":
        return "no deal size is known, so its bookings are unknown and only coverage sizes it", []
    return (
        f"{src}, so the playbook's rates on the book (customers renew {pb.value('renewal_credit_rate'):g} and "
        f"expand {pb.value('potential_customer_rate'):g} deals a year, prospects convert "
        f"{pb.value('potential_prospect_rate'):g}, former customers {pb.value('potential_former_rate'):g}) "
        f"give {_money_text(bookings)} a year"
    ), [
        "potential_customer_rate",
        "renewal_credit_rate",
        "potential_prospect_rate",
        "potential_former_rate",
    ]


def workload_reps(
    motion: np.ndarray, role: np.ndarray, n_accounts: np.ndarray, pb: Playbook
) -> np.ndarray:
    """Touches × hours ÷ selling hours: shown for reference, never the recommendation (no upper bound).

    Parameters
    ----------
    motion, role, n_accounts : numpy.ndarray
        Motion, role and accounts per segment.
    pb : Playbook
        ``touches_<motion>_<role>``, ``hours_per_touch_<motion>`` and ``selling_hours_per_rep``.

    Returns
    -------
    numpy.ndarray
        Reps the touches would take per segment (0 in digital).
    """
    hours = np.zeros(len(motion))
    for m in ("inside", "field"):
        for r in ("hunter", "farmer", "generalist"):
            sel = (motion == m) & (role == r)
            hours[sel] = pb.value(f"touches_{m}_{r}") * pb.value(f"hours_per_touch_{m}")
    return np.nan_to_num(n_accounts) * hours / pb.value("selling_hours_per_rep")


def named_accounts(motion: np.ndarray, accounts: np.ndarray, customers: np.ndarray) -> np.ndarray:
    """Accounts a rep must own by name: the whole book in field, the customers in inside, none in digital."""
    return np.select(
        [motion == "field", motion == "inside"],
        [np.nan_to_num(accounts), np.nan_to_num(customers)],
        0.0,
    )


# --- team sizing -------------------------------------------------------------------------------
def size_teams(
    teams: pd.DataFrame,
    pb: Playbook,
    *,
    deal_factor: float = 1.0,
    quota_factor: float = 1.0,
    attainment_factor: float = 1.0,
) -> pd.DataFrame:
    """Capacity, coverage floor, affordability ceiling and the recommendation per team.

    Parameters
    ----------
    teams : pandas.DataFrame
        One row per team with ``motion, bookings, named_accounts``.
    pb : Playbook
    deal_factor, quota_factor, attainment_factor : float
        Multipliers for the sensitivity analysis (deal size scales the bookings).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`SIZE_COLUMNS`, one row per team, same index. Digital teams have no
        reps, no cost and a cost of sales of 0.
    """
    rows = []
    for t in teams.itertuples(index=False):
        bookings = float(t.bookings) * deal_factor
        if t.motion not in ("inside", "field"):
            rows.append((np.nan, 0.0, 0.0, 0.0, 0.0, 0, 0.0, 0.0))
            continue
        m = t.motion
        per_rep = motion_bookings_per_rep(
            pb, m, quota_factor=quota_factor, attainment_factor=attainment_factor
        )
        loaded = pb.value(f"ote_{m}") * pb.value("loaded_cost_multiplier")
        floor = coverage_reps(float(t.named_accounts), pb.value(f"coverage_{m}_max"))
        if not np.isfinite(bookings):
            # Bookings unknown: nothing to weigh the cost against, so coverage alone sizes the
            # team (one rep at least for a book with accounts) and the cost of sales stays unknown.
            hc = max(math.ceil(round(floor, 6)), 1 if t.accounts > 0 else 0)
            rows.append((per_rep, loaded, np.nan, floor, np.nan, hc, hc * loaded, np.nan))
            continue
        cap = capacity_reps(bookings, per_rep)
        ceiling = affordable_reps(bookings, pb.value("cost_of_sales_max"), loaded)
        hc = recommend(cap, floor, ceiling)
        cost = hc * loaded
        rows.append(
            (
                per_rep,
                loaded,
                cap,
                floor,
                ceiling,
                hc,
                cost,
                cost / bookings if bookings > 0 else 0.0,
            )
        )
    return pd.DataFrame(rows, columns=list(SIZE_COLUMNS), index=teams.index)


def team_sentence(t, pb: Playbook, pooled_into: str) -> tuple[str, str, str, list[str]]:
    """The headcount sentence of one team, the coverage change and the transition note.

    Parameters
    ----------
    t : namedtuple
        A row of the teams table with the sizing columns, ``bookings``, ``named_accounts``,
        ``accounts`` and ``deal_size_basis``.
    pb : Playbook
    pooled_into : str
        Where accounts beyond the team's reach go ("Inside · Farmers", "Digital", ...).

    Returns
    -------
    (str, str, str, list of str)
        The sentence, the coverage change ('' when none), the transition note ('' when none) and
        the rule ids that fired.
    """
    m = t.motion
    fired = [
        f"quota_{m}",
        "attainment",
        f"ramp_months_{m}",
        "ramp_productivity",
        "attrition_annual",
        "time_to_fill_months",
        f"coverage_{m}_max",
        f"ote_{m}",
        "loaded_cost_multiplier",
        "cost_of_sales_max",
        "quota_ote_min",
    ]
    csm = pb.value("cost_of_sales_max")
    hc, cap, floor, ceiling = (
        int(t.headcount),
        t.headcount_capacity,
        t.headcount_coverage,
        t.headcount_affordable,
    )
    if not np.isfinite(t.bookings):
        return _unknown_bookings_sentence(t, pb, hc, floor)
    parts = [
        f"Bookings {_money_text(t.bookings)} a year (deal size from {t.deal_size_basis}). "
        f"Capacity says {cap:.1f} reps (bookings ÷ {_money_text(t.per_rep_bookings)} a rep: quota × attainment, "
        f"less ramp and attrition); coverage says at least {floor:.1f} ({t.named_accounts:,.0f} named accounts ÷ "
        f"{pb.value(f'coverage_{m}_max'):g} a rep); the bookings pay for at most {ceiling:.1f} at ≤ {csm:.0%} cost of "
        f"sales ({_money_text(t.loaded_cost_per_rep)} loaded a rep)."
    ]
    ratio = pb.value(f"quota_{m}") / pb.value(f"ote_{m}")
    if ratio < pb.value("quota_ote_min"):
        parts.append(
            f"Check the quota: {ratio:.1f}× OTE is below the {pb.value('quota_ote_min'):g}× that pays for a rep."
        )
    change = transition = ""
    need = math.ceil(round(max(cap, floor), 6))
    if hc >= need:
        driver = (
            "capacity"
            if cap >= floor
            else "coverage (the book needs owners more than its bookings need reps)"
        )
        parts.append(
            f"Recommend {hc}, sized by {driver}: {_money_text(t.cost)} a year, {t.cost_of_sales:.0%} cost of sales."
            if hc
            else "No rep needed: no bookings and no named accounts."
        )
        return " ".join(parts), change, transition, fired
    if cap > ceiling:
        # The rep economics fail before coverage does: a seat costs more of what it books than allowed.
        parts.append(
            f"Even capacity alone asks for more reps than the bookings pay for: a rep costs "
            f"{t.loaded_cost_per_rep / t.per_rep_bookings:.0%} of what one books (quota {ratio:.1f}× OTE), above "
            f"{csm:.0%}; check the quota, the OTE or the attainment."
        )
    fired.append("handoff_months")
    change, transition = _coverage_change(t, pb, hc, need, pooled_into)
    parts.append(
        f"Recommend {hc}: {_money_text(t.cost)} a year, {t.cost_of_sales:.0%} cost of sales. {change} {transition}"
    )
    return " ".join(parts), change, transition, fired


def _unknown_bookings_sentence(
    t, pb: Playbook, hc: int, floor: float
) -> tuple[str, str, str, list[str]]:
    """Bookings unknown: coverage alone sizes the team and the cost of sales stays unchecked."""
    m = t.motion
    text = (
        f"Bookings unknown (deal size from {t.deal_size_basis}): coverage alone says {floor:.1f} reps "
        f"({t.named_accounts:,.0f} named accounts ÷ {pb.value(f'coverage_{m}_max'):g} a rep). Recommend {hc}: "
        f"{_money_text(t.cost)} a year; the cost of sales cannot be checked without a deal size."
    )
    return text, "", "", [f"coverage_{m}_max", f"ote_{m}", "loaded_cost_multiplier"]


def _coverage_change(t, pb: Playbook, hc: int, need: int, pooled_into: str) -> tuple[str, str]:
    """What changes when the bookings pay for fewer reps than coverage asks, and the hand-over."""
    m, csm = t.motion, pb.value("cost_of_sales_max")
    months = pb.value("handoff_months")
    kept = hc * pb.value(f"coverage_{m}_max")
    tail = max(t.named_accounts - kept, 0.0)
    full_cost = need * t.loaded_cost_per_rep
    if hc == 0:
        change = (
            f"The bookings ({_money_text(t.bookings)}) do not pay for one {m} rep at ≤ {csm:.0%} cost of sales: "
            f"the {t.accounts:,} accounts are pooled into {pooled_into} with fewer touches instead of "
            f"{need} named rep(s) ({_money_text(full_cost)} a year)."
        )
        transition = (
            f"Hand-over: current owners hand the {t.accounts:,} accounts to {pooled_into} within "
            f"{months:g} months, each customer with a named hand-over meeting."
        )
    else:
        change = (
            f"Coverage asks for {need} reps but the bookings pay for {hc}: the {hc} reps keep the "
            f"{kept:,.0f} most valuable named accounts ({pb.value(f'coverage_{m}_max'):g} each) and the "
            f"{tail:,.0f} smallest are pooled into {pooled_into} with fewer touches. That saves "
            f"{_money_text(full_cost - t.cost)} a year against full coverage ({_money_text(full_cost)}, "
            f"{full_cost / t.bookings:.0%} cost of sales)."
        )
        transition = (
            f"Hand-over: {t.team} hands its {tail:,.0f} smallest accounts to {pooled_into} within "
            f"{months:g} months, each customer with a named hand-over meeting."
        )
    return change, transition
