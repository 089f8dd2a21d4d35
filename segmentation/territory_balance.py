"""Balancing one team's accounts across its reps: owners kept, the rest placed, then levelled.

Balance is on value (annual deal potential) with a small weight on counts. (1) An account stays
with its owner while the owner's book is within ``balance_tolerance`` of the team mean (the
largest accounts never move); (2) the rest go largest-first to the least-loaded rep (LPT greedy,
O(n log r) with a heap, region-aware); (3) a levelling pass moves accounts from reps above the
band to reps below it. Called per team by :func:`segmentation.territories.assign_territories`.
"""

from __future__ import annotations

import heapq

import numpy as np

# Count matters a little (a rep with 300 tiny accounts is busier than one with 30), but value
# leads: this weight keeps value CV low while evening counts with the small tail accounts.
_COUNT_WEIGHT = 0.25


def balance_team(v, own, reg, tiebreak, reps_t, capacity, rep_region, tol) -> np.ndarray:
    """Assign one team's accounts to its reps, balanced on value, keeping owners where possible.

    Parameters
    ----------
    v, own, reg, tiebreak : numpy.ndarray
        Per account of the team: value, owner (global rep index, -1 = none in the roster),
        region code (-1 = none) and a seeded random tie-break.
    reps_t : numpy.ndarray
        Global indices of the team's reps.
    capacity, rep_region : numpy.ndarray
        Per roster rep: the most accounts it may take (inf = no limit) and its region code.
    tol : float
        ``balance_tolerance``: the band around the mean value a rep's book should end in.

    Returns
    -------
    numpy.ndarray
        Global rep index per account (-1 = unassigned: every rep at capacity).
    """
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
    _keep_owners(
        out, v, own_local, tiebreak, reps_t, cap, kept, locked, load_v, load_c, mean_v, keep_cap
    )

    # (2) greedy LPT for the rest, with per-region heaps in front of the team heap.
    rest = np.flatnonzero(out < 0)
    if len(rest):
        _place_rest(
            out, rest, v, reg, tiebreak, reps_t, cap, rep_region, load_v, load_c, mean_v, mean_c
        )
    # (3) level reps left outside the band.
    _level_up(out, v, reps_t, lookup, load_v, load_c, cap, kept, locked, mean_v, tol)
    return out


def _keep_owners(
    out, v, own_local, tiebreak, reps_t, cap, kept, locked, load_v, load_c, mean_v, keep_cap
) -> None:
    """Step (1): each owner keeps its book up to the band's upper edge, its top tier protected.

    An owner whose book is over ``keep_cap`` sheds, below its protected top accounts, the largest
    run of accounts that fits inside the excess; capacity caps the count kept. Writes ``out``,
    ``kept``, ``locked`` and the owners' loads in place.
    """
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
