"""The pipeline, stage by stage: load → segment → plan, and :func:`run` wiring them together.

Each stage is a function of the previous stage's result and its own parameters, so the app can
cache them separately: a playbook change re-runs only :func:`plan_teams`, never the clustering.
The market and competitor view is :mod:`segmentation.battlefield`; the :class:`Run` that
:func:`run` returns, with its output files and report, is :mod:`segmentation.run_result`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation.accounts import PreparedAccounts, prepare_accounts
from segmentation.battlefield import analyse_battlefield
from segmentation.clustering import MIN_ACCOUNTS, CustomerTypeResult, customer_types
from segmentation.export import ASSIGNMENT_COLUMNS
from segmentation.features import feature_note, resolve_feature_names
from segmentation.ingest import ReadInfo, read_table
from segmentation.market_list import load_market
from segmentation.naming import feature_label
from segmentation.opportunities import OpportunityAggregates, aggregate_opportunities
from segmentation.planner import Plan, assign_accounts, plan_coverage, segment_products
from segmentation.planner.hiring import hiring_plan
from segmentation.playbook import Playbook, load_playbook
from segmentation.profiles import explain_customer_types, segment_profiles
from segmentation.quality import quality_report
from segmentation.roster import placeholder_roster
from segmentation.run_result import Run
from segmentation.schema import Mapping, infer_mapping
from segmentation.status import status_from_deals
from segmentation.territories import TerritoryResult, account_value, assign_territories
from segmentation.tiers import VERDICT as TIERS_VERDICT
from segmentation.tiers import tier_types
from segmentation.verticals import VerticalResult, assign_verticals


@dataclass
class LoadedAccounts:
    """An accounts export read, mapped and cleaned, with everything counted on the way."""

    raw: pd.DataFrame
    read_info: ReadInfo
    mapping: Mapping
    prepared: PreparedAccounts
    quality: dict
    opportunities: OpportunityAggregates | None = None

    @property
    def accounts(self) -> pd.DataFrame:
        """The canonical account table."""
        return self.prepared.accounts

    @property
    def warnings(self) -> list[str]:
        """Every reading and cleaning warning, in the order they arose."""
        notes = [*self.read_info.warnings, *self.prepared.warnings]
        if self.opportunities is not None:
            notes += self.opportunities.warnings
        return notes


@dataclass
class Segmentation:
    """Verticals, customer types and the per-segment profiles built from them."""

    verticals: VerticalResult
    types: CustomerTypeResult
    features: pd.DataFrame
    profiles: pd.DataFrame
    explanations: pd.DataFrame

    @cached_property
    def segment(self) -> pd.Series:
        """The segment (vertical × customer type) of every account."""
        # Built once: a plan asks for it three times, and at 1M accounts each build took 0.2 s.
        return self.verticals.labels.astype("str") + " · " + self.types.labels.astype("str")

    @property
    def warnings(self) -> list[str]:
        """Warnings from the vertical stage and the quality verdict when it is weak."""
        notes = list(self.verticals.warnings)
        left_out = feature_note(self.features, feature_label)
        if left_out:
            notes.append(left_out)
        if self.types.quality.get("verdict") in ("weak", TIERS_VERDICT):
            notes.append(self.types.quality["message"])
        return notes


@dataclass
class TeamPlan:
    """The recommended coverage, each account's team, and the reps when a roster is given."""

    plan: Plan
    assignments: pd.DataFrame
    book: pd.DataFrame
    territories: TerritoryResult | None = None

    @property
    def warnings(self) -> list[str]:
        """Warnings from the territory stage."""
        return list(self.territories.warnings) if self.territories is not None else []


