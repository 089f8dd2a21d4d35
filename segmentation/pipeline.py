"""The pipeline, stage by stage: load → segment → plan, and the files a run hands back.

Each stage is a function of the previous stage's result and its own parameters, so the app can
cache them separately: a playbook change re-runs only :func:`plan_teams`, never the clustering.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation import __version__
from segmentation.accounts import PreparedAccounts, prepare_accounts
from segmentation.clustering import MIN_ACCOUNTS, CustomerTypeResult, customer_types
from segmentation.competitors import CompetitionResult, analyse_competitors
from segmentation.export import ASSIGNMENT_COLUMNS, excel_workbook, teams_zip, to_csv_bytes
from segmentation.export import excel_csv as add_bom
from segmentation.features import feature_note, feature_report, resolve_feature_names
from segmentation.ingest import ReadInfo, read_table
from segmentation.market import MarketResult, analyse_market, annotate_segments
from segmentation.market_list import LoadedMarket, load_market
from segmentation.naming import feature_label
from segmentation.opportunities import OpportunityAggregates, aggregate_opportunities
from segmentation.planner import Plan, assign_accounts, plan_coverage, segment_products
from segmentation.planner.hiring import hiring_plan
from segmentation.playbook import Playbook, load_playbook
from segmentation.plays import attack_plan
from segmentation.profiles import explain_customer_types, segment_profiles
from segmentation.quality import quality_report
from segmentation.roster import placeholder_roster
from segmentation.schema import Mapping, infer_mapping
from segmentation.status import status_from_deals
from segmentation.summary import plan_summary
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


@dataclass
class Battlefield:
    """The market beyond the CRM and the competitors: what ``--market`` and deal competitors add.

    Attributes
    ----------
    market : MarketResult or None
        Without a market list, None.
    competition : CompetitionResult or None
        Without opportunities naming competitors or loss reasons, None.
    attack : pandas.DataFrame or None
        The play per vertical and segment (``attack.csv``); needs the market.
    """

    market: MarketResult | None = None
    competition: CompetitionResult | None = None
    attack: pd.DataFrame | None = None
    loaded_market: LoadedMarket | None = None

    @property
    def warnings(self) -> list[str]:
        """The market's and the competitor analysis' warnings."""
        notes = list(self.market.warnings) if self.market is not None else []
        return notes + (list(self.competition.warnings) if self.competition is not None else [])

    def files(self) -> dict[str, bytes]:
        """``market.csv``, ``competitors.csv`` and ``attack.csv``, those there is data for."""
        files = {}
        if self.market is not None:
            files["market.csv"] = to_csv_bytes(self.market.companies)
        if self.competition is not None:
            files["competitors.csv"] = to_csv_bytes(self.competition.table)
        if self.attack is not None:
            files["attack.csv"] = to_csv_bytes(self.attack)
        return files

    def report(self) -> dict:
        """The report.json sections ``market`` and ``competition``."""
        out = {}
        if self.market is not None:
            lm = self.loaded_market
            out["market"] = {
                "source": None if lm is None else lm.read_info.source_name,
                "read": None if lm is None else lm.read_info.to_dict(),
                "mapping": None if lm is None else lm.mapping.columns,
                "data_quality": None if lm is None else lm.quality,
                "matching": self.market.matching,
                "penetration": _records(self.market.penetration),
                "warnings": self.market.warnings,
            }
        if self.competition is not None:
            out["competition"] = self.competition.to_dict()
        if self.attack is not None:
            out["attack"] = _records(self.attack)
        return out


def analyse_battlefield(
    loaded: LoadedAccounts,
    segmentation: Segmentation,
    team_plan: TeamPlan,
    playbook: Playbook,
    market: LoadedMarket | None = None,
) -> tuple[Battlefield | None, TeamPlan]:
    """Whitespace, penetration, win rates against competitors and a play per segment.

    Parameters
    ----------
    loaded : LoadedAccounts
    segmentation : Segmentation
        Its fitted models type the market (no refit).
    team_plan : TeamPlan
        Gives each segment's hunter team; with a market its segments' reasons gain the
        whitespace sentence (:func:`segmentation.market.annotate_segments`).
    playbook : Playbook
    market : LoadedMarket, optional
        From :func:`segmentation.market_list.load_market`.

    Returns
    -------
    (Battlefield or None, TeamPlan)
        None when there is neither a market nor competitor data; the plan, annotated.
    """
    competition = None
    deals = loaded.opportunities
    if deals is not None and deals.competition is not None:
        segment = segmentation.segment.set_axis(loaded.accounts.index)
        competition = analyse_competitors(deals.competition, segment, playbook)
    if market is None:
        return (None if competition is None else Battlefield(competition=competition)), team_plan
    result = analyse_market(market, loaded.accounts, segmentation, team_plan.book, playbook)
    segment_win = None
    if competition is not None:
        segment_win = competition.segment_win
    elif deals is not None:
        segment_win = _segment_win(deals.per_account, segmentation.segment)
    attack = attack_plan(result.penetration, segment_win, competition)
    segments = annotate_segments(team_plan.plan.segments, result.penetration)
    plan = replace(team_plan.plan, segments=segments)
    return Battlefield(result, competition, attack, market), replace(team_plan, plan=plan)


def _segment_win(per_account: pd.DataFrame, segment: pd.Series) -> pd.DataFrame:
    # Win rate per segment from the per-account deal counts (no competitor column needed).
    seg = segment.set_axis(per_account.index)
    won = per_account["won_deals"]
    frame = pd.DataFrame(
        {"segment": seg, "won": won, "closed_deals": won + per_account["lost_deals"]}
    )
    by = frame.groupby("segment", sort=True)[["won", "closed_deals"]].sum().reset_index()
    every = pd.DataFrame(
        {"segment": ["all"], "won": [by["won"].sum()], "closed_deals": [by["closed_deals"].sum()]}
    )
    out = pd.concat([every, by], ignore_index=True)
    out["win_rate"] = out["won"] / out["closed_deals"].where(out["closed_deals"] > 0)
    return out


@dataclass
class Run:
    """Everything one run produced; :meth:`files` gives the outputs of ``segmentation run``."""

    loaded: LoadedAccounts
    segmentation: Segmentation
    team_plan: TeamPlan
    playbook: Playbook
    settings: dict = field(default_factory=dict)
    battlefield: Battlefield | None = None

    @property
    def warnings(self) -> list[str]:
        """Every warning of every stage, each once."""
        notes = [
            *self.loaded.warnings,
            *self.segmentation.warnings,
            *self.team_plan.warnings,
            *(self.battlefield.warnings if self.battlefield is not None else []),
        ]
        return list(dict.fromkeys(notes))

    def report(self) -> dict:
        """The run's report: what was read, understood, found and recommended (JSON-ready)."""
        seg = self.segmentation
        return _jsonable(
            {
                "version": __version__,
                "source": self.loaded.read_info.source_name,
                "rows_read": int(len(self.loaded.accounts)),
                "read": self.loaded.read_info.to_dict(),
                "mapping": self.loaded.mapping.columns,
                "mapping_detail": self.loaded.mapping.to_dict(),
                "units": self.loaded.prepared.units,
                "status": self.loaded.prepared.status,
                "settings": self.settings,
                "warnings": self.warnings,
                "changes": self.loaded.prepared.changes,
                "opportunities": (
                    None
                    if self.loaded.opportunities is None
                    else self.loaded.opportunities.to_dict()
                ),
                "data_quality": self.loaded.quality,
                "verticals": _records(seg.verticals.table),
                "customer_types": _records(seg.types.table),
                "quality": seg.types.quality,
                "features": feature_report(
                    seg.features, self.loaded.mapping.columns, self.loaded.mapping.excluded
                ),
                "k_selection": _records(seg.types.selection),
                "explanations": _records(seg.explanations),
                "teams": _records(self.team_plan.plan.teams),
                "overlays": _records(self.team_plan.plan.overlays),
                "product_mix": _records(self.team_plan.plan.product_mix),
                "vertical_tests": _records(self.team_plan.plan.vertical_tests),
                "headcount": _headcount_summary(self.team_plan.plan),
                "hiring": _records(self.team_plan.plan.hiring),
                "sensitivity": _records(self.team_plan.plan.sensitivity),
                "territories": (
                    None
                    if self.team_plan.territories is None
                    else {
                        "teams": _records(self.team_plan.territories.teams),
                        "reps": _records(self.team_plan.territories.reps),
                    }
                ),
                "playbook": _records(self.playbook.to_frame()),
                **({} if self.battlefield is None else self.battlefield.report()),
            }
        )

    def files(self, *, excel_csv: bool = False) -> dict[str, bytes]:
        """The output files by name, as bytes: identical input and seed give identical bytes.

        ``excel_csv=True`` writes the CSVs with a UTF-8 byte-order mark, so Excel shows
        non-ASCII names intact (``--excel-csv``); by default they have none.
        """
        files = {
            "assignments.csv": to_csv_bytes(self.team_plan.assignments),
            "segments.csv": to_csv_bytes(self.team_plan.plan.segments),
            "teams.csv": to_csv_bytes(self.team_plan.plan.teams),
            "hiring.csv": to_csv_bytes(self.team_plan.plan.hiring),
        }
        territories = self.team_plan.territories
        if territories is not None and not territories.disruption.empty:
            files["disruption.csv"] = to_csv_bytes(territories.disruption)
        if self.battlefield is not None:
            files.update(self.battlefield.files())
        if excel_csv:
            files = {name: add_bom(data) for name, data in files.items()}
        files["report.json"] = report_json(self.report())
        files["report.html"] = self.report_html().encode("utf-8")
        return files

    def teams_zip(self, *, excel_csv: bool = False) -> bytes:
        """One CSV per team, zipped (with a UTF-8 byte-order mark each when ``excel_csv``)."""
        return teams_zip(self.team_plan.assignments, bom=excel_csv)

    def excel(self) -> bytes:
        """A workbook with the assignments, segments, teams, hiring plan and the playbook used."""
        sheets = {
            "Assignments": self.team_plan.assignments,
            "Segments": self.team_plan.plan.segments,
            "Teams": self.team_plan.plan.teams,
            "Customer types": self.segmentation.types.table,
            "Verticals": self.segmentation.verticals.table,
            "Playbook": self.playbook.to_frame(),
        }
        if len(self.team_plan.plan.hiring):
            sheets["Hiring"] = self.team_plan.plan.hiring
        territories = self.team_plan.territories
        if territories is not None:
            sheets["Reps"] = territories.reps
        if self.battlefield is not None and self.battlefield.attack is not None:
            sheets["Plays"] = self.battlefield.attack
        if self.battlefield is not None and self.battlefield.competition is not None:
            sheets["Competitors"] = self.battlefield.competition.table
        return excel_workbook(sheets)

    def summary(self) -> str:
        """A one-page plan summary in Markdown, for a VP to forward."""
        return plan_summary(self)

    def report_html(self) -> str:
        """The executive report: one self-contained HTML page (see :mod:`segmentation.report_html`)."""
        from segmentation.report_html import executive_report

        return executive_report(self)


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


def _headcount_summary(plan: Plan) -> dict:
    teams = plan.teams
    named = teams[teams["motion"] != "digital"] if len(teams) else teams
    bookings = float(named["bookings"].sum()) if len(named) else 0.0
    cost = float(named["cost"].sum()) if len(named) else 0.0
    return {
        "total_headcount": int(teams["headcount"].sum()) if len(teams) else 0,
        "total_cost": cost,
        "total_bookings": bookings,
        "cost_of_sales": cost / bookings if bookings > 0 else None,
        "hiring_plan": "per team and month (hiring.csv)",
    }


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
    settings = {
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
    return Run(loaded, segmentation, team_plan, playbook, settings, battlefield)


def report_json(report: dict) -> bytes:
    """Serialise a report deterministically (key order kept, NaN as null)."""
    return (json.dumps(_jsonable(report), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _records(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None:
        return []
    return frame.to_dict(orient="records")


def _jsonable(value):
    # Reports mix numpy scalars, pandas NA and timestamps: reduce them to plain JSON values.
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.ndarray, pd.Series, pd.Index)):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, pd.DataFrame):
        return _records(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)
