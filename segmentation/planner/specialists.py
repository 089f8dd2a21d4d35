"""Specialists: vertical pods and product overlay specialists, only where a difference is beyond noise.

A vertical gets its own pod within a motion when its deal sizes (Mann-Whitney U) or win rates
(two-proportion z-test) differ from the rest of the motion; product lines get overlay
specialists when the won-deal product mix differs across customer types or verticals
(chi-square with Cramer's V and Cohen's w), each with minimum counts and a Bonferroni correction.
Each decision returns the figures and rule ids its sentence quotes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from segmentation.planner._common import _column, _empty, _has_deal_sizes, _pct, _pval
from segmentation.playbook import Playbook

OVERLAY_COLUMNS: tuple[str, ...] = (
    "product",
    "dimension",
    "groups",
    "teams",
    "won_deals",
    "won_revenue",
    "share_in_groups",
    "share_elsewhere",
    "lift",
    "cramers_v",
    "reason",
)
PRODUCT_MIX_COLUMNS: tuple[str, ...] = (
    "dimension",
    "groups",
    "products",
    "won_deals",
    "chi2",
    "dof",
    "p_value",
    "cramers_v",
    "cramers_v_corrected",
    "effect_w",
    "differs",
    "left_out",
    "reason",
)
VERTICAL_TEST_COLUMNS: tuple[str, ...] = (
    "motion",
    "vertical",
    "reps_needed",
    "deal_ratio",
    "accounts_tested",
    "rest_accounts",
    "deal_p_value",
    "win_rate",
    "rest_win_rate",
    "closed_deals",
    "rest_closed_deals",
    "win_rate_p_value",
    "deal_size_differs",
    "win_rate_differs",
    "pod",
)
_DIMENSIONS = {
    "customer_type": ("customer type", "customer types"),
    "vertical": ("vertical", "verticals"),
}

# How a dimension is said in the plural ("across verticals"); the teams' sentences quote it.
DIMENSIONS_BY_LABEL = {one: many for one, many in _DIMENSIONS.values()}


def _vertical_pods(segment, motion, vertical, deal, n_accounts, need, accounts, pb):
    """Vertical pod per segment ('' when verticals pool) and the tests that decided it.

    Every (motion, vertical) pair is compared with the rest of its motion in one grouped pass:
    the effect size from the profiles (account-weighted mean of log median deal), the Mann-Whitney
    U test from per-account deal sizes ranked once per motion, and the two-proportion z-test on
    won / closed deals. No loop over segments or verticals.
    """
    pod = np.full(len(motion), "", dtype=object)
    rep_motion = np.isin(motion, ["inside", "field"]) & (vertical != "")
    if not rep_motion.any():
        return pod, _empty(VERTICAL_TEST_COLUMNS)
    logdeal = np.log(np.where(deal > 0, deal, np.nan))
    ok = np.isfinite(logdeal) & (np.nan_to_num(n_accounts) > 0)
    w = np.where(ok, n_accounts, 0.0)
    prof = pd.DataFrame(
        {
            "motion": motion,
            "vertical": vertical,
            "wx": np.where(ok, w * np.nan_to_num(logdeal), 0.0),
            "w": w,
            "reps_needed": need,
        }
    )[rep_motion]
    gv = prof.groupby(["motion", "vertical"], sort=True)[["wx", "w", "reps_needed"]].sum()
    m_of = gv.index.get_level_values("motion")
    gm = gv.groupby(level="motion")[["wx", "w"]].sum().reindex(m_of)
    n_vert = gv.groupby(level="motion").size().reindex(m_of).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        a = gv["wx"].to_numpy() / gv["w"].to_numpy()
        b = (gm["wx"].to_numpy() - gv["wx"].to_numpy()) / (gm["w"].to_numpy() - gv["w"].to_numpy())
    out = pd.DataFrame(index=gv.index)
    out["reps_needed"] = gv["reps_needed"].to_numpy()
    out["deal_ratio"] = np.exp(a - b)

    alpha = pb.value("significance_level")
    ratio_min = max(pb.value("pod_deal_size_ratio_min"), 1.0)
    big_gap = np.abs(a - b) >= math.log(ratio_min)
    big_gap = np.where(np.isfinite(a - b), big_gap, False)

    acc_group = _account_groups(accounts, segment, motion, vertical, rep_motion, gv.index)
    motion_code = pd.factorize(m_of)[0]
    deal_test = _deal_size_tests(acc_group, motion_code, accounts, gv.index, pb)
    win_test = win_rate_tests(acc_group, motion_code, accounts, gv.index, pb)
    out = out.join(deal_test).join(win_test)
    if _has_deal_sizes(accounts):
        # Beyond noise: significant, and in the direction the typical deal sizes say.
        same_way = np.sign(out["deal_shift"].to_numpy()) == np.sign(a - b)
        deal_differs = big_gap & (out["deal_p_value"].to_numpy() <= alpha) & same_way
    else:
        deal_differs = big_gap  # nothing per account to test with; the reason says so
    gap = np.abs(out["win_rate"].to_numpy() - out["rest_win_rate"].to_numpy())
    win_differs = (gap >= pb.value("pod_win_rate_diff_min")) & (
        out["win_rate_p_value"].to_numpy() <= alpha
    )
    out["deal_size_differs"] = deal_differs.astype(bool)
    out["win_rate_differs"] = np.nan_to_num(win_differs).astype(bool)
    # One vertical in a motion is already "specialised": a pod would be the whole team.
    out["pod"] = (
        (n_vert >= 2)
        & (out["reps_needed"].to_numpy() >= pb.value("pod_min_reps"))
        & (out["deal_size_differs"].to_numpy() | out["win_rate_differs"].to_numpy())
    )
    out = out.reset_index()
    pods = out.loc[out["pod"], ["motion", "vertical"]]
    if len(pods):
        keys = pd.MultiIndex.from_frame(pods)
        hit = keys.get_indexer(pd.MultiIndex.from_arrays([motion, vertical])) >= 0
        pod[hit] = vertical[hit]
    return pod, out[list(VERTICAL_TEST_COLUMNS)]


def _account_groups(accounts, segment, motion, vertical, rep_motion, groups) -> np.ndarray | None:
    """Each account's (motion, vertical) group as an integer code, found once through its segment."""
    seg_group = np.full(len(motion), -1, dtype=np.int64)
    seg_group[rep_motion] = groups.get_indexer(
        pd.MultiIndex.from_arrays([motion[rep_motion], vertical[rep_motion]])
    )
    if accounts is None:
        return None
    # Factorise first: a million segment labels hold a few dozen distinct values.
    codes, uniques = pd.factorize(accounts["segment"].astype("string"), use_na_sentinel=True)
    pos = pd.Index(pd.array(segment, dtype="string")).get_indexer(
        pd.Index(uniques).astype("string")
    )
    lookup = np.append(np.where(pos >= 0, seg_group[np.maximum(pos, 0)], -1), -1)
    return lookup[codes]  # NA labels (-1) hit the sentinel at the end


