"""Deal size from evidence, then the motion (field, inside, digital) it implies.

Each decision returns, per segment, the sentence a VP reads and the rule ids that fired, written
where the decision is made so that the sentence cannot drift from the decision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.planner._common import _money_text, _num
from segmentation.playbook import Playbook

BASIS_WON = "won deals"
BASIS_DEAL = "deal size field"
BASIS_SIMILAR = "won deals of similar accounts"
BASIS_TIER_DEFAULT = "playbook tier default"
BASIS_REVENUE = "revenue proxy"
BASIS_TIER = "employee tier (Gartner)"
BASIS_NONE = "no size data"

CONFIDENCE = {
    BASIS_WON: "high", BASIS_DEAL: "medium", BASIS_SIMILAR: "medium", BASIS_TIER_DEFAULT: "low",
    BASIS_REVENUE: "low", BASIS_TIER: "low", BASIS_NONE: "none",
}  # fmt: skip
"""How far a VP can lean on each deal-size basis: the CRM's own won deals first, a guess last."""


@dataclass
class DealSizes:
    """Deal size per segment with its basis, confidence and the sentence that says where it came from."""

    deal: np.ndarray
    basis: np.ndarray
    detail: np.ndarray
    confidence: np.ndarray
    why: list[str]
    rules: list[list[str]]


def deal_sizes(seg: pd.DataFrame, pb: Playbook, accounts: pd.DataFrame | None = None) -> DealSizes:
    """Typical deal size per segment, from the best evidence available.

    Parameters
    ----------
    seg : pandas.DataFrame
        Segment profiles (``segment, customer_type, vertical, accounts, median_deal_size,
        deal_size_known, median_employees, median_revenue``).
    pb : Playbook
    accounts : pandas.DataFrame, optional
        Per account ``segment`` and optionally ``deal_size`` and ``avg_won_deal`` (the account's
        average won deal from the opportunities).

    Returns
    -------
    DealSizes

    Notes
    -----
    In order: (1) the median of the accounts' own average won deal, when at least
    ``deal_size_min_coverage`` of the segment has won deals; (2) the median of each account's
    won deal, else its deal-size field, with the same coverage; (3) the median won deal of
    similar accounts (same customer type, else same vertical) in the opportunities file, with at
    least ``similar_min_won_accounts`` of them; (4) the playbook's default for the segment's
    Gartner tier (median employees, else median revenue); (5) a share of median revenue, only
    when the tier defaults are switched off (set to 0), always marked low confidence.
    """
    n = len(seg)
    min_cov = pb.value("deal_size_min_coverage")
    n_acc = _num(seg["accounts"])
    safe = np.where(n_acc > 0, n_acc, np.nan)
    employees = _num(seg["median_employees"])
    revenue = _num(seg["median_revenue"])
    names = seg["segment"].astype("string")

    won_med = np.full(n, np.nan)
    won_share = np.zeros(n)
    ev_med = _num(seg["median_deal_size"])
    ev_share = _num(seg["deal_size_known"]) / safe
    similar = np.full(n, np.nan)
    similar_what = np.full(n, "", dtype=object)
    similar_n = np.zeros(n)
    if accounts is not None and "avg_won_deal" in accounts.columns:
        frame, key, won_med, won_share, ev_med, ev_share = _account_deals(accounts, names, safe)
        similar, similar_what, similar_n = _similar_deals(seg, frame, key, names, pb)

    tier, tier_value = _tiers(employees, revenue, pb)

    use_won = (won_share >= min_cov) & (won_med > 0)
    use_ev = ~use_won & (ev_share >= min_cov) & (ev_med > 0)
    use_sim = ~use_won & ~use_ev & (similar > 0)
    use_tier = ~use_won & ~use_ev & ~use_sim & (tier_value > 0)
    use_rev = ~use_won & ~use_ev & ~use_sim & ~use_tier & (revenue > 0)
    deal = np.select(
        [use_won, use_ev, use_sim, use_tier, use_rev],
        [won_med, ev_med, similar, tier_value, revenue * pb.value("proxy_deal_share_of_revenue")],
        np.nan,
    )
    basis = np.select(
        [use_won, use_ev, use_sim, use_tier, use_rev],
        [BASIS_WON, BASIS_DEAL, BASIS_SIMILAR, BASIS_TIER_DEFAULT, BASIS_REVENUE],
        BASIS_NONE,
    ).astype(object)
    # Employees alone, with the tier defaults switched off: the old Gartner-tier motion.
    basis = np.where((basis == BASIS_NONE) & (employees >= 0), BASIS_TIER, basis)

    why, rules, detail = [], [], []
    for i in range(n):
        d, r, w = _basis_sentence(
            basis[i],
            deal[i],
            won_share[i],
            similar_n[i],
            similar_what[i],
            tier[i],
            employees[i],
            revenue[i],
            pb,
        )
        detail.append(d)
        rules.append(r)
        why.append(w)
    confidence = np.array([CONFIDENCE[b] for b in basis], dtype=object)
    return DealSizes(deal, basis, np.array(detail, dtype=object), confidence, why, rules)


