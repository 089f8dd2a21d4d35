"""From segment profiles to a team design: motion, role, teams and headcount, with reasons.

Every threshold comes from the :class:`~segmentation.playbook.Playbook`. :func:`plan_coverage` is a
pure, vectorised function of ``(profiles, playbook)``, so moving a slider in the app re-plans
without re-clustering. Each recommendation carries the sentence a VP reads (``reason``), the rule
ids that fired (``rules``) and their sources (``sources``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.errors import InputError
from segmentation.playbook import Playbook

PROFILE_COLUMNS: tuple[str, ...] = (
    "segment", "vertical", "customer_type", "accounts", "customers", "prospects", "former",
    "partners", "other_status", "customer_share", "median_employees", "median_revenue",
    "median_deal_size", "deal_size_known", "total_revenue", "total_deal_value",
)
MOTIONS: tuple[str, ...] = ("digital", "inside", "field")
ROLES: tuple[str, ...] = ("hunter", "farmer", "generalist")
_MOTION_LABEL = {"digital": "Digital", "inside": "Inside", "field": "Field"}
_ROLE_PLURAL = {"hunter": "Hunters", "farmer": "Farmers", "generalist": "Generalists"}
TEAM_COLUMNS: tuple[str, ...] = (
    "team", "motion", "role", "specialization", "segments", "accounts", "headcount_workload",
    "headcount_capacity", "headcount", "gap", "reason",
)

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
        annual_potential, reps_workload, reps_capacity, reason, rules, sources``.
    teams : pandas.DataFrame
        One row per team: ``team, motion, role, specialization, segments, accounts,
        headcount_workload, headcount_capacity, headcount, gap, reason``.
    """

    segments: pd.DataFrame
    teams: pd.DataFrame

    def to_dict(self) -> dict:
        """Return the plan as JSON-ready plain data (NaN becomes ``None``).

        Returns
        -------
        dict
            ``{"segments": [...], "teams": [...], "total_headcount": int}``.
        """
        return {
            "segments": _records(self.segments),
            "teams": _records(self.teams),
            "total_headcount": int(self.teams["headcount"].sum()) if len(self.teams) else 0,
        }


