"""The market beyond the CRM: each company typed and matched, penetration and whitespace.

A market list (:mod:`segmentation.market_list`: read, mapped and cleaned like an accounts export)
is typed with the models fitted on the CRM — no refit, so a segment means the same thing on both
sides — and matched to the CRM. A company matched to a CRM account takes that account's segment,
status and id; a key two CRM accounts share matches neither and is reported as ambiguous.

Per vertical and segment the market gives penetration (customers ÷ market companies) and the
untouched companies (in no CRM record) with their value, ranked per hunter team by how close
they are to the customers already won; :mod:`segmentation.plays` turns penetration and the
competitor analysis into a play per segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from segmentation.competitors import ALL
from segmentation.market_list import (
    LoadedMarket,
    market_features,
    market_verticals,
    match_companies,
)
from segmentation.naming import format_money
from segmentation.playbook import Playbook
from segmentation.territories import account_value
from segmentation.tiers import TIERS, tier_ids

MARKET_COLUMNS: tuple[str, ...] = (
    "name", "website", "vertical", "customer_type", "segment", "in_crm", "account_id", "status",
    "match", "team", "value", "fit", "whitespace_rank",
)  # fmt: skip
"""Columns of ``market.csv``, one row per market company in input order. ``match`` says how it
was matched (``website``, ``name``, ``ambiguous`` — two or more CRM accounts fit, their ids in
``account_id`` — or blank); ``team`` the hunter team of its segment; ``value`` the annual deal
potential (deal size, else the revenue proxy); ``fit`` (0–1) how close an untouched company is to
the customers already won in its segment; ``whitespace_rank`` its rank in its team's list (blank
for companies already in the CRM)."""

PENETRATION_COLUMNS: tuple[str, ...] = (
    "vertical", "segment", "market_accounts", "crm_accounts", "customers", "penetration",
    "untouched", "untouched_value",
)  # fmt: skip

NOT_IN_PLAN = "Not in the plan"
"""The team of market companies whose segment has no CRM account (the plan never saw it)."""


@dataclass
class MarketResult:
    """The market typed, matched and summarised.

    Attributes
    ----------
    companies : pandas.DataFrame
        :data:`MARKET_COLUMNS` (``market.csv``).
    penetration : pandas.DataFrame
        :data:`PENETRATION_COLUMNS`, per vertical (``segment`` = "all") then per segment.
    matching : dict
        Counts: ``by_website``, ``by_name``, ``ambiguous``, ``not_in_crm``,
        ``crm_accounts_matched``, ``crm_accounts_matched_twice``, ``crm_accounts_not_in_market``,
        and ``ambiguous_examples``.
    warnings : list of str
    """

    companies: pd.DataFrame
    penetration: pd.DataFrame
    matching: dict
    warnings: list[str] = field(default_factory=list)

    def whitespace(self, team: str | None = None) -> pd.DataFrame:
        """The untouched companies ranked per team (best fit first), optionally for one team."""
        ws = self.companies[self.companies["whitespace_rank"].notna()]
        if team is not None:
            ws = ws[ws["team"] == team]
        return ws.sort_values(["team", "whitespace_rank"], kind="stable")


class _Segments(NamedTuple):
    """Each company's vertical, customer type and segment as integer codes into their names."""

    v_code: np.ndarray
    v_names: pd.Index
    t_code: np.ndarray
    t_names: pd.Index
    seg_code: np.ndarray
    seg_names: np.ndarray
    pairs: np.ndarray
    """Per segment, its vertical and type code as ``v_code * len(t_names) + t_code``."""