def _account_deals(accounts: pd.DataFrame, names: pd.Series, safe: np.ndarray):
    """Per segment from the accounts: median and share of won deals, and of won deal else deal size.

    Returns the per-account frame and segment key (for similar accounts), then ``won_med,
    won_share, ev_med, ev_share``.
    """
    won = pd.to_numeric(accounts["avg_won_deal"], errors="coerce").where(lambda s: s > 0)
    size = (
        pd.to_numeric(accounts["deal_size"], errors="coerce").where(lambda s: s > 0)
        if "deal_size" in accounts.columns
        else won * np.nan
    )
    evidence = won.fillna(size)
    key = accounts["segment"].astype("string")
    frame = pd.DataFrame({"seg": key, "won": won, "ev": evidence})
    g = frame.groupby("seg", sort=False)
    won_med = g["won"].median().reindex(names).to_numpy(dtype=float, na_value=np.nan)
    won_share = (
        np.nan_to_num(g["won"].count().reindex(names).to_numpy(dtype=float, na_value=np.nan)) / safe
    )
    ev_med = g["ev"].median().reindex(names).to_numpy(dtype=float, na_value=np.nan)
    ev_share = (
        np.nan_to_num(g["ev"].count().reindex(names).to_numpy(dtype=float, na_value=np.nan)) / safe
    )
    return frame, key, won_med, won_share, ev_med, ev_share