def _bonferroni(p: np.ndarray, testable: np.ndarray, motion_code: np.ndarray) -> np.ndarray:
    """p times the number of verticals tested in the same motion, capped at 1; NaN where untested."""
    k = np.bincount(motion_code, weights=testable.astype(float))[motion_code]
    return np.where(testable, np.minimum(p * np.maximum(k, 1), 1.0), np.nan)


def _deal_size_tests(group, motion_code, accounts, index, pb) -> pd.DataFrame:
    """Mann-Whitney U of each vertical's deal sizes against the rest of its motion (normal approx.).

    ``group`` is each account's (motion, vertical) code (-1 outside named-rep motions). Deal
    sizes are ranked once per motion; a vertical's rank sum against the rest of its motion gives
    its U, with the tie-corrected variance. Bincounts, no loop over verticals.
    """
    k = len(index)
    out = pd.DataFrame(
        index=index,
        columns=["accounts_tested", "rest_accounts", "deal_p_value", "deal_shift"],
        dtype=float,
    )
    if not _has_deal_sizes(accounts):
        return out
    x = _column(accounts, "deal_size")
    ok = (group >= 0) & (x > 0)
    g, x = group[ok], x[ok]
    acc_motion = motion_code[g]
    n1 = np.bincount(g, minlength=k).astype(float)
    r1 = np.zeros(k)
    big_n = np.zeros(k)
    tie = np.zeros(k)
    for m in np.unique(acc_motion):  # inside and field: two passes at most
        sel = acc_motion == m
        vals = x[sel]
        # One sort gives both the average ranks (scipy's rankdata formula, exactly) and the ties.
        _, inverse, ties = np.unique(vals, return_inverse=True, return_counts=True)
        upto = np.cumsum(ties)
        ranks = 0.5 * (upto + (upto - ties) + 1)
        r1 += np.bincount(g[sel], weights=ranks[inverse], minlength=k)
        counts = ties.astype(float)
        big_n[motion_code == m] = len(vals)
        tie[motion_code == m] = (counts**3 - counts).sum()
    n2 = big_n - n1
    u1 = r1 - n1 * (n1 + 1) / 2
    mu = n1 * n2 / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        var = n1 * n2 / 12 * ((big_n + 1) - tie / (big_n * (big_n - 1)))
        z = np.maximum(np.abs(u1 - mu) - 0.5, 0) / np.sqrt(var)
    min_n = max(pb.value("pod_min_accounts"), 1)
    testable = (n1 >= min_n) & (n2 >= min_n) & (var > 0)
    out["accounts_tested"] = n1
    out["rest_accounts"] = n2
    out["deal_p_value"] = _bonferroni(2 * stats.norm.sf(z), testable, motion_code)
    out["deal_shift"] = np.where(testable, u1 - mu, np.nan)
    return out