def load_accounts(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    overrides: dict[str, str] | None = None,
    ignore: list[str] | tuple[str, ...] = (),
    opportunities: str | Path | bytes | None = None,
    opportunities_name: str | None = None,
    opportunity_overrides: dict[str, str] | None = None,
    units: dict[str, tuple[float | None, str | None]] | None = None,
    status_values: dict[str, str] | None = None,
) -> LoadedAccounts:
    """Read an accounts export, map its columns and clean it, with its deals when given.

    Parameters
    ----------
    source : str, pathlib.Path or bytes
        The file, or its content.
    name : str, optional
        The file's name when ``source`` is bytes (its extension picks CSV or Excel).
    encoding, sheet : str, optional
        Overrides for the detected text encoding and the Excel sheet.
    overrides : dict of str to str, optional
        Canonical field → source column, applied over the inferred mapping.
    ignore : sequence of str
        Source columns to keep out of the mapping altogether (the app's columns set to none);
        ``--ignore`` is not this: it only keeps a column out of the customer-type features
        (:func:`segment_accounts`).
    opportunities : str, pathlib.Path or bytes, optional
        An opportunities (deals) export; its per-account aggregates become features, and the
        average won deal replaces the deal-size field where an account has won deals.
    opportunities_name : str, optional
        The opportunities file's name when given as bytes.
    opportunity_overrides : dict of str to str, optional
        Opportunity field → column over the detected mapping (``--opp-map``; see
        :data:`segmentation.opportunity_columns.OPPORTUNITY_SYNONYMS` for the fields).
    units : dict, optional
        Money field → ``(multiplier, currency)`` set by the user (``--unit``), over the detected ones.
    status_values : dict of str to str, optional
        Status value as written → status (``--status``), over the built-in words.

    Returns
    -------
    LoadedAccounts

    Raises
    ------
    segmentation.errors.InputError
        When the file cannot be read or a required field cannot be mapped.
    """
    raw, info = read_table(source, name=name, encoding=encoding, sheet=sheet)
    mapping = infer_mapping(raw, overrides=overrides, ignore=list(ignore))
    prepared = prepare_accounts(raw, mapping, units=units, status_values=status_values)
    quality = quality_report(raw, mapping, prepared)
    aggregates = None
    if opportunities is not None:
        deals, _ = read_table(opportunities, name=opportunities_name)
        aggregates = aggregate_opportunities(
            deals, prepared.accounts, overrides=opportunity_overrides
        )
        prepared = _with_deals(prepared, aggregates)
        # without a status column (or where it is blank), a won deal makes a customer
        prepared = status_from_deals(prepared, aggregates.per_account["won_deals"])
    return LoadedAccounts(raw, info, mapping, prepared, quality, aggregates)


def _with_deals(prepared: PreparedAccounts, deals: OpportunityAggregates) -> PreparedAccounts:
    # Won deals say what an account really buys; the deal-size field is a fallback.
    per = deals.per_account
    has_won = per["won_deals"] > 0
    accounts = prepared.accounts.assign(
        deal_size=per["avg_won_deal"].where(has_won, prepared.accounts["deal_size"])
    )
    # Deals reach the customer types through the deal size. As features of their own, won
    # revenue, pipeline and win rate (zero or blank for every prospect) drowned the size
    # structure: on the sample they merged enterprise, mid-market and former customers.
    extra = prepared.extra_features
    change = {
        "field": "deal_size",
        "column": "opportunities",
        "what": "set to the account's average won deal",
        "count": int(has_won.sum()),
        "examples": [],
    }
    return replace(
        prepared, accounts=accounts, extra_features=extra, changes=[*prepared.changes, change]
    )


