"""Roles: hunters, farmers or generalists, from the book's status mix and the team's size."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.playbook import Playbook


def _resolve_roles(motion, pod, cand, need, customers, prospects, n_accounts, pb):
    """Apply 'split hunters and farmers only when both sides can be a full team' per team group.

    Returns the final roles and, per segment, how its group was decided: ``kind`` is

    - ``digital``;
    - ``split``: both sides are full teams (more than ``generalist_team_max`` reps);
    - ``one_side``: the group is essentially one kind of work, so it keeps that role even when
      small: the other side has no reps, or its accounts are below
      ``generalist_min_other_share`` of the group (a generalist label needs both kinds of work);
    - ``merged``: hunters and farmers folded into one generalist team;
    - ``absorbed``: a segment covered by the group's main role although its own mix says
      otherwise (a small generalist remainder, or the sliver of the other side);

    with, for the reason, the size and name of the side that was folded in.
    """
    gmax = pb.value("generalist_team_max")
    n = len(cand)
    role = cand.copy()
    kind = np.full(n, "", dtype=object)
    side_size = np.full(n, np.nan)
    side_name = np.full(n, "", dtype=object)
    role[motion == "digital"] = "generalist"
    kind[motion == "digital"] = "digital"
    df = pd.DataFrame(
        {"m": motion, "p": pod, "r": cand, "need": need, "c": np.nan_to_num(customers),
         "q": np.nan_to_num(prospects), "n": np.nan_to_num(n_accounts)}
    )
    # One iteration per team group (a handful), not per segment.
    for _, g in df[df["m"] != "digital"].groupby(["m", "p"], sort=False):
        h = g.loc[g["r"] == "hunter", "need"].sum()
        f = g.loc[g["r"] == "farmer", "need"].sum()
        idx = g.index.to_numpy()
        main = "farmer" if f >= h else "hunter"
        other = (g["q"] if main == "farmer" else g["c"]).sum() / max(g["n"].sum(), 1.0)
        one_sided = (max(h, f) > gmax and min(h, f) == 0) or (
            h + f > 0 and min(h, f) <= gmax and other < pb.value("generalist_min_other_share")
        )
        if h > gmax and f > gmax:
            kind[idx] = "split"
        elif one_sided:
            kind[idx] = "one_side"
            sliver = g.index[g["r"].isin(["hunter", "farmer"]) & (g["r"] != main)].to_numpy()
            role[sliver] = main
            kind[sliver] = "absorbed"
            side_size[sliver] = min(h, f)
            side_name[sliver] = "farmer" if main == "hunter" else "hunter"
        else:
            small = np.isin(role[idx], ["hunter", "farmer"])
            role[idx[small]] = "generalist"
            kind[idx] = "merged"
            side_size[idx] = min(h, f)
            side_name[idx] = "farmer" if f < h else "hunter"
            continue
        # Segments that are neither hunter nor farmer ground (former customers, a mixed status)
        # would form a generalist team of their own; too small to stand alone, they join the
        # group's larger side instead of becoming a one- or two-rep team.
        rest = g["r"] == "generalist"
        if rest.any() and g.loc[rest, "need"].sum() <= gmax:
            ridx = g.index[rest].to_numpy()
            role[ridx] = main if kind[idx[0]] != "split" else ("farmer" if f >= h else "hunter")
            kind[ridx] = "absorbed"
            side_size[ridx] = g.loc[rest, "need"].sum()
            side_name[ridx] = "generalist"
    return role, kind, side_size, side_name
