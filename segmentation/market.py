"""The market beyond the CRM: whitespace, penetration and a play per segment.

A market list (every company in the target regions, from a data provider or a public register)
is read, mapped and cleaned like an accounts export. Each company is typed with the models fitted
on the CRM — no refit, so a segment means the same thing on both sides — and matched to a CRM
account by website domain first, then by normalised name (legal suffixes such as Inc, LLC, GmbH
dropped). A company matched to a CRM account takes that account's segment, status and id; a key
two CRM accounts share matches neither and is reported as ambiguous.

Per vertical and segment the market gives penetration (customers ÷ market companies) and the
untouched companies (in no CRM record) with their value; with the competitor analysis of
:mod:`segmentation.competitors` it gives each segment a play: expand, attack whitespace, displace
a competitor, or avoid / partner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from segmentation.accounts import PreparedAccounts, prepare_accounts
from segmentation.clustering import format_money
from segmentation.competitors import ALL, CompetitionResult
from segmentation.errors import InputError
from segmentation.features import signed_log1p
from segmentation.ingest import ReadInfo, read_table
from segmentation.names import normalise_name, website_domain
from segmentation.playbook import Playbook
from segmentation.quality import quality_report
from segmentation.schema import Mapping, infer_mapping
from segmentation.territories import account_value
from segmentation.tiers import TIERS, tier_ids
from segmentation.verticals import ALL_ACCOUNTS, OTHER, VerticalClassifier

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

NOT_IN_PLAN = "Not in the plan"
"""The team of market companies whose segment has no CRM account (the plan never saw it)."""


@dataclass
class LoadedMarket:
    """A market list read, mapped and cleaned like an accounts export."""

    raw: pd.DataFrame
    read_info: ReadInfo
    mapping: Mapping
    prepared: PreparedAccounts
    quality: dict

    @property
    def companies(self) -> pd.DataFrame:
        """The canonical table of market companies (RangeIndex, input order)."""
        return self.prepared.accounts

    @property
    def warnings(self) -> list[str]:
        """Reading and cleaning warnings, each prefixed so a user knows which file they concern."""
        return [f"Market file: {w}" for w in [*self.read_info.warnings, *self.prepared.warnings]]


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


def load_market(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    overrides: dict[str, str] | None = None,
) -> LoadedMarket:
    """Read a market list with the accounts' readers, mapping, units and quality checks.

    Parameters
    ----------
    source : str, pathlib.Path or bytes
    name : str, optional
        The file's name when ``source`` is bytes.
    encoding, sheet : str, optional
    overrides : dict of str to str, optional
        Canonical field → column, as ``--map`` for accounts.

    Returns
    -------
    LoadedMarket

    Raises
    ------
    segmentation.errors.InputError
        When the file cannot be read or has no company-name column.
    """
    try:
        raw, info = read_table(source, name=name, encoding=encoding, sheet=sheet)
        mapping = infer_mapping(raw, overrides=overrides)
    except InputError as error:
        # The readers speak of "the accounts file": say which file this is.
        raise InputError(f"the market file: {error}") from None
    if "account_name" not in mapping.columns and "website" not in mapping.columns:
        raise InputError(
            "the market file has no company name or website column to match the CRM on; add "
            "'Company' or 'Website', or name the column with --map account_name=COLUMN"
        )
    prepared = prepare_accounts(raw, mapping)
    quality = quality_report(raw, mapping, prepared)
    return LoadedMarket(raw, info, mapping, prepared, quality)


def market_verticals(
    industry: pd.Series, crm_industry: pd.Series | None, crm_verticals: pd.Series
) -> pd.Series:
    """Each market company's vertical, as the CRM's vertical stage would give it.

    The taxonomy classifier is the same one; the CRM's folds, merges and renames are learned
    from the CRM's own labels: a raw label the CRM has gets the CRM's vertical for it, any
    other label the CRM vertical its taxonomy vertical became, and "Other" when the CRM has no
    such vertical (it was folded, or no CRM account has it).

    Parameters
    ----------
    industry : pandas.Series
        The market's raw industry labels.
    crm_industry : pandas.Series or None
        The CRM's raw industry labels (None without an industry column).
    crm_verticals : pandas.Series
        The CRM's final verticals, same index as ``crm_industry``.

    Returns
    -------
    pandas.Series of str, same index as ``industry``.
    """
    if crm_industry is None or crm_industry.notna().sum() == 0:
        # The CRM had one vertical for everyone ("All accounts", maybe renamed): so has the market.
        only = crm_verticals.iloc[0] if len(crm_verticals) else ALL_ACCOUNTS
        return pd.Series(only, index=industry.index, dtype="str", name="vertical")
    classifier = VerticalClassifier(min_confidence=0.5).fit()
    crm_final = crm_verticals.astype("str").to_numpy()
    crm_tax = classifier.predict(crm_industry).to_numpy()
    by_tax = _majority(crm_tax, crm_final)
    by_label = _majority(crm_industry.astype("str").to_numpy(dtype=object), crm_final)
    other = by_tax.get(OTHER, OTHER)
    # Each distinct label once: a million companies carry a few hundred labels.
    codes, labels = pd.factorize(industry, use_na_sentinel=True)
    distinct = pd.Series(labels, dtype="str")
    tax = classifier.predict(distinct).to_numpy(dtype=object)
    verts = np.array(
        [by_label.get(label, by_tax.get(v, other)) for label, v in zip(distinct, tax)]
        + [by_tax.get(OTHER, other)],
        dtype=object,
    )
    return pd.Series(verts[codes], index=industry.index, dtype="str", name="vertical")


def _majority(keys: np.ndarray, values: np.ndarray) -> dict:
    frame = pd.DataFrame({"k": keys, "v": values}).dropna()
    counts = frame.value_counts(["k", "v"]).reset_index(name="n")
    counts = counts.sort_values(["n", "v"], ascending=[False, True], kind="stable").drop_duplicates(
        "k"
    )
    return dict(zip(counts["k"], counts["v"]))


def market_features(
    companies: pd.DataFrame, extra: pd.DataFrame, training: pd.DataFrame
) -> pd.DataFrame:
    """The market's feature frame in the columns (and with the imputation) of the CRM's.

    Numbers are ``signed_log1p`` as in :func:`segmentation.features.build_features`; a missing
    value, or a column the market does not have (deal size, CRM-only extras), takes the CRM
    median, so it pulls no company towards any type. Status, when a feature, is the company's
    own when the market file has one, else "prospect" (a company outside the CRM is one).

    Parameters
    ----------
    companies : pandas.DataFrame
        The market's canonical table.
    extra : pandas.DataFrame
        The market's extra numeric columns (same index).
    training : pandas.DataFrame
        The feature frame the CRM's customer types were fitted on (its ``attrs["source"]`` says
        which columns are extras).

    Returns
    -------
    pandas.DataFrame
        Same columns and dtypes as ``training``, one row per company.
    """
    source = training.attrs.get("source", {})
    out: dict[str, object] = {}
    for col in training.columns:
        values = training[col]
        if not pd.api.types.is_numeric_dtype(values):
            categories = (
                list(values.cat.categories) if hasattr(values, "cat") else sorted(set(values))
            )
            fallback = "prospect" if "prospect" in categories else values.mode().iloc[0]
            own = companies["status"].astype("str") if "status" in companies.columns else None
            status = (
                own.where(own.isin(categories), fallback).fillna(fallback)
                if own is not None
                else pd.Series(fallback, index=companies.index)
            )
            out[col] = pd.Categorical(status.to_numpy(dtype=object), categories=categories)
            continue
        median = float(np.nanmedian(values.to_numpy(dtype="float64")))
        name = col.removesuffix(" (extra)")
        frame = extra if source.get(col) == "extra" else companies
        if name in frame.columns:
            raw = pd.to_numeric(frame[name], errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan
            )
            v = signed_log1p(np.where(np.isfinite(raw), raw, np.nan))
            out[col] = np.where(np.isnan(v), median, v)
        else:
            out[col] = np.full(len(companies), median)
    return pd.DataFrame(out, index=companies.index)


def match_companies(
    market: pd.DataFrame, crm: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """Each market company's CRM account row: by website domain first, then by normalised name.

    A domain shared by several CRM accounts is settled by the name among them; a name key is
    trusted only when the two sides' websites do not contradict (one of them has none). Keys
    two or more CRM accounts share match none of them (ambiguous).

    Parameters
    ----------
    market, crm : pandas.DataFrame
        Canonical tables (``account_name``, ``website``).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, list)
        The CRM position (-1 when unmatched), how (``"website"``, ``"name"``, ``"ambiguous"``
        or ``""``), and for ambiguous companies, in their order, the candidate CRM positions
        (one shared list per key).
    """
    n = len(market)
    m_dom, c_dom = website_domain(market["website"]), website_domain(crm["website"])
    c_name = normalise_name(crm["account_name"])
    pos = np.full(n, -1, dtype="int64")
    how = np.full(n, "", dtype=object)

    dom = _Lookup(c_dom, m_dom)
    # Name keys only where the website did not settle it: keying a name is the costliest step.
    m_name = pd.Series(pd.NA, index=market.index, dtype="str")
    unsettled = dom.count != 1
    if unsettled.any():
        m_name[unsettled] = normalise_name(market["account_name"][unsettled]).to_numpy()
    unique_dom = dom.count == 1
    pos[unique_dom] = dom.first[unique_dom]
    how[unique_dom] = "website"
    several = dom.count > 1
    settled = np.zeros(n, dtype=bool)
    if several.any():
        # Subsidiaries on one domain: the name says which, when it does (few rows: keyed alone).
        rows = np.flatnonzero(several)
        pair = _Lookup(c_dom + "\x1f" + c_name, (m_dom + "\x1f" + m_name).iloc[rows])
        ok = pair.count == 1
        settled[rows[ok]] = True
        pos[rows[ok]] = pair.first[ok]
        how[rows[ok]] = "website"
    need = np.flatnonzero((dom.count == 0) & m_name.notna().to_numpy())
    names = _Lookup(c_name, m_name.iloc[need])
    crm_has_dom = c_dom.notna().to_numpy()
    market_has_dom = m_dom.notna().to_numpy()[need]
    by_name = names.count == 1
    # Both sides have a website and they differ: namesakes, not the same company.
    by_name &= ~(market_has_dom & crm_has_dom[np.maximum(names.first, 0)])
    pos[need[by_name]] = names.first[by_name]
    how[need[by_name]] = "name"
    shared = np.zeros(n, dtype=bool)
    shared[several & ~settled] = True
    shared[need[names.count > 1]] = True
    how[shared] = "ambiguous"
    # The candidates, from the key each ambiguous company fits (domain or name).
    key_code = np.full(n, -1, dtype="int64")
    key_code[several] = dom.codes[several]
    name_rows = need[names.count > 1]
    offset = len(dom.uniques)
    key_code[name_rows] = names.codes[names.count > 1] + offset
    lists: dict[int, list[int]] = {}
    for code in np.unique(key_code[shared]):
        source = dom if code < offset else names
        lists[int(code)] = np.flatnonzero(
            source.crm_codes == code - (0 if code < offset else offset)
        ).tolist()
    candidates = [lists[int(c)] for c in key_code[shared]]
    return pos, how, candidates


class _Lookup:
    """CRM keys looked up for market keys through one factorisation of both: string indexes and
    Series.map on a million keys cost seconds, integer codes milliseconds.

    Attributes (per market key): ``count`` (CRM accounts with the key), ``first`` (the first such
    CRM position, -1 when none), ``codes`` (the key's code, -1 when blank); ``crm_codes`` per
    CRM account.
    """

    def __init__(self, crm_keys: pd.Series, market_keys: pd.Series):
        both = pd.concat(
            [crm_keys.reset_index(drop=True), market_keys.reset_index(drop=True)], ignore_index=True
        )
        codes, self.uniques = pd.factorize(both, use_na_sentinel=True)
        k = len(crm_keys)
        self.crm_codes = codes[:k]
        self.codes = codes[k:]
        size = len(self.uniques)
        seen = self.crm_codes >= 0
        per_key = np.bincount(self.crm_codes[seen], minlength=size)
        first = np.full(size + 1, -1, dtype="int64")  # the extra slot answers blank keys (-1)
        positions = np.flatnonzero(seen)
        first[self.crm_codes[positions[::-1]]] = positions[::-1]  # the last write is the first
        self.count = np.where(self.codes >= 0, np.append(per_key, 0)[self.codes], 0)
        self.first = first[self.codes]


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
    warnings = list(market.warnings)
    n = len(companies)
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

    pos, how, candidates = match_companies(companies, crm)
    matched = pos >= 0
    ambiguous = how == "ambiguous"
    crm_segment = segmentation.segment.to_numpy(dtype=object)
    crm_vertical = segmentation.verticals.labels.astype("str").to_numpy(dtype=object)
    crm_type = types.labels.astype("str").to_numpy(dtype=object)
    crm_status = crm["status"].astype("str").to_numpy(dtype=object)
    crm_ids = crm["account_id"].astype("str").to_numpy(dtype=object)
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
    # Ids and statuses as codes too: the CRM's, then one joined entry per ambiguous key.
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
    in_crm = matched | ambiguous
    untouched = ~in_crm
    # The planner's revenue proxy; a company without revenue has no value to rank on (the
    # territories' stand-in of 1 would read as "$1 a year").
    revenue = pd.to_numeric(companies["annual_revenue"], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    value = account_value(companies.assign(deal_size=np.nan), playbook).to_numpy()
    value = np.where(revenue > 0, value, np.nan)

    by_segment = _hunter_teams(book, "segment")
    by_type = _hunter_teams(book, "customer_type")
    by_vertical = _hunter_teams(book, "vertical")
    # A segment the plan never saw (no CRM account in it) goes to the team that hunts its
    # customer type, else its vertical: same deal sizes and motion, or the same buyers.
    chosen = [
        by_segment.get(str(name))
        or by_type.get(str(t_names[p % len(t_names)]))
        or by_vertical.get(str(v_names[p // len(t_names)]))
        or NOT_IN_PLAN
        for name, p in zip(seg_names, pairs)
    ]
    team_names = np.array(sorted(set(chosen)), dtype=object)
    team_of_seg = np.searchsorted(team_names, chosen)
    team_code = team_of_seg[seg_code] if n else np.zeros(0, dtype="int64")
    fit = _fit(Z_market, Z_crm, seg_code, seg_names, crm_segment, crm_status == "customer")
    rank = np.full(n, np.nan)
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
    table = pd.DataFrame(
        {
            "name": companies["account_name"],
            "website": companies["website"],
            "vertical": _text(v_code, v_names, companies.index),
            "customer_type": _text(t_code, t_names, companies.index),
            "segment": _text(seg_code, seg_names, companies.index),
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

    matched_rows = pos[matched]
    per_crm = np.bincount(matched_rows, minlength=len(crm)) if len(crm) else np.zeros(0, int)
    matching = {
        "market_companies": n,
        "by_website": int((how == "website").sum()),
        "by_name": int((how == "name").sum()),
        "ambiguous": int(ambiguous.sum()),
        "not_in_crm": int(untouched.sum()),
        "crm_accounts_matched": int((per_crm > 0).sum()),
        "crm_accounts_matched_twice": int((per_crm > 1).sum()),
        "crm_accounts_not_in_market": int((per_crm == 0).sum()),
        "ambiguous_examples": examples,
    }
    if matching["ambiguous"]:
        shown = "; ".join(
            f"row {e['row']} {e['name']!r} fits {', '.join(e['candidates'])}" for e in examples[:3]
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
            f"{matching['crm_accounts_not_in_market']:,} of {len(crm):,} CRM accounts are not in the "
            "market list (another region, or the list misses them): penetration counts the "
            "market list only."
        )
    penetration = _penetration(table, v_code, v_names, seg_code, seg_names)
    return MarketResult(table, penetration, matching, warnings)


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
        :attr:`MarketResult.penetration`.
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

    won = pd.Series(0.0, index=out.index)
    closed = pd.Series(0.0, index=out.index)
    overall_win = np.nan
    if segment_win is not None and len(segment_win):
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
    out["closed_deals"] = closed.astype("int64")
    out["win_rate"] = (won / closed).where(closed > 0)

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
    if competition is not None and len(competition.table):
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
