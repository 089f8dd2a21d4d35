"""From segment profiles to a team design: the steps wired together, one helper per step.

Every threshold comes from the :class:`~segmentation.playbook.Playbook`. :func:`plan_coverage` is a
pure, vectorised function of ``(profiles, playbook, products, accounts)``, so moving a slider in
the app re-plans without re-clustering. Each step (deal size and motion, roles, specialists,
headcount, teams, pooling) writes its own sentence and rule ids where it decides; this module
only joins them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segmentation.errors import InputError
from segmentation.fields import MOTION_LABELS, ROLE_LABELS
from segmentation.planner._common import (
    _check_columns,
    _empty,
    _has_deal_sizes,
    _num,
    _pct,
    _sources,
)
from segmentation.planner.headcount import (
    motion_bookings_per_rep,
    named_accounts,
    segment_bookings,
    workload_reps,
)
from segmentation.planner.hiring import HIRING_COLUMNS, hiring_plan
from segmentation.planner.motion import DealSizes, Motions, deal_sizes, motions
from segmentation.planner.pooling import pool_unaffordable_teams
from segmentation.planner.roles import Candidates, Roles, candidate_roles, resolve_roles
from segmentation.planner.sensitivity import SENSITIVITY_COLUMNS, sensitivity
from segmentation.planner.specialists import (
    OVERLAY_COLUMNS,
    PRODUCT_MIX_COLUMNS,
    VERTICAL_TEST_COLUMNS,
    _pod_sentence,
    _product_overlays,
    _vertical_pods,
)
from segmentation.planner.teams import TEAM_COLUMNS, team_table
from segmentation.playbook import Playbook
from segmentation.profiles import PROFILE_COLUMNS

PRODUCT_COLUMNS: tuple[str, ...] = ("segment", "product", "won_revenue", "deals")
"""The ``products`` input of :func:`plan_coverage`: won revenue and won deals per segment and product."""
SEGMENT_EXTRA_COLUMNS: tuple[str, ...] = (
    "motion",
    "role",
    "team",
    "deal_size_basis",
    "deal_size_used",
    "deals_per_rep",
    "annual_potential",
    "reps_workload",
    "reps_capacity",
    "overlays",
    "reason",
    "rules",
    "sources",
    "deal_size_confidence",
    "bookings",
    "bookings_basis",
    "won_recent",
    "win_rate",
    "pipeline_expected",
    "named_accounts",
    "reps_coverage",
    "role_detail",
    "transition",
    "pooled_from",
)


@dataclass
class Plan:
    """A coverage plan.

    Attributes
    ----------
    segments : pandas.DataFrame
        The profiles plus :data:`SEGMENT_EXTRA_COLUMNS`: ``motion, role, team, deal_size_basis``
        (where the deal size came from), ``deal_size_used, deals_per_rep, annual_potential``
        (= ``bookings``), ``reps_workload`` (touches × hours, for reference), ``reps_capacity,
        overlays, reason, rules, sources``, then ``deal_size_confidence, bookings,
        bookings_basis, won_recent, win_rate, pipeline_expected, named_accounts, reps_coverage,
        role_detail, transition, pooled_from`` (the team the segment was planned for when its
        bookings paid for no rep there and it was pooled into a cheaper motion; '' otherwise).
    teams : pandas.DataFrame
        One row per team: the columns of :data:`~segmentation.planner.teams.TEAM_COLUMNS`. ``headcount`` is the
        recommendation (capacity or the coverage floor, never above the affordability ceiling);
        ``cost`` = reps × loaded cost per rep; ``cost_of_sales`` = cost ÷ bookings.
    overlays : pandas.DataFrame
        One row per product line and dimension that gets overlay specialists
        (:data:`OVERLAY_COLUMNS`); empty without product data or when the mix does not differ.
    product_mix : pandas.DataFrame
        The product-mix test per dimension (:data:`PRODUCT_MIX_COLUMNS`).
    vertical_tests : pandas.DataFrame
        Per motion and vertical, the tests that decide vertical pods (:data:`VERTICAL_TEST_COLUMNS`).
    hiring : pandas.DataFrame
        The month-by-month hiring plan per team (:data:`~segmentation.planner.hiring.HIRING_COLUMNS`),
        from zero reps (the pipeline replaces it with one starting from the roster).
    sensitivity : pandas.DataFrame
        Total headcount and cost with deal size, attainment and quota moved ±``sensitivity_change``
        (:data:`~segmentation.planner.sensitivity.SENSITIVITY_COLUMNS`).
    """

    segments: pd.DataFrame
    teams: pd.DataFrame
    overlays: pd.DataFrame = field(default_factory=lambda: _empty(OVERLAY_COLUMNS))
    product_mix: pd.DataFrame = field(default_factory=lambda: _empty(PRODUCT_MIX_COLUMNS))
    vertical_tests: pd.DataFrame = field(default_factory=lambda: _empty(VERTICAL_TEST_COLUMNS))
    hiring: pd.DataFrame = field(default_factory=lambda: _empty(HIRING_COLUMNS))
    sensitivity: pd.DataFrame = field(default_factory=lambda: _empty(SENSITIVITY_COLUMNS))


def segment_products(
    product_revenue: pd.DataFrame | None, segment: pd.Series
) -> pd.DataFrame | None:
    """Won revenue and won deals per segment and product line: the ``products`` input of the plan.

    Parameters
    ----------
    product_revenue : pandas.DataFrame or None
        Long table ``account_row, product, won_revenue, deals`` (see
        :attr:`segmentation.opportunities.OpportunityAggregates.product_revenue`), where
        ``account_row`` is an index label of the accounts.
    segment : pandas.Series
        Segment per account, indexed like the accounts.

    Returns
    -------
    pandas.DataFrame or None
        Columns :data:`PRODUCT_COLUMNS`, one row per segment and product with won deals, sorted;
        ``None`` when there is no product data at all (so the plan says nothing about overlays).
    """
    if product_revenue is None or product_revenue.empty or "product" not in product_revenue.columns:
        return None
    seg = product_revenue["account_row"].map(segment)
    table = product_revenue.assign(segment=seg.astype("string"))
    table = table[table["segment"].notna() & table["product"].notna()]
    if table.empty:
        return None
    out = (
        table.groupby(["segment", "product"], sort=True, observed=True)[["won_revenue", "deals"]]
        .sum()
        .reset_index()
    )
    out["deals"] = out["deals"].astype("int64")
    return out[list(PRODUCT_COLUMNS)]


def plan_coverage(
    profiles: pd.DataFrame,
    playbook: Playbook,
    products: pd.DataFrame | None = None,
    *,
    accounts: pd.DataFrame | None = None,
) -> Plan:
    """Recommend motion, role, team, headcount and specialists for every segment.

    Parameters
    ----------
    profiles : pandas.DataFrame
        One row per segment with the columns in :data:`PROFILE_COLUMNS`.
    playbook : Playbook
        Thresholds and rates (see ``playbook.toml``).
    products : pandas.DataFrame, optional
        Won deals per segment and product line, columns :data:`PRODUCT_COLUMNS` (see
        :func:`segment_products`). Without it the plan recommends no product overlays.
    accounts : pandas.DataFrame, optional
        One row per account with ``segment`` and optionally ``deal_size``; from the
        opportunities ``avg_won_deal, won_deals, lost_deals, open_pipeline`` and
        ``won_revenue_recent`` (won value in the history window). Deal sizes, bookings and the
        vertical-pod tests read it; without it deal sizes come from the profiles and bookings
        from the playbook's rates.

    Returns
    -------
    Plan

    Raises
    ------
    InputError
        If profile columns are missing, or ``products`` / ``accounts`` lack their columns.

    Notes
    -----
    1. Deal size from evidence (:func:`segmentation.planner.motion.deal_sizes`): the accounts'
       won deals, a deal-size column, won deals of similar accounts, the playbook's tier
       default, and a revenue share only as the last resort (low confidence).
    2. Motion by deal size, buying committee and deals per rep
       (:func:`segmentation.planner.motion.motions`).
    3. Bookings per segment from history, else from the playbook's rates
       (:func:`segmentation.planner.headcount.segment_bookings`).
    4. Roles follow the book, split into hunters and farmers only when both sides are full
       teams (:func:`segmentation.planner.roles.resolve_roles`); vertical pods and product
       overlays only where a difference is beyond noise
       (:mod:`segmentation.planner.specialists`).
    5. Per team: capacity, coverage floor and affordability ceiling
       (:func:`segmentation.planner.headcount.size_teams`, in
       :func:`segmentation.planner.teams.team_table`); the recommendation never exceeds
       ``cost_of_sales_max``; where coverage asks for more, the coverage changes and the team's
       reason and ``coverage_change`` / ``transition`` say how; a team that pays for no rep is
       pooled into the cheaper motion (:mod:`segmentation.planner.pooling`).
    6. The hiring plan (from zero reps) and the sensitivity of the total to ±20% on deal size,
       attainment and quota.
    """
    _check_inputs(profiles, products, accounts)
    pb = playbook
    seg = profiles.reset_index(drop=True).copy()
    if len(seg) == 0:
        return Plan(
            segments=seg.reindex(columns=[*seg.columns, *SEGMENT_EXTRA_COLUMNS]),
            teams=_empty(TEAM_COLUMNS),
        )

    # --- 1-2. deal size from evidence, then motion -----------------------------------------
    sizes = deal_sizes(seg, pb, accounts)
    mot = motions(seg, sizes, pb)
    # --- 3. bookings, and the reps they need -------------------------------------------------
    need = _reps_needed(seg, mot.motion, sizes, pb, accounts)
    # --- 4. roles and specialists ---------------------------------------------------------------
    design = _design(seg, mot.motion, sizes, need, accounts, pb)
    overlays, product_mix, seg_overlays = _write_decisions(
        seg, sizes, mot, need, design, products, pb
    )
    # --- 5. teams: sized, costed, and any coverage change said -----------------------------------
    decided_detail = seg["role_detail"].to_numpy(dtype=object).copy()  # the sentence quotes it
    teams, moved = _teams_and_pooling(seg, design.team, mot.motion, overlays, pb)
    # --- the sentence per segment: each part was written where its decision was made -------------
    seg["reason"], seg["rules"] = _segment_reasons(
        seg, mot, need, design, seg_overlays, decided_detail, moved, accounts, pb
    )
    seg["sources"] = [_sources(r, pb) for r in seg["rules"]]
    seg = seg[[*profiles.columns, *SEGMENT_EXTRA_COLUMNS]]

    # --- 6. hiring plan and sensitivity --------------------------------------------------------------
    return Plan(
        segments=seg,
        teams=teams,
        overlays=overlays,
        product_mix=product_mix,
        vertical_tests=design.vertical_tests,
        hiring=hiring_plan(teams, pb),
        sensitivity=sensitivity(teams, pb),
    )


def _check_inputs(
    profiles: pd.DataFrame, products: pd.DataFrame | None, accounts: pd.DataFrame | None
) -> None:
    missing = [c for c in PROFILE_COLUMNS if c not in profiles.columns]
    if missing:
        raise InputError(
            f"Segment profiles lack column(s) {', '.join(missing)}: run the segments step first."
        )
    _check_columns(products, ("segment", "product", "deals"), "products")
    _check_columns(accounts, ("segment",), "accounts")


@dataclass
class _Need:
    """Step 3: bookings per segment, and the reps those bookings and the book of named accounts need."""

    book: pd.DataFrame
    why: list[str]
    rules: list[list[str]]
    bookings: np.ndarray
    reps_capacity: np.ndarray
    named: np.ndarray
    reps_coverage: np.ndarray
    reps: np.ndarray
    """The larger of capacity and the coverage floor: what the role and pod decisions weigh."""


def _reps_needed(
    seg: pd.DataFrame,
    motion: np.ndarray,
    sizes: DealSizes,
    pb: Playbook,
    accounts: pd.DataFrame | None,
) -> _Need:
    n_accounts = _num(seg["accounts"])
    customers = _num(seg["customers"])
    book, book_why, book_rules = segment_bookings(seg, motion, sizes.deal, pb, accounts)
    bookings = book["bookings"].to_numpy(dtype=float)
    per_rep = np.full(len(seg), np.nan)
    for m in ("inside", "field"):
        per_rep[motion == m] = motion_bookings_per_rep(pb, m)
    with np.errstate(invalid="ignore", divide="ignore"):
        reps_capacity = np.where(motion == "digital", 0.0, bookings / per_rep)
    named = named_accounts(motion, n_accounts, customers)
    cov_max = np.select(
        [motion == "field", motion == "inside"],
        [pb.value("coverage_field_max"), pb.value("coverage_inside_max")],
        np.inf,
    )
    reps_coverage = named / cov_max
    cand_need = np.fmax(np.nan_to_num(reps_capacity), reps_coverage)
    return _Need(
        book, book_why, book_rules, bookings, reps_capacity, named, reps_coverage, cand_need
    )


@dataclass
class _Design:
    """Step 4: candidate and final roles, vertical pods (with their tests) and each segment's team."""

    cand: Candidates
    pod: np.ndarray
    vertical_tests: pd.DataFrame
    roles: Roles
    team: np.ndarray


