"""The attack plan: a play per vertical and segment, with its reason.

From the market's penetration (:mod:`segmentation.market`), the win rates of every closed deal
and the competitor analysis (:mod:`segmentation.competitors`), each vertical and segment gets a
play (expand, attack whitespace, displace a competitor, or avoid / partner) and the sentence that
says why (``attack.csv``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.competitors import ALL, CompetitionResult
from segmentation.naming import format_money

ATTACK_COLUMNS: tuple[str, ...] = (
    "vertical", "segment", "market_accounts", "crm_accounts", "customers", "penetration",
    "win_rate", "main_competitor", "win_rate_vs_main", "play", "reason",
    "untouched", "untouched_value", "closed_deals", "main_competitor_deals", "main_competitor_call",
)  # fmt: skip
"""Columns of ``attack.csv``: one row per vertical (``segment`` = "all") and per segment."""

PLAYS: tuple[str, ...] = ("expand", "attack whitespace", "displace", "avoid or partner")

SMALL_SEGMENT_SHARE = 0.05
"""A segment with less than this share of the market companies is small: where we lose to a
competitor beyond noise, it is not worth a fight (avoid or partner)."""


def attack_plan(
    penetration: pd.DataFrame,
    segment_win: pd.DataFrame | None,
    competition: CompetitionResult | None,
) -> pd.DataFrame:
    """A play per vertical and segment, with its reason.

    - **avoid or partner**: we lose to a competitor there beyond noise and the segment is small
      (under :data:`SMALL_SEGMENT_SHARE` of the market);
    - **displace**: we beat a competitor there beyond noise — go after its customers;
    - **expand**: penetration at or above the market's and customers to grow;
    - **attack whitespace**: otherwise — low penetration, untouched companies to win (the reason
      says whether we win there more or less than overall).

    Parameters
    ----------
    penetration : pandas.DataFrame
        :attr:`segmentation.market.MarketResult.penetration`.
    segment_win : pandas.DataFrame or None
        ``segment, closed_deals, won`` per segment (and "all"), from every closed deal.
    competition : CompetitionResult or None

    Returns
    -------
    pandas.DataFrame
        :data:`ATTACK_COLUMNS`.
    """
    out = penetration.copy()
    seg_rows = out["segment"] != ALL
    total_market = int(out.loc[~seg_rows, "market_accounts"].sum())
    total_customers = int(out.loc[~seg_rows, "customers"].sum())
    market_pen = total_customers / total_market if total_market else np.nan

    won, closed, overall_win = _win_rates(out, seg_rows, segment_win)
    out["closed_deals"] = closed.astype("int64")
    out["win_rate"] = (won / closed).where(closed > 0)

    main, beaten, beats_us = _main_competitors(out, seg_rows, competition)
    out = out.join(main)
    out["main_competitor_deals"] = out["main_competitor_deals"].fillna(0).astype("int64")
    out["win_rate_vs_main"] = pd.to_numeric(out["win_rate_vs_main"])

    plays, reasons = [], []
    for i in out.index:
        play, reason = _play(out.loc[i], total_market, market_pen, overall_win, beaten, beats_us)
        plays.append(play)
        reasons.append(reason)
    out["play"] = plays
    out["reason"] = reasons
    for col in ("main_competitor", "main_competitor_call"):
        out[col] = out[col].astype("str")
    return out[list(ATTACK_COLUMNS)]


def _win_rates(
    out: pd.DataFrame, seg_rows: pd.Series, segment_win: pd.DataFrame | None
) -> tuple[pd.Series, pd.Series, float]:
    """Won and closed deals per row (a vertical's are its segments' sum), and the overall win rate."""
    won = pd.Series(0.0, index=out.index)
    closed = pd.Series(0.0, index=out.index)
    overall_win = np.nan
    if segment_win is None or not len(segment_win):
        return won, closed, overall_win
    sw = segment_win[segment_win["segment"] != ALL].set_index("segment")
    vert_of = out.loc[seg_rows].set_index("segment")["vertical"]
    sw = sw.assign(vertical=vert_of.reindex(sw.index))
    by_vert = sw.groupby("vertical")[["won", "closed_deals"]].sum()
    won = np.where(seg_rows, out["segment"].map(sw["won"]), out["vertical"].map(by_vert["won"]))
    closed = np.where(
        seg_rows,
        out["segment"].map(sw["closed_deals"]),
        out["vertical"].map(by_vert["closed_deals"]),
    )
    won = pd.Series(won, index=out.index, dtype="float64").fillna(0.0)
    closed = pd.Series(closed, index=out.index, dtype="float64").fillna(0.0)
    every = segment_win[segment_win["segment"] == ALL]
    if len(every) and every["closed_deals"].iloc[0] > 0:
        overall_win = every["won"].iloc[0] / every["closed_deals"].iloc[0]
    return won, closed, overall_win


def _main_competitors(
    out: pd.DataFrame, seg_rows: pd.Series, competition: CompetitionResult | None
) -> tuple[pd.DataFrame, dict[str, pd.Series], dict[str, pd.Series]]:
    """Each row's most frequent competitor, and per segment the competitor we beat (or lose to)
    beyond noise, most deals first."""
    main = pd.DataFrame(
        index=out.index,
        columns=[
            "main_competitor",
            "main_competitor_deals",
            "win_rate_vs_main",
            "main_competitor_call",
        ],
    )
    beaten: dict[str, pd.Series] = {}
    beats_us: dict[str, pd.Series] = {}
    if competition is None or not len(competition.table):
        return main, beaten, beats_us
    t = competition.table[competition.table["segment"] != ALL]
    t = t.assign(vertical=t["segment"].map(out.loc[seg_rows].set_index("segment")["vertical"]))
    top = (
        t.sort_values(
            ["segment", "deals", "competitor"], ascending=[True, False, True], kind="stable"
        )
        .drop_duplicates("segment")
        .set_index("segment")
    )
    vt = t.groupby(["vertical", "competitor"], sort=True)[["won", "deals"]].sum().reset_index()
    vtop = (
        vt.sort_values(
            ["vertical", "deals", "competitor"], ascending=[True, False, True], kind="stable"
        )
        .drop_duplicates("vertical")
        .set_index("vertical")
    )
    for i in out.index:
        s, vname = out.at[i, "segment"], out.at[i, "vertical"]
        row = (
            top.loc[s]
            if s != ALL and s in top.index
            else (vtop.loc[vname] if s == ALL and vname in vtop.index else None)
        )
        if row is None or row["deals"] == 0:
            continue
        main.loc[i] = [
            row["competitor"],
            int(row["deals"]),
            row["won"] / row["deals"],
            row.get("call", ""),
        ]
    for kind, store in (("we win more", beaten), ("we win less", beats_us)):
        hits = t[t["call"] == kind].sort_values(
            ["segment", "deals", "competitor"], ascending=[True, False, True], kind="stable"
        )
        for s, row in hits.drop_duplicates("segment").set_index("segment").iterrows():
            store[s] = row
    return main, beaten, beats_us


def _pct(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.0%}"


def _play(
    r: pd.Series, total_market: int, market_pen: float, overall_win: float, beaten, beats_us
) -> tuple[str, str]:
    s = r["segment"]
    share = r["market_accounts"] / total_market if total_market else 0.0
    size = f"{r['market_accounts']:,} market companies ({share:.0%} of the market)"
    customers = f"{r['customers']:,} customer{'' if r['customers'] == 1 else 's'}"
    pen = f"penetration {_pct(r['penetration'])} ({customers}; the market's {_pct(market_pen)})"
    if s in beats_us and share < SMALL_SEGMENT_SHARE:
        c = beats_us[s]
        return "avoid or partner", (
            f"We lose to {c['competitor']} here beyond noise (win rate {_pct(c['win_rate'])} on "
            f"{c['deals']:,} deals vs {_pct(c['rest_win_rate'])} on the segment's other deals) and "
            f"the segment is small: {size}. Avoid it or partner."
        )
    if s in beaten:
        c = beaten[s]
        return "displace", (
            f"We beat {c['competitor']} here beyond noise (win rate {_pct(c['win_rate'])} on "
            f"{c['deals']:,} deals vs {_pct(c['rest_win_rate'])} on the segment's other deals): go "
            f"after its customers among the {r['untouched']:,} untouched companies; {pen}."
        )
    if r["customers"] > 0 and np.isfinite(market_pen) and r["penetration"] >= market_pen:
        return "expand", f"High {pen}: grow the customers already won; {size}."
    win = r["win_rate"]
    if pd.isna(win):
        how = "no closed deals here to say how we win"
    elif np.isfinite(overall_win):
        how = f"win rate {_pct(win)} on {r['closed_deals']:,} closed deals ({'at or above' if win >= overall_win else 'below'} our {_pct(overall_win)} overall)"
    else:
        how = f"win rate {_pct(win)} on {r['closed_deals']:,} closed deals"
    extra = (
        f" We lose to {beats_us[s]['competitor']} here beyond noise: qualify hard."
        if s in beats_us
        else ""
    )
    worth = (
        f" worth {format_money(r['untouched_value'])} a year" if r["untouched_value"] > 0 else ""
    )
    return (
        "attack whitespace",
        f"Low {pen}: {r['untouched']:,} untouched companies{worth}; {how}.{extra}",
    )
