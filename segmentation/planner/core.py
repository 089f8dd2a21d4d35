"""From segment profiles to a team design: motion, role, teams and headcount, with reasons.

Every threshold comes from the :class:`~segmentation.playbook.Playbook`. :func:`plan_coverage` is a
pure, vectorised function of ``(profiles, playbook, products, accounts)``, so moving a slider in
the app re-plans without re-clustering. Each recommendation carries the sentence a VP reads
(``reason``), the rule ids that fired (``rules``) and their sources (``sources``).

Specialists are recommended only where a difference is beyond noise: a vertical pod needs deal
sizes (Mann-Whitney U) or win rates (two-proportion z-test) that differ from the rest of its
motion, and product overlay specialists need a product mix that differs across customer types or
verticals (chi-square with Cramer's V and Cohen's w), each with minimum counts and a Bonferroni
correction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segmentation.clustering import format_money
from segmentation.errors import InputError
from segmentation.fields import MOTION_LABELS, ROLE_LABELS, ROLES
from segmentation.playbook import Playbook
from segmentation.profiles import PROFILE_COLUMNS
from segmentation.planner._common import (
    _check_columns, _empty, _has_deal_sizes, _money_text, _num, _pct, _pval, _records, _sources,
)
from segmentation.planner.roles import _resolve_roles
from segmentation.planner.specialists import (
    _DIMENSIONS, _DIMENSIONS_BY_LABEL, OVERLAY_COLUMNS, PRODUCT_MIX_COLUMNS, VERTICAL_TEST_COLUMNS,
    _pod_sentence, _product_overlays, _vertical_pods,
)

TEAM_COLUMNS: tuple[str, ...] = (
    "team", "motion", "role", "specialization", "overlays", "segments", "accounts",
    "headcount_workload", "headcount_capacity", "headcount", "gap", "reason",
)
PRODUCT_COLUMNS: tuple[str, ...] = ("segment", "product", "won_revenue", "deals")
"""The ``products`` input of :func:`plan_coverage`: won revenue and won deals per segment and product."""
BASIS_DEAL = "deal size field"
BASIS_REVENUE = "revenue proxy"
BASIS_TIER = "employee tier (Gartner)"
BASIS_NONE = "no size data"




@dataclass
class Plan:
    """A coverage plan.

    Attributes
    ----------
    segments : pandas.DataFrame
        The profiles plus ``motion, role, team, deal_size_basis, deal_size_used, deals_per_rep,
        annual_potential, reps_workload, reps_capacity, overlays, reason, rules, sources``.
    teams : pandas.DataFrame
        One row per team: the columns of :data:`TEAM_COLUMNS`; ``overlays`` names the product
        lines whose overlay specialists work alongside the team ("" when none).
    overlays : pandas.DataFrame
        One row per product line and dimension that gets overlay specialists
        (:data:`OVERLAY_COLUMNS`); empty without product data or when the mix does not differ.
    product_mix : pandas.DataFrame
        The product-mix test per dimension (customer type, vertical), fired or not, with the
        measured Cramer's V (:data:`PRODUCT_MIX_COLUMNS`); empty without product data.
    vertical_tests : pandas.DataFrame
        Per motion and vertical, the deal-size and win-rate comparisons with the rest of the
        motion that decide vertical pods (:data:`VERTICAL_TEST_COLUMNS`).
    """

    segments: pd.DataFrame
    teams: pd.DataFrame
    overlays: pd.DataFrame = field(default_factory=lambda: _empty(OVERLAY_COLUMNS))
    product_mix: pd.DataFrame = field(default_factory=lambda: _empty(PRODUCT_MIX_COLUMNS))
    vertical_tests: pd.DataFrame = field(default_factory=lambda: _empty(VERTICAL_TEST_COLUMNS))

    def to_dict(self) -> dict:
        """Return the plan as JSON-ready plain data (NaN becomes ``None``).

        Returns
        -------
        dict
            ``{"segments", "teams", "overlays", "product_mix", "vertical_tests": [...],
            "total_headcount": int}``.
        """
        return {
            "segments": _records(self.segments),
            "teams": _records(self.teams),
            "overlays": _records(self.overlays),
            "product_mix": _records(self.product_mix),
            "vertical_tests": _records(self.vertical_tests),
            "total_headcount": int(self.teams["headcount"].sum()) if len(self.teams) else 0,
        }


def segment_products(product_revenue: pd.DataFrame | None, segment: pd.Series) -> pd.DataFrame | None:
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
        One row per account with ``segment`` and ``deal_size``, and optionally ``won_deals`` and
        ``lost_deals``: what the vertical-pod tests compare. Without it a pod needs only the
        deal-size ratio, and its reason says the difference was not tested against noise.

    Returns
    -------
    Plan

    Raises
    ------
    InputError
        If profile columns are missing, or ``products`` / ``accounts`` lack their columns.

    Notes
    -----
    Motion comes from the median deal size when at least ``deal_size_min_coverage`` of the segment
    has one, else from a revenue proxy, else from Gartner's employee tiers; large companies near the
    field line move up to field; an inside segment whose reps would need more than
    ``inside_deals_per_rep_max`` deals a year goes digital. Roles follow customer and prospect
    shares, but hunters and farmers are split only when both sides of a team exceed
    ``generalist_team_max`` reps; a team that cannot split becomes generalists only when the
    smaller side is at least ``generalist_min_other_share`` of its accounts, otherwise its main
    role covers the sliver (and a small remainder of mixed segments joins the main role too).
    Headcount is computed two ways (workload and capacity); the recommendation is the larger,
    rounded up, and the reasons quote the final team's figures.

    A vertical gets its own pod within a motion when its workload needs ``pod_min_reps`` and its
    accounts differ from the rest of the motion beyond noise: typical deal size apart by
    ``pod_deal_size_ratio_min`` with a Mann-Whitney U test on the accounts' deal sizes, or win rate
    apart by ``pod_win_rate_diff_min`` with a two-proportion z-test, each Bonferroni-corrected
    over the verticals of the motion and at ``significance_level``.

    Product lines get overlay specialists when the won-deal product mix differs across customer
    types or verticals (chi-square; bias-corrected Cramer's V times sqrt(min(groups, products) - 1),
    Cohen's w, at least ``product_mix_effect_min``) and the product concentrates in some of them:
    the groups where it sells significantly above expectation (adjusted residuals, Bonferroni)
    hold a share of its deals at least ``product_overlay_lift_min`` times its share elsewhere,
    with at least ``product_overlay_min_deals`` won deals, yet below
    ``product_overlay_share_max`` of their deals (a product that is most of a group's deals is
    that team's core offer). The overlay serves the named-rep teams of those segments.
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
        return Plan(segments=_empty_segments(seg), teams=_empty(TEAM_COLUMNS))

    n_accounts = _num(seg["accounts"])
    safe_acc = np.where(n_accounts > 0, n_accounts, np.nan)
    customers, prospects, former = _num(seg["customers"]), _num(seg["prospects"]), _num(seg["former"])
    cust_share = _num(seg["customer_share"])
    cust_share = np.where(np.isnan(cust_share), customers / safe_acc, cust_share)
    prospect_share = prospects / safe_acc
    employees = _num(seg["median_employees"])
    revenue = _num(seg["median_revenue"])
    median_deal = _num(seg["median_deal_size"])
    known_share = _num(seg["deal_size_known"]) / safe_acc

    # --- deal size basis: the field when most of the segment has it, else a revenue proxy -------
    has_deal = (known_share >= pb.value("deal_size_min_coverage")) & (median_deal > 0)
    has_rev = ~has_deal & (revenue > 0)
    has_emp = ~has_deal & ~has_rev & (employees >= 0)
    deal = np.where(has_deal, median_deal, np.where(has_rev, revenue * pb.value("proxy_deal_share_of_revenue"), np.nan))
    basis = np.select([has_deal, has_rev, has_emp], [BASIS_DEAL, BASIS_REVENUE, BASIS_TIER], BASIS_NONE)

    # --- motion ------------------------------------------------------------------------------
    conservative = pb.value("use_conservative_field_line") >= 0.5
    field_id = "motion_field_conservative" if conservative else "motion_field_min"
    field_line = pb.value(field_id)
    digital_max = pb.value("motion_digital_max")
    by_deal = np.select([deal < digital_max, deal < field_line], ["digital", "inside"], "field")
    by_tier = np.where(employees >= pb.value("tier_large_min_employees"), "field", "inside")
    motion = np.where(has_deal | has_rev, by_deal, np.where(has_emp, by_tier, "inside"))
    base_motion = motion.copy()

    # Large buying committees favour field even for mid-size deals, but only near the line.
    large = (
        (motion == "inside")
        & (employees >= pb.value("large_company_employees"))
        & (deal >= field_line * pb.value("large_company_near_line"))
    )
    motion = np.where(large, "field", motion)

    quota = np.select([motion == "field", motion == "inside"], [pb.value("quota_field"), pb.value("quota_inside")], np.nan)
    deals_needed = quota / np.where(deal > 0, deal, np.nan)
    too_many_inside = (motion == "inside") & (deals_needed > pb.value("inside_deals_per_rep_max"))
    motion = np.where(too_many_inside, "digital", motion)
    field_unaffordable = (motion == "field") & (deals_needed > pb.value("field_deals_per_rep_max"))
    quota = np.select([motion == "field", motion == "inside"], [pb.value("quota_field"), pb.value("quota_inside")], np.nan)
    deals_needed = np.where(motion == "digital", np.nan, quota / np.where(deal > 0, deal, np.nan))

    # --- candidate role from status mix --------------------------------------------------------
    is_farmer = cust_share >= pb.value("farmer_customer_share_min")
    is_hunter = ~is_farmer & (prospect_share >= pb.value("hunter_prospect_share_min"))
    cand = np.select([is_farmer, is_hunter], ["farmer", "hunter"], "generalist")

    # --- headcount two ways --------------------------------------------------------------------
    potential = deal * (
        customers * pb.value("potential_customer_rate")
        + prospects * pb.value("potential_prospect_rate")
        + former * pb.value("potential_former_rate")
    )
    per_rep = _per_rep_productivity(motion, pb)

    def workload(roles: np.ndarray) -> np.ndarray:
        hours = np.zeros(n)
        for m in ("inside", "field"):
            for r in ROLES:
                sel = (motion == m) & (roles == r)
                hours[sel] = pb.value(f"touches_{m}_{r}") * pb.value(f"hours_per_touch_{m}")
        return np.nan_to_num(n_accounts) * hours / pb.value("selling_hours_per_rep")

    reps_capacity = np.where(motion == "digital", 0.0, potential / per_rep)
    cand_need = np.fmax(workload(cand), np.nan_to_num(reps_capacity))

    # --- vertical pods within a motion, only where the vertical differs beyond noise ----------
    vertical = seg["vertical"].astype("string").fillna("").to_numpy(dtype=object)
    segment_names = seg["segment"].astype("string").to_numpy(dtype=object)
    pod, vertical_tests = _vertical_pods(segment_names, motion, vertical, deal, n_accounts, cand_need, accounts, pb)

    # --- roles: split hunters and farmers only when both sides are a full team ---------------
    role, kind, side_size, side_name = _resolve_roles(
        motion, pod, cand, cand_need, customers, prospects, n_accounts, pb
    )
    reps_workload = workload(role)
    # The reasons quote the team the segment ends up in, with its final roles: the same figure
    # the teams table shows (max of summed workload and summed capacity), not the candidate's.
    group = pd.DataFrame(
        {"m": motion, "p": pod, "wl": reps_workload, "cap": np.nan_to_num(reps_capacity),
         "c": np.nan_to_num(customers), "q": np.nan_to_num(prospects), "n": np.nan_to_num(n_accounts)}
    )
    sums = group.groupby(["m", "p"], sort=False)[["wl", "cap", "c", "q", "n"]].transform("sum")
    team_need = np.fmax(sums["wl"].to_numpy(), sums["cap"].to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        # Share of the team's accounts that are the folded-in side's kind of work.
        other_share = np.where(side_name == "farmer", sums["c"], sums["q"]) / sums["n"].to_numpy()

    team = np.array(
        [
            "Digital" if m == "digital" else " · ".join(filter(None, (MOTION_LABELS[m], ROLE_LABELS[r], p)))
            for m, r, p in zip(motion, role, pod)
        ],
        dtype=object,
    )

    seg["motion"] = motion
    seg["role"] = role
    seg["team"] = team
    seg["deal_size_basis"] = basis
    seg["deal_size_used"] = deal
    seg["deals_per_rep"] = deals_needed
    seg["annual_potential"] = potential
    seg["reps_workload"] = reps_workload
    seg["reps_capacity"] = reps_capacity

    # --- product overlay specialists, only where the product mix differs beyond noise ---------
    overlays, product_mix, seg_overlays = _product_overlays(seg, products, pb)
    seg["overlays"] = ["; ".join(dict.fromkeys(o["product"] for o in items)) for items in seg_overlays]

    ctx = {
        "field_id": field_id, "field_line": field_line, "digital_max": digital_max, "base_motion": base_motion,
        "large": large, "too_many_inside": too_many_inside, "field_unaffordable": field_unaffordable,
        "cust_share": cust_share, "prospect_share": prospect_share, "cand": cand, "kind": kind,
        "side_size": side_size, "side_name": side_name, "team_need": team_need, "other_share": other_share,
        "pod": pod, "seg_overlays": seg_overlays, "tested": _has_deal_sizes(accounts),
        "vertical_tests": vertical_tests.set_index(["motion", "vertical"]) if len(vertical_tests) else None,
    }
    seg["reason"], seg["rules"] = _segment_reasons(seg, ctx, pb)
    seg["sources"] = [_sources(r, pb) for r in seg["rules"]]
    teams = _teams(seg, overlays, product_mix, pb)
    return Plan(
        segments=seg, teams=teams, overlays=overlays, product_mix=product_mix, vertical_tests=vertical_tests
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
    pos = np.append(found, -1)[seg_codes] if len(found) else np.full(len(accounts), -1, dtype=np.int64)
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
        out[c] = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories), validate=False)
    return out[cols]


_NOT_IN_PLAN = "Not in the plan: this account has no segment the planner saw."


# --------------------------------------------------------------------------------------------
def _per_rep_productivity(motion: np.ndarray, pb: Playbook) -> np.ndarray:
    """Bookings one rep delivers a year: quota x attainment, discounted for the ramping share.

    A ramping rep produces ``ramp_productivity`` for ``ramp_months`` then full quota, so over a
    year they lose ``months x (1 - productivity) / 12`` of a quota (metrickittools, Pedowitz).
    """
    out = np.full(len(motion), np.nan)
    for m in ("inside", "field"):
        months = min(pb.value(f"ramp_months_{m}"), 12.0)
        loss = pb.value("ramping_share") * months * (1 - min(pb.value("ramp_productivity"), 1.0)) / 12
        out[motion == m] = pb.value(f"quota_{m}") * pb.value("attainment") * max(1 - loss, 1e-9)
    return out

def _segment_reasons(seg: pd.DataFrame, c: dict, pb: Playbook):
    reasons, rules = [], []
    fl, dl = _money_text(c["field_line"]), _money_text(c["digital_max"])
    gmax = pb.value("generalist_team_max")
    for i, row in enumerate(seg.itertuples(index=False)):
        fired: list[str] = []
        deal, basis = row.deal_size_used, row.deal_size_basis
        if basis == BASIS_DEAL:
            fired += ["deal_size_min_coverage"]
            what = f"median deal {_money_text(deal)}"
        elif basis == BASIS_REVENUE:
            fired += ["deal_size_min_coverage", "proxy_deal_share_of_revenue"]
            what = (
                f"deal size is unknown for most accounts, so a revenue proxy "
                f"({pb.value('proxy_deal_share_of_revenue'):.2%} of median revenue {_money_text(row.median_revenue)}) "
                f"gives ~{_money_text(deal)}, which"
            )
        if basis in (BASIS_DEAL, BASIS_REVENUE):
            base = c["base_motion"][i]
            if base == "digital":
                fired.append("motion_digital_max")
                m_why = f"{what} is below the {dl} digital line"
            elif base == "inside":
                fired += ["motion_digital_max", c["field_id"]]
                m_why = f"{what} is between the {dl} digital line and the {fl} field line"
            else:
                fired.append(c["field_id"])
                m_why = f"{what} is above the {fl} field line"
        elif basis == BASIS_TIER:
            fired += ["deal_size_min_coverage", "tier_large_min_employees"]
            tier = "a large enterprise" if c["base_motion"][i] == "field" else "below Gartner's large-enterprise tier"
            m_why = f"no deal size or revenue is known; median {row.median_employees:,.0f} employees is {tier}"
        else:
            m_why = "no deal size, revenue or employee data is known, so inside by default"
        if c["large"][i]:
            fired += ["large_company_employees", "large_company_near_line"]
            m_why += (
                f", but a median of {row.median_employees:,.0f} employees means a large buying committee, "
                f"so it moves up to field"
            )
        if c["too_many_inside"][i]:
            fired.append("inside_deals_per_rep_max")
            need = pb.value("quota_inside") / deal
            m_why += f", but an inside rep would need ~{need:,.0f} deals a year, so it goes digital"
        if c["field_unaffordable"][i]:
            fired.append("field_deals_per_rep_max")
            m_why += f" (a field rep would need ~{row.deals_per_rep:,.0f} deals a year: check the field quota or this deal size)"

        kind, role, motion, cand = c["kind"][i], row.role, row.motion, c["cand"][i]
        cs, ps = c["cust_share"][i], c["prospect_share"][i]
        fs = row.former / row.accounts if row.accounts else float("nan")
        mix = f"neither customers ({_pct(cs)}) nor prospects ({_pct(ps)}) dominate"
        if fs >= 0.5:
            mix += f" ({_pct(fs)} are former customers)"
        need = c["team_need"][i]
        if motion == "digital":
            r_why = "no named rep is needed"
        elif kind == "merged" and cand != "generalist" and need <= gmax:
            fired += ["generalist_team_max", "generalist_min_other_share"]
            r_why = (
                f"the team needs only {need:.1f} reps (≤ {gmax:g}), "
                f"so one generalist team covers new and existing business"
            )
        elif kind == "merged" and cand != "generalist":
            fired += ["generalist_team_max", "generalist_min_other_share"]
            r_why = (
                f"the {c['side_name'][i]} side would be only {c['side_size'][i]:.1f} reps (≤ {gmax:g}), "
                f"too few to split hunters from farmers, yet {_pct(c['other_share'][i])} of the accounts, so one "
                f"generalist team of {need:.1f} reps"
            )
        elif kind == "absorbed" and c["side_name"][i] == "generalist":
            fired += ["farmer_customer_share_min", "hunter_prospect_share_min", "generalist_team_max"]
            r_why = (
                f"{mix}, and a generalist team for such segments would be only "
                f"{c['side_size'][i]:.1f} reps (≤ {gmax:g}), so the {role}s cover it"
            )
        elif kind == "absorbed":
            fired += ["generalist_team_max", "generalist_min_other_share"]
            r_why = (
                f"the {c['side_name'][i]} side of this team would be only {c['side_size'][i]:.1f} reps "
                f"(≤ {gmax:g}) and {_pct(c['other_share'][i])} of its accounts, too little for a team or for "
                f"generalists, so the {role}s ({need:.1f} reps) cover it"
            )
        elif role == "farmer":
            fired.append("farmer_customer_share_min")
            r_why = f"{_pct(cs)} are customers"
        elif role == "hunter":
            fired.append("hunter_prospect_share_min")
            r_why = f"{_pct(ps)} are untapped prospects (only {_pct(cs)} customers)"
        else:
            fired += ["farmer_customer_share_min", "hunter_prospect_share_min"]
            r_why = mix

        pod = c["pod"][i]
        extra = ""
        if motion == "digital":
            where = "self-serve / product-led"
        elif pod:
            where = f"{pod} pod"
            pod_why, pod_rules = _pod_sentence(c["vertical_tests"].loc[(motion, pod)], motion, c["tested"], pb)
            fired += pod_rules
            extra += " " + pod_why
        else:
            where = row.team
        if motion != "digital":
            fired += [
                f"touches_{motion}_{role}", f"hours_per_touch_{motion}", "selling_hours_per_rep",
                f"quota_{motion}", "attainment", f"ramp_months_{motion}", "ramp_productivity", "ramping_share",
                "potential_customer_rate", "potential_prospect_rate", "potential_former_rate",
            ]
        items = c["seg_overlays"][i]
        if items:
            fired += [
                "product_min_group_deals", "product_min_expected", "product_mix_effect_min",
                "significance_level", "product_overlay_lift_min", "product_overlay_share_max",
                "product_overlay_min_deals",
            ]
            parts = [
                f"{o['product']} ({_pct(o['share_in'])} of won deals in {o['group']} vs {_pct(o['share_else'])} elsewhere)"
                for o in items
            ]
            tests = "; ".join(
                dict.fromkeys(f"product mix differs across {o['many']}, Cramér's V {o['v']:.2f}" for o in items)
            )
            extra += f" Overlay specialists: {', '.join(parts)} — {tests}."
        label = motion if motion == "digital" else f"{motion} {role}"
        reasons.append(f"{row.segment}: {m_why} and {r_why} → {label} ({where}).{extra}")
        rules.append(", ".join(dict.fromkeys(fired)))
    return reasons, rules


def _teams(seg: pd.DataFrame, overlays: pd.DataFrame, product_mix: pd.DataFrame, pb: Playbook) -> pd.DataFrame:
    g = seg.groupby("team", sort=False)
    teams = g.agg(
        motion=("motion", "first"),
        role=("role", "first"),
        segments=("segment", "size"),
        accounts=("accounts", "sum"),
        headcount_workload=("reps_workload", "sum"),
        headcount_capacity=("reps_capacity", lambda s: s.sum(min_count=1)),
        pod=("vertical", lambda s: s.astype("string").nunique()),
        overlays=("overlays", lambda s: "; ".join(dict.fromkeys(p for x in s if x for p in x.split("; ")))),
    ).reset_index()
    vert_first = g["vertical"].first().astype("string").reindex(teams["team"]).to_numpy()
    teams["accounts"] = teams["accounts"].astype(int)
    wl = teams["headcount_workload"].to_numpy(dtype=float)
    cap = teams["headcount_capacity"].to_numpy(dtype=float)
    need = np.fmax(wl, np.nan_to_num(cap))
    # Round before ceil so 5.0000000001 from float sums does not become 6 reps.
    hc = np.ceil(np.round(need, 6)).astype(int)
    digital = teams["motion"].to_numpy() == "digital"
    hc = np.where(digital, hc, np.maximum(hc, 1))
    teams["headcount"] = hc
    teams["gap"] = cap - wl
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
        dict(zip(overlays["product"] + "|" + overlays["dimension"], overlays["cramers_v"])) if len(overlays) else {}
    )
    dims_of = overlays.groupby("product")["dimension"].agg(list).to_dict() if len(overlays) else {}
    teams["reason"] = [_team_reason(r, pb, dims_of, v_by_dim) for r in teams.itertuples(index=False)]
    return teams[list(TEAM_COLUMNS)]


def _team_reason(t, pb: Playbook, dims_of: dict, v_by_dim: dict) -> str:
    if t.motion == "digital":
        return (
            f"{t.team}: {t.segments} segment(s), {t.accounts:,} accounts with deals too small to pay for a "
            f"named rep — 0 reps; serve them self-serve / product-led (marketing, in-app, pooled support)."
        )
    wl, cap, hc = t.headcount_workload, t.headcount_capacity, t.headcount
    parts = [f"{t.team}: {t.segments} segment(s), {t.accounts:,} accounts ({t.specialization})."]
    parts.append(
        f"Workload says {wl:.1f} reps (touches × hours ÷ {pb.value('selling_hours_per_rep'):,.0f} selling hours)"
    )
    if np.isfinite(cap):
        parts[-1] += f", capacity says {cap:.1f} (annual potential ÷ quota × attainment, with ramp)."
        if hc > 0 and max(wl, cap) > 0:
            driver = "workload: the book needs more time than its bookings pay for" if wl >= cap else (
                "capacity: there is more bookings potential than one team's touches need"
            )
            parts.append(f"Recommend {hc}, sized by {driver}.")
    else:
        parts[-1] += "; capacity unknown (no deal size or revenue)."
        parts.append(f"Recommend {hc}, sized by workload.")
    per_rep = t.accounts / hc if hc else float("nan")
    lo, hi = pb.value(f"coverage_{t.motion}_min"), pb.value(f"coverage_{t.motion}_max")
    if np.isfinite(per_rep):
        band = f"the {lo:g}–{hi:g} {t.motion} band"
        if per_rep > hi:
            parts.append(f"That is {per_rep:,.0f} accounts per rep, above {band}: consider tiering the long tail.")
        elif per_rep < lo and t.accounts >= lo:
            parts.append(f"That is {per_rep:,.0f} accounts per rep, below {band}: large, named books.")
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
    return " ".join(parts)




def _empty_segments(seg: pd.DataFrame) -> pd.DataFrame:
    extra = [
        "motion", "role", "team", "deal_size_basis", "deal_size_used", "deals_per_rep", "annual_potential",
        "reps_workload", "reps_capacity", "overlays", "reason", "rules", "sources",
    ]
    return seg.reindex(columns=[*seg.columns, *extra])