def win_rate_tests(group, motion_code, accounts, index, pb) -> pd.DataFrame:
    """Two-proportion z-test of each group's win rate against the rest of its family.

    Used for vertical pods (a vertical against the rest of its motion) and for competitors (a
    competitor's deals against the rest of their scope).

    Parameters
    ----------
    group : numpy.ndarray of int
        Each account's group code (``-1`` for none), indexing ``index``.
    motion_code : numpy.ndarray of int
        Each group's family; the rest of a family is what a group is compared with.
    accounts : pandas.DataFrame or None
        Per-account ``won_deals`` and ``lost_deals``.
    index : pandas.Index
        The groups, in code order.
    pb : Playbook
        ``pod_min_closed_deals`` (enough deals on each side) and ``significance_level``.

    Returns
    -------
    pandas.DataFrame
        Per group: ``win_rate, rest_win_rate, closed_deals, rest_closed_deals,
        win_rate_p_value`` (Bonferroni-corrected; NaN where not testable).
    """
    k = len(index)
    cols = ["win_rate", "rest_win_rate", "closed_deals", "rest_closed_deals", "win_rate_p_value"]
    out = pd.DataFrame(index=index, columns=cols, dtype=float)
    if accounts is None or not {"won_deals", "lost_deals"} <= set(accounts.columns):
        return out
    won = np.nan_to_num(_column(accounts, "won_deals"))
    closed = won + np.nan_to_num(_column(accounts, "lost_deals"))
    ok = group >= 0
    w1 = np.bincount(group[ok], weights=won[ok], minlength=k)
    c1 = np.bincount(group[ok], weights=closed[ok], minlength=k)
    w2 = np.bincount(motion_code, weights=w1)[motion_code] - w1
    c2 = np.bincount(motion_code, weights=c1)[motion_code] - c1
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2, pooled = w1 / c1, w2 / c2, (w1 + w2) / (c1 + c2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / c1 + 1 / c2))
        z = np.abs(p1 - p2) / se
    min_c = max(pb.value("pod_min_closed_deals"), 1)
    testable = (c1 >= min_c) & (c2 >= min_c) & (se > 0)
    out["win_rate"] = np.where(c1 > 0, p1, np.nan)
    out["rest_win_rate"] = np.where(c2 > 0, p2, np.nan)
    out["closed_deals"] = c1
    out["rest_closed_deals"] = c2
    out["win_rate_p_value"] = _bonferroni(2 * stats.norm.sf(z), testable, motion_code)
    return out