def analyse_market(
    market: LoadedMarket,
    crm: pd.DataFrame,
    segmentation,
    book: pd.DataFrame,
    playbook: Playbook,
) -> MarketResult:
    """Type the market with the CRM's models, match it to the CRM, and measure penetration.

    Parameters
    ----------
    market : LoadedMarket
    crm : pandas.DataFrame
        The CRM's canonical account table.
    segmentation : segmentation.pipeline.Segmentation
        The fitted verticals and customer types (used, never refitted).
    book : pandas.DataFrame
        The plan's per-account book (``segment``, ``team``, ``role``, ``status``), to give each
        segment's whitespace to its hunter team.
    playbook : Playbook

    Returns
    -------
    MarketResult
    """
    companies = market.companies
    vertical, type_name, Z_market, Z_crm = _type_market(market, crm, segmentation, playbook)
    pos, how, candidates = match_companies(companies, crm)
    matched = pos >= 0
    ambiguous = how == "ambiguous"
    seg = _segments(vertical, type_name, pos, matched, segmentation)
    id_code, id_names, status_code, st_names, examples = _crm_records(
        crm, companies, pos, matched, ambiguous, candidates
    )
    in_crm = matched | ambiguous
    untouched = ~in_crm
    value = _company_value(companies, playbook)
    team_code, team_names = _teams(book, seg)
    crm_segment = segmentation.segment.to_numpy(dtype=object)
    crm_status = crm["status"].astype("str").to_numpy(dtype=object)
    fit = _fit(Z_market, Z_crm, seg.seg_code, seg.seg_names, crm_segment, crm_status == "customer")
    rank = _whitespace_rank(untouched, value, fit, team_code)
    table = pd.DataFrame(
        {
            "name": companies["account_name"],
            "website": companies["website"],
            "vertical": _text(seg.v_code, seg.v_names, companies.index),
            "customer_type": _text(seg.t_code, seg.t_names, companies.index),
            "segment": _text(seg.seg_code, seg.seg_names, companies.index),
            "in_crm": in_crm,
            "account_id": _text(id_code, id_names, companies.index),
            "status": _text(status_code, st_names, companies.index),
            "match": _text(*pd.factorize(how), companies.index),
            "team": _text(team_code, team_names, companies.index),
            "value": value,
            "fit": np.round(fit, 4),
            "whitespace_rank": pd.array(rank, dtype="Float64").astype("Int64"),
        },
        index=companies.index,
    )[list(MARKET_COLUMNS)]
    matching = _matching(how, pos, len(crm), examples)
    warnings = [*market.warnings, *_matching_warnings(matching, len(crm))]
    penetration = _penetration(table, seg.v_code, seg.v_names, seg.seg_code, seg.seg_names)
    return MarketResult(table, penetration, matching, warnings)


def _type_market(
    market: LoadedMarket, crm: pd.DataFrame, segmentation, playbook: Playbook
) -> tuple[pd.Series, pd.Series, np.ndarray, np.ndarray]:
    """Each company's vertical and customer type by the CRM's models, and the standardised
    numbers of the market and of the CRM (what a company's fit is measured on)."""
    companies = market.companies
    crm_industry = crm["industry"] if crm["industry"].notna().any() else None
    vertical = market_verticals(companies["industry"], crm_industry, segmentation.verticals.labels)
    types = segmentation.types
    training = types.features if types.features is not None else segmentation.features
    X = market_features(companies, market.prepared.extra_features, training)
    if types.model is None:
        # A small CRM is typed by firmographic tier: so is the market, with the same limits.
        type_name = pd.Series(
            np.asarray(TIERS, dtype=object)[tier_ids(companies, playbook)], index=companies.index
        )
    else:
        ids = types.model.predict(X)
        names = types.table.set_index("customer_type_id")["customer_type"]
        type_name = pd.Series(names.reindex(ids).to_numpy(dtype=object), index=companies.index)
    # Fit is judged on the standardised numbers the types are built from (log size, revenue,
    # deal size ...), not on status: every untouched company is a prospect.
    Z_market, Z_crm = _standardised(X, training)
    return vertical, type_name, Z_market, Z_crm


def _segments(
    vertical: pd.Series, type_name: pd.Series, pos: np.ndarray, matched: np.ndarray, segmentation
) -> _Segments:
    """Each company's segment: its CRM account's when matched, else its own vertical and type."""
    crm_vertical = segmentation.verticals.labels.astype("str").to_numpy(dtype=object)
    crm_type = segmentation.types.labels.astype("str").to_numpy(dtype=object)
    v = vertical.to_numpy(dtype=object).copy()
    t = type_name.to_numpy(dtype=object).copy()
    # A company in the CRM keeps the segment its CRM record has, so the plan and the market agree.
    v[matched] = crm_vertical[pos[matched]]
    t[matched] = crm_type[pos[matched]]
    # Segments through integer codes: a million companies hold a few dozen segments.
    v_code, v_names = pd.factorize(v)
    t_code, t_names = pd.factorize(t)
    seg_code, pairs = pd.factorize(v_code * len(t_names) + t_code)
    seg_names = np.array(
        [f"{v_names[p // len(t_names)]} · {t_names[p % len(t_names)]}" for p in pairs], dtype=object
    )
    return _Segments(v_code, v_names, t_code, t_names, seg_code, seg_names, pairs)


