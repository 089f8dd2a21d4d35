"""Roles: hunters, farmers or generalists, from the book's status mix and the team's size.

Roles follow the book: customer-heavy segments get farmers (account managers), prospect-heavy
ones hunters, former customers win-back hunters. A team too small to split hunters from farmers
becomes generalists when both kinds of work are a real share of it; a sliver of the other kind
keeps its own role (a customer is never handed to a hunter, nor a prospect to a farmer). Each
segment's sentence and rules are written here, where its role is decided.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.planner._common import _num, _pct
from segmentation.playbook import Playbook


@dataclass
class Candidates:
    """The role each segment's own book asks for, before team sizes are weighed."""

    role: np.ndarray
    winback: np.ndarray
    cust_share: np.ndarray
    prospect_share: np.ndarray
    former_share: np.ndarray


def candidate_roles(seg: pd.DataFrame, pb: Playbook) -> Candidates:
    """The role each segment's status mix asks for.

    Parameters
    ----------
    seg : pandas.DataFrame
        Segment profiles (``accounts, customers, prospects, former, customer_share``).
    pb : Playbook

    Returns
    -------
    Candidates
        ``farmer`` when customers are at least ``farmer_customer_share_min``; else ``hunter``
        when prospects are at least ``hunter_prospect_share_min``, or (win-back hunters) former
        customers at least ``winback_former_share_min``; else ``generalist``.
    """
    n_acc = _num(seg["accounts"])
    safe = np.where(n_acc > 0, n_acc, np.nan)
    cust_share = _num(seg["customer_share"])
    cust_share = np.where(np.isnan(cust_share), _num(seg["customers"]) / safe, cust_share)
    prospect_share = _num(seg["prospects"]) / safe
    former_share = _num(seg["former"]) / safe
    is_farmer = cust_share >= pb.value("farmer_customer_share_min")
    is_hunter = ~is_farmer & (prospect_share >= pb.value("hunter_prospect_share_min"))
    winback = ~is_farmer & ~is_hunter & (former_share >= pb.value("winback_former_share_min"))
    role = np.select([is_farmer, is_hunter | winback], ["farmer", "hunter"], "generalist").astype(
        object
    )
    return Candidates(role, winback, cust_share, prospect_share, former_share)


@dataclass
class Roles:
    """Final role per segment, how its team was decided, and the sentence and rules that say so."""

    role: np.ndarray
    kind: np.ndarray
    why: list[str]
    rules: list[list[str]]


def resolve_roles(motion, pod, cand: Candidates, need, seg: pd.DataFrame, pb: Playbook) -> Roles:
    """Apply 'split hunters and farmers only when both sides can be a full team' per team group.

    Parameters
    ----------
    motion, pod : numpy.ndarray
        Motion and vertical pod ('' for none) per segment.
    cand : Candidates
        From :func:`candidate_roles`.
    need : numpy.ndarray
        Reps each segment needs (the larger of capacity and the coverage floor).
    seg : pandas.DataFrame
        Segment profiles (``accounts, customers, prospects, former``).
    pb : Playbook

    Returns
    -------
    Roles
        ``kind`` per segment is ``digital``; ``split`` (both sides are full teams, more than
        ``generalist_team_max`` reps); ``one_side`` (the group is essentially one kind of work:
        the other side has no reps, or is below ``generalist_min_other_share`` of the accounts);
        ``sliver`` (that other side: it keeps its own role, as a small team, because roles follow
        the book); ``merged`` (hunters and farmers folded into one generalist team); or
        ``absorbed`` (a small remainder of mixed segments covered by the group's main role).
    """
    customers, prospects = _num(seg["customers"]), _num(seg["prospects"])
    n_accounts = _num(seg["accounts"])
    n = len(motion)
    role = cand.role.copy()
    kind = np.full(n, "", dtype=object)
    why = [""] * n
    rules: list[list[str]] = [[] for _ in range(n)]
    role[motion == "digital"] = "generalist"
    kind[motion == "digital"] = "digital"
    df = pd.DataFrame(
        {
            "m": motion,
            "p": pod,
            "r": cand.role,
            "need": need,
            "c": np.nan_to_num(customers),
            # The generalist test asks whether farmers would also prospect: former customers are
            # win-back hunter work but too little of it to turn account managers into generalists.
            "q": np.nan_to_num(prospects),
            "n": np.nan_to_num(n_accounts),
        }
    )

    for i in np.flatnonzero(motion == "digital"):
        why[i], rules[i] = "no named rep is needed", []
    # One iteration per team group (a handful), not per segment.
    for _, g in df[df["m"] != "digital"].groupby(["m", "p"], sort=False):
        _resolve_group(g, cand, role, kind, why, rules, pb)
    return Roles(role, kind, why, rules)


