"""Opportunities (deals): aggregate an export per account and join it to the accounts.

Deals are joined on the account id (Salesforce 15- and 18-character ids match), failing that on a
normalised account name. Deals that match no account are counted and shown with examples,
never dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segmentation.accounts import normalise_name
from segmentation.errors import InputError
from segmentation.numbers import parse_money
from segmentation.schema import normalise_header

# Header synonyms across Salesforce (report labels and API names), HubSpot deals and Dynamics.
OPPORTUNITY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "account_id": ("account id", "accountid", "account 18 digit id", "company id", "associated company id", "account record id", "parent account id"),
    "account_name": ("account name", "account", "company", "company name", "associated company", "customer", "potential customer", "organization"),
    "amount": ("amount", "deal amount", "amount usd", "opportunity amount", "value", "deal value", "total amount", "est revenue", "estimated revenue", "actual revenue"),
    "stage": ("stage", "stagename", "deal stage", "opportunity stage", "status", "sales stage", "pipeline phase"),
    "is_won": ("iswon", "won", "is won", "closed won"),
    "is_closed": ("isclosed", "closed", "is closed"),
    "close_date": ("close date", "closedate", "closed date", "actual close date", "est close date", "expected close date"),
    "created": ("created date", "createddate", "create date", "created on", "created"),
    "product": ("product", "product name", "product family", "product line", "products", "line of business", "deal type"),
}  # fmt: skip

_WON = re.compile(r"\bwon\b|closed ?won|^won$|signed|booked", re.IGNORECASE)
_LOST = re.compile(r"\blost\b|closed ?lost|disqualified|dead|cancel", re.IGNORECASE)

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

    def to_dict(self) -> dict:
        """JSON-ready summary of the join (not the per-account table)."""
        return {
            "deals_read": self.deals_read,
            "mapping": self.mapping,
            "matched_by_id": self.matched_by_id,
            "matched_by_name": self.matched_by_name,
            "unmatched": self.unmatched,
            "unmatched_examples": self.unmatched_examples,
            "unparsed_amounts": self.unparsed_amounts,
            "unrecognised_products": self.unrecognised_products,
            "accounts_with_deals": int((self.per_account["deals"] > 0).sum()),
            "products": sorted(self.product_revenue["product"].unique().tolist()),
            "warnings": self.warnings,
        }


def map_opportunity_columns(columns: list[str]) -> dict[str, str]:
    """Match an opportunities export's headers to the fields this module needs.

    Parameters
    ----------
    columns : list of str
        The export's headers.

    Returns
    -------
    dict of str to str
        Field → source column, for the fields found.
    """
    by_key = {}
    for column in columns:
        by_key.setdefault(normalise_header(column), column)
    found = {}
    for name, synonyms in OPPORTUNITY_SYNONYMS.items():
        for synonym in synonyms:
            column = by_key.get(normalise_header(synonym))
            if column is not None and column not in found.values():
                found[name] = column
                break
    return found


def aggregate_opportunities(
    deals: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    catalogue: list[str] | None = None,
    min_product_share: float = 0.01,
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

    Returns
    -------
    OpportunityAggregates

    Raises
    ------
    segmentation.errors.InputError
        When the export has no amount column, or nothing to join deals to accounts on.
    """
    mapping = map_opportunity_columns(list(deals.columns))
    if "amount" not in mapping:
        raise InputError(
            "the opportunities file has no amount column (looked for Amount, Deal amount, Value); "
            "rename the column or leave the opportunities out"
        )
    if "account_id" not in mapping and "account_name" not in mapping:
        raise InputError(
            "the opportunities file has no account id or account name column to join on; "
            "add 'Account ID' or 'Account Name'"
        )
    warnings: list[str] = []
    row = _match_accounts(deals, mapping, accounts)
    matched_by_id = int(row.attrs["by_id"])
    matched_by_name = int(row.attrs["by_name"])
    unmatched_mask = row.isna()
    examples = _unmatched_examples(deals, mapping, unmatched_mask)
    if unmatched_mask.any():
        warnings.append(
            f"{int(unmatched_mask.sum()):,} of {len(deals):,} deals match no account and are left out "
            f"of the per-account figures (e.g. {', '.join(examples[:3])})."
        )

    amount, failed = parse_money(deals[mapping["amount"]])
    if failed.any():
        warnings.append(f"{int(failed.sum()):,} deal amounts could not be read and count as unknown.")
    won, lost = _outcomes(deals, mapping)
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
    counts = ["deals", "won_deals", "lost_deals", "open_deals"]
    per_account[counts] = per_account[counts].fillna(0).astype("int64")
    per_account[["won_revenue", "open_pipeline"]] = per_account[
        ["won_revenue", "open_pipeline"]
    ].fillna(0.0)
    per_account["products"] = per_account["products"].astype("str")
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
    )


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