def _design(
    seg: pd.DataFrame,
    motion: np.ndarray,
    sizes: DealSizes,
    need: _Need,
    accounts: pd.DataFrame | None,
    pb: Playbook,
) -> _Design:
    cand = candidate_roles(seg, pb)
    vertical = seg["vertical"].astype("string").fillna("").to_numpy(dtype=object)
    segment_names = seg["segment"].astype("string").to_numpy(dtype=object)
    pod, vertical_tests = _vertical_pods(
        segment_names, motion, vertical, sizes.deal, _num(seg["accounts"]), need.reps, accounts, pb
    )
    roles = resolve_roles(motion, pod, cand, need.reps, seg, pb)
    team = np.array(
        [
            "Digital"
            if m == "digital"
            else " · ".join(filter(None, (MOTION_LABELS[m], ROLE_LABELS[r], p)))
            for m, r, p in zip(motion, roles.role, pod)
        ],
        dtype=object,
    )
    return _Design(cand, pod, vertical_tests, roles, team)


def _write_decisions(
    seg: pd.DataFrame,
    sizes: DealSizes,
    mot: Motions,
    need: _Need,
    design: _Design,
    products: pd.DataFrame | None,
    pb: Playbook,
) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """Steps 1-4 written onto the segments, in place; the product overlays decided on them.

    Returns the overlays, the product-mix tests and, per segment, its overlay items.
    """
    motion, role = mot.motion, design.roles.role
    seg["motion"] = motion
    seg["role"] = role
    seg["team"] = design.team
    seg["deal_size_basis"] = sizes.detail
    seg["deal_size_used"] = sizes.deal
    seg["deals_per_rep"] = mot.deals_per_rep
    seg["annual_potential"] = need.bookings
    seg["reps_workload"] = workload_reps(motion, role, _num(seg["accounts"]), pb)
    seg["reps_capacity"] = need.reps_capacity
    overlays, product_mix, seg_overlays = _product_overlays(seg, products, pb)
    seg["overlays"] = [
        "; ".join(dict.fromkeys(o["product"] for o in items)) for items in seg_overlays
    ]
    seg["deal_size_confidence"] = sizes.confidence
    for c in need.book.columns:
        seg[c] = need.book[c].to_numpy()
    seg["named_accounts"] = need.named
    seg["reps_coverage"] = need.reps_coverage
    seg["role_detail"] = np.where(
        motion == "digital",
        "self-serve",
        np.where(design.cand.winback & (role == "hunter"), "win-back hunter", role),
    )
    return overlays, product_mix, seg_overlays


