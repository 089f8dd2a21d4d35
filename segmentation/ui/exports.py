"""The Export page's files: each built on click by the same :class:`~segmentation.run_result.Run`
methods the command line writes with (pure, no streamlit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from segmentation.report_html import chromium_path, report_pdf
from segmentation.run_result import Run

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Download:
    """One file on the Export page."""

    key: str
    label: str
    file_name: str
    mime: str
    build: Callable[[], bytes]
    help: str


def downloads(run: Run, *, excel_csv: bool = False, pdf: bool | None = None) -> list[Download]:
    """The files a VP takes away, most useful first; nothing is built until ``build()`` runs.

    Parameters
    ----------
    run : segmentation.run_result.Run
    excel_csv : bool
        CSVs (and the team zip's) with a UTF-8 byte-order mark, so Excel shows non-ASCII
        names intact; off, they are the CLI's bytes.
    pdf : bool, optional
        Offer the executive report as PDF; default: when a local headless Chromium can print it.

    Returns
    -------
    list of Download
    """
    files = _Once(lambda: run.files(excel_csv=excel_csv))
    if pdf is None:
        pdf = chromium_path() is not None
    out = [
        Download(
            "download_assignments", "assignments.csv", "assignments.csv", "text/csv",
            lambda: files()["assignments.csv"],
            "One row per account: team, segment, motion, role, rep and the reason. Imports into "
            "the CRM (match on account_id).",
        ),
        Download(
            "download_zip", "Team CSVs (zip)", "teams.zip", "application/zip",
            lambda: run.teams_zip(excel_csv=excel_csv),
            "A file per team, to hand each manager their book.",
        ),
        Download(
            "download_excel", "Excel workbook", "segmentation-plan.xlsx", XLSX, run.excel,
            "Assignments, segments, teams, customer types, verticals and the playbook used.",
        ),
        Download(
            "download_report_html", "Executive report (.html)", "report.html", "text/html",
            lambda: files()["report.html"],
            "One page for a VP: the market, the organisation and headcount, what changes for "
            "reps, the key assumptions. Opens in any browser, prints to PDF.",
        ),
        Download(
            "download_summary", "Plan summary (.md)", "plan-summary.md", "text/markdown",
            lambda: run.summary().encode("utf-8"), "The one-page summary shown below.",
        ),
        Download(
            "download_segments", "segments.csv", "segments.csv", "text/csv",
            lambda: files()["segments.csv"], "One row per segment with its recommendation.",
        ),
        Download(
            "download_teams", "teams.csv", "teams.csv", "text/csv",
            lambda: files()["teams.csv"], "One row per team with headcount both ways.",
        ),
        Download(
            "download_report", "report.json", "report.json", "application/json",
            lambda: files()["report.json"], "Everything read, found and recommended, for machines.",
        ),
    ]  # fmt: skip
    if pdf:
        out.insert(
            4,
            Download(
                "download_report_pdf", "Executive report (.pdf)", "report.pdf", "application/pdf",
                lambda: report_pdf(run.report_html()) or b"",
                "The executive report as PDF, printed by this machine's browser.",
            ),
        )  # fmt: skip
    territories = run.team_plan.territories
    if territories is not None and not territories.disruption.empty:
        out.append(
            Download(
                "download_disruption",
                "disruption.csv",
                "disruption.csv",
                "text/csv",
                lambda: files()["disruption.csv"],
                "Every account whose owner changes.",
            )
        )
    return out


class _Once:
    """Call a builder at most once (several downloads share ``Run.files()``)."""

    def __init__(self, build: Callable[[], dict[str, bytes]]):
        self._build = build
        self._value: dict[str, bytes] | None = None

    def __call__(self) -> dict[str, bytes]:
        if self._value is None:
            self._value = self._build()
        return self._value
