"""The deals-to-accounts join: each deal's account, and why a deal has none.

Deals are joined on the account id (Salesforce 15- and 18-character ids match), failing that on
a normalised account name (:func:`segmentation.company_keys.normalise_name`); a name two accounts
share joins neither. Deals that match no account are counted by reason (no account given, an
unknown account, an ambiguous name), with examples for the report.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from segmentation.company_keys import normalise_name


def match_accounts(
    deals: pd.DataFrame, mapping: dict, accounts: pd.DataFrame
) -> tuple[pd.Series, pd.Series, Callable[[object], list[str]]]:
    """Each deal's account row, why a deal has none, and the accounts an ambiguous name fits.

    Returns ``row`` (Int64, NA when unmatched; ``attrs`` by_id and by_name), ``reason`` (NA when
    matched, else "blank", "unknown" or "ambiguous") and ``candidates``, a function giving the
    ids of the accounts an ambiguous deal's name fits (called for the few examples only: lists
    for every ambiguous deal cost a second at 100k deals).
    """
    row, ids = _match_by_id(deals, mapping, accounts)
    by_id = int(row.notna().sum())
    has_id = ids.notna()
    has_name = pd.Series(False, index=deals.index)
    if "account_name" in mapping:
        has_name = deals[mapping["account_name"]].astype("str").str.strip().fillna("") != ""
    names = pd.Series(pd.NA, index=deals.index, dtype="str")
    by_name = 0
    ambiguous = pd.Series(False, index=deals.index)
    keys = None
    # A deal whose id names no account is an orphan (a deleted or merged account), unless the
    # ids come from another system altogether; only then, or for blank ids, trust the name.
    needs_name = row.isna()
    if "account_id" in mapping and by_id >= 0.5 * len(deals):
        needs_name &= ~has_id
    if "account_name" in mapping and needs_name.any():
        # Only the deals that need it: at 300k deals mostly joined on id, keying every name
        # cost more than the join.
        names = normalise_name(deals.loc[needs_name, mapping["account_name"]]).reindex(deals.index)
        keys = normalise_name(accounts["account_name"])
        by_name_rows, ambiguous = _match_by_name(names.where(needs_name), keys, accounts.index)
        before = row.notna()
        row = row.fillna(by_name_rows)
        by_name = int((row.notna() & ~before).sum())
    blank = ~has_id & ~has_name
    reason = pd.Series(pd.NA, index=deals.index, dtype="str")
    unmatched = row.isna()
    reason = reason.mask(unmatched, "unknown").mask(unmatched & blank, "blank")
    reason = reason.mask(unmatched & ambiguous, "ambiguous")
    row = row.astype("Int64")
    row.attrs.update(by_id=by_id, by_name=by_name)

    def candidates(index) -> list[str]:
        if keys is None:
            return []
        fits = (keys == names[index]).fillna(False).to_numpy()
        return accounts["account_id"].astype("str")[fits].tolist()

    return row, reason, candidates


def _match_by_id(
    deals: pd.DataFrame, mapping: dict, accounts: pd.DataFrame
) -> tuple[pd.Series, pd.Series]:
    """Each deal's account row by account id (NaN where none), and the deals' ids as written."""
    row = pd.Series(np.nan, index=deals.index)
    ids = pd.Series(pd.NA, index=deals.index, dtype="str")
    if "account_id" not in mapping:
        return row, ids
    ids = deals[mapping["account_id"]].astype("str").str.strip().replace("", pd.NA)
    lookup = pd.Series(accounts.index, index=accounts["account_id"].astype("str").str.strip())
    lookup = lookup[~lookup.index.duplicated()]
    row = ids.map(lookup)
    # Salesforce reports show 15-character ids, the API 18: the first 15 identify the record.
    short = pd.Series(lookup.values, index=lookup.index.str.slice(0, 15))
    short = short[~short.index.duplicated()]
    return row.fillna(ids.str.slice(0, 15).map(short)), ids


def _match_by_name(
    names: pd.Series, keys: pd.Series, account_index: pd.Index
) -> tuple[pd.Series, pd.Series]:
    """Each deal's account row by name key where exactly one account has it, and the ambiguous.

    ``names`` are the deals' name keys (NA where not wanted), ``keys`` the accounts'.
    """
    # Codes through one hash table (factorize / get_indexer): Series.map and isin on string
    # keys took ~1.5 s for 300k deals.
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    seen = codes >= 0
    count = np.bincount(codes[seen], minlength=len(uniques))
    first = np.full(len(uniques), -1, dtype="int64")
    positions = np.flatnonzero(seen)
    first[codes[positions[::-1]]] = positions[::-1]  # the last write is the first account
    wanted = uniques.get_indexer(pd.Index(names))
    found = wanted >= 0
    # Two accounts with the same name key (duplicates, or namesakes in two countries): a
    # deal naming them could be either's, so it is reported, not credited to the first.
    shared = np.zeros(len(names), dtype=bool)
    shared[found] = count[wanted[found]] > 1
    unique_hit = found & ~shared
    by_name_rows = pd.Series(np.nan, index=names.index)
    by_name_rows[unique_hit] = account_index.to_numpy()[first[wanted[unique_hit]]]
    return by_name_rows, pd.Series(shared, index=names.index)


def unmatched_examples(deals: pd.DataFrame, mapping: dict, unmatched: pd.Series) -> list[str]:
    column = mapping.get("account_name", mapping.get("account_id"))
    values = deals.loc[unmatched, column].astype("str").fillna("(blank)")
    return values.drop_duplicates().head(5).tolist()


def left_out_examples(
    deals: pd.DataFrame, mapping: dict, reason: pd.Series, candidates, per_kind: int = 3
) -> list[dict]:
    """Up to ``per_kind`` deals of each kind left out, distinct by account, for the report."""
    examples = []
    positions = pd.Series(np.arange(1, len(deals) + 1), index=deals.index)
    for kind in ("blank", "unknown", "ambiguous"):
        # The first thousand deals of a kind hold enough distinct accounts for the examples.
        rows = reason.index[(reason == kind).fillna(False).to_numpy()][:1000]
        if not len(rows):
            continue
        account = _account_text(deals.loc[rows], mapping)
        for index in account.drop_duplicates().index[:per_kind]:
            example = {
                "reason": kind,
                "row": int(positions[index]),
                "deal": _cell(deals, mapping.get("deal"), index),
                "account": account[index],
            }
            if kind == "ambiguous":
                example["candidates"] = candidates(index)
            examples.append(example)
    return examples


def _account_text(deals: pd.DataFrame, mapping: dict) -> pd.Series:
    text = pd.Series("", index=deals.index, dtype="str")
    for name in ("account_id", "account_name"):
        if name in mapping:
            value = deals[mapping[name]].astype("str").str.strip().fillna("")
            text = text.where(value == "", value) if name == "account_name" else value
    return text.fillna("")


def _cell(deals: pd.DataFrame, column: str | None, index) -> str | None:
    if column is None:
        return None
    value = deals.at[index, column]
    return None if pd.isna(value) else str(value)