def _teams_and_pooling(
    seg: pd.DataFrame, team: np.ndarray, motion: np.ndarray, overlays: pd.DataFrame, pb: Playbook
) -> tuple[pd.DataFrame, np.ndarray]:
    """Step 5: the teams sized and costed, unaffordable ones pooled, each segment's transition.

    Writes ``pooled_from`` and ``transition`` onto the segments; returns the teams and, per
    segment, the sentences of its move ('' for a segment that stayed).
    """
    teams = team_table(seg, overlays, pb)
    hand = dict(zip(teams["team"], teams["transition"]))
    moved = pool_unaffordable_teams(seg, teams, overlays, pb)
    seg["pooled_from"] = np.where(moved != "", team, "")
    if moved.any():
        teams = team_table(seg, overlays, pb)
        hand.update(zip(teams["team"], teams["transition"]))
    cust = np.nan_to_num(_num(seg["customers"]))
    seg_team = seg["team"].tolist()
    seg["transition"] = [
        (
            f"{cust[i]:,.0f} customers move to digital (self-serve): their current owners hand them over within "
            f"{pb.value('handoff_months'):g} months, each with a named hand-over."
            if motion[i] == "digital" and cust[i] > 0
            else moved[i].strip() or hand.get(seg_team[i], "")
        )
        for i in range(len(seg))
    ]
    return teams, moved