def segment_accounts(
    loaded: LoadedAccounts,
    *,
    n_types: int | None = None,
    ignore: list[str] | tuple[str, ...] = (),
    features: list[str] | tuple[str, ...] = (),
    seed: int = 0,
    min_vertical_accounts: int = 20,
    min_vertical_share: float = 0.02,
    vertical_renames: dict[str, str] | None = None,
    vertical_merges: dict[str, str] | None = None,
    playbook: Playbook | None = None,
) -> Segmentation:
    """Find verticals and customer types, and profile each segment.

    Parameters
    ----------
    loaded : LoadedAccounts
        The result of :func:`load_accounts`.
    n_types : int, optional
        Fix the number of customer types; by default it is chosen from the data.
    ignore : sequence of str
        Canonical fields or columns (mapped or extra) to leave out of the customer-type
        features; they stay in every other figure.
    features : sequence of str
        Numeric columns to add to the customer-type features (off by default).
    seed : int
        Random seed: the same input and seed give the same segments.
    min_vertical_accounts : int
        Verticals with fewer accounts fold into "Other".
    min_vertical_share : float
        Verticals with a smaller share of the accounts fold into "Other".
    vertical_renames, vertical_merges : dict of str to str, optional
        The user's renames and merges of verticals.
    playbook : Playbook, optional
        Its ``tier_*`` limits type the accounts of a file too small to cluster (fewer than
        ``MIN_ACCOUNTS``); default: the shipped playbook.

    Returns
    -------
    Segmentation
    """
    accounts = loaded.accounts
    extra = loaded.prepared.extra_features
    verticals = assign_verticals(
        accounts["industry"] if "industry" in loaded.mapping.columns else None,
        min_accounts=min_vertical_accounts,
        min_share=min_vertical_share,
        renames=vertical_renames,
        merges=vertical_merges,
        index=accounts.index,
    )
    names = {
        "columns": loaded.raw.columns,
        "mapping": loaded.mapping.columns,
        "extra_columns": extra.columns,
        "excluded": loaded.mapping.excluded,
    }
    ignore = resolve_feature_names(ignore, option="--ignore", **names)
    features = resolve_feature_names(features, option="--feature", **names)
    # The extra columns as written (same rows): codes show in their digits and leading zeros.
    text = loaded.raw[[str(c) for c in extra.columns]].reset_index(drop=True)
    if len(accounts) < MIN_ACCOUNTS:
        # Too few accounts to cluster: firmographic tiers still give a plan (with a warning).
        types = tier_types(
            accounts, extra, playbook=playbook, ignore=ignore, min_accounts=MIN_ACCOUNTS
        )
        if n_types is not None:
            types.quality["message"] += f" The {n_types} customer types asked for are not used."
    else:
        types = customer_types(
            accounts, extra, n_types=n_types, ignore=ignore, features=features, text=text, seed=seed
        )
    features = types.features
    # Categorical in id order, so profiles list the most valuable customer type first.
    ranked = pd.Categorical(types.labels, categories=types.table["customer_type"])
    profiles = segment_profiles(accounts, verticals.labels, pd.Series(ranked, index=accounts.index))
    explanations = explain_customer_types(features, types.ids, types.labels, random_state=seed)
    return Segmentation(verticals, types, features, profiles, explanations)


def plan_teams(
    loaded: LoadedAccounts,
    segmentation: Segmentation,
    playbook: Playbook,
    roster: pd.DataFrame | None = None,
    *,
    seed: int = 0,
) -> TeamPlan:
    """Recommend coverage per segment, give every account its team, and reps when a roster is given.

    Parameters
    ----------
    loaded : LoadedAccounts
    segmentation : Segmentation
    playbook : Playbook
        Thresholds and rates; changing them needs no re-clustering.
    roster : pandas.DataFrame, optional
        Reps (see :func:`segmentation.roster.read_roster`).
    seed : int

    Returns
    -------
    TeamPlan
    """
    accounts = loaded.accounts
    plan = plan_coverage(
        segmentation.profiles,
        playbook,
        plan_products(loaded, segmentation),
        accounts=plan_accounts(loaded, segmentation, playbook),
    )
    book = accounts.assign(
        segment=segmentation.segment,
        vertical=segmentation.verticals.labels,
        customer_type=segmentation.types.labels,
    )
    teams = assign_accounts(book, plan)
    book = book.assign(
        team=teams["team"], motion=teams["motion"], role=teams["role"], reason=teams["reason"]
    )
    book = book.assign(value=account_value(book))
    territories = None
    rep = pd.Series(pd.NA, index=accounts.index, dtype="str")
    if roster is not None:
        territories = assign_territories(book, roster, seed=seed)
        rep = territories.rep
        # The hiring plan starts from the reps already in each team: hires are the gap.
        in_seat = territories.reps["team"].astype("string").value_counts().to_dict()
        plan = replace(
            plan,
            hiring=hiring_plan(
                plan.teams, playbook, {str(k): float(v) for k, v in in_seat.items()}
            ),
        )
    assignments = book.assign(rep=rep)[list(ASSIGNMENT_COLUMNS)]
    assignments = assignments.assign(current_owner=accounts["owner"], status=accounts["status"])
    return TeamPlan(plan, assignments, book, territories)