def _match_accounts(deals: pd.DataFrame, mapping: dict, accounts: pd.DataFrame) -> pd.Series:
    row = pd.Series(np.nan, index=deals.index)
    ids = pd.Series(pd.NA, index=deals.index, dtype="str")
    by_id = 0
    if "account_id" in mapping:
        ids = deals[mapping["account_id"]].astype("str").str.strip()
        lookup = pd.Series(accounts.index, index=accounts["account_id"].astype("str").str.strip())
        lookup = lookup[~lookup.index.duplicated()]
        row = ids.map(lookup)
        # Salesforce reports show 15-character ids, the API 18: the first 15 identify the record.
        short = pd.Series(lookup.values, index=lookup.index.str.slice(0, 15))
        short = short[~short.index.duplicated()]
        row = row.fillna(ids.str.slice(0, 15).map(short))
        by_id = int(row.notna().sum())
    by_name = 0
    # A deal whose id names no account is an orphan (a deleted or merged account), unless the
    # ids come from another system altogether; only then, or for blank ids, trust the name.
    needs_name = row.isna()
    if "account_id" in mapping and by_id >= 0.5 * len(deals):
        needs_name &= ids.isna() | (ids == "")
    if "account_name" in mapping and needs_name.any():
        names = normalise_name(deals[mapping["account_name"]]).where(needs_name)
        lookup = pd.Series(accounts.index, index=normalise_name(accounts["account_name"]))
        lookup = lookup[lookup.index.notna() & ~lookup.index.duplicated()]
        by_name_rows = names.map(lookup)
        before = row.notna()
        row = row.fillna(by_name_rows)
        by_name = int((row.notna() & ~before).sum())
    row = row.astype("Int64")
    row.attrs.update(by_id=by_id, by_name=by_name)
    return row


def _unmatched_examples(deals: pd.DataFrame, mapping: dict, unmatched: pd.Series) -> list[str]:
    column = mapping.get("account_name", mapping.get("account_id"))
    values = deals.loc[unmatched, column].astype("str").fillna("(blank)")
    return values.drop_duplicates().head(5).tolist()


def _outcomes(deals: pd.DataFrame, mapping: dict) -> tuple[pd.Series, pd.Series]:
    if "is_won" in mapping:
        flag = deals[mapping["is_won"]].astype("str").str.strip().str.lower()
        won = flag.isin(["true", "1", "yes", "y"])
        if "is_closed" in mapping:
            closed = deals[mapping["is_closed"]].astype("str").str.strip().str.lower()
            lost = closed.isin(["true", "1", "yes", "y"]) & ~won
        else:
            lost = pd.Series(False, index=deals.index)
        return won.fillna(False), lost.fillna(False)
    if "stage" not in mapping:
        return pd.Series(False, index=deals.index), pd.Series(False, index=deals.index)
    stage = deals[mapping["stage"]].astype("str")
    won = stage.str.contains(_WON, na=False)
    lost = stage.str.contains(_LOST, na=False) & ~won
    return won, lost


def _cycle_days(deals: pd.DataFrame, mapping: dict) -> pd.Series:
    if "close_date" not in mapping or "created" not in mapping:
        return pd.Series(np.nan, index=deals.index)
    closed = _dates(deals[mapping["close_date"]])
    created = _dates(deals[mapping["created"]])
    return (closed - created).dt.days.astype("float64")


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce", format="mixed")