def _segment_reasons(
    seg: pd.DataFrame,
    mot: Motions,
    need: _Need,
    design: _Design,
    seg_overlays: list,
    decided_detail: np.ndarray,
    moved: np.ndarray,
    accounts: pd.DataFrame | None,
    pb: Playbook,
) -> tuple[list[str], list[str]]:
    """The sentence and the rule ids per segment, joined from the parts each step wrote."""
    motion, pod, team = mot.motion, design.pod, design.team
    cust = np.nan_to_num(_num(seg["customers"]))
    tested = _has_deal_sizes(accounts)
    vt = (
        design.vertical_tests.set_index(["motion", "vertical"])
        if len(design.vertical_tests)
        else None
    )
    reasons, rules = [], []
    seg_team = seg["team"].tolist()
    for i, segment in enumerate(seg["segment"].tolist()):
        fired = [*mot.rules[i], *design.roles.rules[i], *need.rules[i]]
        extra = ""
        if motion[i] == "digital":
            where = "self-serve / product-led"
            if cust[i] > 0:
                fired.append("handoff_months")
        elif pod[i]:
            where = f"{pod[i]} pod"
            pod_why, pod_rules = _pod_sentence(vt.loc[(motion[i], pod[i])], motion[i], tested, pb)
            fired += pod_rules
            extra += " " + pod_why
        else:
            where = team[i]
        if motion[i] != "digital":
            more, text = _bookings_part(motion[i], need, i)
            fired += more
            extra += text
        items = seg_overlays[i]
        if items:
            more, text = _overlays_part(items)
            fired += more
            extra += text
        label = "digital" if motion[i] == "digital" else f"{motion[i]} {decided_detail[i]}"
        if moved[i]:
            fired += [
                "cost_of_sales_max",
                "loaded_cost_multiplier",
                f"ote_{motion[i]}",
                "handoff_months",
            ]
            extra += f" {moved[i].strip()} It is covered by {seg_team[i]}."
        reasons.append(
            f"{segment}: {mot.why[i]} and {design.roles.why[i]} → {label} ({where}).{extra}"
        )
        rules.append(", ".join(dict.fromkeys(fired)))
    return reasons, rules


