"""A one-page plan summary in Markdown: what a VP forwards to her CEO and her managers."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from segmentation.markdown import escape
from segmentation.naming import format_money
from segmentation.playbook import Playbook, Rule, load_playbook

if TYPE_CHECKING:
    from segmentation.run_result import Run


MAX_CAVEATS = 8
"""Caveats listed in full on the one-page summary."""

# What can make text inside a line do something in Markdown (Streamlit's and GitHub's): emphasis,
# code, links and images, HTML, table pipes, strikethrough and maths (each between two ``~`` or
# two ``$``: one alone is text), entities, the starts of GitHub's autolinks, and Streamlit's
# ``:emoji:`` and ``:material/icon:`` shortcodes. Text mid-line with none of these renders as itself.
_ACTIVE = re.compile(
    r"[\\`*{}\[\]<>|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|~.*~|&#?\w+;|://|www\.|@|mailto:|xmpp:|\$.*\$|:[\w/+-]+:",
    re.IGNORECASE,
)


def inert(text: object) -> str:
    """Customer text for the middle of a Markdown line: as written when that is safe, else escaped.

    The summary is read twice: rendered (the app, GitHub) and as plain text (a downloaded
    ``.md`` in a text editor or an e-mail). :func:`segmentation.markdown.escape` is always safe
    but fills plain text with backslashes (``Acme\\, Inc\\.``). Most names hold nothing
    Markdown acts on in the middle of a line (``.``, ``-``, ``(``, ``#`` or ``+`` only act at a
    line's start, where this text never is), so they are written as they are; a name with an
    active character (see ``_ACTIVE``: ``*``, ``[``, ``<``, ``|``, a URL start, two ``$``...)
    keeps the full escape. Either way it renders as itself and never as a link or markup.

    Parameters
    ----------
    text : object

    Returns
    -------
    str
    """
    value = str(text)
    if _ACTIVE.search(value) or "\n" in value or "\r" in value:
        return escape(value)
    return value


def _money_lines(plan) -> list[str]:
    """What the recommended reps cost, what they are expected to book, and the hires to get there."""
    teams = plan.teams
    if not {"cost", "bookings"} <= set(teams.columns):
        return []
    named = teams[teams["motion"] != "digital"]
    cost, bookings = float(named["cost"].sum()), float(named["bookings"].sum())
    if bookings <= 0:
        return []
    line = (
        f"**Cost and bookings:** {int(teams['headcount'].sum())} reps cost {format_money(cost)} a "
        f"year for {format_money(bookings)} of expected bookings ({cost / bookings:.0%} cost of sales)"
    )
    hiring = getattr(plan, "hiring", None)
    if hiring is not None and len(hiring) and "hires" in hiring.columns:
        line += f"; {hiring['hires'].sum():,.0f} hires over the first 12 months, backfills included (hiring.csv)"
    return [line + ".", ""]


def plan_summary(run: Run) -> str:
    """Summarise a run: the market, its segments, the teams and why, in one page.

    Parameters
    ----------
    run : segmentation.run_result.Run

    Returns
    -------
    str
        Markdown text.
    """
    accounts = run.loaded.accounts
    seg = run.segmentation
    plan = run.team_plan.plan
    quality = seg.types.quality
    # A file too small to cluster is typed by tiers: no silhouette or stability to quote.
    scores = (
        f" (silhouette {quality['silhouette']:.2f}, stability {quality['stability']:.2f})"
        if math.isfinite(quality["silhouette"])
        else ""
    )
    lines = [
        "# Sales coverage plan",
        "",
        f"Source: {inert(run.loaded.read_info.source_name)} — {len(accounts):,} accounts, "
        f"{len(seg.verticals.table)} verticals, {int(quality['k'])} customer types, "
        f"{len(plan.teams)} teams, {int(plan.teams['headcount'].sum())} reps recommended.",
        "",
        f"**How strong the segments are:** {quality['verdict']}{scores}. {quality['message']}",
        "",
        *_money_lines(plan),
        "## Customer types",
        "",
    ]
    for row in seg.types.table.itertuples(index=False):
        lines.append(
            f"- **{inert(row.customer_type)}** — {int(row.accounts):,} accounts ({row.share:.0%})"
        )
    lines += [
        "",
        "## Teams",
        "",
        "| Team | Motion | Role | Accounts | Reps | Why |",
        "|---|---|---|---|---|---|",
    ]
    for row in plan.teams.itertuples(index=False):
        lines.append(
            f"| {inert(row.team)} | {row.motion} | {row.role} | {int(row.accounts):,} | "
            f"{int(row.headcount)} | {inert(' '.join(str(row.reason).split()))} |"
        )
    changed = playbook_changes(run.playbook)
    if changed:
        lines += ["", "## Playbook changes from the defaults", ""]
        lines += [
            f"- {rule.label}: {value_in_unit(rule.value, rule.unit)} "
            f"(default {value_in_unit(default, rule.unit)})"
            for rule, default in changed
        ]
    # Per-rep notes of one kind read as one line ("24 reps would lose more than 25%...").
    caveats = group_warnings(run.warnings)
    if caveats:
        # One page: the first caveats in full, the count of the rest (all are in report.json).
        shown = caveats[:MAX_CAVEATS]
        lines += ["", "## Caveats", ""]
        lines += [f"- {inert(note)}" for note in shown]
        if len(caveats) > len(shown):
            lines.append(
                f"- … and {len(caveats) - len(shown)} more in report.json "
                "(warnings) and on the app's pages."
            )
    lines += [
        "",
        "Thresholds come from the playbook, each with its source; see the Excel workbook's "
        "Playbook sheet.",
    ]
    return "\n".join(lines) + "\n"


def playbook_changes(playbook: Playbook) -> list[tuple[Rule, float]]:
    """The rules whose value differs from the shipped playbook, with the shipped value."""
    shipped = load_playbook()
    return [
        (rule, shipped.value(rule_id))
        for rule_id, rule in playbook.rules.items()
        if rule_id in shipped.rules and rule.value != shipped.value(rule_id)
    ]


def value_in_unit(value: float, unit: str, symbol: str = "$") -> str:
    """A playbook value in its own unit: ``$25,000``, ``50%``, ``4 months``, ``20 accounts per rep``.

    Parameters
    ----------
    value : float
    unit : str
        The rule's unit (``USD``, ``USD per rep per year``, ``share of accounts``, ``flag``...).
    symbol : str
        Shown for ``USD`` (the playbook's money is in US dollars).

    Returns
    -------
    str
    """
    if value is None or pd.isna(value):
        return "—"
    unit = str(unit)
    if unit.startswith("USD"):
        rest = unit[3:].strip()
        return f"{symbol}{value:,.0f}" + (f" {rest}" if rest else "")
    if unit.startswith("share"):
        return f"{value * 100:.3g}%" + unit[len("share") :]
    if unit == "flag":
        return "yes" if value else "no"
    return f"{value:,g} {unit}"


_LOSES = re.compile(
    r"^(?P<rep>.+) loses (?P<lost>[\d,]+) of (?P<owned>[\d,]+) accounts \((?P<share>\d+%), "
    r"above the (?P<limit>\d+%) per-quarter guideline\): phase the change\.$"
)
_IDLE = re.compile(r"^Rep '(?P<rep>.+)' .*: left idle\.$")


def group_warnings(notes: Sequence[str], min_group: int = 3, names: int = 5) -> list[str]:
    """Per-rep warnings of one kind in one line: "12 reps lose more than 25%..." (not 12 lines).

    Parameters
    ----------
    notes : sequence of str
        Warnings as the territory stage writes them, in order.
    min_group : int
        Fewer notes of a kind than this stay as they are.
    names : int
        Reps named in a grouped line before "and N more".

    Returns
    -------
    list of str
        The other notes unchanged and in order; each group where its first note was.
    """
    groups: dict[str, list[tuple[int, re.Match]]] = {"loses": [], "idle": []}
    for i, note in enumerate(notes):
        for kind, pattern in (("loses", _LOSES), ("idle", _IDLE)):
            match = pattern.match(note)
            if match:
                groups[kind].append((i, match))
                break
    replace: dict[int, str | None] = {}
    for kind, members in groups.items():
        if len(members) < min_group:
            continue
        shown = members[:names]
        more = f" and {len(members) - len(shown)} more" if len(members) > len(shown) else ""
        if kind == "loses":
            limit = members[0][1]["limit"]
            who = ", ".join(
                f"{m['rep']} ({m['lost']} of {m['owned']}, {m['share']})" for _, m in shown
            )
            line = (
                f"{len(members)} reps would lose more than {limit} of their accounts, above the "
                f"per-quarter guideline: phase the change. {who}{more}."
            )
        else:
            who = ", ".join(f"'{m['rep']}'" for _, m in shown)
            line = f"{len(members)} reps in the roster match no team with accounts and are left idle: {who}{more}."
        for j, (i, _) in enumerate(members):
            replace[i] = line if j == 0 else None
    return [
        replace.get(i, note) for i, note in enumerate(notes) if replace.get(i, note) is not None
    ]
