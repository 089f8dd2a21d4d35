"""From segment profiles to a team design: the steps wired together, and the teams table.

Every threshold comes from the :class:`~segmentation.playbook.Playbook`. :func:`plan_coverage` is a
pure, vectorised function of ``(profiles, playbook, products, accounts)``, so moving a slider in
the app re-plans without re-clustering. Each step (deal size and motion, roles, specialists,
headcount) writes its own sentence and rule ids where it decides; this module only joins them.
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
    SENSITIVITY_COLUMNS,
    motion_bookings_per_rep,
    named_accounts,
    segment_bookings,
    sensitivity,
    size_teams,
    team_sentence,
)
from segmentation.planner.hiring import HIRING_COLUMNS, hiring_plan
from segmentation.planner.motion import deal_sizes, motions
from segmentation.planner.roles import candidate_roles, resolve_roles
from segmentation.planner.specialists import (
    _DIMENSIONS_BY_LABEL,
    OVERLAY_COLUMNS,
    PRODUCT_MIX_COLUMNS,
    VERTICAL_TEST_COLUMNS,
    _pod_sentence,
    _product_overlays,
    _vertical_pods,
)
from segmentation.playbook import Playbook
from segmentation.profiles import PROFILE_COLUMNS

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
        One row per team: the columns of :data:`TEAM_COLUMNS`. ``headcount`` is the
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
        (:data:`~segmentation.planner.headcount.SENSITIVITY_COLUMNS`).
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
       (:func:`segmentation.planner.headcount.size_teams`); the recommendation never exceeds
       ``cost_of_sales_max``; where coverage asks for more, the coverage changes and the team's
       reason and ``coverage_change`` / ``transition`` say how.
    6. The hiring plan (from zero reps) and the sensitivity of the total to ±20% on deal size,
       attainment and quota.
    """
    missing = [c for c in PROFILE_COLUMNS if c not in profiles.columns]
    if missing:
        raise InputError(
            f"Segment profiles lack column(s) {', '.join(missing)}: run the segments step first."
        )
    _check_columns(products, ("segment", "product", "deals"), "products")
    _check_columns(accounts, ("segment",), "accounts")
    pb = playbook
    seg = profiles.reset_index(drop=True).copy()
    n = len(seg)
    if n == 0:
        return Plan(
            segments=seg.reindex(columns=[*seg.columns, *SEGMENT_EXTRA_COLUMNS]),
            teams=_empty(TEAM_COLUMNS),
        )

    n_accounts = _num(seg["accounts"])
    customers = _num(seg["customers"])

    # --- 1-2. deal size from evidence, then motion -----------------------------------------
    sizes = deal_sizes(seg, pb, accounts)
    mot = motions(seg, sizes, pb)
    motion = mot.motion

    # --- 3. bookings, and the reps they need -------------------------------------------------
    book, book_why, book_rules = segment_bookings(seg, motion, sizes.deal, pb, accounts)
    bookings = book["bookings"].to_numpy(dtype=float)
    per_rep = np.full(n, np.nan)
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

    # --- 4. roles and specialists ---------------------------------------------------------------
    cand = candidate_roles(seg, pb)
    vertical = seg["vertical"].astype("string").fillna("").to_numpy(dtype=object)
    segment_names = seg["segment"].astype("string").to_numpy(dtype=object)
    pod, vertical_tests = _vertical_pods(
        segment_names, motion, vertical, sizes.deal, n_accounts, cand_need, accounts, pb
    )
    roles = resolve_roles(motion, pod, cand, cand_need, seg, pb)
    role = roles.role
    team = np.array(
        [
            "Digital"
            if m == "digital"
            else " · ".join(filter(None, (MOTION_LABELS[m], ROLE_LABELS[r], p)))
            for m, r, p in zip(motion, role, pod)
        ],
        dtype=object,
    )

    seg["motion"] = motion
    seg["role"] = role
    seg["team"] = team
    seg["deal_size_basis"] = sizes.detail
    seg["deal_size_used"] = sizes.deal
    seg["deals_per_rep"] = mot.deals_per_rep
    seg["annual_potential"] = bookings
    seg["reps_workload"] = _workload(motion, role, n_accounts, pb)
    seg["reps_capacity"] = reps_capacity
    overlays, product_mix, seg_overlays = _product_overlays(seg, products, pb)
    seg["overlays"] = [
        "; ".join(dict.fromkeys(o["product"] for o in items)) for items in seg_overlays
    ]
    seg["deal_size_confidence"] = sizes.confidence
    for c in book.columns:
        seg[c] = book[c].to_numpy()
    seg["named_accounts"] = named
    seg["reps_coverage"] = reps_coverage
    seg["role_detail"] = np.where(
        motion == "digital",
        "self-serve",
        np.where(cand.winback & (role == "hunter"), "win-back hunter", role),
    )

    # --- 5. teams: sized, costed, and any coverage change said -----------------------------------
    teams = _teams(seg, overlays, pb)
    hand = dict(zip(teams["team"], teams["transition"]))
    decided_detail = (
        seg["role_detail"].to_numpy(dtype=object).copy()
    )  # the sentence quotes the decision
    moved = _pool_unaffordable_teams(seg, teams, overlays, pb)
    seg["pooled_from"] = np.where(moved != "", team, "")
    if moved.any():
        teams = _teams(seg, overlays, pb)
        hand.update(zip(teams["team"], teams["transition"]))
    cust = np.nan_to_num(customers)
    seg["transition"] = [
        (
            f"{cust[i]:,.0f} customers move to digital (self-serve): their current owners hand them over within "
            f"{pb.value('handoff_months'):g} months, each with a named hand-over."
            if motion[i] == "digital" and cust[i] > 0
            else moved[i].strip() or hand.get(seg["team"].iat[i], "")
        )
        for i in range(n)
    ]

    # --- the sentence per segment: each part was written where its decision was made -------------
    tested = _has_deal_sizes(accounts)
    vt = vertical_tests.set_index(["motion", "vertical"]) if len(vertical_tests) else None
    reasons, rules = [], []
    for i, row in enumerate(seg.itertuples(index=False)):
        fired = [*mot.rules[i], *roles.rules[i], *book_rules[i]]
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
            fired += [
                f"quota_{motion[i]}",
                "attainment",
                f"ramp_months_{motion[i]}",
                "ramp_productivity",
                "attrition_annual",
                "time_to_fill_months",
                f"coverage_{motion[i]}_max",
            ]
            capacity = (
                f"that is {reps_capacity[i]:.1f} reps of capacity, and "
                if np.isfinite(reps_capacity[i])
                else ""
            )
            extra += (
                f" Bookings: {book_why[i]}; {capacity}"
                f"{named[i]:,.0f} named accounts need at least {reps_coverage[i]:.1f}."
            )
        items = seg_overlays[i]
        if items:
            fired += [
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
                    f"product mix differs across {o['many']}, Cramér's V {o['v']:.2f}"
                    for o in items
                )
            )
            extra += f" Overlay specialists: {', '.join(parts)} — {tests}."
        label = "digital" if motion[i] == "digital" else f"{motion[i]} {decided_detail[i]}"
        if moved[i]:
            fired += [
                "cost_of_sales_max",
                "loaded_cost_multiplier",
                f"ote_{motion[i]}",
                "handoff_months",
            ]
            extra += f" {moved[i].strip()} It is covered by {seg['team'].iat[i]}."
        reasons.append(
            f"{row.segment}: {mot.why[i]} and {roles.why[i]} → {label} ({where}).{extra}"
        )
        rules.append(", ".join(dict.fromkeys(fired)))
    seg["reason"], seg["rules"] = reasons, rules
    seg["sources"] = [_sources(r, pb) for r in seg["rules"]]
    seg = seg[[*profiles.columns, *SEGMENT_EXTRA_COLUMNS]]

    # --- 6. hiring plan and sensitivity --------------------------------------------------------------
    return Plan(
        segments=seg,
        teams=teams,
        overlays=overlays,
        product_mix=product_mix,
        vertical_tests=vertical_tests,
        hiring=hiring_plan(teams, pb),
        sensitivity=sensitivity(teams, pb),
    )


