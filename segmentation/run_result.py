"""A run's result: every stage's output, and the files, report.json, workbook and summary of it.

:class:`Run` is what :func:`segmentation.pipeline.run` returns and what the app's Export page
builds its downloads from; :func:`report_json` serialises its report deterministically. The
bytes of each file format come from :mod:`segmentation.export`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from segmentation import __version__
from segmentation.export import excel_csv as add_bom
from segmentation.export import excel_workbook, teams_zip, to_csv_bytes
from segmentation.features import feature_report
from segmentation.json_report import jsonable, records, report_json
from segmentation.planner import Plan
from segmentation.playbook import Playbook
from segmentation.summary import plan_summary

if TYPE_CHECKING:
    from segmentation.battlefield import Battlefield
    from segmentation.pipeline import LoadedAccounts, Segmentation, TeamPlan


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
        return jsonable(
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
                "verticals": records(seg.verticals.table),
                "customer_types": records(seg.types.table),
                "quality": seg.types.quality,
                "features": feature_report(
                    seg.features, self.loaded.mapping.columns, self.loaded.mapping.excluded
                ),
                "k_selection": records(seg.types.selection),
                "explanations": records(seg.explanations),
                "teams": records(self.team_plan.plan.teams),
                "overlays": records(self.team_plan.plan.overlays),
                "product_mix": records(self.team_plan.plan.product_mix),
                "vertical_tests": records(self.team_plan.plan.vertical_tests),
                "headcount": _headcount_summary(self.team_plan.plan),
                "hiring": records(self.team_plan.plan.hiring),
                "sensitivity": records(self.team_plan.plan.sensitivity),
                "territories": (
                    None
                    if self.team_plan.territories is None
                    else {
                        "teams": records(self.team_plan.territories.teams),
                        "reps": records(self.team_plan.territories.reps),
                    }
                ),
                "playbook": records(self.playbook.to_frame()),
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