def _similar_deals(
    seg: pd.DataFrame, frame: pd.DataFrame, key: pd.Series, names: pd.Series, pb: Playbook
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median won deal of similar accounts per segment, what they share, and how many they are."""
    n = len(seg)
    similar = np.full(n, np.nan)
    similar_what = np.full(n, "", dtype=object)
    similar_n = np.zeros(n)
    # Similar accounts: the same customer type across verticals, else the same vertical.
    min_similar = pb.value("similar_min_won_accounts")
    for col, what in (("customer_type", "customer type"), ("vertical", "vertical")):
        if col not in seg.columns:
            continue
        of_seg = dict(zip(names, seg[col].astype("string")))
        frame[col] = key.map(of_seg)
        stats_ = frame.groupby(col, sort=False)["won"].agg(["median", "count"])
        med = seg[col].astype("string").map(stats_["median"]).to_numpy(dtype=float, na_value=np.nan)
        cnt = seg[col].astype("string").map(stats_["count"]).to_numpy(dtype=float, na_value=np.nan)
        fill = np.isnan(similar) & (np.nan_to_num(cnt) >= min_similar) & (med > 0)
        similar = np.where(fill, med, similar)
        similar_n = np.where(fill, cnt, similar_n)
        labels = seg[col].astype("string").fillna("").to_numpy(dtype=object)
        similar_what = np.where(fill, [f"{what} {v}" for v in labels], similar_what)
    return similar, similar_what, similar_n


def _tiers(
    employees: np.ndarray, revenue: np.ndarray, pb: Playbook
) -> tuple[np.ndarray, np.ndarray]:
    """Gartner tier per segment (by employees, else revenue; '' unknown) and its default deal size."""
    tier = np.select(
        [
            employees >= pb.value("tier_large_min_employees"),
            employees >= pb.value("tier_small_max_employees"),
            employees >= 0,
            revenue >= pb.value("tier_large_min_revenue"),
            revenue >= pb.value("tier_small_max_revenue"),
            revenue >= 0,
        ],
        ["large", "midsize", "small", "large", "midsize", "small"],
        "",
    )
    tier_value = np.array(
        [pb.value(f"deal_size_tier_{t}") if t else np.nan for t in tier], dtype=float
    )
    return tier, tier_value


def _basis_sentence(
    b, deal, won_share, similar_n, similar_what, tier, employees, revenue, pb: Playbook
) -> tuple[str, list[str], str]:
    """One segment's deal-size basis in detail, its rule ids and its sentence."""
    if b == BASIS_WON:
        return (
            f"{BASIS_WON} ({won_share:.0%} of accounts)",
            ["deal_size_min_coverage"],
            f"median won deal {_money_text(deal)} ({won_share:.0%} of its accounts have won deals)",
        )
    if b == BASIS_DEAL:
        return BASIS_DEAL, ["deal_size_min_coverage"], f"median deal {_money_text(deal)}"
    if b == BASIS_SIMILAR:
        return (
            f"{BASIS_SIMILAR} ({similar_what})",
            ["deal_size_min_coverage", "similar_min_won_accounts"],
            f"too few of its accounts have a deal size, so the median won deal of {similar_n:,.0f} "
            f"similar accounts ({similar_what}) gives {_money_text(deal)}, which",
        )
    if b == BASIS_TIER_DEFAULT:
        size = (
            f"median {employees:,.0f} employees"
            if employees >= 0
            else f"median revenue {_money_text(revenue)}"
        )
        return (
            f"{BASIS_TIER_DEFAULT} ({tier}, low confidence)",
            [
                "deal_size_min_coverage",
                f"deal_size_tier_{tier}",
                "tier_small_max_employees",
                "tier_large_min_employees",
            ],
            f"no deal evidence exists, so the playbook's default for a {tier} company ({size}) "
            f"gives {_money_text(deal)} (low confidence: replace it with your own), which",
        )
    if b == BASIS_REVENUE:
        return (
            f"{BASIS_REVENUE} (low confidence)",
            ["deal_size_min_coverage", "proxy_deal_share_of_revenue"],
            f"deal size is unknown for most accounts, so a revenue proxy "
            f"({pb.value('proxy_deal_share_of_revenue'):.2%} of median revenue {_money_text(revenue)}, "
            f"low confidence: no source supports it) gives ~{_money_text(deal)}, which",
        )
    return b, ["deal_size_min_coverage"], ""


@dataclass
class Motions:
    """Motion per segment, the quota it implies, and each segment's motion sentence and rules."""

    motion: np.ndarray
    quota: np.ndarray
    deals_per_rep: np.ndarray
    why: list[str]
    rules: list[list[str]]


def motions(seg: pd.DataFrame, sizes: DealSizes, pb: Playbook) -> Motions:
    """Digital, inside or field per segment, by deal size, then buying committee, then deals per rep.

    Parameters
    ----------
    seg : pandas.DataFrame
        Segment profiles (``median_employees``).
    sizes : DealSizes
        From :func:`deal_sizes`.
    pb : Playbook

    Returns
    -------
    Motions
    """
    deal, basis = sizes.deal, sizes.basis
    employees = _num(seg["median_employees"])
    conservative = pb.value("use_conservative_field_line") >= 0.5
    field_id = "motion_field_conservative" if conservative else "motion_field_min"
    field_line = pb.value(field_id)
    digital_max = pb.value("motion_digital_max")
    sized = np.isfinite(deal)
    has_emp = ~sized & (basis == BASIS_TIER)
    by_deal = np.select([deal < digital_max, deal < field_line], ["digital", "inside"], "field")
    by_tier = np.where(employees >= pb.value("tier_large_min_employees"), "field", "inside")
    motion = np.where(sized, by_deal, np.where(has_emp, by_tier, "inside"))
    base_motion = motion.copy()

    # Large buying committees favour field even for mid-size deals, but only near the line.
    large = (
        (motion == "inside")
        & (employees >= pb.value("large_company_employees"))
        & (deal >= field_line * pb.value("large_company_near_line"))
    )
    motion = np.where(large, "field", motion)

    with np.errstate(invalid="ignore", divide="ignore"):
        deals_needed = _quota_of(motion, pb) / np.where(deal > 0, deal, np.nan)
    too_many_inside = (motion == "inside") & (deals_needed > pb.value("inside_deals_per_rep_max"))
    motion = np.where(too_many_inside, "digital", motion)
    field_unaffordable = (motion == "field") & (deals_needed > pb.value("field_deals_per_rep_max"))
    quota = _quota_of(motion, pb)
    with np.errstate(invalid="ignore", divide="ignore"):
        deals_needed = np.where(
            motion == "digital", np.nan, quota / np.where(deal > 0, deal, np.nan)
        )

    fl, dl = _money_text(field_line), _money_text(digital_max)
    why, rules = [], []
    for i in range(len(seg)):
        text, base_rules = _base_motion_sentence(
            sizes.why[i], base_motion[i], sized[i], has_emp[i], employees[i], dl, fl, field_id
        )
        fired = [*sizes.rules[i], *base_rules]
        if large[i]:
            fired += ["large_company_employees", "large_company_near_line"]
            text += (
                f", but a median of {employees[i]:,.0f} employees means a large buying committee, "
                f"so it moves up to field"
            )
        if too_many_inside[i]:
            fired.append("inside_deals_per_rep_max")
            need = pb.value("quota_inside") / deal[i]
            text += f", but an inside rep would need ~{need:,.0f} deals a year, so it goes digital"
        if field_unaffordable[i]:
            fired.append("field_deals_per_rep_max")
            text += f" (a field rep would need ~{deals_needed[i]:,.0f} deals a year: check the field quota or this deal size)"
        why.append(text)
        rules.append(fired)
    return Motions(motion, quota, deals_needed, why, rules)


def _quota_of(m: np.ndarray, pb: Playbook) -> np.ndarray:
    return np.select(
        [m == "field", m == "inside"],
        [pb.value("quota_field"), pb.value("quota_inside")],
        np.nan,
    )


def _base_motion_sentence(
    what: str,
    base: str,
    sized: bool,
    has_emp: bool,
    employees: float,
    dl: str,
    fl: str,
    field_id: str,
) -> tuple[str, list[str]]:
    """Why a segment starts in its motion (by deal size, else employees), and the rule ids."""
    if sized:
        if base == "digital":
            return f"{what} is below the {dl} digital line", ["motion_digital_max"]
        if base == "inside":
            return (
                f"{what} is between the {dl} digital line and the {fl} field line",
                ["motion_digital_max", field_id],
            )
        return f"{what} is above the {fl} field line", [field_id]
    if has_emp:
        tier = "a large enterprise" if base == "field" else "below Gartner's large-enterprise tier"
        return (
            f"no deal size or revenue is known; median {employees:,.0f} employees is {tier}",
            ["tier_large_min_employees"],
        )
    return "no deal size, revenue or employee data is known, so inside by default", []
