"""The market list read and lined up with the CRM: its companies, verticals, features and matches.

A market list (every company in the target regions, from a data provider or a public register)
is read, mapped and cleaned like an accounts export (:func:`load_market`). Its verticals are the
CRM's (:func:`market_verticals`), its feature frame has the CRM's columns and imputation
(:func:`market_features`), so the CRM's models type it without a refit, and each company is
matched to a CRM account by website domain first, then by normalised name (legal suffixes such
as Inc, LLC, GmbH dropped) (:func:`match_companies`); a key two CRM accounts share matches
neither and is reported as ambiguous. :mod:`segmentation.market` measures the market from this.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation.accounts import PreparedAccounts, prepare_accounts
from segmentation.company_keys import normalise_name, website_domain
from segmentation.errors import InputError
from segmentation.features import signed_log1p
from segmentation.ingest import ReadInfo, read_table
from segmentation.quality import quality_report
from segmentation.schema import Mapping, infer_mapping
from segmentation.verticals import ALL_ACCOUNTS, OTHER, VerticalClassifier


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
