"""Pooling: segments of teams whose bookings pay for no rep move into the cheaper motion.

A field team that cannot afford one rep is pooled into the inside team of its role, an inside
team into digital (large companies never go self-serve); each moved segment keeps the sentences
that say what changed and who hands its accounts over.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.planner._common import _num
from segmentation.planner.headcount import motion_bookings_per_rep, workload_reps
from segmentation.planner.teams import pooled_into, team_table
from segmentation.playbook import Playbook


def pool_unaffordable_teams(
    seg: pd.DataFrame, teams: pd.DataFrame, overlays: pd.DataFrame, pb: Playbook
) -> np.ndarray:
    """Move the segments of teams whose bookings pay for no rep into the cheaper motion, in place.

    Parameters
    ----------
    seg : pandas.DataFrame
        The planned segments; the moved ones are rewritten in place.
    teams : pandas.DataFrame
        The teams table of ``seg`` (:func:`segmentation.planner.teams.team_table`).
    overlays : pandas.DataFrame
        The product overlays, for the teams table rebuilt after each hop.
    pb : Playbook

    Returns
    -------
    numpy.ndarray
        Per segment, the sentences that say what changed and who hands the accounts over ('' for
        a segment that stayed).

    Notes
    -----
    A field team that cannot afford one rep is pooled into the inside team of its role, an inside
    team into digital; a pooled team that still cannot afford a rep moves on (two hops at most).
    """
    moved = np.full(len(seg), "", dtype=object)
    per_rep = {m: motion_bookings_per_rep(pb, m) for m in ("inside", "field")}
    # A large company's buying committee is not served self-serve, whatever a bookings estimate
    # says: its segments may pool from field into inside, never into digital (they stay on the
    # inside team, which then says its bookings pay for no rep).
    large = (_num(seg["median_employees"]) >= pb.value("tier_large_min_employees")) | (
        _num(seg["median_revenue"]) >= pb.value("tier_large_min_revenue")
    )
    for _ in range(2):
        zero = teams[(teams["motion"] != "digital") & (teams["headcount"] == 0)]
        if zero.empty:
            break
        for t in zero.itertuples(index=False):
            target = pooled_into(t)
            sel = (seg["team"] == t.team).to_numpy()
            if target == "Digital":
                sel = sel & ~large
                if not sel.any():
                    continue
            moved[sel] = moved[sel] + f" {t.coverage_change} {t.transition}"
            if target == "Digital":
                _to_digital(seg, sel)
            else:
                _to_inside(seg, sel, target, per_rep["inside"], pb)
        teams = team_table(seg, overlays, pb)
    return moved


def _to_digital(seg: pd.DataFrame, sel: np.ndarray) -> None:
    """Self-serve: no named rep, no bookings counted for a team."""
    seg.loc[sel, ["motion", "role", "team", "role_detail"]] = [
        "digital",
        "generalist",
        "Digital",
        "self-serve",
    ]
    seg.loc[
        sel,
        [
            "bookings",
            "reps_capacity",
            "named_accounts",
            "reps_coverage",
            "reps_workload",
        ],
    ] = 0.0
    seg.loc[sel, "bookings_basis"] = "no bookings (digital)"


def _to_inside(
    seg: pd.DataFrame, sel: np.ndarray, target: str, inside_per_rep: float, pb: Playbook
) -> None:
    """The inside team of the same role: inside reps own the customers, capacity at inside quota."""
    seg.loc[sel, ["motion", "team"]] = ["inside", target]
    named = seg.loc[sel, "customers"].astype(float).fillna(0.0)
    seg.loc[sel, "named_accounts"] = named
    seg.loc[sel, "reps_coverage"] = named / pb.value("coverage_inside_max")
    seg.loc[sel, "reps_capacity"] = seg.loc[sel, "bookings"].astype(float) / inside_per_rep
    seg.loc[sel, "reps_workload"] = workload_reps(
        np.full(int(sel.sum()), "inside"),
        seg.loc[sel, "role"].to_numpy(dtype=object),
        _num(seg.loc[sel, "accounts"]),
        pb,
    )
