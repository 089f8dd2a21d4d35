"""Sensitivity: the plan's total reps and cost with deal size, attainment and quota moved ±20%.

The design is held fixed (motions, roles and teams do not move); only the sizing of
:func:`segmentation.planner.headcount.size_teams` is redone with each input scaled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.planner.headcount import size_teams
from segmentation.playbook import Playbook

SENSITIVITY_COLUMNS: tuple[str, ...] = (
    "parameter",
    "change",
    "headcount",
    "cost",
    "bookings",
    "cost_of_sales",
    "headcount_delta",
    "cost_delta",
)


def sensitivity(teams: pd.DataFrame, pb: Playbook) -> pd.DataFrame:
    """Total headcount and cost with deal size, attainment and quota each moved up and down.

    Parameters
    ----------
    teams : pandas.DataFrame
        One row per team with ``motion, bookings, named_accounts`` (the design held fixed:
        motions and roles do not move, only the sizing).
    pb : Playbook
        ``sensitivity_change`` sets the move (0.2 = ±20%).

    Returns
    -------
    pandas.DataFrame
        :data:`SENSITIVITY_COLUMNS`: a ``base`` row, then per parameter the ``-20%`` and ``+20%``
        rows with their totals and the change from the base.
    """
    step = pb.value("sensitivity_change")
    base = size_teams(teams, pb)
    base_hc, base_cost = int(base["headcount"].sum()), float(base["cost"].sum())
    base_book = float(
        np.nansum(teams.loc[teams["motion"] != "digital", "bookings"].to_numpy(dtype=float))
    )
    out = [("base", "0%", base_hc, base_cost, base_book)]
    for name, key in (
        ("deal size", "deal_factor"),
        ("attainment", "attainment_factor"),
        ("quota", "quota_factor"),
    ):
        for sign in (-1, 1):
            f = 1 + sign * step
            sized = size_teams(teams, pb, **{key: f})
            book = base_book * (f if key == "deal_factor" else 1.0)
            out.append(
                (
                    name,
                    f"{sign * step:+.0%}",
                    int(sized["headcount"].sum()),
                    float(sized["cost"].sum()),
                    book,
                )
            )
    frame = pd.DataFrame(out, columns=["parameter", "change", "headcount", "cost", "bookings"])
    frame["cost_of_sales"] = np.where(
        frame["bookings"] > 0, frame["cost"] / frame["bookings"].where(frame["bookings"] > 0), 0.0
    )
    frame["headcount_delta"] = frame["headcount"] - base_hc
    frame["cost_delta"] = frame["cost"] - base_cost
    return frame[list(SENSITIVITY_COLUMNS)]