def _crm_records(
    crm: pd.DataFrame,
    companies: pd.DataFrame,
    pos: np.ndarray,
    matched: np.ndarray,
    ambiguous: np.ndarray,
    candidates: list[list[int]],
) -> tuple[np.ndarray, list[str], np.ndarray, pd.Index, list[dict]]:
    """Each company's CRM account id and status as codes, and the first ambiguous companies.

    Codes into the CRM's ids, then one joined entry per ambiguous key ("A1; A7"); an ambiguous
    company has a status only when its candidates share one.
    """
    n = len(companies)
    crm_ids = crm["account_id"].astype("str").to_numpy(dtype=object)
    st_code, st_names = pd.factorize(crm["status"].astype("str"), use_na_sentinel=True)
    id_code = np.full(n, -1, dtype="int64")
    status_code = np.full(n, -1, dtype="int64")
    id_code[matched] = pos[matched]
    status_code[matched] = st_code[pos[matched]]
    id_names = list(crm_ids)
    examples = []
    joined: dict[int, tuple] = {}  # candidates lists are shared per key: join each once
    for i, cand in zip(np.flatnonzero(ambiguous), candidates):
        if id(cand) not in joined:
            statuses = set(st_code[cand].tolist())
            id_names.append("; ".join(crm_ids[cand]))
            joined[id(cand)] = (len(id_names) - 1, statuses.pop() if len(statuses) == 1 else -1)
        id_code[i], status_code[i] = joined[id(cand)]
        if len(examples) < 5:
            examples.append(
                {
                    "row": int(i) + 1,
                    "name": companies["account_name"].iloc[i],
                    "candidates": crm_ids[cand].tolist(),
                }
            )
    return id_code, id_names, status_code, st_names, examples