def _bookings_part(motion: str, need: _Need, i: int) -> tuple[list[str], str]:
    """The rule ids and the sentence of a named-rep segment's bookings, capacity and floor."""
    fired = [
        f"quota_{motion}",
        "attainment",
        f"ramp_months_{motion}",
        "ramp_productivity",
        "attrition_annual",
        "time_to_fill_months",
        f"coverage_{motion}_max",
    ]
    capacity = (
        f"that is {need.reps_capacity[i]:.1f} reps of capacity, and "
        if np.isfinite(need.reps_capacity[i])
        else ""
    )
    text = (
        f" Bookings: {need.why[i]}; {capacity}"
        f"{need.named[i]:,.0f} named accounts need at least {need.reps_coverage[i]:.1f}."
    )
    return fired, text


def _overlays_part(items: list[dict]) -> tuple[list[str], str]:
    """The rule ids and the sentence of a segment's product overlay specialists."""
    fired = [
        "product_min_group_deals",
        "product_min_expected",
        "product_mix_effect_min",
        "significance_level",
        "product_overlay_lift_min",
        "product_overlay_share_max",
        "product_overlay_min_deals",
    ]
    parts = [
        f"{o['product']} ({_pct(o['share_in'])} of won deals in {o['group']} vs {_pct(o['share_else'])} elsewhere)"
        for o in items
    ]
    tests = "; ".join(
        dict.fromkeys(
            f"product mix differs across {o['many']}, Cramér's V {o['v']:.2f}" for o in items
        )
    )
    return fired, f" Overlay specialists: {', '.join(parts)} — {tests}."