def plan_products(loaded: LoadedAccounts, segmentation: Segmentation) -> pd.DataFrame | None:
    """Won deals and revenue per segment and product line, or ``None`` without product data.

    Parameters
    ----------
    loaded : LoadedAccounts
    segmentation : Segmentation

    Returns
    -------
    pandas.DataFrame or None
        ``segment, product, won_revenue, deals`` (see :func:`segmentation.planner.segment_products`).
    """
    if loaded.opportunities is None:
        return None
    segment = segmentation.segment.set_axis(loaded.accounts.index)
    return segment_products(loaded.opportunities.product_revenue, segment)


def plan_accounts(
    loaded: LoadedAccounts, segmentation: Segmentation, playbook: Playbook | None = None
) -> pd.DataFrame:
    """Per-account segment, deal size and deals: what deal sizes, bookings and pod tests read.

    Parameters
    ----------
    loaded : LoadedAccounts
    segmentation : Segmentation
    playbook : Playbook, optional
        Its ``bookings_history_months`` sets the bookings window (default: the shipped playbook).

    Returns
    -------
    pandas.DataFrame
        ``segment, deal_size`` and, with opportunities, ``won_deals, lost_deals, avg_won_deal,
        open_pipeline``, and ``won_revenue_recent`` (won value in the window before the latest
        close date) when the deals carry close dates.
    """
    accounts = loaded.accounts
    frame = pd.DataFrame(
        {
            "segment": segmentation.segment.set_axis(accounts.index),
            "deal_size": accounts["deal_size"] if "deal_size" in accounts.columns else np.nan,
        },
        index=accounts.index,
    )
    if loaded.opportunities is not None:
        per = loaded.opportunities.per_account
        frame = frame.assign(
            won_deals=per["won_deals"],
            lost_deals=per["lost_deals"],
            avg_won_deal=per["avg_won_deal"],
            open_pipeline=per["open_pipeline"],
        )
        recent = _recent_won_revenue(loaded, playbook if playbook is not None else load_playbook())
        if recent is not None:
            frame = frame.assign(won_revenue_recent=recent)
    return frame


def _recent_won_revenue(loaded: LoadedAccounts, playbook: Playbook) -> pd.Series | None:
    # Kept on the loaded object per window: a playbook change re-plans without cutting it again.
    cache = loaded.__dict__.setdefault("_recent_won_revenue", {})
    months = playbook.value("bookings_history_months")
    if months not in cache:
        cache[months] = loaded.opportunities.recent_won_revenue(months)[0]
    return cache[months]


def preview_territories(team_plan: TeamPlan, *, seed: int = 0) -> TerritoryResult:
    """Territories with placeholder reps, as many per team as its recommended headcount.

    Parameters
    ----------
    team_plan : TeamPlan
        The plan to preview.
    seed : int

    Returns
    -------
    TerritoryResult
    """
    roster = placeholder_roster(team_plan.plan.teams)
    return assign_territories(team_plan.book, roster, seed=seed)


