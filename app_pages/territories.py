"""Territories: reps per team, balance per rep, continuity and the moves per rep."""

import streamlit as st

from segmentation import geo
from segmentation.markdown import escape as md
from segmentation.report_html import currency_symbol
from segmentation.summary import group_warnings
from segmentation.ui import plan_views, session, stages
from segmentation.ui.charts.style import type_colors
from segmentation.ui.charts.territory import team_colors, territory_map
from segmentation.ui.tables import show, warning_list

st.title("Territories")
st.caption(
    "Every account gets a rep in its team, balanced on book value, keeping the current owner "
    "where the balance allows."
)
with st.expander("Rep roster", expanded=session.roster_file() is None):
    st.file_uploader(
        "Upload a rep roster: a CSV with a `rep` column and either `team`, or `motion` and "
        "`role`; optional `capacity` (max accounts) and `region`.",
        type=["csv", "txt"], key="roster_upload",
    )  # fmt: skip
    session.take_upload("roster_upload", session.roster_file(), session.use_roster)
    if session.roster_file() is not None:
        st.caption(f"In use: **{md(session.roster_file().name)}**")
        if st.session_state.get("roster_upload") is None:
            st.button(
                "Remove the roster",
                key="drop_roster",
                on_click=session.use_roster,
                args=(None, None),
            )

stages.prepare("plan")
segments = stages.segmentation()
team_plan = stages.team_plan()
territories, preview = stages.territories()
colors = type_colors(segments.types.table["customer_type"])
if preview:
    st.info(
        "No roster yet: this is a preview with placeholder reps, as many per team as the "
        "recommended headcount, so nobody keeps their accounts. Upload your roster above (or on "
        "the Data page) to see your reps, who keeps what, and who moves."
    )
else:
    warning_list(group_warnings(territories.warnings))

teams, reps = territories.teams, territories.reps
known = territories.disruption
cols = st.columns(4)
cols[0].metric("Reps", f"{len(reps):,}")
cols[1].metric("Teams with reps", f"{int((teams['reps'] > 0).sum()):,} of {len(teams):,}")
worst = teams["value_cv"].max() if len(teams) else 0.0
cv_max = stages.playbook().value("balanced_cv_max")
cols[2].metric(
    "Worst value spread", f"{worst:.2f}",
    help=f"Coefficient of variation of book value across a team's reps: at or below {cv_max:.2f} "
    "reads balanced (the playbook's balanced_cv_max).",
)  # fmt: skip
if not preview:
    cols[3].metric("Accounts that change owner", f"{len(known):,}")

st.subheader("Balance per rep")
rep_teams = [t for t in teams.loc[teams["reps"] > 0, "team"].astype(str)]
if rep_teams:
    plan_views.rep_balance_section(team_plan.book, territories.rep, rep_teams, colors)
else:
    st.info("No team has reps: the plan sends every account to digital (self-serve).")

continuity = [] if preview else ["continuity"]
moves = [] if preview else ["kept", "moved_in", "moved_out", "value_in", "value_out"]
st.subheader("Per team")
show(teams, ["team", "reps", "accounts", "value_cv", "balanced", "value_max_min", *continuity, "unassigned"],
     key="territory_teams")  # fmt: skip
st.subheader("Per rep" if preview else "Per rep: accounts kept, moved in and out")
show(reps, ["rep", "team", "accounts", "value", *moves], key="territory_reps")
if len(known) and not preview:
    with st.expander(f"Every account that changes owner ({len(known):,})"):
        show(known, key="disruption")

st.subheader("Where the accounts are")
places = geo.territory_summary(team_plan.book, territories.rep)
if places.countries.empty:
    st.info("No map: the file has no country or state column we could read.")
else:
    team_colors = team_colors(team_plan.plan.teams["team"])
    currency = currency_symbol(stages.loaded())
    st.caption(
        "Each place takes the colour of the team holding most of its value. **Load** is the "
        "value per rep of the reps covering the place against the average rep: 1.00 is "
        "average, 1.30 is 30% more."
        + ("" if not preview else " Placeholder reps until a roster is uploaded.")
    )
    warning_list(places.warnings)
    tabs = ["Countries"] + (
        ["US states and Canadian provinces"] if len(places.subdivisions) else []
    )
    for tab, frame, scope in zip(
        st.tabs(tabs),
        [places.countries, places.subdivisions],
        ["world", "north america"],
    ):
        with tab:
            st.plotly_chart(
                territory_map(frame, team_colors, scope=scope, currency=currency),
                key=f"territory_map_{scope}",
                config={"topojsonURL": geo.TOPOJSON_ROUTE, "displaylogo": False},
            )
            show(
                frame,
                ["place", "accounts", "value", "reps", "rep_equivalents", "balance", "team",
                 "team_share"],
                key=f"territory_places_{scope}", currency=currency,
            )  # fmt: skip