def assign_accounts(accounts: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Give every account its team, motion, role and the reason, by its segment.

    Parameters
    ----------
    accounts : pandas.DataFrame
        Per-account frame with a ``segment`` column.
    plan : Plan
        Result of :func:`plan_coverage`.

    Returns
    -------
    pandas.DataFrame
        Same index and order as ``accounts``; columns ``team, motion, role, reason``, each a
        :class:`pandas.Categorical` whose categories are the values some account has, sorted (so
        sorting and sorted group-bys order them as text would). Accounts whose segment is not in
        the plan get missing values and a reason that says so.

    Raises
    ------
    InputError
        If ``accounts`` has no ``segment`` column.

    Notes
    -----
    A million accounts hold a few dozen segments: the per-account columns are integer codes into
    the plan's few distinct values, not a million copies of each reason (~220 MB as text).
    :func:`segmentation.export.to_csv_bytes` writes them without ever expanding them.
    """
    if "segment" not in accounts.columns:
        raise InputError("Accounts lack a 'segment' column: run the segments step first.")
    cols = ["team", "motion", "role", "reason"]
    lookup = plan.segments[["segment", *cols]].drop_duplicates("segment").reset_index(drop=True)
    # Factorise first (missing labels kept as a value of their own, so they match as before):
    # then match the few distinct segments to the plan and take by integer code.
    seg_codes, uniques = pd.factorize(accounts["segment"], use_na_sentinel=False)
    found = pd.Index(lookup["segment"].astype("string")).get_indexer(
        pd.Index(uniques, dtype=object).astype("string")
    )
    pos = (
        np.append(found, -1)[seg_codes]
        if len(found)
        else np.full(len(accounts), -1, dtype=np.int64)
    )
    missing = pos < 0
    used = np.zeros(len(lookup) + 1, dtype=bool)
    used[found[found >= 0]] = True
    out = pd.DataFrame(index=accounts.index)
    for c in cols:
        values = lookup[c].astype("string")
        notes = [_NOT_IN_PLAN] if c == "reason" and missing.any() else []
        categories = pd.Index(
            sorted({*values[used[:-1] & values.notna().to_numpy()], *notes}), dtype="str"
        )
        # Code per plan row, -1 (missing) for the sentinel row that unmatched accounts point at.
        table = np.append(categories.get_indexer(values), -1)
        if notes:
            table[-1] = categories.get_loc(_NOT_IN_PLAN)
        table = table.astype(np.int8 if len(categories) < 127 else np.int32)
        codes = table[pos] if len(pos) else np.zeros(0, dtype=table.dtype)
        out[c] = pd.Categorical.from_codes(
            codes, dtype=pd.CategoricalDtype(categories), validate=False
        )
    return out[cols]


_NOT_IN_PLAN = "Not in the plan: this account has no segment the planner saw."


def _workload(
    motion: np.ndarray, role: np.ndarray, n_accounts: np.ndarray, pb: Playbook
) -> np.ndarray:
    """Touches × hours ÷ selling hours: shown for reference, never the recommendation (no upper bound)."""
    hours = np.zeros(len(motion))
    for m in ("inside", "field"):
        for r in ("hunter", "farmer", "generalist"):
            sel = (motion == m) & (role == r)
            hours[sel] = pb.value(f"touches_{m}_{r}") * pb.value(f"hours_per_touch_{m}")
    return np.nan_to_num(n_accounts) * hours / pb.value("selling_hours_per_rep")


def _basis_mix(basis: pd.Series, weights: pd.Series) -> str:
    """The deal-size bases of a team's segments, by share of accounts ("won deals 80% · ...")."""
    short = basis.astype("string").str.replace(r" \(.*\)$", "", regex=True)
    share = weights.groupby(short.to_numpy(), sort=False).sum()
    share = share / share.sum() if share.sum() > 0 else share
    share = share.sort_values(ascending=False, kind="stable")
    if len(share) == 1:
        return str(share.index[0])
    return " · ".join(f"{b} {s:.0%}" for b, s in share.items())


def _teams(seg: pd.DataFrame, overlays: pd.DataFrame, pb: Playbook) -> pd.DataFrame:
    g = seg.groupby("team", sort=False)
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
    vert_first = g["vertical"].first().astype("string").reindex(teams["team"]).to_numpy()
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
    sized = size_teams(teams, pb)
    for c in sized.columns:
        teams[c] = sized[c].to_numpy()
    teams["headcount"] = teams["headcount"].astype(int)
    teams["gap"] = teams["headcount_capacity"] - teams["headcount_workload"]
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
    teams["specialization"] = spec
    v_by_dim = (
        dict(zip(overlays["product"] + "|" + overlays["dimension"], overlays["cramers_v"]))
        if len(overlays)
        else {}
    )
    dims_of = overlays.groupby("product")["dimension"].agg(list).to_dict() if len(overlays) else {}
    names = set(teams["team"])
    reasons, changes, transitions = [], [], []
    for t in teams.itertuples(index=False):
        r, c, tr = _team_reason(t, pb, dims_of, v_by_dim, _pooled_into(t, names))
        reasons.append(r)
        changes.append(c)
        transitions.append(tr)
    teams["reason"], teams["coverage_change"], teams["transition"] = reasons, changes, transitions
    return teams[list(TEAM_COLUMNS)]


def _pooled_into(t, names: set | None = None) -> str:
    """Where accounts beyond a team's reach go: field → the inside team of the same role, inside → digital."""
    if t.motion == "field":
        return f"{MOTION_LABELS['inside']} · {ROLE_LABELS[t.role]}"
    return "Digital"


def _pool_unaffordable_teams(
    seg: pd.DataFrame, teams: pd.DataFrame, overlays: pd.DataFrame, pb: Playbook
) -> np.ndarray:
    """Move the segments of teams whose bookings pay for no rep into the cheaper motion, in place.

    A field team that cannot afford one rep is pooled into the inside team of its role, an inside
    team into digital; a pooled team that still cannot afford a rep moves on (two hops at most).
    Returns, per segment, the sentences that say what changed and who hands the accounts over.
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
            target = _pooled_into(t)
            sel = (seg["team"] == t.team).to_numpy()
            if target == "Digital":
                sel = sel & ~large
                if not sel.any():
                    continue
            moved[sel] = moved[sel] + f" {t.coverage_change} {t.transition}"
            if target == "Digital":
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
            else:
                seg.loc[sel, ["motion", "team"]] = ["inside", target]
                named = seg.loc[sel, "customers"].astype(float).fillna(0.0)
                seg.loc[sel, "named_accounts"] = named
                seg.loc[sel, "reps_coverage"] = named / pb.value("coverage_inside_max")
                seg.loc[sel, "reps_capacity"] = (
                    seg.loc[sel, "bookings"].astype(float) / per_rep["inside"]
                )
                seg.loc[sel, "reps_workload"] = _workload(
                    np.full(int(sel.sum()), "inside"),
                    seg.loc[sel, "role"].to_numpy(dtype=object),
                    _num(seg.loc[sel, "accounts"]),
                    pb,
                )
        teams = _teams(seg, overlays, pb)
    return moved


def _team_reason(
    t, pb: Playbook, dims_of: dict, v_by_dim: dict, pooled_into: str
) -> tuple[str, str, str]:
    if t.motion == "digital":
        return (
            f"{t.team}: {t.segments} segment(s), {t.accounts:,} accounts with deals too small to pay for a "
            f"named rep — 0 reps; serve them self-serve / product-led (marketing, in-app, pooled support).",
            "",
            "",
        )
    parts = [f"{t.team}: {t.segments} segment(s), {t.accounts:,} accounts ({t.specialization})."]
    sentence, change, transition, _ = team_sentence(t, pb, pooled_into)
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
        products = t.overlays.split("; ")
        evidence = "; ".join(
            dict.fromkeys(
                f"product mix differs across {_DIMENSIONS_BY_LABEL[d]}, Cramér's V {v_by_dim[p + '|' + d]:.2f}"
                for p in products
                for d in dims_of.get(p, [])
            )
        )
        parts.append(
            f"Product overlay specialists work alongside this team for {', '.join(products)} ({evidence}): "
            f"size them from those products' deals, not from this team's headcount."
        )
    return " ".join(parts), change, transition
