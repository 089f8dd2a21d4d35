"""The teams table: segments grouped into teams, each sized, specialised and given its sentence.

One row per team (:data:`TEAM_COLUMNS`): the segments' accounts, bookings and named accounts
summed, the sizing of :func:`segmentation.planner.headcount.size_teams`, what the team
specialises in, and the sentence a VP reads (the headcount part written by
:func:`segmentation.planner.headcount.team_sentence`, where the sizing is decided).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.fields import MOTION_LABELS, ROLE_LABELS
from segmentation.planner.headcount import size_teams, team_sentence
from segmentation.planner.specialists import DIMENSIONS_BY_LABEL
from segmentation.playbook import Playbook

TEAM_COLUMNS: tuple[str, ...] = (
    "team",
    "motion",
    "role",
    "specialization",
    "overlays",
    "segments",
    "accounts",
    "headcount_workload",
    "headcount_capacity",
    "headcount",
    "gap",
    "reason",
    "deal_size_basis",
    "bookings",
    "cost",
    "cost_of_sales",
    "bookings_basis",
    "named_accounts",
    "headcount_coverage",
    "headcount_affordable",
    "per_rep_bookings",
    "loaded_cost_per_rep",
    "coverage_change",
    "transition",
)


def team_table(seg: pd.DataFrame, overlays: pd.DataFrame, pb: Playbook) -> pd.DataFrame:
    """One row per team of the segments: summed, sized, specialised, with its sentence.

    Parameters
    ----------
    seg : pandas.DataFrame
        The planned segments (``team, motion, role, segment, vertical, accounts,
        reps_workload, reps_capacity, overlays, bookings, named_accounts, deal_size_basis,
        bookings_basis``).
    overlays : pandas.DataFrame
        The product overlays (:data:`~segmentation.planner.specialists.OVERLAY_COLUMNS`).
    pb : Playbook

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`TEAM_COLUMNS`, teams in the order they first appear in ``seg``.
    """
    g = seg.groupby("team", sort=False)
    teams = _team_totals(seg, g)
    vert_first = g["vertical"].first().astype("string").reindex(teams["team"]).to_numpy()
    sized = size_teams(teams, pb)
    for c in sized.columns:
        teams[c] = sized[c].to_numpy()
    teams["headcount"] = teams["headcount"].astype(int)
    teams["gap"] = teams["headcount_capacity"] - teams["headcount_workload"]
    teams["specialization"] = _specializations(seg, teams, vert_first)
    v_by_dim = (
        dict(zip(overlays["product"] + "|" + overlays["dimension"], overlays["cramers_v"]))
        if len(overlays)
        else {}
    )
    dims_of = overlays.groupby("product")["dimension"].agg(list).to_dict() if len(overlays) else {}
    reasons, changes, transitions = [], [], []
    for t in teams.itertuples(index=False):
        r, c, tr = _team_reason(t, pb, dims_of, v_by_dim, pooled_into(t))
        reasons.append(r)
        changes.append(c)
        transitions.append(tr)
    teams["reason"], teams["coverage_change"], teams["transition"] = reasons, changes, transitions
    return teams[list(TEAM_COLUMNS)]


def _team_totals(seg: pd.DataFrame, g) -> pd.DataFrame:
    """The segments' figures summed per team, with the deal-size and bookings bases mixed."""
    teams = g.agg(
        motion=("motion", "first"),
        role=("role", "first"),
        segments=("segment", "size"),
        accounts=("accounts", "sum"),
        headcount_workload=("reps_workload", "sum"),
        headcount_capacity=("reps_capacity", lambda s: s.sum(min_count=1)),
        pod=("vertical", lambda s: s.astype("string").nunique()),
        overlays=(
            "overlays",
            lambda s: "; ".join(dict.fromkeys(p for x in s if x for p in x.split("; "))),
        ),
        bookings=("bookings", lambda s: s.sum(min_count=1)),
        named_accounts=("named_accounts", "sum"),
    ).reset_index()
    teams["accounts"] = teams["accounts"].astype(int)
    teams["deal_size_basis"] = [
        _basis_mix(seg.loc[idx, "deal_size_basis"], seg.loc[idx, "accounts"].astype(float))
        for idx in g.groups.values()
    ]
    teams["bookings_basis"] = [
        _basis_mix(
            seg.loc[idx, "bookings_basis"],
            seg.loc[idx, "bookings"].astype(float).fillna(0.0).clip(lower=0) + 1e-9,
        )
        for idx in g.groups.values()
    ]
    return teams


