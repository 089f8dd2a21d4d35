"""The hiring plan: month by month, hires, reps, ramped reps and capacity against the bookings target.

A rep who starts in month ``s`` brings ``k ÷ (ramp_months + 1)`` of a month's quota in their
``k``-th month while ``k ≤ ramp_months``, then all of it (25/50/75/100% for a three-month ramp,
Pedowitz). Seats in the roster are ramped at the start. Attrition removes
``attrition_annual ÷ 12`` of the reps each month (expected values, so fractions); each leaver's
backfill starts ``time_to_fill_months`` later (rounded up) and ramps again. The gap between the
roster and the recommendation is hired at once and starts after the time to fill.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from segmentation.playbook import Playbook

HIRING_COLUMNS: tuple[str, ...] = (
    "team",
    "month",
    "hires",
    "reps",
    "ramped_reps",
    "capacity",
    "bookings_target",
)


def ramp_share(age: int, ramp_months: float) -> float:
    """Share of full productivity in a rep's ``age``-th month (1-based): linear, then 1.

    Examples
    --------
    >>> [ramp_share(k, 3) for k in (1, 2, 3, 4)]
    [0.25, 0.5, 0.75, 1.0]
    """
    if ramp_months <= 0 or age > ramp_months:
        return 1.0
    return age / (ramp_months + 1)


def team_hiring(
    target: int,
    start: float,
    bookings: float,
    quota: float,
    pb: Playbook,
    *,
    ramp_months: float,
    months: int = 12,
) -> pd.DataFrame:
    """One team's month-by-month plan.

    Parameters
    ----------
    target : int
        Recommended reps.
    start : float
        Reps in seat at the start (the roster's reps in this team; 0 without a roster).
    bookings : float
        The team's annual bookings; the monthly target is a twelfth.
    quota : float
        Fully ramped annual quota of one rep.
    pb : Playbook
        ``attainment``, ``attrition_annual``, ``time_to_fill_months``.
    ramp_months : float
    months : int

    Returns
    -------
    pandas.DataFrame
        ``month, hires, reps, ramped_reps, capacity, bookings_target`` (capacity and target per
        month, in the bookings' currency).
    """
    return pd.DataFrame(
        _hiring_rows(target, start, bookings, quota, pb, ramp_months=ramp_months, months=months),
        columns=list(HIRING_COLUMNS[1:]),
    )


def _hiring_rows(
    target: int,
    start: float,
    bookings: float,
    quota: float,
    pb: Playbook,
    *,
    ramp_months: float,
    months: int,
) -> list[tuple]:
    """:func:`team_hiring`'s rows (``month, hires, reps, ramped_reps, capacity, bookings_target``)."""
    delay = max(math.ceil(pb.value("time_to_fill_months")), 0)
    monthly_attrition = min(max(pb.value("attrition_annual"), 0.0), 1.0) / 12
    per_month = quota * pb.value("attainment") / 12
    # cohorts: start month -> reps still in seat (the roster counts as started long ago).
    cohorts: dict[int, float] = {-10_000: float(start)} if start > 0 else {}
    starts = np.zeros(months + delay + 2)
    gap = max(target - start, 0.0)
    starts[min(max(delay, 1), len(starts) - 1)] += gap
    rows = []
    for month in range(1, months + 1):
        if starts[month] > 0:
            cohorts[month] = cohorts.get(month, 0.0) + starts[month]
        reps = sum(cohorts.values())
        leavers = reps * monthly_attrition
        if reps > 0 and leavers > 0:
            for s in cohorts:
                cohorts[s] *= 1 - monthly_attrition
            if month + delay < len(starts):
                starts[month + delay] += leavers
        reps = sum(cohorts.values())
        ramped = sum(n for s, n in cohorts.items() if month - s + 1 > ramp_months)
        effective = sum(n * ramp_share(month - s + 1, ramp_months) for s, n in cohorts.items())
        rows.append(
            (month, float(starts[month]), reps, ramped, effective * per_month, bookings / 12)
        )
    return rows


def hiring_plan(
    teams: pd.DataFrame,
    pb: Playbook,
    roster_counts: dict[str, float] | None = None,
    *,
    months: int = 12,
) -> pd.DataFrame:
    """The hiring plan of every team with named reps, month by month.

    Parameters
    ----------
    teams : pandas.DataFrame
        The plan's teams (``team, motion, headcount, bookings``).
    pb : Playbook
    roster_counts : dict of str to float, optional
        Reps already in each team (from ``--reps``); without it every team starts from zero.
    months : int

    Returns
    -------
    pandas.DataFrame
        :data:`HIRING_COLUMNS`, one row per team and month (teams in the plan's order).
    """
    rows = []
    columns = (teams[c].tolist() for c in ("team", "motion", "headcount", "bookings"))
    for team, motion, headcount, bookings in zip(*columns):
        if motion not in ("inside", "field"):
            continue
        start = float((roster_counts or {}).get(team, 0.0))
        if int(headcount) == 0 and start == 0:
            continue
        plan = _hiring_rows(
            int(headcount),
            start,
            float(bookings),
            pb.value(f"quota_{motion}"),
            pb,
            ramp_months=pb.value(f"ramp_months_{motion}"),
            months=months,
        )
        rows += [(team, *row) for row in plan]
    # One frame for all teams: a frame per team and a concat cost more than the plan itself.
    if not rows:
        return pd.DataFrame(columns=list(HIRING_COLUMNS))
    out = pd.DataFrame(rows, columns=list(HIRING_COLUMNS))
    return out.astype({"team": "str", "month": "int64"})