def _product_overlays(seg: pd.DataFrame, products: pd.DataFrame | None, pb: Playbook):
    """Overlay specialists per product line where the won-deal product mix differs beyond noise.

    Returns the overlays frame, the product-mix tests frame and, per segment, a list of the
    overlays that serve it (dicts with product, dimension, group, share_in, share_else).
    """
    per_segment: list[list[dict]] = [[] for _ in range(len(seg))]
    prod = _product_deals(seg, products)
    if prod is None:
        return _empty(OVERLAY_COLUMNS), _empty(PRODUCT_MIX_COLUMNS), per_segment
    dims = [d for d in _DIMENSIONS if prod[d].notna().any()]
    tests, overlay_rows = [], []
    named = seg["motion"].to_numpy() != "digital"
    for dim in dims:
        mix, rows = _dimension_overlays(dim, prod, seg, named, pb, len(dims), per_segment)
        overlay_rows += rows
        tests.append(mix)
    overlays = pd.DataFrame(overlay_rows, columns=list(OVERLAY_COLUMNS))
    product_mix = pd.DataFrame(tests).reindex(columns=list(PRODUCT_MIX_COLUMNS))
    return overlays, product_mix, per_segment


def _product_deals(seg: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame | None:
    """Won deals and revenue per segment and product, with the segment's customer type and vertical."""
    if products is None or products.empty:
        return None
    prod = products.assign(
        segment=products["segment"].astype("string"),
        product=products["product"].astype("string"),
        deals=pd.to_numeric(products["deals"], errors="coerce").astype(float).fillna(0.0),
        won_revenue=pd.to_numeric(products["won_revenue"], errors="coerce")
        .astype(float)
        .fillna(0.0)
        if "won_revenue" in products.columns
        else 0.0,
    )
    keys = seg[["segment", "customer_type", "vertical"]].astype("string")
    prod = prod[["segment", "product", "deals", "won_revenue"]].merge(
        keys, on="segment", how="inner"
    )
    prod = prod[prod["product"].notna() & (prod["deals"] > 0)]
    return None if prod.empty else prod


def _dimension_overlays(
    dim: str,
    prod: pd.DataFrame,
    seg: pd.DataFrame,
    named: np.ndarray,
    pb: Playbook,
    n_tests: int,
    per_segment: list[list[dict]],
) -> tuple[dict, list[dict]]:
    """The product-mix test across one dimension and the overlays it warrants.

    Appends to ``per_segment`` the overlays that serve each segment; returns the test (with its
    sentence) and the overlay rows.
    """
    one, many = _DIMENSIONS[dim]
    counts = prod.pivot_table(
        index=dim, columns="product", values="deals", aggfunc="sum", fill_value=0.0
    )
    revenue = prod.pivot_table(
        index=dim, columns="product", values="won_revenue", aggfunc="sum", fill_value=0.0
    )
    mix = _mix_test(counts, pb, n_tests=n_tests)
    mix["dimension"] = one
    o = mix.pop("_table", None)
    if not mix["differs"]:
        mix["reason"] = _mix_sentence(mix, many, differs=False)
        return mix, []
    groups, prods = o.index.to_numpy(dtype=object), o.columns.to_numpy(dtype=object)
    obs = o.to_numpy(dtype=float)
    n_g, n_p, total = obs.sum(axis=1), obs.sum(axis=0), obs.sum()
    share_in, above = _cells_above(obs, n_g, n_p, total, pb)
    notes, overlay_rows = [], []
    dim_values = seg[dim].astype("string").to_numpy(dtype=object)
    for j in np.flatnonzero(above.any(axis=0)):
        rows = np.flatnonzero(above[:, j])
        deals_in, n_in = obs[rows, j].sum(), n_g[rows].sum()
        share_g = deals_in / n_in
        share_e = (n_p[j] - deals_in) / (total - n_in) if total > n_in else float("nan")
        lift = share_g / share_e if share_e > 0 else float("inf")
        names = ", ".join(map(str, groups[rows]))
        in_groups = np.isin(dim_values, groups[rows])
        teams = list(dict.fromkeys(seg.loc[in_groups & named, "team"]))
        note = _no_overlay_note(prods[j], names, lift, share_g, deals_in, teams, pb)
        if note is not None:
            if note:
                notes.append(note)
            continue
        row = {
            "product": prods[j],
            "dimension": one,
            "groups": "; ".join(map(str, groups[rows])),
            "teams": "; ".join(teams),
            "won_deals": round(deals_in),
            "won_revenue": float(
                revenue.reindex(index=groups[rows], columns=[prods[j]]).to_numpy().sum()
            ),
            "share_in_groups": share_g,
            "share_elsewhere": share_e,
            "lift": lift,
            "cramers_v": mix["cramers_v_corrected"],
        }
        row["reason"] = (
            f"{prods[j]}: {_pct(share_g)} of won deals in {names} vs {_pct(share_e)} elsewhere "
            f"({row['won_deals']:,} won deals); product mix differs across {many} "
            f"(Cramér's V {mix['cramers_v_corrected']:.2f}, {_pval(mix['p_value'])}), so overlay "
            f"specialists support {', '.join(teams)}."
        )
        overlay_rows.append(row)
        for i in np.flatnonzero(in_groups & named):
            gi = int(np.flatnonzero(groups == dim_values[i])[0])
            per_segment[i].append(
                {
                    "product": prods[j],
                    "dimension": one,
                    "many": many,
                    "group": dim_values[i],
                    "share_in": share_in[gi, j],
                    "share_else": share_e,
                    "v": mix["cramers_v_corrected"],
                }
            )
    mix["reason"] = _mix_sentence(mix, many, differs=True, notes=notes)
    return mix, overlay_rows


def _cells_above(obs, n_g, n_p, total, pb: Playbook) -> tuple[np.ndarray, np.ndarray]:
    """Each product's share of its group's won deals, and the cells that sell above expectation."""
    alpha = pb.value("significance_level")
    expected = np.outer(n_g, n_p) / total
    with np.errstate(invalid="ignore", divide="ignore"):
        share_in = obs / n_g[:, None]
        # Haberman's adjusted residual: is this cell's excess itself beyond noise?
        z = (obs - expected) / np.sqrt(
            expected * (1 - n_g / total)[:, None] * (1 - n_p / total)[None, :]
        )
    # Where a product sells above expectation, cell by cell, Bonferroni over the cells.
    above = np.minimum(stats.norm.sf(np.nan_to_num(z, nan=0.0)) * obs.size, 1.0) <= alpha
    return share_in, above


def _no_overlay_note(product, names, lift, share_g, deals_in, teams, pb: Playbook) -> str | None:
    """Why a product that sells above expectation gets no overlay: None when it gets one, '' unsaid."""
    if not lift >= pb.value("product_overlay_lift_min"):
        return ""  # sells a little more there, not enough to need a specialist
    if share_g >= pb.value("product_overlay_share_max"):
        return f"{product} is {_pct(share_g)} of won deals in {names}: their core offer, no overlay"
    if deals_in < pb.value("product_overlay_min_deals"):
        return f"{product} concentrates in {names} but has only {deals_in:,.0f} won deals there"
    if not teams:
        return f"{product} concentrates in {names}, served digitally, so no overlay"
    return None


def _mix_test(counts: pd.DataFrame, pb: Playbook, *, n_tests: int) -> dict:
    """Chi-square test of groups x products on won deals, with minimum counts and Cramer's V.

    Groups with fewer than ``product_min_group_deals`` won deals are left out, then products
    whose expected count is below ``product_min_expected`` in some group (Cochran's rule).
    Cramer's V is reported plain and bias-corrected (Bergsma 2013). The decision uses Cohen's
    w from the corrected V: V alone reads smaller the more groups and products a table has, so a
    fixed V line would ask more of a 4 x 6 table than of a 2 x 6 one.
    """
    res = {
        "groups": 0,
        "products": 0,
        "won_deals": 0,
        "chi2": np.nan,
        "dof": 0,
        "p_value": np.nan,
        "cramers_v": np.nan,
        "cramers_v_corrected": np.nan,
        "effect_w": np.nan,
        "differs": False,
        "left_out": "",
    }
    table = counts[counts.sum(axis=1) >= max(pb.value("product_min_group_deals"), 1)]
    left: list[str] = []
    if len(table) >= 2:
        for _ in range(2):  # dropping products shifts the totals a little; a second pass settles it
            n_g, n_p = table.sum(axis=1).to_numpy(), table.sum(axis=0).to_numpy()
            total = n_g.sum()
            low = (n_p * n_g.min() / max(total, 1)) < pb.value("product_min_expected")
            left += [str(c) for c in table.columns[low]]
            table = table.loc[:, ~low]
    res["left_out"] = "; ".join(left)
    res["groups"], res["products"] = table.shape
    res["won_deals"] = round(float(table.to_numpy().sum())) if table.size else 0
    if table.shape[0] < 2 or table.shape[1] < 2:
        return res
    obs = table.to_numpy(dtype=float)
    n_g, n_p, total = obs.sum(axis=1), obs.sum(axis=0), obs.sum()
    expected = np.outer(n_g, n_p) / total
    chi2 = float(((obs - expected) ** 2 / expected).sum())
    r, c = obs.shape
    dof = (r - 1) * (c - 1)
    p = float(stats.chi2.sf(chi2, dof))
    phi2 = chi2 / total
    v = math.sqrt(phi2 / min(r - 1, c - 1))
    phi2c = max(0.0, phi2 - (r - 1) * (c - 1) / (total - 1))
    rc, cc = r - (r - 1) ** 2 / (total - 1), c - (c - 1) ** 2 / (total - 1)
    vc = math.sqrt(phi2c / min(rc - 1, cc - 1)) if min(rc, cc) > 1 else 0.0
    w = vc * math.sqrt(min(r, c) - 1)
    p_adj = min(p * max(n_tests, 1), 1.0)  # Bonferroni over the dimensions tested
    res.update(
        chi2=chi2,
        dof=dof,
        p_value=p_adj,
        cramers_v=v,
        cramers_v_corrected=vc,
        effect_w=w,
        differs=bool(
            w >= pb.value("product_mix_effect_min") and p_adj <= pb.value("significance_level")
        ),
        _table=table,
    )
    return res


def _mix_sentence(mix: dict, many: str, *, differs: bool, notes: list[str] | None = None) -> str:
    size = f"{mix['won_deals']:,} won deals in {mix['groups']} {many} × {mix['products']} product lines"
    if mix["groups"] < 2 or mix["products"] < 2:
        return f"Product mix across {many} not tested: fewer than two {many} or product lines have enough won deals ({size})."
    measured = (
        f"Cramér's V {mix['cramers_v_corrected']:.2f} bias-corrected (plain {mix['cramers_v']:.2f}; "
        f"effect size w {mix['effect_w']:.2f}), {_pval(mix['p_value'])}, over {size}"
    )
    if not differs:
        return f"Product mix does not differ beyond noise across {many}: {measured}."
    text = f"Product mix differs across {many}: {measured}."
    if notes:
        text += " " + "; ".join(notes) + "."
    return text


def _pod_sentence(t: pd.Series, motion: str, tested: bool, pb: Playbook) -> tuple[str, list[str]]:
    """Why a vertical got its own pod, with the figures and the test that showed it is not noise."""
    fired = ["pod_min_reps"]
    why = []
    if t["deal_size_differs"]:
        fired.append("pod_deal_size_ratio_min")
        ratio = t["deal_ratio"]
        size = (
            f"{ratio:.1f}× the rest of {motion}"
            if ratio >= 1
            else f"{1 / ratio:.1f}× smaller than the rest of {motion}"
        )
        if tested:
            fired += ["pod_min_accounts", "significance_level"]
            why.append(
                f"its typical deal is {size} (Mann-Whitney {_pval(t['deal_p_value'])}, "
                f"{t['accounts_tested']:,.0f} vs {t['rest_accounts']:,.0f} accounts)"
            )
        else:
            why.append(
                f"its typical deal is {size} (not tested against noise: no per-account deal sizes given)"
            )
    if t["win_rate_differs"]:
        fired += ["pod_win_rate_diff_min", "pod_min_closed_deals", "significance_level"]
        why.append(
            f"its win rate is {_pct(t['win_rate'])} vs {_pct(t['rest_win_rate'])} in the rest of {motion} "
            f"({_pval(t['win_rate_p_value'])}, {t['closed_deals']:,.0f} vs {t['rest_closed_deals']:,.0f} closed deals)"
        )
    sentence = (
        f"It gets a pod of its own because {' and '.join(why)}, with {t['reps_needed']:.1f} reps of work "
        f"(≥ {pb.value('pod_min_reps'):g})."
    )
    return sentence, fired