def _basis_mix(basis: pd.Series, weights: pd.Series) -> str:
    """The deal-size bases of a team's segments, by share of accounts ("won deals 80% · ...")."""
    short = basis.astype("string").str.replace(r" \(.*\)$", "", regex=True)
    share = weights.groupby(short.to_numpy(), sort=False).sum()
    share = share / share.sum() if share.sum() > 0 else share
    share = share.sort_values(ascending=False, kind="stable")
    if len(share) == 1:
        return str(share.index[0])
    return " · ".join(f"{b} {s:.0%}" for b, s in share.items())


def _specializations(seg: pd.DataFrame, teams: pd.DataFrame, vert_first: np.ndarray) -> list[str]:
    """What each team specialises in: self-serve, a vertical pod, one vertical, or none."""
    pods = set(seg.loc[seg["team"].str.count(" · ") >= 2, "team"])
    spec = []
    for t, m, nv, v in zip(teams["team"], teams["motion"], teams["pod"], vert_first):
        if m == "digital":
            spec.append("self-serve / product-led, no named reps")
        elif t in pods:
            spec.append(f"{v} vertical pod")
        elif nv <= 1 and v is not pd.NA and v:
            spec.append(f"single vertical ({v})")
        else:
            spec.append("generalist across verticals")
    return spec


def pooled_into(t) -> str:
    """Where accounts beyond a team's reach go: field → the inside team of the same role, inside → digital.

    Parameters
    ----------
    t : namedtuple
        A row of the teams table (``motion, role``).

    Returns
    -------
    str
        The name of the team that takes the accounts.
    """
    if t.motion == "field":
        return f"{MOTION_LABELS['inside']} · {ROLE_LABELS[t.role]}"
    return "Digital"


def _team_reason(t, pb: Playbook, dims_of: dict, v_by_dim: dict, pool: str) -> tuple[str, str, str]:
    if t.motion == "digital":
        return (
            f"{t.team}: {t.segments} segment(s), {t.accounts:,} accounts with deals too small to pay for a "
            f"named rep — 0 reps; serve them self-serve / product-led (marketing, in-app, pooled support).",
            "",
            "",
        )
    parts = [f"{t.team}: {t.segments} segment(s), {t.accounts:,} accounts ({t.specialization})."]
    sentence, change, transition, _ = team_sentence(t, pb, pool)
    parts.append(sentence)
    parts.append(
        f"Workload (touches × hours ÷ {pb.value('selling_hours_per_rep'):,.0f} selling hours) would say "
        f"{t.headcount_workload:.1f}: shown for reference only, as it has no upper bound."
    )
    hc = t.headcount
    if not hc:
        parts.append(
            "Large companies are not moved to self-serve, so they stay here with 0 reps: their "
            "expected bookings pay for no rep within the cost-of-sales ceiling. Give their deal "
            "history (opportunities), or raise cost_of_sales_max, before hiring for them."
        )
    per_rep = t.accounts / hc if hc else float("nan")
    lo, hi = pb.value(f"coverage_{t.motion}_min"), pb.value(f"coverage_{t.motion}_max")
    if np.isfinite(per_rep):
        band = f"the {lo:g}–{hi:g} {t.motion} band"
        if per_rep > hi:
            parts.append(
                f"That is {per_rep:,.0f} accounts per rep, above {band}: the rest is worked as a pool."
            )
        elif per_rep < lo and t.accounts >= lo:
            parts.append(
                f"That is {per_rep:,.0f} accounts per rep, below {band}: large, named books."
            )
        else:
            parts.append(f"That is {per_rep:,.0f} accounts per rep.")
    if t.overlays:
        parts.append(_overlay_sentence(t.overlays, dims_of, v_by_dim))
    return " ".join(parts), change, transition


def _overlay_sentence(team_overlays: str, dims_of: dict, v_by_dim: dict) -> str:
    """The overlay specialists who work alongside a team, with the product-mix evidence."""
    products = team_overlays.split("; ")
    evidence = "; ".join(
        dict.fromkeys(
            f"product mix differs across {DIMENSIONS_BY_LABEL[d]}, Cramér's V {v_by_dim[p + '|' + d]:.2f}"
            for p in products
            for d in dims_of.get(p, [])
        )
    )
    return (
        f"Product overlay specialists work alongside this team for {', '.join(products)} ({evidence}): "
        f"size them from those products' deals, not from this team's headcount."
    )
