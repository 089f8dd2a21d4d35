"""The plan pages' sections: the playbook sidebar, team reasons and segment recommendations
(Team plan), each rep's book (Territories) and the summary preview (Export).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from segmentation.markdown import escape as md
from segmentation.playbook import CONFIDENCE_TAGS, Playbook
from segmentation.ui import edits, session
from segmentation.ui.charts.territory import rep_balance_chart, rep_book
from segmentation.ui.segment_views import legend_note
from segmentation.ui.tables import fit_height, plain_number, show


def playbook_sidebar(rules: Playbook) -> None:
    """The playbook in the sidebar: key values first; each change re-plans at once."""
    with st.sidebar:
        st.header("Playbook")
        st.caption(
            "The thresholds behind the plan, each with its source (hover ⓘ). Change one: the "
            "plan updates at once, without re-running the segments."
        )
        for rule_id, label in edits.KEY_RULES.items():
            if rule_id in rules.rules:
                edits.rule_input(st, rules.rules[rule_id], label)
        with st.expander("Every other rule"):
            for rule_id, rule in rules.rules.items():
                if rule_id not in edits.KEY_RULES:
                    edits.rule_input(st, rule)
        changed = st.session_state["playbook_values"]
        if changed:
            st.caption(
                f"{len(changed)} value{'s' if len(changed) > 1 else ''} changed from the shipped playbook."
            )
            st.button(
                "Back to the shipped playbook",
                key="reset_playbook",
                on_click=session.reset_playbook,
            )


def team_reasons(teams: pd.DataFrame) -> None:
    """Why each team exists and is sized as it is, as a short memo."""
    lines = []
    for row in teams.itertuples(index=False):
        reason = str(row.reason)
        prefix = f"{row.team}: "
        lines.append(f"- **{md(row.team)}** — {md(reason.removeprefix(prefix))}")
    st.markdown("\n".join(lines))


def segment_recommendations(segments: pd.DataFrame, rules: Playbook) -> None:
    """Pick a segment in the table; its reason and the rules behind it (with sources) follow."""
    selected = show(
        segments,
        [
            "segment",
            "accounts",
            "motion",
            "role",
            "team",
            "deal_size_used",
            "deal_size_basis",
            "bookings",
        ],
        key="segments_plan",
        on_select="rerun",
        selection_mode="single-row",
        selection_default={"selection": {"rows": [0]}},
    )
    rows = (
        selected.selection.rows if selected is not None and hasattr(selected, "selection") else []
    )
    row = segments.iloc[rows[0] if rows else 0]
    with st.container(border=True):
        st.markdown(f"**{md(row['segment'])}** → {md(row['team'])}")
        st.markdown(md(str(row["reason"]).removeprefix(f"{row['segment']}: ")))
        used = [r.strip() for r in str(row.get("rules", "")).split(",") if r.strip() in rules.rules]
        if used:
            table = pd.DataFrame(
                [
                    {
                        "rule": rules.rules[r].label,
                        "value": f"{plain_number(rules.rules[r].value)} {rules.rules[r].unit}",
                        "source": rules.rules[r].source,
                        "confidence": rules.rules[r].confidence,
                    }
                    for r in used
                ]
            )
            tags = "; ".join(f"{k} {v}" for k, v in CONFIDENCE_TAGS.items())
            st.caption(f"Rules applied, with their sources (confidence: {tags}):")
            st.dataframe(
                table, hide_index=True, key="segment_rules", height=fit_height(min(len(table), 8)),
                column_config={
                    "rule": st.column_config.TextColumn("Rule", width="large"),
                    "value": st.column_config.TextColumn("Value", width="medium"),
                    "source": st.column_config.TextColumn("Source", width="large"),
                    "confidence": st.column_config.TextColumn("Conf.", width="small"),
                },
            )  # fmt: skip


def demote_headings(markdown: str, levels: int = 2) -> str:
    """Shift Markdown headings down (``#`` → ``###``) to preview a document inside a page."""
    out = []
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("#"):
            line = "#" * levels + line
        out.append(line)
    return "\n".join(out)


@st.fragment
def rep_balance_section(book: pd.DataFrame, rep: pd.Series, teams: list[str], colors) -> None:
    """Pick a team; its reps' book value and account count, by customer type (redraws alone)."""
    team = st.selectbox("Team", teams, key="balance_team")
    books = rep_book(book, rep)
    books = books[books["team"] == team]
    legend_note({k: v for k, v in colors.items() if k in set(books["customer_type"])})
    st.plotly_chart(rep_balance_chart(books, colors), key="rep_balance")