def run(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    overrides: dict[str, str] | None = None,
    ignore: list[str] | tuple[str, ...] = (),
    features: list[str] | tuple[str, ...] = (),
    n_types: int | None = None,
    seed: int = 0,
    playbook: Playbook | None = None,
    roster: pd.DataFrame | None = None,
    opportunities: str | Path | bytes | None = None,
    min_vertical_accounts: int = 20,
    min_vertical_share: float = 0.02,
    opportunity_overrides: dict[str, str] | None = None,
    units: dict[str, tuple[float | None, str | None]] | None = None,
    status_values: dict[str, str] | None = None,
    market: str | Path | bytes | None = None,
    market_name: str | None = None,
    market_overrides: dict[str, str] | None = None,
) -> Run:
    """Run the whole pipeline on one accounts export.

    Parameters
    ----------
    source : str, pathlib.Path or bytes
        The accounts export.
    name : str, optional
        The file's name when ``source`` is bytes.
    encoding, sheet : str, optional
        Overrides for the detected text encoding and the Excel sheet.
    overrides : dict of str to str, optional
        Canonical field → source column.
    ignore : sequence of str
        Columns or canonical fields to keep out of the customer-type features (``--ignore``);
        they stay mapped and in every other figure.
    features : sequence of str
        Numeric columns to add to the customer-type features (``--feature``).
    n_types : int, optional
        Fix the number of customer types.
    seed : int
        Random seed.
    playbook : Playbook, optional
        Defaults to the shipped playbook.
    roster : pandas.DataFrame, optional
        Reps to assign accounts to.
    opportunities : str, pathlib.Path or bytes, optional
        An opportunities (deals) export.
    min_vertical_accounts, min_vertical_share : int, float
        Verticals under this many accounts or this share of accounts fold into "Other".
    opportunity_overrides : dict of str to str, optional
        Opportunity field → column over the detected mapping (``--opp-map``).
    units : dict, optional
        Money field → ``(multiplier, currency)`` (``--unit``).
    status_values : dict of str to str, optional
        Status value as written → status (``--status``).
    market : str, pathlib.Path or bytes, optional
        A market list (``--market``): every company in the target regions.
    market_name : str, optional
        The market file's name when given as bytes.
    market_overrides : dict of str to str, optional
        Canonical field → column of the market file (``--market-map``).

    Returns
    -------
    Run
    """
    # Taken before any default is filled in: report.json records what was asked for.
    settings = _settings(**locals())
    playbook = playbook if playbook is not None else load_playbook()
    loaded = load_accounts(
        source,
        name=name,
        encoding=encoding,
        sheet=sheet,
        overrides=overrides,
        opportunities=opportunities,
        opportunity_overrides=opportunity_overrides,
        units=units,
        status_values=status_values,
    )
    segmentation = segment_accounts(
        loaded,
        n_types=n_types,
        ignore=ignore,
        features=features,
        seed=seed,
        min_vertical_accounts=min_vertical_accounts,
        min_vertical_share=min_vertical_share,
        playbook=playbook,
    )
    team_plan = plan_teams(loaded, segmentation, playbook, roster, seed=seed)
    market_loaded = (
        None
        if market is None
        else load_market(market, name=market_name, overrides=market_overrides)
    )
    battlefield, team_plan = analyse_battlefield(
        loaded, segmentation, team_plan, playbook, market_loaded
    )
    return Run(loaded, segmentation, team_plan, playbook, settings, battlefield)


def _settings(
    *,
    overrides: dict[str, str] | None,
    ignore: list[str] | tuple[str, ...],
    features: list[str] | tuple[str, ...],
    n_types: int | None,
    seed: int,
    roster: pd.DataFrame | None,
    opportunities: str | Path | bytes | None,
    min_vertical_accounts: int,
    min_vertical_share: float,
    opportunity_overrides: dict[str, str] | None,
    units: dict[str, tuple[float | None, str | None]] | None,
    status_values: dict[str, str] | None,
    market: str | Path | bytes | None,
    market_overrides: dict[str, str] | None,
    **_inputs,
) -> dict:
    # The run's parameters as report.json's "settings" (the input files only as given or not).
    return {
        "overrides": dict(overrides or {}),
        "ignore": list(ignore),
        "features": list(features),
        "n_types": n_types,
        "seed": seed,
        "roster": roster is not None,
        "opportunities": opportunities is not None,
        "min_vertical_accounts": min_vertical_accounts,
        "min_vertical_share": min_vertical_share,
        "opportunity_overrides": dict(opportunity_overrides or {}),
        "units": {f: list(u) for f, u in (units or {}).items()},
        "status_values": dict(status_values or {}),
        "market": market is not None,
        "market_overrides": dict(market_overrides or {}),
    }
