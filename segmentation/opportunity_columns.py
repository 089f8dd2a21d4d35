"""Opportunity columns: which header of a deals export is the amount, the stage, the account.

Header synonyms of Salesforce, HubSpot, Dynamics 365, Pipedrive, Zoho and public samples, the
user's ``--opp-map`` over them; among several stage-like columns, the one whose values say won
or lost.
"""

from __future__ import annotations

import pandas as pd

from segmentation.errors import InputError
from segmentation.opportunity_outcomes import says_outcome
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
            found[name] = next((c for c in candidates if says_outcome(deals[c])), candidates[0])
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
