"""Balanced territories: put real (or placeholder) reps on the planned teams and split accounts.

Balance is on value (annual deal potential), not only counts, because equal counts hide
concentrated value (Sumble). Disruption is minimised: an account stays with its current owner when
that owner is a rep of the account's team and the owner's book stays within ``balance_tolerance``
of the team mean (Pfizer-style bands); everything else is placed largest-first on the least-loaded
rep (LPT greedy, O(n log r) with a heap); a levelling pass then moves accounts from reps above
the band to reps below it. Every move is reported per rep and per
account.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segmentation.errors import InputError
from segmentation.fields import MOTION_LABELS
from segmentation.playbook import Playbook, load_playbook

# Count matters a little (a rep with 300 tiny accounts is busier than one with 30), but value
# leads: this weight keeps value CV low while evening counts with the small tail accounts.
_COUNT_WEIGHT = 0.25


@dataclass
class TerritoryResult:
    """Result of :func:`assign_territories`.

    Attributes
    ----------
    rep : pandas.Series
        Rep per account (string dtype, same index as the accounts); missing when the account's
        team has no rep in the roster or every rep is at capacity (counted in ``warnings``).
    teams : pandas.DataFrame
        Per team: ``team, reps, accounts, value_cv, value_max_min, continuity, unassigned,
        balanced`` (value_cv at or below the playbook's ``balanced_cv_max``, or fewer than 2 reps).
        ``continuity`` is the share of accounts with a known owner that keep that owner.
    reps : pandas.DataFrame
        Per rep: ``rep, team, accounts, value, kept, moved_in, moved_out, value_in, value_out``.
    disruption : pandas.DataFrame
        ``account_id, account_name, from_owner, to_rep, value`` for accounts whose owner changes,
        largest value first; empty when no owners are known.
    warnings : list of str
        Plain-language problems: teams without reps, idle reps, capacity, heavy turnover.
    """

    rep: pd.Series
    teams: pd.DataFrame
    reps: pd.DataFrame
    disruption: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def account_value(accounts: pd.DataFrame, playbook: Playbook | None = None) -> pd.Series:
    """Annual deal potential per account: what territories balance on.

    Parameters
    ----------
    accounts : pandas.DataFrame
        Per-account frame; uses ``deal_size`` and ``annual_revenue`` when present.
    playbook : Playbook, optional
        Source of ``proxy_deal_share_of_revenue``; the shipped playbook when omitted.

    Returns
    -------
    pandas.Series
        Float, same index: ``deal_size`` when known and positive, else ``annual_revenue`` ×
        ``proxy_deal_share_of_revenue`` (the planner's revenue proxy), else 1 (an account with no
        size data then counts like a very small deal, so it is spread by count).
    """
    pb = playbook or load_playbook()
    n = len(accounts)
    deal = _col_num(accounts, "deal_size", n)
    rev = _col_num(accounts, "annual_revenue", n)
    value = np.where(
        deal > 0, deal, np.where(rev > 0, rev * pb.value("proxy_deal_share_of_revenue"), 1.0)
    )
    return pd.Series(value, index=accounts.index, name="value", dtype=float)


def assign_territories(
    accounts: pd.DataFrame,
    roster: pd.DataFrame,
    *,
    seed: int = 0,
    playbook: Playbook | None = None,
) -> TerritoryResult:
    """Split each team's accounts across its reps, balanced on value, keeping owners where possible.

    Parameters
    ----------
    accounts : pandas.DataFrame
        Per account: ``team`` (from :func:`~segmentation.planner.assign_accounts`), optional
        ``motion``, ``role``, ``owner``, ``region``, ``value`` (else :func:`account_value`),
        ``account_id``, ``account_name``.
    roster : pandas.DataFrame
        From :func:`read_roster` or :func:`placeholder_roster`.
    seed : int, default 0
        Breaks ties between equal values reproducibly.
    playbook : Playbook, optional
        Source of ``balance_tolerance`` and ``max_turnover_share``; the shipped one when omitted.

    Returns
    -------
    TerritoryResult

    Raises
    ------
    InputError
        If ``accounts`` has no ``team`` column or the roster has no ``rep`` column.

    Notes
    -----
    Per team: (1) an account stays with its owner when the owner is a rep of that team; an owner
    whose kept book would exceed mean × (1 + ``balance_tolerance``) gives up the largest accounts
    that fit inside the excess (so few accounts move and top accounts stay); capacity caps the
    count kept. (2) The rest go largest-first to the rep with the lowest load (value share plus a
    small count share), preferring reps of the account's region while they are under the mean.
    (3) While a rep's value is outside mean × (1 ± ``balance_tolerance``), the most-loaded rep
    hands the least-loaded one the largest account that fits the gap, accounts that already moved
    first, never an owner's protected top accounts; so every rep ends inside the band where the
    account sizes allow it, and the value CV stays at or below the tolerance.
    """
    if "team" not in accounts.columns:
        raise InputError("Accounts lack a 'team' column: plan coverage and assign accounts first.")
    if "rep" not in roster.columns:
        raise InputError("The roster lacks a 'rep' column.")
    pb = playbook or load_playbook()
    tol = pb.value("balance_tolerance")
    n = len(accounts)
    warnings: list[str] = []

    value = (
        pd.to_numeric(accounts["value"], errors="coerce")
        .fillna(0)
        .clip(lower=0)
        .to_numpy(dtype=float)
        if "value" in accounts.columns
        else account_value(accounts, pb).to_numpy()
    )
    team_s = accounts["team"]
    if not isinstance(team_s.dtype, pd.CategoricalDtype):  # the planner's teams are categorical
        team_s = team_s.astype("string")
    # Order of first appearance either way; a categorical factorises on its integer codes.
    team_codes, team_names = pd.factorize(team_s, use_na_sentinel=True)
    team_names = [str(t) for t in team_names]
    owner = _col_str(accounts, "owner", n)
    region = _col_str(accounts, "region", n)

    roster = roster.reset_index(drop=True)
    rep_team = _place_reps(roster, accounts, team_codes, team_names, value, warnings)
    rep_names = roster["rep"].astype("string").to_numpy(dtype=object)
    rep_keys = pd.Index(roster["rep"].astype("string").str.strip().str.casefold())
    # Casefold each distinct owner once (a million accounts have a few thousand owners).
    owner_codes, owners = pd.factorize(owner, use_na_sentinel=False)
    owner_hit = rep_keys.get_indexer(pd.Series(owners, dtype="string").str.casefold())
    owner_idx = (
        np.append(owner_hit, -1)[owner_codes].astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    )
    cap_col = (
        pd.to_numeric(roster["capacity"], errors="coerce")
        if "capacity" in roster.columns
        else pd.Series(np.nan, index=roster.index)
    )
    capacity = cap_col.fillna(np.inf).to_numpy(dtype=float)
    # Regions as integer codes shared by accounts and reps (-1 = none): the heap loop stays cheap.
    rep_reg = (
        roster["region"].astype("string").str.strip().str.casefold()
        if "region" in roster.columns
        else pd.Series(pd.NA, index=roster.index, dtype="string")
    )
    # Distinct regions first, in order of appearance, so the codes are those of the whole column.
    region_codes, regions = pd.factorize(region, use_na_sentinel=False)
    folded = pd.Series(regions, dtype="string").str.casefold()
    codes, _ = pd.factorize(pd.concat([folded, rep_reg.mask(rep_reg == "")], ignore_index=True))
    acc_region = codes[: len(regions)].astype(np.int64)[region_codes]
    rep_region = codes[len(regions) :].astype(np.int64)

    assigned = np.full(n, -1, dtype=np.int64)
    # Ties between equal values are broken by a seeded random key so results are reproducible.
    tiebreak = np.random.default_rng(seed).random(n)
    for t, tname in enumerate(team_names):
        rows = np.flatnonzero(team_codes == t)
        reps_t = np.flatnonzero(rep_team == t)
        if len(reps_t) == 0:
            # Self-serve accounts have no rep by design: only a named team without reps is news.
            if str(tname) != MOTION_LABELS["digital"]:
                warnings.append(
                    f"Team '{tname}' has no rep in the roster: its {len(rows):,} accounts are "
                    "unassigned."
                )
            continue
        assigned[rows] = _balance_team(
            value[rows],
            owner_idx[rows],
            acc_region[rows],
            tiebreak[rows],
            reps_t,
            capacity,
            rep_region,
            tol,
        )
        left = int((assigned[rows] < 0).sum())
        if left:
            warnings.append(
                f"Team '{tname}': {left:,} accounts left unassigned because every rep is at capacity."
            )
    na_team = int((team_codes < 0).sum())
    if na_team:
        warnings.append(f"{na_team:,} accounts have no team and were not assigned.")

    names_na = pd.array([*rep_names, pd.NA], dtype="string")
    rep = pd.Series(
        names_na.take(np.where(assigned >= 0, assigned, len(rep_names))),
        index=accounts.index,
        name="rep",
    )
    unknown_owners = owner.notna().to_numpy() & (owner_idx < 0) if n else np.zeros(0, bool)
    if unknown_owners.any():
        warnings.append(
            f"{int(unknown_owners.sum()):,} accounts are owned by people not in the roster; they were reassigned."
        )
    res = _summaries(
        accounts,
        value,
        team_codes,
        team_names,
        owner,
        owner_idx,
        assigned,
        rep_names,
        rep_team,
        pb,
        warnings,
    )
    return TerritoryResult(rep=rep, warnings=warnings, **res)


# --------------------------------------------------------------------------------------------
def _col_num(df: pd.DataFrame, col: str, n: int) -> np.ndarray:
    if col not in df.columns:
        return np.full(n, np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _take_string(df: pd.DataFrame, col: str, idx: np.ndarray):
    """Rows ``idx`` of a column as the nullable ``string`` dtype (all missing without the column)."""
    if col not in df.columns:
        return pd.array([pd.NA] * len(idx), dtype="string")
    values = df[col]
    if isinstance(values.dtype, pd.StringDtype):
        return values.array.take(idx).astype("string")
    return pd.array(values.to_numpy(dtype=object)[idx], dtype="string")


def _col_str(df: pd.DataFrame, col: str, n: int) -> pd.Series:
    if col not in df.columns:
        return pd.Series(pd.array([pd.NA] * n, dtype="string"), index=df.index)
    s = df[col].astype("string").str.strip()
    return s.mask(s == "")


def _place_reps(roster, accounts, team_codes, team_names, value, warnings) -> np.ndarray:
    """Team index per roster rep (-1 = idle): by team name, else by motion (+ role) match.

    Reps matched by motion/role are shared across matching teams by the D'Hondt rule on team
    value, so the largest books get reps first and the split is deterministic.
    """
    lower = {t.casefold(): i for i, t in enumerate(team_names)}
    out = np.full(len(roster), -1, dtype=np.int64)
    team_col = (
        roster["team"].astype("string")
        if "team" in roster.columns
        else pd.Series(pd.NA, index=roster.index, dtype="string")
    )
    for i, t in enumerate(team_col):
        if isinstance(t, str):
            out[i] = lower.get(t.strip().casefold(), -1)
            if out[i] < 0:
                warnings.append(
                    f"Rep '{roster['rep'].iloc[i]}' is on team '{t}', which has no accounts in the plan: left idle."
                )
    pending = [i for i, t in enumerate(team_col) if not isinstance(t, str)]
    if not pending:
        return out
    tv = np.bincount(
        team_codes[team_codes >= 0], weights=value[team_codes >= 0], minlength=len(team_names)
    )
    tmotion = _team_attr(accounts, team_codes, len(team_names), "motion")
    trole = _team_attr(accounts, team_codes, len(team_names), "role")
    seats = np.bincount(out[out >= 0], minlength=len(team_names)).astype(float)
    for i in pending:
        m = _lower(roster["motion"].iloc[i]) if "motion" in roster.columns else None
        r = _lower(roster["role"].iloc[i]) if "role" in roster.columns else None
        ok = np.array(
            [(tmotion[k] == m) and (r is None or trole[k] == r) for k in range(len(team_names))],
            dtype=bool,
        )
        if not ok.any():
            warnings.append(
                f"Rep '{roster['rep'].iloc[i]}' ({m or '?'} {r or ''}) matches no team in the plan: left idle."
            )
            continue
        quotient = np.where(ok, tv / (seats + 1), -np.inf)
        k = int(np.argmax(quotient))
        out[i] = k
        seats[k] += 1
    return out


def _lower(x) -> str | None:
    return x.strip().lower() if isinstance(x, str) and x.strip() else None


def _team_attr(accounts, team_codes, k, col) -> list:
    if col not in accounts.columns:
        return [None] * k
    s = pd.Series(accounts[col].astype("string").to_numpy(dtype=object, na_value=None))
    first = s.groupby(team_codes).first()
    return [(_lower(first.get(i)) if i in first.index else None) for i in range(k)]


def _balance_team(v, own, reg, tiebreak, reps_t, capacity, rep_region, tol) -> np.ndarray:
    """Assign one team's accounts; returns global rep index per account (-1 = unassigned)."""
    m, r = len(v), len(reps_t)
    out = np.full(m, -1, dtype=np.int64)
    if m == 0:
        return out
    mean_v = max(v.sum() / r, 1e-12)
    mean_c = max(m / r, 1e-12)
    keep_cap = mean_v * (1 + tol)
    lookup = np.full(len(capacity) + 1, -1, dtype=np.int64)
    lookup[reps_t] = np.arange(r)
    own_local = lookup[own]  # own == -1 hits the sentinel slot at the end
    cap = capacity[reps_t]
    load_v = np.zeros(r)
    load_c = np.zeros(r)
    kept = np.zeros(m, dtype=bool)  # stayed with the current owner
    locked = np.zeros(m, dtype=bool)  # an owner's protected top accounts: never moved

    # (1) keep owners: each owner's book sorted by value, largest first.
    owned = np.flatnonzero(own_local >= 0)
    if len(owned):
        order = owned[np.lexsort((tiebreak[owned], -v[owned], own_local[owned]))]
        groups = np.split(order, np.flatnonzero(np.diff(own_local[order])) + 1)
        for g in groups:
            j = own_local[g[0]]
            vals = v[g]
            keep = np.ones(len(g), dtype=bool)
            excess = vals.sum() - keep_cap
            # The top tier (the largest accounts filling half the cap) never moves (Engagio: keep
            # top accounts >= 1 year), neither here nor in the levelling pass.
            protected = int(np.searchsorted(np.cumsum(vals), keep_cap / 2, side="right"))
            if excess > 0:
                # Below the top tier, shed the largest run of accounts that fits inside the
                # excess, so few accounts move.
                k0 = max(protected, int(np.searchsorted(-vals, -excess, side="left")))
                if k0 < len(g):
                    shed = np.cumsum(vals[k0:]) <= excess
                    keep[k0:] &= ~shed
                    excess -= vals[k0:][shed].sum()
                # The run stops at the first account that overshoots; smaller ones after it may
                # still fit. A few more passes (each vectorised) fill the rest of the excess.
                for _ in range(8):
                    fits = keep & (np.arange(len(g)) >= protected) & (vals <= excess)
                    if excess <= 0.01 * mean_v or not fits.any():
                        break
                    shed = fits & (np.cumsum(np.where(fits, vals, 0.0)) <= excess)
                    keep &= ~shed
                    excess -= vals[shed].sum()
                if excess > 0.01 * mean_v:
                    # Still over: give up the one smallest unprotected account that clears it.
                    cand = (
                        np.flatnonzero(keep[protected:] & (vals[protected:] >= excess)) + protected
                    )
                    if len(cand):
                        keep[cand[-1]] = False
            if np.isfinite(cap[j]) and keep.sum() > cap[j]:
                keep[np.flatnonzero(keep)[int(cap[j]) :]] = False
            out[g[keep]] = reps_t[j]
            kept[g[keep]] = True
            locked[g[:protected][keep[:protected]]] = True
            load_v[j] = vals[keep].sum()
            load_c[j] = keep.sum()

    # (2) greedy LPT for the rest, with per-region heaps in front of the team heap.
    rest = np.flatnonzero(out < 0)
    if len(rest):
        _place_rest(
            out, rest, v, reg, tiebreak, reps_t, cap, rep_region, load_v, load_c, mean_v, mean_c
        )
    # (3) level reps left outside the band.
    _level_up(out, v, reps_t, lookup, load_v, load_c, cap, kept, locked, mean_v, tol)
    return out


def _place_rest(
    out, rest, v, reg, tiebreak, reps_t, cap, rep_region, load_v, load_c, mean_v, mean_c
) -> None:
    """Greedy LPT for the accounts no owner kept, with per-region heaps in front of the team heap."""
    r = len(reps_t)
    rest = rest[np.lexsort((tiebreak[rest], -v[rest]))]
    rreg = rep_region[reps_t]
    region_reps: dict[int, list[int]] = {}
    for j, g in enumerate(rreg.tolist()):
        if g >= 0:
            region_reps.setdefault(g, []).append(j)
    # The loop runs once per account: plain Python lists and floats, not numpy scalars (the
    # same IEEE arithmetic, so the same loads and choices, several times faster).
    lv, lc, capl, reps = load_v.tolist(), load_c.tolist(), cap.tolist(), reps_t.tolist()
    full = [c >= k for c, k in zip(lc, capl)]
    version = [0] * r
    wv, wc = float(1.0 / mean_v), float(_COUNT_WEIGHT / mean_c)
    mean = float(mean_v)

    def key(j: int) -> float:
        return lv[j] * wv + lc[j] * wc

    all_heap = [(key(j), j, 0) for j in range(r) if not full[j]]
    heapq.heapify(all_heap)
    reg_heaps = {g: [(key(j), j, 0) for j in js if not full[j]] for g, js in region_reps.items()}
    for h in reg_heaps.values():
        heapq.heapify(h)
    use_regions = bool(region_reps) and bool((reg[rest] >= 0).any())

    def top(h):
        while h and (h[0][2] != version[h[0][1]] or full[h[0][1]]):
            heapq.heappop(h)
        return h[0][1] if h else -1

    order = rest.tolist()
    chosen: list[int] = []  # rep per account of ``order``, until every rep is full
    vv = v.tolist()
    if not use_regions:
        # Fast path: one heap, heapreplace per account.
        for a in order:
            if not all_heap:
                break
            j = all_heap[0][1]
            chosen.append(reps[j])
            lv[j] += vv[a]
            lc[j] += 1
            if lc[j] >= capl[j]:
                full[j] = True
                heapq.heappop(all_heap)
            else:
                heapq.heapreplace(all_heap, (lv[j] * wv + lc[j] * wc, j, 0))
    else:
        regl = reg.tolist()
        rregl = rreg.tolist()
        for a in order:
            j = -1
            g = regl[a]
            if g >= 0 and g in reg_heaps:
                cand = top(reg_heaps[g])
                # Keep the region together while its reps are under the mean; past that, balance wins.
                if cand >= 0 and lv[cand] + vv[a] <= mean:
                    j = cand
            if j < 0:
                j = top(all_heap)
                if j < 0:
                    break
            chosen.append(reps[j])
            lv[j] += vv[a]
            lc[j] += 1
            version[j] += 1
            if lc[j] >= capl[j]:
                full[j] = True
                continue
            entry = (key(j), j, version[j])
            heapq.heappush(all_heap, entry)
            if rregl[j] >= 0:
                heapq.heappush(reg_heaps[rregl[j]], entry)
    if chosen:
        out[rest[: len(chosen)]] = np.asarray(chosen, dtype=np.int64)
    load_v[:] = lv
    load_c[:] = lc


def _level_up(out, v, reps_t, lookup, load_v, load_c, cap, kept, locked, mean_v, tol) -> None:
    """Move accounts from reps above the band to reps below it until every rep is inside.

    The greedy step leaves a rep short when owners keep books up to the band's upper edge and the
    pool left over cannot fill everyone, or when the count weight steers value away from a rep
    with many small accounts; an owner's protected top tier can leave them over the edge. Each
    move hands the largest account that fits the gap from the most-loaded rep to the least-loaded
    one (donor above the mean by at least its value, receiver below by at least its value), so
    the sum of deviations from the mean falls at every step and the loop ends. Accounts that
    already moved go first (moving them again costs no continuity); protected accounts never move.
    """
    r = len(reps_t)
    low, high = mean_v * (1 - tol), mean_v * (1 + tol)
    if r < 2 or not ((load_v < low).any() or (load_v > high).any()):
        return
    local = np.full(len(out), -1, dtype=np.int64)
    placed = out >= 0
    local[placed] = lookup[out[placed]]
    order = np.argsort(local, kind="stable")
    starts = np.searchsorted(local[order], np.arange(r + 1))
    books = [list(order[starts[j] : starts[j + 1]]) for j in range(r)]
    movable = (v > 0) & ~locked
    for _ in range(len(out)):
        open_ = load_c < cap
        if not open_.any():
            return
        lo = int(np.argmin(np.where(open_, load_v, np.inf)))
        hi = int(np.argmax(load_v))
        if load_v[lo] >= low and load_v[hi] <= high:
            return
        moved = False
        # Donors from the most loaded down; when the problem is a rep over the band, only they give.
        donors = np.argsort(-load_v, kind="stable") if load_v[lo] < low else [hi]
        for d in donors:
            if load_v[d] <= mean_v or d == lo or load_v[lo] >= mean_v:
                break
            gap = min(load_v[d] - mean_v, mean_v - load_v[lo])
            book = np.asarray(books[d], dtype=np.int64)
            fits = book[movable[book] & (v[book] <= gap)]
            if len(fits) == 0:
                continue
            pool = fits[~kept[fits]] if (~kept[fits]).any() else fits
            a = int(pool[np.argmax(v[pool])])
            books[d].remove(a)
            books[lo].append(a)
            out[a] = reps_t[lo]
            kept[a] = False
            load_v[d] -= v[a]
            load_v[lo] += v[a]
            load_c[d] -= 1
            load_c[lo] += 1
            moved = True
            break
        if not moved:
            return


def _summaries(
    accounts,
    value,
    team_codes,
    team_names,
    owner,
    owner_idx,
    assigned,
    rep_names,
    rep_team,
    pb,
    warnings,
):
    n, nr = len(value), len(rep_names)
    got = assigned >= 0
    has_owner = owner_idx >= 0
    kept_mask = has_owner & (assigned == owner_idx)

    acc = np.bincount(assigned[got], minlength=nr)
    val = np.bincount(assigned[got], weights=value[got], minlength=nr)
    kept = np.bincount(assigned[kept_mask], minlength=nr)
    kept_v = np.bincount(assigned[kept_mask], weights=value[kept_mask], minlength=nr)
    owned = np.bincount(owner_idx[has_owner], minlength=nr)
    owned_v = np.bincount(owner_idx[has_owner], weights=value[has_owner], minlength=nr)
    reps = pd.DataFrame(
        {
            "rep": pd.array(rep_names, dtype="string"),
            "team": pd.array(
                [team_names[t] if t >= 0 else pd.NA for t in rep_team], dtype="string"
            ),
            "accounts": acc.astype(int),
            "value": val,
            "kept": kept.astype(int),
            "moved_in": (acc - kept).astype(int),
            "moved_out": (owned - kept).astype(int),
            "value_in": val - kept_v,
            "value_out": owned_v - kept_v,
        }
    )
    limit = pb.value("max_turnover_share")
    heavy = (owned > 0) & ((owned - kept) / np.maximum(owned, 1) > limit)
    for i in np.flatnonzero(heavy):
        warnings.append(
            f"{rep_names[i]} loses {owned[i] - kept[i]:,} of {owned[i]:,} accounts "
            f"({(owned[i] - kept[i]) / owned[i]:.0%}, above the {limit:.0%} per-quarter guideline): phase the change."
        )

    known_owner = owner.notna().to_numpy() if n else np.zeros(0, bool)
    rows = []
    for t, name in enumerate(team_names):
        in_t = team_codes == t
        reps_t = np.flatnonzero(rep_team == t)
        vals = val[reps_t]
        mean = vals.mean() if len(vals) else np.nan
        cv = float(vals.std() / mean) if len(vals) and mean > 0 else np.nan
        vmin = vals.min() if len(vals) else np.nan
        ko = in_t & known_owner
        rows.append(
            {
                "team": name,
                "reps": len(reps_t),
                "accounts": int(in_t.sum()),
                "value_cv": cv,
                "value_max_min": float(vals.max() / vmin) if len(vals) and vmin > 0 else np.nan,
                "continuity": float(kept_mask[ko].mean()) if ko.any() else np.nan,
                "unassigned": int((in_t & ~got).sum()),
            }
        )
    teams = pd.DataFrame(
        rows,
        columns=[
            "team",
            "reps",
            "accounts",
            "value_cv",
            "value_max_min",
            "continuity",
            "unassigned",
        ],
    )
    cv_max = pb.value("balanced_cv_max")
    teams["balanced"] = teams["value_cv"].le(cv_max) | teams["reps"].lt(2)
    for _, team in teams[~teams["balanced"] & teams["value_cv"].notna()].iterrows():
        warnings.append(
            f"{team['team']}: book values spread {team['value_cv']:.2f} (coefficient of variation) "
            f"across its {team['reps']} reps, above the {cv_max:.2f} that reads balanced: a "
            "few large accounts may dominate; check the per-rep balance."
        )

    moved = known_owner & ~kept_mask
    idx = np.flatnonzero(moved)
    idx = idx[np.argsort(-value[idx], kind="stable")]
    if "account_id" not in accounts.columns:
        ids = idx
    elif len(idx) and accounts["account_id"].dtype == "str":
        ids = accounts["account_id"].array.take(idx)  # Arrow take: no Python string per account
    else:
        ids = accounts["account_id"].to_numpy(dtype=object)[idx]
    disruption = pd.DataFrame(
        {
            "account_id": ids,
            "account_name": _take_string(accounts, "account_name", idx),
            "from_owner": owner.array.take(idx).astype("string"),
            "to_rep": pd.array([*rep_names, pd.NA], dtype="string").take(
                np.where(assigned[idx] >= 0, assigned[idx], len(rep_names))
            ),
            "value": value[idx],
        }
    )
    return {"teams": teams, "reps": reps, "disruption": disruption}
