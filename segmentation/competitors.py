"""Where we win against whom: win rate against each competitor, overall and per segment.

A deal's competitor cell may name several competitors ("Acme; Globex", "Acme, Initech"): the deal
counts once for each competitor named (and once only, however often a name repeats). Win rate
against a competitor is won ÷ closed deals that name it, with a Wilson interval. A difference is
called out only when it is beyond noise, by the test the planner uses for vertical pods: the
two-proportion z-test of the deals naming the competitor against the rest of the closed deals of
the same scope (all deals, or the segment), Bonferroni-corrected for the competitors tested in
that scope, with the playbook's minimum deals on each side and minimum gap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from segmentation.company_keys import normalise_name

# The planner's pod win-rate test, reused (not copied) so "beyond noise" means the same thing
# here as for vertical pods. One narrow import: re-point it when the planner moves.
from segmentation.planner.specialists import win_rate_tests
from segmentation.playbook import Playbook

ALL = "all"
"""The ``segment`` of the overall rows."""

COMPETITOR_COLUMNS: tuple[str, ...] = (
    "competitor", "segment", "deals", "won", "win_rate", "win_rate_low", "win_rate_high",
    "lost", "open_deals", "rest_win_rate", "p_value", "call",
)  # fmt: skip
"""Columns of ``competitors.csv``. ``deals`` are the closed deals naming the competitor (so
``win_rate`` = ``won`` ÷ ``deals``); ``win_rate_low`` / ``win_rate_high`` the Wilson interval at
the playbook's significance level; ``rest_win_rate`` the win rate on the scope's other closed
deals; ``call`` is "we win more", "we win less", "no difference beyond noise" or why it was not
tested."""

LOSS_REASON_COLUMNS: tuple[str, ...] = ("segment", "loss_reason", "lost_deals", "share")

# Cells that say "no competitor" rather than name one.
_NONE_WORDS = frozenset(
    {"none", "n a", "na", "unknown", "no competitor", "no competition", "null", "tbd", "other"}
)
_SPLIT = r"(?i)\s*(?:[;|/\n]|,(?!\s*(?:inc|llc|ltd|gmbh|co|corp|plc|sa|ag|bv|nv)\b\.?))\s*"


@dataclass
class CompetitionResult:
    """Win rates against competitors and loss reasons.

    Attributes
    ----------
    table : pandas.DataFrame
        :data:`COMPETITOR_COLUMNS`; per competitor its overall row (``segment`` = "all") first,
        then one row per segment it appears in.
    loss_reasons : pandas.DataFrame
        :data:`LOSS_REASON_COLUMNS`; lost deals per segment ("all" first) and reason.
    segment_win : pandas.DataFrame
        Per segment: ``segment, closed_deals, won, win_rate`` over every closed deal.
    warnings : list of str
    """

    table: pd.DataFrame
    loss_reasons: pd.DataFrame
    segment_win: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready summary (the tables as records)."""
        return {
            "competitors": self.table.to_dict(orient="records"),
            "loss_reasons": self.loss_reasons.to_dict(orient="records"),
            "segment_win_rates": self.segment_win.to_dict(orient="records"),
            "warnings": self.warnings,
        }


def split_competitors(cells: pd.Series) -> pd.DataFrame:
    """One row per (deal, competitor named), each competitor once per deal.

    Parameters
    ----------
    cells : pandas.Series
        Competitor cells as text (NA when blank), indexed by deal.

    Returns
    -------
    pandas.DataFrame
        ``deal`` (the index label), ``key`` (normalised name) and ``competitor`` (the spelling
        used most often for that key, ties by first seen), in deal order. "None", "N/A",
        "Unknown" and the like name no competitor.
    """
    text = cells.dropna().astype("str")
    # "N/A" is one word, not the competitors "N" and "A": whole cells are judged first.
    text = text[~normalise_name(text).isin(_NONE_WORDS).fillna(False)]
    pieces = text.str.split(_SPLIT, regex=True).explode()
    pieces = pieces.str.strip().str.strip(".").str.strip()
    pieces = pieces[pieces.fillna("") != ""]
    keys = normalise_name(pieces)
    keep = keys.notna() & ~keys.isin(_NONE_WORDS).fillna(False)
    long = pd.DataFrame(
        {
            "deal": pieces.index[keep.to_numpy()],
            "key": keys[keep].to_numpy(),
            "raw": pieces[keep].to_numpy(),
        }
    )
    long = long.drop_duplicates(["deal", "key"], ignore_index=True)
    # The display name: the spelling reps use most for the key ("Acme" over "ACME Inc.").
    spelled = (
        long.groupby(["key", "raw"], sort=False)
        .size()
        .rename("n")
        .reset_index()
        .sort_values("n", ascending=False, kind="stable")
        .drop_duplicates("key")
        .set_index("key")["raw"]
    )
    long["competitor"] = long["key"].map(spelled).astype("str")
    return long[["deal", "key", "competitor"]]


