"""Opportunities (deals): aggregate an export per account and join it to the accounts.

Deals are joined on the account id (Salesforce 15- and 18-character ids match), failing that on a
normalised account name; a name two accounts share joins neither. Deals that match no account
are counted by reason (no account given, an unknown account, an ambiguous name) and shown with
examples, never dropped silently. Headers and won/lost words are those of Salesforce, HubSpot,
Dynamics 365, Pipedrive, Zoho and public samples; ``--opp-map`` names any other column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segmentation.errors import InputError
from segmentation.names import normalise_name
from segmentation.numbers import parse_money
from segmentation.schema import normalise_header

# Header synonyms across Salesforce (report labels and API names), HubSpot deals, Dynamics,
# Pipedrive ("Deal - Value" normalises to "dealvalue"), Zoho and public samples such as Maven
# Analytics' "CRM sales opportunities" (sales_pipeline.csv: account, deal_stage, close_value).
# Order matters: the first synonym found wins, so a converted amount (one currency across the
# file) goes before the raw amount, which multi-currency orgs export in each deal's currency.
OPPORTUNITY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "account_id": ("account id", "accountid", "account 18 digit id", "company id", "associated company id", "associated company ids primary", "associated company id primary", "associated company ids", "account record id", "parent account id", "organization id", "deal organization id"),
    "account_name": ("account name", "account", "company", "company name", "associated company", "associated company primary", "customer", "customer name", "potential customer", "organization", "organization name", "deal organization", "client", "client name"),
    "amount": ("amount converted", "amount in company currency", "close value", "closing value", "deal value", "amount", "deal amount", "amount usd", "opportunity amount", "won amount", "value", "total amount", "est revenue", "estimated revenue", "estimated value", "actual revenue", "actual value"),
    "stage": ("stage", "stagename", "deal stage", "opportunity stage", "sales stage", "status", "deal status", "opportunity status", "outcome", "status reason", "statecode", "pipeline phase"),
    "is_won": ("iswon", "won", "is won", "closed won", "is closed won", "hs is closed won"),
    "is_closed": ("isclosed", "closed", "is closed", "is deal closed", "hs is closed"),
    "close_date": ("close date", "closedate", "closed date", "closing date", "actual close date", "deal close date", "won time", "deal won time", "est close date", "expected close date"),
    "created": ("created date", "createddate", "create date", "created on", "created time", "created", "engage date", "deal deal created", "deal created", "opportunity created date"),
    "product": ("product", "product name", "product family", "product line", "products", "line of business", "deal type"),
    "deal": ("opportunity name", "deal name", "name", "topic", "deal title", "title", "opportunity id", "deal id", "record id", "id"),
    # Competitors: Salesforce's Competitor related list and custom fields, HubSpot / Dynamics
    # "Main Competitor(s)", win-loss exports' "Lost To". "Lost to" names a competitor only on
    # lost deals, so it comes last (a warning says when no won deal names a competitor).
    "competitor": ("competitor", "competitors", "main competitor s", "main competitors", "main competitor", "primary competitor", "competitor name", "competitor c", "competitors c", "lost to", "lost to competitor", "competitor lost to", "closed lost to"),
    "loss_reason": ("loss reason", "closed lost reason", "lost reason", "reason lost", "reason for loss", "loss reason c", "closed lost reason c", "lost reason c", "win loss reason"),
}  # fmt: skip
"""Opportunity field → header synonyms, compared after
:func:`~segmentation.schema.normalise_header`. ``deal`` names a deal in the examples of deals that
match no account."""

# Won and lost words of each CRM (not "booked": HubSpot-style pipelines open with "Meeting
# booked"): Salesforce "Closed Won", HubSpot labels and internal names
# ("closedwon"), Dynamics status "Won"/"Lost" and status reasons ("Out-Sold", "Canceled"),
# Pipedrive status "won"/"lost", Zoho "Closed-Lost to Competition", Maven "Won"/"Lost", and the
# same words in German, French, Spanish, Portuguese, Italian and Dutch exports.
_NOT_WON = r"\bnot ?won\b|\bno ?win\b"
_WON = re.compile(
    r"(?<![a-z])(?:closed[ _-]?)?won\b|\bsigned\b|\bgagn[ée]e?\b|"
    r"\bganad[oa]\b|\bganh[oa]\b|\bvint[oa]\b|\bgewonnen\b",
    re.IGNORECASE,
)
_LOST = re.compile(
    r"(?<![a-z])(?:closed[ _-]?)?lost\b|disqualified|\bdead\b|cancel|out[ -]?sold|"
    r"\bverloren\b|\bperdu[e]?\b|\bperdid[oa]\b|\bpers[oa]\b|\bgescheitert\b|" + _NOT_WON,
    re.IGNORECASE,
)
# Dynamics 365 opportunity state codes, as the Web API and Dataverse exports give them.
_STATECODE = {"0": "open", "1": "won", "2": "lost"}
_TRUE = {"true", "1", "1.0", "yes", "y", "x", "wahr", "ja", "oui", "si", "sí"}
_FALSE = {"false", "0", "0.0", "no", "n", "falsch", "nein", "non"}

PER_ACCOUNT_COLUMNS: tuple[str, ...] = (
    "deals",
    "won_deals",
    "lost_deals",
    "open_deals",
    "won_revenue",
    "avg_won_deal",
    "win_rate",
    "open_pipeline",
    "sales_cycle_days",
    "products",
)


@dataclass
class OpportunityAggregates:
    """Deals summarised per account, and what the join could and could not match.

    Attributes
    ----------
    per_account : pandas.DataFrame
        Same index as the accounts; the columns of :data:`PER_ACCOUNT_COLUMNS` (zeros and NaN for
        accounts without deals).
    product_revenue : pandas.DataFrame
        Long table ``account_row, product, won_revenue, deals`` for the product mix.
    mapping : dict
        Opportunity field → source column.
    unmatched : int
        Deals joined to no account: ``unmatched_blank + unmatched_unknown + ambiguous``.
    unmatched_blank : int
        Deals that give neither an account id nor an account name.
    unmatched_unknown : int
        Deals whose account id or name is not in the accounts file.
    ambiguous : int
        Deals whose account name (normalised) fits two or more accounts: left out rather than
        credited to a guess.
    examples : list of dict
        A few deals of each kind left out: ``reason`` (blank, unknown, ambiguous), ``row`` (1 =
        the first deal), ``deal``, ``account`` and, for ambiguous names, the ``candidates``.
    outcomes : dict
        Deals read as won, lost and open.
    competition : pandas.DataFrame or None
        One row per deal, in file order, when the export names competitors or loss reasons:
        ``account_row`` (Int64, NA when the deal matched no account), ``won``, ``lost``,
        ``competitor`` and ``loss_reason`` (the cells as text, NA when blank or unmapped); see
        :mod:`segmentation.competitors`.
    """

    per_account: pd.DataFrame
    product_revenue: pd.DataFrame
    mapping: dict[str, str]
    deals_read: int
    matched_by_id: int
    matched_by_name: int
    unmatched: int
    unmatched_examples: list[str] = field(default_factory=list)
    unparsed_amounts: int = 0
    unrecognised_products: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unmatched_blank: int = 0
    unmatched_unknown: int = 0
    ambiguous: int = 0
    examples: list[dict] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    competition: pd.DataFrame | None = None
    history: pd.DataFrame | None = None

    def recent_won_revenue(self, months: float) -> tuple[pd.Series | None, pd.Timestamp | None]:
        """Won revenue per account over the last ``months`` before the latest closed deal.

        The window ends at the latest deal closed (won or lost), not at an open deal's expected
        close date, which can lie in the future. Deals are the ones joined to an account, read
        with the same columns and won/lost words as every other figure here.

        Parameters
        ----------
        months : float
            The window's length (``bookings_history_months``).

        Returns
        -------
        (pandas.Series or None, pandas.Timestamp or None)
            Won revenue per account (index of :attr:`per_account`, 0 without a won deal in the
            window) and the window's end; ``(None, None)`` when no closed deal has a close date.
        """
        history = self.history
        if history is None:
            return None, None
        closed = history[(history["won"] | history["lost"]) & history["close_date"].notna()]
        if closed.empty:
            return None, None
        end = closed["close_date"].max()
        start = end - pd.DateOffset(months=int(round(months)))
        recent = closed[closed["won"] & (closed["close_date"] > start)]
        revenue = recent.groupby("account_row")["amount"].sum()
        return revenue.reindex(self.per_account.index, fill_value=0.0).fillna(0.0), end

    def to_dict(self) -> dict:
        """JSON-ready summary of the join (not the per-account table)."""
        return {
            "rows_read": self.deals_read,
            "deals_read": self.deals_read,
            "mapping": self.mapping,
            "matched": self.matched_by_id + self.matched_by_name,
            "matched_by_id": self.matched_by_id,
            "matched_by_name": self.matched_by_name,
            "unmatched": self.unmatched,
            "unmatched_blank": self.unmatched_blank,
            "unmatched_unknown": self.unmatched_unknown,
            "ambiguous": self.ambiguous,
            "examples": self.examples,
            "unmatched_examples": self.unmatched_examples,
            "outcomes": self.outcomes,
            "unparsed_amounts": self.unparsed_amounts,
            "unrecognised_products": self.unrecognised_products,
            "accounts_with_deals": int((self.per_account["deals"] > 0).sum()),
            "products": sorted(self.product_revenue["product"].unique().tolist()),
            "warnings": self.warnings,
        }


def map_opportunity_columns(
    columns: list[str],
    overrides: dict[str, str] | None = None,
    deals: pd.DataFrame | None = None,
) -> dict[str, str]:
    """Match an opportunities export's headers to the fields this module needs.

    Parameters
    ----------
    columns : list of str
        The export's headers.
    overrides : dict of str to str or None, optional
        Field → column chosen by the user (``--opp-map``); these win over the synonyms, and
        their columns are not matched to another field. ``None`` leaves a field unmapped (the
        app's "(none)").
    deals : pandas.DataFrame, optional
        The export itself. With it, the stage is the first stage-like column whose values say
        won or lost (Pipedrive's "Deal - Status" rather than its "Deal - Stage", Dynamics'
        "Status" rather than its "Pipeline Phase").

    Returns
    -------
    dict of str to str
        Field → source column, for the fields found.

    Raises
    ------
    segmentation.errors.InputError
        When an override names an unknown field or a column the export does not have.
    """
    chosen = _resolve_overrides(columns, overrides or {})
    by_key = {}
    for column in columns:
        if column not in chosen.values():
            by_key.setdefault(normalise_header(column), column)
    found = {name: column for name, column in chosen.items() if column is not None}
    for name, synonyms in OPPORTUNITY_SYNONYMS.items():
        if name in chosen:
            continue
        keys = dict.fromkeys(map(normalise_header, synonyms))
        candidates = [by_key[k] for k in keys if k in by_key and by_key[k] not in found.values()]
        if not candidates:
            continue
        found[name] = candidates[0]
        if name == "stage" and deals is not None:
            found[name] = next((c for c in candidates if _says_outcome(deals[c])), candidates[0])
    return {name: found[name] for name in OPPORTUNITY_SYNONYMS if name in found}


def _resolve_overrides(
    columns: list[str], overrides: dict[str, str | None]
) -> dict[str, str | None]:
    by_key = {}
    for column in columns:
        by_key.setdefault(normalise_header(column), column)
    resolved = {}
    for name, column in overrides.items():
        if name not in OPPORTUNITY_SYNONYMS:
            raise InputError(
                f"--opp-map: unknown opportunity field {name!r}; use one of "
                + ", ".join(OPPORTUNITY_SYNONYMS)
            )
        if column is None or column == "":
            resolved[name] = None
            continue
        # The exact header first; then one that differs only in case, spaces or punctuation.
        match = column if column in columns else by_key.get(normalise_header(column))
        if match is None:
            shown = ", ".join(map(str, columns[:12])) + (", ..." if len(columns) > 12 else "")
            raise InputError(
                f"--opp-map {name}={column!r}: the opportunities file has no such column "
                f"(its columns: {shown})"
            )
        resolved[name] = match
    return resolved


def _says_outcome(values: pd.Series) -> bool:
    text = values.dropna().astype("str")
    if text.empty:
        return False
    distinct = pd.Series(text.unique(), dtype="str")
    return bool(distinct.str.contains(_WON).any() or distinct.str.contains(_LOST).any())


def aggregate_opportunities(
    deals: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    catalogue: list[str] | None = None,
    min_product_share: float = 0.01,
    overrides: dict[str, str] | None = None,
) -> OpportunityAggregates:
    """Aggregate deals per account: won revenue, average won deal, win rate, pipeline, cycle, products.

    Parameters
    ----------
    deals : pandas.DataFrame
        An opportunities export as read by :func:`segmentation.ingest.read_table` (text cells).
    accounts : pandas.DataFrame
        The canonical account table (``account_id``, ``account_name``).
    catalogue : list of str, optional
        The product lines the company sells. Without one, the catalogue is every product name
        on at least ``min_product_share`` of the deals that name a product.
    min_product_share : float
        See ``catalogue``. Names outside the catalogue ("TBD", one-off pilots) are counted, shown
        with examples and pooled as "Other products" in the product mix.
    overrides : dict of str to str, optional
        Opportunity field → column, over the detected mapping (``--opp-map``); the fields are
        the keys of :data:`OPPORTUNITY_SYNONYMS`.

    Returns
    -------
    OpportunityAggregates

    Raises
    ------
    segmentation.errors.InputError
        When the export has no amount column, or nothing to join deals to accounts on, or an
        override names an unknown field or column.
    """
    mapping = map_opportunity_columns(list(deals.columns), overrides, deals)
    if "amount" not in mapping:
        raise InputError(
            "the opportunities file has no amount column (looked for Amount, Amount (converted), "
            "Close Value, Deal Value, Value, Est. Revenue); name it with --opp-map amount=COLUMN "
            "(in the app: Opportunity columns on the Data page) or leave the opportunities out"
        )
    if "account_id" not in mapping and "account_name" not in mapping:
        raise InputError(
            "the opportunities file has no account id or account name column to join on; "
            "add 'Account ID' or 'Account Name', or name it with --opp-map account_name=COLUMN"
        )
    warnings: list[str] = []
    row, reason, candidates = _match_accounts(deals, mapping, accounts)
    matched_by_id = int(row.attrs["by_id"])
    matched_by_name = int(row.attrs["by_name"])
    unmatched_mask = row.isna()
    counts = {kind: int((reason == kind).sum()) for kind in ("blank", "unknown", "ambiguous")}
    examples = _unmatched_examples(deals, mapping, unmatched_mask)
    detail = _left_out_examples(deals, mapping, reason, candidates)
    if unmatched_mask.any():
        parts = []
        if counts["blank"]:
            parts.append(f"{counts['blank']:,} {_name_verb(counts['blank'])} no account")
        if counts["unknown"]:
            shown = ", ".join(repr(e["account"]) for e in detail if e["reason"] == "unknown")
            parts.append(
                f"{counts['unknown']:,} {_name_verb(counts['unknown'])} an account not in the accounts file (e.g. {shown})"
            )
        if counts["ambiguous"]:
            shown = ", ".join(
                f"{e['account']!r} fits {len(e['candidates'])} accounts"
                for e in detail
                if e["reason"] == "ambiguous"
            )
            parts.append(
                f"{counts['ambiguous']:,} {_name_verb(counts['ambiguous'])} an account that fits two or more accounts ({shown})"
            )
        warnings.append(
            f"{int(unmatched_mask.sum()):,} of {len(deals):,} deals match no account and are left out "
            f"of the per-account figures: {'; '.join(parts)}."
        )

    amount, failed = parse_money(deals[mapping["amount"]])
    if failed.any():
        warnings.append(
            f"{int(failed.sum()):,} deal amounts could not be read and count as unknown."
        )
    won, lost, outcome_notes = _outcomes(deals, mapping, overrides or {})
    warnings += outcome_notes
    cycle = _cycle_days(deals, mapping)
    backwards = int((won & (cycle < 0)).sum())
    if backwards:
        warnings.append(
            f"{backwards:,} won deals close before they were created (often a data migration); "
            "their sales cycle counts as unknown."
        )
    cycle = cycle.where(cycle >= 0)
    product = (
        deals[mapping["product"]].astype("str").str.strip().replace("", pd.NA)
        if "product" in mapping
        else pd.Series(pd.NA, index=deals.index, dtype="str")
    )
    product, unrecognised = _match_catalogue(product, catalogue, min_product_share)
    if unrecognised:
        shown = ", ".join(f"{name} ({count})" for name, count in list(unrecognised.items())[:5])
        warnings.append(
            f"{sum(unrecognised.values()):,} deals name a product outside the catalogue and count "
            f"as 'Other products': {shown}."
        )

    table = pd.DataFrame(
        {
            "row": row,
            "amount": amount,
            "won": won,
            "lost": lost,
            "open": ~(won | lost),
            "cycle": cycle.where(won),
            "product": product,
        }
    )[~unmatched_mask]
    no_amount = int((table["won"] & table["amount"].isna()).sum())
    if no_amount:
        warnings.append(
            f"{no_amount:,} won deals have no amount: they count as won deals (win rate) but add "
            "nothing to won revenue or the average won deal."
        )
    table = table.assign(
        won_amount=table["amount"].where(table["won"]),
        open_amount=table["amount"].where(table["open"]),
    )
    grouped = table.groupby("row")
    per = pd.DataFrame(
        {
            "deals": grouped.size(),
            "won_deals": grouped["won"].sum(),
            "lost_deals": grouped["lost"].sum(),
            "open_deals": grouped["open"].sum(),
            "won_revenue": grouped["won_amount"].sum(),
            "avg_won_deal": grouped["won_amount"].mean(),
            "open_pipeline": grouped["open_amount"].sum(),
            "sales_cycle_days": grouped["cycle"].median(),
        }
    )
    closed = per["won_deals"] + per["lost_deals"]
    per["win_rate"] = (per["won_deals"] / closed).where(closed > 0)
    won_products = table[table["won"] & table["product"].notna()]
    product_revenue = (
        won_products.groupby(["row", "product"])
        .agg(won_revenue=("won_amount", "sum"), deals=("won", "size"))
        .reset_index()
        .rename(columns={"row": "account_row"})
    )
    per["products"] = _join_products(product_revenue)
    per_account = per.reindex(accounts.index)
    counts_cols = ["deals", "won_deals", "lost_deals", "open_deals"]
    per_account[counts_cols] = per_account[counts_cols].fillna(0).astype("int64")
    per_account[["won_revenue", "open_pipeline"]] = per_account[
        ["won_revenue", "open_pipeline"]
    ].fillna(0.0)
    per_account["products"] = per_account["products"].astype("str")
    competition = None
    if "competitor" in mapping or "loss_reason" in mapping:
        # Kept per deal (not per account): a deal names its own competitors and loss reason.
        competition = pd.DataFrame(
            {
                "account_row": row,
                "won": won.to_numpy(dtype=bool),
                "lost": lost.to_numpy(dtype=bool),
                "competitor": _text_column(deals, mapping.get("competitor")),
                "loss_reason": _text_column(deals, mapping.get("loss_reason")),
            },
            index=deals.index,
        )
    history = None
    if "close_date" in mapping:
        # Per joined deal with its close date: what a bookings window is cut from.
        history = pd.DataFrame(
            {
                "account_row": table["row"],
                "won": table["won"].to_numpy(dtype=bool),
                "lost": table["lost"].to_numpy(dtype=bool),
                "amount": table["amount"],
                "close_date": _dates(deals[mapping["close_date"]])[~unmatched_mask],
            }
        )
    return OpportunityAggregates(
        per_account=per_account[list(PER_ACCOUNT_COLUMNS)],
        product_revenue=product_revenue,
        mapping=mapping,
        deals_read=len(deals),
        matched_by_id=matched_by_id,
        matched_by_name=matched_by_name,
        unmatched=int(unmatched_mask.sum()),
        unmatched_examples=examples,
        unparsed_amounts=int(failed.sum()),
        unrecognised_products=unrecognised,
        warnings=warnings,
        unmatched_blank=counts["blank"],
        unmatched_unknown=counts["unknown"],
        ambiguous=counts["ambiguous"],
        examples=detail,
        outcomes={
            "won": int(won.sum()),
            "lost": int(lost.sum()),
            "open": int((~(won | lost)).sum()),
        },
        competition=competition,
        history=history,
    )


def _text_column(deals: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series(pd.NA, index=deals.index, dtype="str")
    return deals[column].astype("str").str.strip().replace("", pd.NA)


def _name_verb(count: int) -> str:
    return "names" if count == 1 else "name"


OTHER_PRODUCTS = "Other products"


def _join_products(product_revenue: pd.DataFrame) -> pd.Series:
    """Each account's won products, sorted and joined with "; " (index: account row).

    One pass over the sorted rows: a per-group ``agg("; ".join)`` costs ~15 µs of pandas
    overhead per account (1.4 s for 100k accounts).
    """
    ordered = product_revenue.sort_values(["account_row", "product"])
    rows = ordered["account_row"].to_numpy(dtype="int64")
    products = ordered["product"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else np.array([], int)
    ends = np.r_[starts[1:], len(rows)].astype(int)
    joined = ["; ".join(products[a:b]) for a, b in zip(starts, ends)]
    return pd.Series(joined, index=pd.Index(rows[starts], name="account_row"), dtype=object)


def _match_catalogue(
    product: pd.Series, catalogue: list[str] | None, min_share: float
) -> tuple[pd.Series, dict[str, int]]:
    counts = product.value_counts()
    if counts.empty:
        return product, {}
    if catalogue is None:
        known = set(counts.index[counts >= min_share * counts.sum()])
    else:
        # Case and spacing differ between a price list and what reps type into the CRM.
        by_key = {normalise_header(name): name for name in catalogue}
        names = product.dropna().unique()
        product = product.map({v: by_key.get(normalise_header(v), v) for v in names})
        counts = product.value_counts()
        known = set(catalogue)
    outside = counts[~counts.index.isin(known)]
    matched = product.where(product.isin(known) | product.isna(), OTHER_PRODUCTS)
    return matched.astype("str"), {str(k): int(v) for k, v in outside.items()}


def _match_accounts(
    deals: pd.DataFrame, mapping: dict, accounts: pd.DataFrame
) -> tuple[pd.Series, pd.Series, Callable[[object], list[str]]]:
    """Each deal's account row, why a deal has none, and the accounts an ambiguous name fits.

    Returns ``row`` (Int64, NA when unmatched; ``attrs`` by_id and by_name), ``reason`` (NA when
    matched, else "blank", "unknown" or "ambiguous") and ``candidates``, a function giving the
    ids of the accounts an ambiguous deal's name fits (called for the few examples only: lists
    for every ambiguous deal cost a second at 100k deals).
    """
    row = pd.Series(np.nan, index=deals.index)
    ids = pd.Series(pd.NA, index=deals.index, dtype="str")
    by_id = 0
    if "account_id" in mapping:
        ids = deals[mapping["account_id"]].astype("str").str.strip().replace("", pd.NA)
        lookup = pd.Series(accounts.index, index=accounts["account_id"].astype("str").str.strip())
        lookup = lookup[~lookup.index.duplicated()]
        row = ids.map(lookup)
        # Salesforce reports show 15-character ids, the API 18: the first 15 identify the record.
        short = pd.Series(lookup.values, index=lookup.index.str.slice(0, 15))
        short = short[~short.index.duplicated()]
        row = row.fillna(ids.str.slice(0, 15).map(short))
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
        # Codes through one hash table (factorize / get_indexer): Series.map and isin on string
        # keys took ~1.5 s for 300k deals.
        codes, uniques = pd.factorize(keys, use_na_sentinel=True)
        seen = codes >= 0
        count = np.bincount(codes[seen], minlength=len(uniques))
        first = np.full(len(uniques), -1, dtype="int64")
        positions = np.flatnonzero(seen)
        first[codes[positions[::-1]]] = positions[::-1]  # the last write is the first account
        wanted = uniques.get_indexer(pd.Index(names.where(needs_name)))
        found = wanted >= 0
        # Two accounts with the same name key (duplicates, or namesakes in two countries): a
        # deal naming them could be either's, so it is reported, not credited to the first.
        shared = np.zeros(len(deals), dtype=bool)
        shared[found] = count[wanted[found]] > 1
        unique_hit = found & ~shared
        by_name_rows = pd.Series(np.nan, index=deals.index)
        by_name_rows[unique_hit] = accounts.index.to_numpy()[first[wanted[unique_hit]]]
        ambiguous = pd.Series(shared, index=deals.index)
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


def _unmatched_examples(deals: pd.DataFrame, mapping: dict, unmatched: pd.Series) -> list[str]:
    column = mapping.get("account_name", mapping.get("account_id"))
    values = deals.loc[unmatched, column].astype("str").fillna("(blank)")
    return values.drop_duplicates().head(5).tolist()


def _left_out_examples(
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


def _flags(values: pd.Series) -> tuple[pd.Series, float]:
    """A yes/no column as booleans (NA where unreadable) and the share of cells read."""
    text = values.astype("str").str.strip().str.lower()
    flag = pd.Series(pd.NA, index=values.index, dtype="boolean")
    flag = flag.mask(text.isin(_TRUE).fillna(False), True)
    flag = flag.mask(text.isin(_FALSE).fillna(False), False)
    filled = text.notna() & (text != "")
    share = float(flag[filled].notna().mean()) if filled.any() else 0.0
    return flag, share


def _outcomes(
    deals: pd.DataFrame, mapping: dict, overrides: dict[str, str]
) -> tuple[pd.Series, pd.Series, list[str]]:
    """Won and lost per deal (open is neither), with warnings when the outcome cannot be read.

    Salesforce's IsWon / IsClosed checkboxes win over the stage, except when the user chose
    the stage column and not the flags.
    """
    notes: list[str] = []
    nothing = pd.Series(False, index=deals.index)
    stage_won = stage_lost = None
    if "stage" in mapping:
        stage_won, stage_lost = _stage_outcomes(deals[mapping["stage"]], mapping["stage"])
    stage_chosen = overrides.get("stage") is not None and "is_won" not in overrides
    use_flags = "is_won" in mapping and not stage_chosen
    if use_flags:
        won_flag, share = _flags(deals[mapping["is_won"]])
        if share < 0.9:
            notes.append(
                f"The won flag column {mapping['is_won']!r} holds values other than yes/no "
                f"(only {share:.0%} read); "
                + (
                    "the stage says which deals are won."
                    if stage_won is not None
                    else "no deal counts as won."
                )
            )
            use_flags = False
    if use_flags:
        won = won_flag.fillna(False).astype(bool)
        if "is_closed" in mapping:
            closed_flag, _ = _flags(deals[mapping["is_closed"]])
            lost = closed_flag.fillna(False).astype(bool) & ~won
        elif stage_lost is not None:
            lost = stage_lost & ~won
        else:
            lost = nothing.copy()
            notes.append(
                f"Deals are won by {mapping['is_won']!r} but nothing says which are lost: win "
                "rates count only won deals as closed. Add the IsClosed or stage column."
            )
        return won, lost, notes
    if stage_won is None:
        notes.append(
            "The opportunities file has no stage or won/lost column: every deal counts as open, "
            "so won revenue and win rates are unknown. Name the column with --opp-map stage=COLUMN."
        )
        return nothing.copy(), nothing.copy(), notes
    if not (stage_won.any() or stage_lost.any()):
        shown = ", ".join(map(repr, deals[mapping["stage"]].dropna().astype("str").unique()[:5]))
        notes.append(
            f"No deal's {mapping['stage']!r} reads as won or lost (values such as {shown}): every "
            "deal counts as open, so won revenue and win rates are unknown. Name the won/lost "
            "column with --opp-map stage=COLUMN."
        )
    return stage_won, stage_lost, notes


def _stage_outcomes(values: pd.Series, column: str) -> tuple[pd.Series, pd.Series]:
    text = values.astype("str").str.strip()
    codes = set(text.dropna().unique()) - {""}
    if normalise_header(column).endswith("statecode") and codes and codes <= set(_STATECODE):
        state = text.map(_STATECODE)
        won = (state == "won").fillna(False).astype(bool)
        return won, (state == "lost").fillna(False).astype(bool)
    # Each distinct stage once: an export has a handful of stages and up to millions of deals.
    distinct = pd.Series(text.dropna().unique(), dtype="str")
    not_won = distinct.str.contains(_NOT_WON, case=False, regex=True)
    won_words = set(distinct[distinct.str.contains(_WON) & ~not_won])
    lost_words = set(distinct[distinct.str.contains(_LOST)]) - won_words
    won = text.isin(won_words).fillna(False).astype(bool)
    lost = text.isin(lost_words).fillna(False).astype(bool)
    return won, lost


def _cycle_days(deals: pd.DataFrame, mapping: dict) -> pd.Series:
    if "close_date" not in mapping or "created" not in mapping:
        return pd.Series(np.nan, index=deals.index)
    closed = _dates(deals[mapping["close_date"]])
    created = _dates(deals[mapping["created"]])
    return (closed - created).dt.days.astype("float64")


def _dates(values: pd.Series) -> pd.Series:
    # Data Loader writes CreatedDate with an offset ("2024-01-22T16:14:25.000+0000") beside a
    # plain CloseDate ("2024-11-10"): read both as UTC and drop the zone, or they can't subtract.
    parsed = pd.to_datetime(values, errors="coerce", format="mixed", utc=True)
    return parsed.dt.tz_convert(None)