def plan_coverage(profiles: pd.DataFrame, playbook: Playbook) -> Plan:
    """Recommend motion, role, team and headcount for every segment.

    Parameters
    ----------
    profiles : pandas.DataFrame
        One row per segment with the columns in :data:`PROFILE_COLUMNS`.
    playbook : Playbook
        Thresholds and rates (see ``playbook.toml``).

    Returns
    -------
    Plan

    Raises
    ------
    InputError
        If profile columns are missing.

    Notes
    -----
    Motion comes from the median deal size when at least ``deal_size_min_coverage`` of the segment
    has one, else from a revenue proxy, else from Gartner's employee tiers; large companies near the
    field line move up to field; an inside segment whose reps would need more than
    ``inside_deals_per_rep_max`` deals a year goes digital. Roles follow customer and prospect
    shares, but hunters and farmers are split only when both sides of a team exceed
    ``generalist_team_max`` reps. Headcount is computed two ways (workload and capacity); the
    recommendation is the larger, rounded up.
    """
    missing = [c for c in PROFILE_COLUMNS if c not in profiles.columns]
    if missing:
        raise InputError(
            f"Segment profiles lack column(s) {', '.join(missing)}: run the segments step first."
        )
    pb = playbook
    seg = profiles.reset_index(drop=True).copy()
    n = len(seg)
    if n == 0:
        return Plan(segments=_empty_segments(seg), teams=pd.DataFrame(columns=list(TEAM_COLUMNS)))

    accounts = _num(seg["accounts"])
    safe_acc = np.where(accounts > 0, accounts, np.nan)
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
        return np.nan_to_num(accounts) * hours / pb.value("selling_hours_per_rep")

    reps_capacity = np.where(motion == "digital", 0.0, potential / per_rep)
    cand_need = np.fmax(workload(cand), np.nan_to_num(reps_capacity))

    # --- vertical pods within a motion ---------------------------------------------------------
    vertical = seg["vertical"].astype("string").fillna("").to_numpy(dtype=object)
    pod = _pods(motion, vertical, deal, accounts, cand_need, pb)

    # --- roles: split hunters and farmers only when both sides are a full team ---------------
    role, role_note = _resolve_roles(motion, pod, cand, cand_need, pb)
    reps_workload = workload(role)

    team = np.array(
        [
            "Digital" if m == "digital" else " · ".join(filter(None, (_MOTION_LABEL[m], _ROLE_PLURAL[r], p)))
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

    ctx = dict(
        field_id=field_id, field_line=field_line, digital_max=digital_max, base_motion=base_motion,
        large=large, too_many_inside=too_many_inside, field_unaffordable=field_unaffordable,
        cust_share=cust_share, prospect_share=prospect_share, role_note=role_note, pod=pod,
    )
    seg["reason"], seg["rules"] = _segment_reasons(seg, ctx, pb)
    seg["sources"] = [_sources(r, pb) for r in seg["rules"]]
    teams = _teams(seg, pb)
    return Plan(segments=seg, teams=teams)


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
        Same index and order as ``accounts``; columns ``team, motion, role, reason``. Accounts
        whose segment is not in the plan get missing values and a reason that says so.

    Raises
    ------
    InputError
        If ``accounts`` has no ``segment`` column.
    """
    if "segment" not in accounts.columns:
        raise InputError("Accounts lack a 'segment' column: run the segments step first.")
    cols = ["team", "motion", "role", "reason"]
    lookup = plan.segments[["segment", *cols]].drop_duplicates("segment").reset_index(drop=True)
    # get_indexer + take instead of merge: keeps index and order by construction, ~10x faster at 1M.
    pos = pd.Index(lookup["segment"].astype("string")).get_indexer(accounts["segment"].astype("string"))
    missing = pos < 0
    pos = np.where(missing, len(lookup), pos)
    out = pd.DataFrame(index=accounts.index)
    for c in cols:
        values = pd.array([*lookup[c].astype("string"), pd.NA], dtype="string")
        out[c] = values.take(pos)
    if missing.any():
        out["reason"] = out["reason"].mask(
            missing, "Not in the plan: this account has no segment the planner saw."
        )
    return out[cols]


# --------------------------------------------------------------------------------------------
def _num(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


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


def _pods(motion, vertical, deal, accounts, need, pb) -> np.ndarray:
    """Name of the vertical pod a segment belongs to, or '' when verticals pool."""
    pod = np.full(len(motion), "", dtype=object)
    logdeal = np.log(np.where(deal > 0, deal, np.nan))
    w = np.nan_to_num(accounts)
    for m in ("inside", "field"):
        in_m = motion == m
        verticals = [v for v in pd.unique(vertical[in_m]) if v]
        if len(verticals) < 2:
            continue  # one vertical in a motion is already "specialised"; a pod would be the whole team
        for v in verticals:
            mine, rest = in_m & (vertical == v), in_m & (vertical != v)
            if need[mine].sum() < pb.value("pod_min_reps"):
                continue
            a, b = _wmean(logdeal[mine], w[mine]), _wmean(logdeal[rest], w[rest])
            if np.isnan(a) or np.isnan(b):
                continue
            if abs(a - b) >= math.log(max(pb.value("pod_deal_size_ratio_min"), 1.0 + 1e-9)):
                pod[mine] = v
    return pod


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    ok = ~np.isnan(x) & (w > 0)
    return float(np.average(x[ok], weights=w[ok])) if ok.any() else float("nan")


def _resolve_roles(motion, pod, cand, need, pb):
    """Apply 'split hunters and farmers only when both sides can be a full team' per team group."""
    gmax = pb.value("generalist_team_max")
    role = cand.copy()
    note = np.full(len(cand), "", dtype=object)
    role[motion == "digital"] = "generalist"
    note[motion == "digital"] = "digital"
    df = pd.DataFrame({"m": motion, "p": pod, "r": cand, "need": need})
    for (m, p), g in df[df["m"] != "digital"].groupby(["m", "p"], sort=False):
        h = g.loc[g["r"] == "hunter", "need"].sum()
        f = g.loc[g["r"] == "farmer", "need"].sum()
        idx = g.index.to_numpy()
        if h > gmax and f > gmax:
            note[idx] = "split"
        elif (h > gmax and f == 0) or (f > gmax and h == 0):
            note[idx] = "one_side"
        else:
            total = g["need"].sum()
            small = np.isin(role[idx], ["hunter", "farmer"])
            role[idx[small]] = "generalist"
            # Record why: the whole team is small, or one side is too small to stand alone.
            note[idx] = f"small:{total:.1f}" if total <= gmax else f"side:{min(h, f):.1f}:{'farmer' if f < h else 'hunter'}"
    return role, note


def _money(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "unknown"
    for div, suf in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(x) >= div:
            v = x / div
            return f"${v:,.0f}{suf}" if v >= 10 or v == int(v) else f"${v:,.1f}{suf}"
    return f"${x:,.0f}"


def _pct(x: float) -> str:
    return "unknown" if not np.isfinite(x) else f"{x:.0%}"


def _segment_reasons(seg: pd.DataFrame, c: dict, pb: Playbook):
    reasons, rules = [], []
    fl, dl = _money(c["field_line"]), _money(c["digital_max"])
    for i, row in enumerate(seg.itertuples(index=False)):
        fired: list[str] = []
        deal, basis = row.deal_size_used, row.deal_size_basis
        if basis == BASIS_DEAL:
            fired += ["deal_size_min_coverage"]
            what = f"median deal {_money(deal)}"
        elif basis == BASIS_REVENUE:
            fired += ["deal_size_min_coverage", "proxy_deal_share_of_revenue"]
            what = (
                f"deal size is unknown for most accounts, so a revenue proxy "
                f"({pb.value('proxy_deal_share_of_revenue'):.2%} of median revenue {_money(row.median_revenue)}) "
                f"gives ~{_money(deal)}, which"
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

        note, role, motion = c["role_note"][i], row.role, row.motion
        cs, ps = c["cust_share"][i], c["prospect_share"][i]
        if motion == "digital":
            r_why = "no named rep is needed"
        elif note.startswith("small:"):
            fired += ["generalist_team_max"]
            r_why = (
                f"the team would need only {float(note.split(':')[1]):.1f} reps (≤ {pb.value('generalist_team_max'):g}), "
                f"so one generalist team covers new and existing business"
            )
        elif note.startswith("side:"):
            _, size, side = note.split(":")
            fired += ["generalist_team_max"]
            r_why = (
                f"the {side} side would be only {float(size):.1f} reps (≤ {pb.value('generalist_team_max'):g}), "
                f"too few to split hunters from farmers, so generalists"
            )
        elif role == "farmer":
            fired.append("farmer_customer_share_min")
            r_why = f"{_pct(cs)} are customers"
        elif role == "hunter":
            fired.append("hunter_prospect_share_min")
            r_why = f"{_pct(ps)} are untapped prospects (only {_pct(cs)} customers)"
        else:
            fired += ["farmer_customer_share_min", "hunter_prospect_share_min"]
            r_why = f"neither customers ({_pct(cs)}) nor prospects ({_pct(ps)}) dominate"

        pod = c["pod"][i]
        if motion == "digital":
            where = "self-serve / product-led"
        elif pod:
            fired += ["pod_min_reps", "pod_deal_size_ratio_min"]
            where = f"{pod} pod"
        else:
            where = row.team
        if motion != "digital":
            fired += [
                f"touches_{motion}_{role}", f"hours_per_touch_{motion}", "selling_hours_per_rep",
                f"quota_{motion}", "attainment", f"ramp_months_{motion}", "ramp_productivity", "ramping_share",
                "potential_customer_rate", "potential_prospect_rate", "potential_former_rate",
            ]
        label = motion if motion == "digital" else f"{motion} {role}"
        reasons.append(f"{row.segment}: {m_why} and {r_why} → {label} ({where}).")
        rules.append(", ".join(dict.fromkeys(fired)))
    return reasons, rules


def _sources(rule_ids: str, pb: Playbook) -> str:
    seen = dict.fromkeys(
        f"[{pb.rules[r].confidence}] {pb.rules[r].source}" for r in (x.strip() for x in rule_ids.split(",")) if r
    )
    return "; ".join(seen)


def _teams(seg: pd.DataFrame, pb: Playbook) -> pd.DataFrame:
    g = seg.groupby("team", sort=False)
    teams = g.agg(
        motion=("motion", "first"),
        role=("role", "first"),
        segments=("segment", "size"),
        accounts=("accounts", "sum"),
        headcount_workload=("reps_workload", "sum"),
        headcount_capacity=("reps_capacity", lambda s: s.sum(min_count=1)),
        pod=("vertical", lambda s: s.astype("string").nunique()),
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
    teams["reason"] = [_team_reason(r, pb) for r in teams.itertuples(index=False)]
    return teams[list(TEAM_COLUMNS)]


def _team_reason(t, pb: Playbook) -> str:
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
    return " ".join(parts)


def _empty_segments(seg: pd.DataFrame) -> pd.DataFrame:
    extra = [
        "motion", "role", "team", "deal_size_basis", "deal_size_used", "deals_per_rep", "annual_potential",
        "reps_workload", "reps_capacity", "reason", "rules", "sources",
    ]
    return seg.reindex(columns=[*seg.columns, *extra])


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict(orient="records"):
        clean = {}
        for k, v in rec.items():
            if v is pd.NA or v is None or (isinstance(v, float) and not math.isfinite(v)):
                clean[k] = None
            elif isinstance(v, np.generic):
                clean[k] = v.item()
            else:
                clean[k] = v
        out.append(clean)
    return out