def _own_reason(cand: Candidates, i: int) -> tuple[str, list[str]]:
    """The segment's own book: why it asks for its candidate role, and the rule ids."""
    cs, ps, fs = cand.cust_share[i], cand.prospect_share[i], cand.former_share[i]
    if cand.role[i] == "farmer":
        return f"{_pct(cs)} are customers", ["farmer_customer_share_min"]
    if cand.winback[i]:
        return (
            f"{_pct(fs)} are former customers to win back (only {_pct(cs)} customers)",
            [
                "farmer_customer_share_min",
                "hunter_prospect_share_min",
                "winback_former_share_min",
            ],
        )
    if cand.role[i] == "hunter":
        return f"{_pct(ps)} are untapped prospects (only {_pct(cs)} customers)", [
            "hunter_prospect_share_min"
        ]
    return (
        f"neither customers ({_pct(cs)}), prospects ({_pct(ps)}) nor former customers ({_pct(fs)}) dominate",
        ["farmer_customer_share_min", "hunter_prospect_share_min", "winback_former_share_min"],
    )


def _resolve_group(g: pd.DataFrame, cand: Candidates, role, kind, why, rules, pb: Playbook) -> None:
    """Roles of one team group (motion and pod): split, one side with a sliver, or merged; in place."""
    gmax = pb.value("generalist_team_max")
    h = g.loc[g["r"] == "hunter", "need"].sum()
    f = g.loc[g["r"] == "farmer", "need"].sum()
    idx = g.index.to_numpy()
    main = "farmer" if f >= h else "hunter"
    other_name = "hunter" if main == "farmer" else "farmer"
    other = (g["q"] if main == "farmer" else g["c"]).sum() / max(g["n"].sum(), 1.0)
    total = float(g["need"].sum())
    one_sided = (max(h, f) > gmax and min(h, f) == 0) or (
        h + f > 0 and min(h, f) <= gmax and other < pb.value("generalist_min_other_share")
    )
    for i in idx:
        why[i], rules[i] = _own_reason(cand, i)
    if h > gmax and f > gmax:
        kind[idx] = "split"
    elif one_sided:
        kind[idx] = "one_side"
        sliver = g.index[g["r"] == other_name].to_numpy()
        kind[sliver] = "sliver"
        for i in sliver:
            text, fired = _own_reason(cand, i)
            why[i] = (
                f"{text}; the {other_name} side of this motion is only {min(h, f):.1f} reps (≤ {gmax:g}) "
                f"and {_pct(other)} of its accounts, too little to split or to make generalists, "
                f"but the book is {other_name} work, so a small {other_name} team keeps it"
            )
            rules[i] = [*fired, "generalist_team_max", "generalist_min_other_share"]
    else:
        _merge_generalists(idx, cand, role, kind, why, rules, h, f, total, other, gmax)
        return
    _absorb_mixed(g, idx, main, h, f, role, kind, why, rules, cand, gmax)


def _merge_generalists(
    idx, cand: Candidates, role, kind, why, rules, h, f, total, other, gmax
) -> None:
    """Hunters and farmers folded into one generalist team: too few reps to split them."""
    small = np.isin(role[idx], ["hunter", "farmer"])
    role[idx[small]] = "generalist"
    kind[idx] = "merged"
    for i in idx[small]:
        text, fired = _own_reason(cand, i)
        if total <= gmax:
            why[i] = (
                f"{text}, but the team needs only {total:.1f} reps (≤ {gmax:g}), "
                f"so one generalist team covers new and existing business"
            )
        else:
            side = "farmer" if f < h else "hunter"
            why[i] = (
                f"{text}, but the {side} side would be only {min(h, f):.1f} reps (≤ {gmax:g}), "
                f"too few to split hunters from farmers, yet {_pct(other)} of the accounts, so one "
                f"generalist team of {total:.1f} reps"
            )
        rules[i] = [*fired, "generalist_team_max", "generalist_min_other_share"]


def _absorb_mixed(g, idx, main, h, f, role, kind, why, rules, cand: Candidates, gmax) -> None:
    """Mixed-status segments too small for a generalist team of their own join the main side."""
    # Segments that are neither hunter nor farmer ground (a mixed status) would form a
    # generalist team of their own; too small to stand alone, they join the group's larger
    # side instead of becoming a one- or two-rep team.
    rest = g["r"] == "generalist"
    rest_need = g.loc[rest, "need"].sum()
    if rest.any() and rest_need <= gmax:
        ridx = g.index[rest].to_numpy()
        role[ridx] = main if kind[idx[0]] != "split" else ("farmer" if f >= h else "hunter")
        kind[ridx] = "absorbed"
        for i in ridx:
            text, fired = _own_reason(cand, i)
            why[i] = (
                f"{text}, and a generalist team for such segments would be only "
                f"{rest_need:.1f} reps (≤ {gmax:g}), so the {role[i]}s cover it"
            )
            rules[i] = [*fired, "generalist_team_max"]