def wilson_interval(
    won: np.ndarray, n: np.ndarray, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion, NaN where ``n`` is 0.

    Parameters
    ----------
    won, n : array-like
        Successes and trials.
    alpha : float
        1 − confidence (0.05 gives a 95% interval).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper bounds.
    """
    won = np.asarray(won, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = won / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return low, high


def analyse_competitors(
    competition: pd.DataFrame, segment: pd.Series, playbook: Playbook
) -> CompetitionResult:
    """Win rate against each competitor, overall and per segment, and loss reasons by segment.

    Parameters
    ----------
    competition : pandas.DataFrame
        Per deal: ``account_row``, ``won``, ``lost``, ``competitor``, ``loss_reason`` (see
        :attr:`segmentation.opportunities.OpportunityAggregates.competition`).
    segment : pandas.Series
        Each account's segment, indexed by account row.
    playbook : Playbook
        ``significance_level``, ``pod_min_closed_deals`` and ``pod_win_rate_diff_min``: the
        thresholds of the planner's win-rate test.

    Returns
    -------
    CompetitionResult
    """
    deals = competition.reset_index(drop=True)
    seg = _deal_segments(deals["account_row"], segment)
    won = deals["won"].to_numpy(dtype=bool)
    lost = deals["lost"].to_numpy(dtype=bool)
    named = split_competitors(deals["competitor"])
    d = named["deal"].to_numpy(dtype="int64")
    pairs = pd.DataFrame(
        {
            "competitor": named["competitor"].to_numpy(),
            "segment": seg.to_numpy()[d],
            "won": won[d],
            "lost": lost[d],
            "open": ~(won | lost)[d],
        }
    )
    warnings = _mention_warnings(pairs)
    table = _competitor_table(pairs, seg, won, lost, playbook)
    segment_win = _segment_win_rates(seg, won, lost)
    return CompetitionResult(table, _loss_reasons(deals, seg, lost), segment_win, warnings)


def _deal_segments(rows: pd.Series, segment: pd.Series) -> pd.Series:
    """Each deal's segment, through its account row (NA for a deal that matches no account)."""
    seg = pd.Series(pd.NA, index=rows.index, dtype="str")
    matched = rows.notna().to_numpy()
    seg[matched] = (
        segment.reindex(rows[matched].astype("int64").to_numpy()).astype("str").to_numpy()
    )
    return seg


def _mention_warnings(pairs: pd.DataFrame) -> list[str]:
    """What the competitor mentions cannot say: wins where only losses name competitors, and
    mentions on deals that match no account."""
    warnings = []
    if len(pairs) and not pairs["won"].any() and pairs["lost"].any():
        warnings.append(
            "No won deal names a competitor (a 'Lost to' column names them only on losses): win "
            "rates against competitors read 0% and say nothing about where we win."
        )
    if len(pairs):
        unmatched = int(pd.isna(pairs["segment"]).sum())
        if unmatched:
            warnings.append(
                f"{unmatched:,} competitor mentions are on deals that match no account: they count "
                "in the overall rows (segment 'all') but in no segment."
            )
    return warnings


def _competitor_table(
    pairs: pd.DataFrame, seg: pd.Series, won: np.ndarray, lost: np.ndarray, playbook: Playbook
) -> pd.DataFrame:
    """:data:`COMPETITOR_COLUMNS`: per competitor its overall row, then its segments' rows."""
    scopes = [
        _scope_rows(
            pairs.assign(segment=ALL), np.full(len(seg), ALL, dtype=object), won, lost, playbook
        ),
    ]
    in_seg = pairs["segment"].notna()
    if in_seg.any():
        scopes.append(_scope_rows(pairs[in_seg], seg.to_numpy(dtype=object), won, lost, playbook))
    table = (
        pd.concat(scopes, ignore_index=True)
        if len(pairs)
        else pd.DataFrame(columns=list(COMPETITOR_COLUMNS))
    )
    if len(table):
        total = table[table["segment"] == ALL].set_index("competitor")["deals"]
        table = table.assign(
            _total=table["competitor"].map(total), _all=table["segment"] != ALL
        ).sort_values(
            ["_total", "competitor", "_all", "deals", "segment"],
            ascending=[False, True, True, False, True],
            kind="stable",
        )
        table = table.drop(columns=["_total", "_all"]).reset_index(drop=True)
    return table[list(COMPETITOR_COLUMNS)]


def _segment_win_rates(seg: pd.Series, won: np.ndarray, lost: np.ndarray) -> pd.DataFrame:
    """:attr:`CompetitionResult.segment_win`: every closed deal, overall ("all") then per segment."""
    closed = won | lost
    seg_all = pd.Series(np.where(pd.isna(seg.to_numpy()), None, seg.to_numpy()), dtype=object)
    frame = pd.DataFrame({"segment": seg_all, "won": won, "closed": closed})
    frame = frame[frame["segment"].notna() & frame["closed"]]
    grouped = frame.groupby("segment", sort=True)
    segment_win = pd.DataFrame(
        {"closed_deals": grouped.size(), "won": grouped["won"].sum()}
    ).reset_index()
    segment_win["won"] = segment_win["won"].astype("int64")
    segment_win["win_rate"] = segment_win["won"] / segment_win["closed_deals"]
    overall = pd.DataFrame(
        {"segment": [ALL], "closed_deals": [int(closed.sum())], "won": [int(won.sum())]}
    )
    overall["win_rate"] = overall["won"] / overall["closed_deals"].where(
        overall["closed_deals"] > 0
    )
    return pd.concat([overall, segment_win], ignore_index=True)


def _scope_rows(pairs, scope_of_deal, won, lost, playbook: Playbook) -> pd.DataFrame:
    """Rows for one kind of scope (all deals, or each segment), with the pod win-rate test."""
    g = pairs.groupby(["segment", "competitor"], sort=True)
    out = pd.DataFrame(
        {"won": g["won"].sum(), "lost": g["lost"].sum(), "open_deals": g["open"].sum()}
    ).astype("int64")
    out["deals"] = out["won"] + out["lost"]
    # The scope's closed deals, each once (a deal naming two competitors is one deal here).
    scope = pd.Series(scope_of_deal)
    closed = won | lost
    valid = scope.notna().to_numpy() & closed
    scope_won = pd.Series(won[valid]).groupby(scope[valid].to_numpy()).sum()
    scope_closed = pd.Series(closed[valid]).groupby(scope[valid].to_numpy()).sum()
    scopes = out.index.get_level_values("segment")
    codes, names = pd.factorize(scopes, sort=True)
    n_pairs = len(out)
    # The planner's test compares a group with "the rest of its motion" = the family total minus
    # the group. Family = scope; its total must count each closed deal once, so one filler group
    # per scope carries the closed deals the pair rows do not (negative where multi-competitor
    # deals are counted twice); a filler is tested only when it holds enough deals of its own,
    # which can make the Bonferroni correction one comparison stricter, never looser.
    fill_won = scope_won.reindex(names).to_numpy(dtype=float) - np.bincount(
        codes, weights=out["won"], minlength=len(names)
    )
    fill_closed = scope_closed.reindex(names).to_numpy(dtype=float) - np.bincount(
        codes, weights=out["deals"], minlength=len(names)
    )
    rows = pd.DataFrame(
        {
            "won_deals": np.r_[out["won"].to_numpy(dtype=float), fill_won],
            "lost_deals": np.r_[out["lost"].to_numpy(dtype=float), fill_closed - fill_won],
        }
    )
    group = np.arange(len(rows), dtype="int64")
    family = np.r_[codes, np.arange(len(names))]
    tests = win_rate_tests(group, family, rows, pd.RangeIndex(len(rows)), playbook).iloc[:n_pairs]
    alpha = playbook.value("significance_level")
    low, high = wilson_interval(out["won"].to_numpy(), out["deals"].to_numpy(), alpha)
    out = out.reset_index()
    out["win_rate"] = (out["won"] / out["deals"]).where(out["deals"] > 0)
    out["win_rate_low"] = low
    out["win_rate_high"] = high
    out["rest_win_rate"] = tests["rest_win_rate"].to_numpy()
    out["p_value"] = tests["win_rate_p_value"].to_numpy()
    out["call"] = _calls(out, tests, playbook)
    return out


def _calls(out: pd.DataFrame, tests: pd.DataFrame, playbook: Playbook) -> list[str]:
    alpha = playbook.value("significance_level")
    gap_min = playbook.value("pod_win_rate_diff_min")
    min_c = int(max(playbook.value("pod_min_closed_deals"), 1))
    calls = []
    for deals, rest, rate, rest_rate, p in zip(
        out["deals"],
        tests["rest_closed_deals"],
        out["win_rate"],
        out["rest_win_rate"],
        out["p_value"],
    ):
        if deals < min_c or not (rest >= min_c):
            calls.append(f"too few closed deals to call (needs {min_c} on each side)")
        elif math.isnan(p):
            calls.append("not tested")
        elif p <= alpha and abs(rate - rest_rate) >= gap_min:
            calls.append("we win more" if rate > rest_rate else "we win less")
        else:
            calls.append("no difference beyond noise")
    return calls


def _loss_reasons(deals: pd.DataFrame, seg: pd.Series, lost: np.ndarray) -> pd.DataFrame:
    reason = deals["loss_reason"]
    has = lost & reason.notna().to_numpy()
    if not has.any():
        return pd.DataFrame(columns=list(LOSS_REASON_COLUMNS))
    frame = pd.DataFrame(
        {"segment": seg[has].to_numpy(dtype=object), "loss_reason": reason[has].to_numpy()}
    )
    parts = [frame.assign(segment=ALL), frame[frame["segment"].notna()]]
    out = []
    for part in parts:
        counts = (
            part.groupby(["segment", "loss_reason"], sort=True)
            .size()
            .rename("lost_deals")
            .reset_index()
        )
        counts["share"] = counts["lost_deals"] / counts.groupby("segment")["lost_deals"].transform(
            "sum"
        )
        out.append(
            counts.sort_values(
                ["segment", "lost_deals", "loss_reason"],
                ascending=[True, False, True],
                kind="stable",
            )
        )
    table = pd.concat(out, ignore_index=True)
    table["lost_deals"] = table["lost_deals"].astype("int64")
    return table[list(LOSS_REASON_COLUMNS)]
