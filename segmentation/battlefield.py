"""The market and the competition wired onto a plan: what ``--market`` and deal competitors add.

:func:`analyse_battlefield` types the market list with the CRM's fitted models, reads win rates
against competitors from the deals, gives each segment its play, and annotates the plan's
segments with their whitespace; :class:`Battlefield` holds the result and its files
(``market.csv``, ``competitors.csv``, ``attack.csv``) and report.json sections.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pandas as pd

from segmentation.competitors import CompetitionResult, analyse_competitors
from segmentation.export import to_csv_bytes
from segmentation.json_report import records
from segmentation.market import MarketResult, analyse_market, annotate_segments
from segmentation.market_list import LoadedMarket
from segmentation.playbook import Playbook
from segmentation.plays import attack_plan

if TYPE_CHECKING:
    from segmentation.pipeline import LoadedAccounts, Segmentation, TeamPlan


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
                "penetration": records(self.market.penetration),
                "warnings": self.market.warnings,
            }
        if self.competition is not None:
            out["competition"] = self.competition.to_dict()
        if self.attack is not None:
            out["attack"] = records(self.attack)
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