def _company_value(companies: pd.DataFrame, playbook: Playbook) -> np.ndarray:
    """The planner's revenue proxy; a company without revenue has no value to rank on (the
    territories' stand-in of 1 would read as "$1 a year")."""
    revenue = pd.to_numeric(companies["annual_revenue"], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    value = account_value(companies.assign(deal_size=np.nan), playbook).to_numpy()
    return np.where(revenue > 0, value, np.nan)


def _teams(book: pd.DataFrame, seg: _Segments) -> tuple[np.ndarray, np.ndarray]:
    """Each company's hunter team as a code into the sorted team names."""
    by_segment = _hunter_teams(book, "segment")
    by_type = _hunter_teams(book, "customer_type")
    by_vertical = _hunter_teams(book, "vertical")
    t_names, v_names = seg.t_names, seg.v_names
    # A segment the plan never saw (no CRM account in it) goes to the team that hunts its
    # customer type, else its vertical: same deal sizes and motion, or the same buyers.
    chosen = [
        by_segment.get(str(name))
        or by_type.get(str(t_names[p % len(t_names)]))
        or by_vertical.get(str(v_names[p // len(t_names)]))
        or NOT_IN_PLAN
        for name, p in zip(seg.seg_names, seg.pairs)
    ]
    team_names = np.array(sorted(set(chosen)), dtype=object)
    team_of_seg = np.searchsorted(team_names, chosen)
    team_code = team_of_seg[seg.seg_code] if len(seg.seg_code) else np.zeros(0, dtype="int64")
    return team_code, team_names


def _whitespace_rank(
    untouched: np.ndarray, value: np.ndarray, fit: np.ndarray, team_code: np.ndarray
) -> np.ndarray:
    """Each untouched company's rank in its team's list (NaN for companies in the CRM)."""
    rank = np.full(len(untouched), np.nan)
    if untouched.any():
        rows = np.flatnonzero(untouched)
        # Within a team: best fit first, then the largest value, then input order (lexsort is
        # stable and sorts by its last key first).
        order = rows[
            np.lexsort(
                (
                    -np.nan_to_num(value[rows], nan=-1.0),
                    -np.nan_to_num(fit[rows], nan=-1.0),
                    team_code[rows],
                )
            )
        ]
        teams_sorted = team_code[order]
        starts = np.flatnonzero(np.r_[True, teams_sorted[1:] != teams_sorted[:-1]])
        within = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        rank[order] = within + 1
    return rank


def _matching(how: np.ndarray, pos: np.ndarray, n_crm: int, examples: list[dict]) -> dict:
    """:attr:`MarketResult.matching`: how the companies matched, and how the CRM was covered."""
    matched = pos >= 0
    ambiguous = how == "ambiguous"
    untouched = ~(matched | ambiguous)
    matched_rows = pos[matched]
    per_crm = np.bincount(matched_rows, minlength=n_crm) if n_crm else np.zeros(0, int)
    return {
        "market_companies": len(how),
        "by_website": int((how == "website").sum()),
        "by_name": int((how == "name").sum()),
        "ambiguous": int(ambiguous.sum()),
        "not_in_crm": int(untouched.sum()),
        "crm_accounts_matched": int((per_crm > 0).sum()),
        "crm_accounts_matched_twice": int((per_crm > 1).sum()),
        "crm_accounts_not_in_market": int((per_crm == 0).sum()),
        "ambiguous_examples": examples,
    }


def _matching_warnings(matching: dict, n_crm: int) -> list[str]:
    """What a user should know about the matching: ambiguous keys, duplicates, CRM accounts
    the market list misses."""
    warnings = []
    if matching["ambiguous"]:
        shown = "; ".join(
            f"row {e['row']} {e['name']!r} fits {', '.join(e['candidates'])}"
            for e in matching["ambiguous_examples"][:3]
        )
        warnings.append(
            f"{matching['ambiguous']:,} market companies fit two or more CRM accounts (a shared "
            f"website or name) and are counted as in the CRM but with no single account: {shown}."
        )
    if matching["crm_accounts_matched_twice"]:
        warnings.append(
            f"{matching['crm_accounts_matched_twice']:,} CRM accounts are matched by more than one "
            "market company (duplicates in the market list): each company counts in the market."
        )
    if matching["crm_accounts_not_in_market"]:
        warnings.append(
            f"{matching['crm_accounts_not_in_market']:,} of {n_crm:,} CRM accounts are not in the "
            "market list (another region, or the list misses them): penetration counts the "
            "market list only."
        )
    return warnings


def _text(codes: np.ndarray, names, index: pd.Index) -> pd.Series:
    """A text column from codes into ``names`` (-1 = blank), decoded by pyarrow: building a
    million-row text column from Python strings costs half a second, this a few milliseconds."""
    dictionary = pa.array([str(x) for x in names], type=pa.large_string())
    indices = pa.array(np.asarray(codes, dtype="int32"), mask=np.asarray(codes) < 0)
    decoded = pa.DictionaryArray.from_arrays(indices, dictionary).dictionary_decode()
    return pd.Series(decoded, index=index, dtype="str")


def _standardised(X: pd.DataFrame, training: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    num = [c for c in training.columns if pd.api.types.is_numeric_dtype(training[c])]
    if not num:
        return np.zeros((len(X), 1)), np.zeros((len(training), 1))
    T = training[num].to_numpy(dtype="float64")
    mean, sd = np.nanmean(T, axis=0), np.nanstd(T, axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (X[num].to_numpy(dtype="float64") - mean) / sd, (T - mean) / sd


def _hunter_teams(book: pd.DataFrame, by: str) -> dict[str, str]:
    # Whitespace is new logos: the team that works the group's prospects, else its team.
    frame = (
        book[[by, "team"]]
        .rename(columns={by: "segment"})
        .assign(prospect=(book["status"].astype("str") != "customer").fillna(True).to_numpy())
    )
    frame = (
        frame.assign(n=1)
        .groupby(["segment", "prospect", "team"], sort=True)["n"]
        .sum()
        .reset_index()
    )
    frame = frame.sort_values(
        ["segment", "prospect", "n", "team"], ascending=[True, False, False, True], kind="stable"
    )
    frame = frame.drop_duplicates("segment")
    return dict(zip(frame["segment"].astype("str"), frame["team"].astype("str")))


def _fit(Z_market, Z_crm, seg_code, seg_names, crm_segment, crm_customer) -> np.ndarray:
    """1 / (1 + distance to the centre of the segment's customers) on the standardised numbers.

    Segments without customers use the centre of all customers; with no customer at all the fit
    is unknown (NaN).
    """
    fit = np.full(len(Z_market), np.nan)
    if not crm_customer.any():
        return fit
    won = Z_crm[crm_customer]
    everyone = won.mean(axis=0)
    won_segment = pd.Series(crm_segment[crm_customer]).astype("str")
    centres = {
        seg: won[np.asarray(idx)].mean(axis=0)
        for seg, idx in won_segment.groupby(won_segment.to_numpy()).indices.items()
    }
    centre = np.vstack([centres.get(str(name), everyone) for name in seg_names] or [everyone])
    distance = np.sqrt(((Z_market - centre[seg_code]) ** 2).sum(axis=1))
    return 1.0 / (1.0 + distance)


def _penetration(table: pd.DataFrame, v_code, v_names, seg_code, seg_names) -> pd.DataFrame:
    in_crm = table["in_crm"].to_numpy(dtype=bool)
    customer = (table["status"] == "customer").fillna(False).to_numpy(dtype=bool)
    untouched_value = np.where(
        in_crm, 0.0, np.nan_to_num(table["value"].to_numpy(dtype="float64", na_value=np.nan))
    )
    parts = []
    for codes, names, level in ((v_code, v_names, "vertical"), (seg_code, seg_names, "segment")):
        k = len(names)
        part = pd.DataFrame(
            {
                "market_accounts": np.bincount(codes, minlength=k),
                "crm_accounts": np.bincount(codes, weights=in_crm, minlength=k),
                "customers": np.bincount(codes, weights=customer, minlength=k),
                "untouched": np.bincount(codes, weights=~in_crm, minlength=k),
                "untouched_value": np.bincount(codes, weights=untouched_value, minlength=k),
            }
        )
        if level == "vertical":
            part["vertical"] = np.asarray(names, dtype=object)
            part["segment"] = ALL
        else:
            # Each segment's vertical: the vertical of any of its companies (one per segment).
            first = np.full(k, -1, dtype="int64")
            first[seg_code[::-1]] = np.arange(len(seg_code))[::-1]
            part["vertical"] = np.asarray(v_names, dtype=object)[v_code[first]]
            part["segment"] = np.asarray(names, dtype=object)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out = out.assign(_seg=out["segment"] != ALL).sort_values(
        ["vertical", "_seg", "segment"], kind="stable"
    )
    for col in ("market_accounts", "crm_accounts", "customers", "untouched"):
        out[col] = out[col].astype("int64")
    out["penetration"] = out["customers"] / out["market_accounts"]
    for col in ("vertical", "segment"):
        out[col] = out[col].astype("str")
    return out.reset_index(drop=True)[list(PENETRATION_COLUMNS)]


def annotate_segments(segments: pd.DataFrame, penetration: pd.DataFrame) -> pd.DataFrame:
    """The plan's segments with the whitespace in each reason: hunters follow the untouched market.

    Applied after the plan (the planner's own reasons are untouched): each segment with untouched
    market companies gets a sentence saying how many, their value, and that its hunter capacity
    should follow them, not only the prospects already in the CRM.

    Parameters
    ----------
    segments : pandas.DataFrame
        The plan's segments (``segment``, ``prospects``, ``reason``).
    penetration : pandas.DataFrame
        :attr:`MarketResult.penetration`.

    Returns
    -------
    pandas.DataFrame
        A copy with ``reason`` extended and the columns ``market_accounts``, ``untouched`` and
        ``untouched_value`` added.
    """
    per = penetration[penetration["segment"] != ALL].set_index("segment")
    out = segments.copy()
    out["market_accounts"] = out["segment"].map(per["market_accounts"]).fillna(0).astype("int64")
    out["untouched"] = out["segment"].map(per["untouched"]).fillna(0).astype("int64")
    out["untouched_value"] = out["segment"].map(per["untouched_value"]).fillna(0.0)
    notes = []
    for _, r in out.iterrows():
        if r["untouched"] <= 0:
            notes.append("")
            continue
        prospects = (
            int(r["prospects"]) if "prospects" in out.columns and pd.notna(r["prospects"]) else 0
        )
        worth = (
            f" (worth {format_money(r['untouched_value'])} a year)"
            if r["untouched_value"] > 0
            else ""
        )
        notes.append(
            f" Market: {r['untouched']:,} companies of this segment are in no CRM record{worth} "
            f"besides its {prospects:,} prospects: "
            "the hunters it needs follow this untouched market, not only the prospects in the CRM."
        )
    out["reason"] = out["reason"].astype("str") + pd.Series(notes, index=out.index, dtype="str")
    return out
