"""Territories: reps per team, balance per rep, continuity and the moves per rep."""

import streamlit as st

from segmentation import charts
from segmentation.pipeline import preview_territories
from segmentation.ui import state

st.title("Territories")
st.caption(
    "Upload a rep roster (CSV with a `rep` column and either `team`, or `motion` and `role`; "
    "optional `capacity` and `region`) to assign every account to a rep, balanced on value and "
    "keeping current owners where the balance allows."
)
roster_upload = st.file_uploader("Rep roster", type=["csv"], key="roster_upload")
if roster_upload is not None:
    data = roster_upload.getvalue()
    current = st.session_state["roster"]
    if current is None or current.data != data:
        st.session_state["roster"] = state.Upload(roster_upload.name, data)
elif st.session_state["roster"] is not None and st.button("Remove the roster", key="drop_roster"):
    st.session_state["roster"] = None
    st.rerun()

team_plan = state.team_plan()
territories = team_plan.territories
if territories is None:
    st.info(
        "No roster yet: this is a preview with placeholder reps, as many per team as the "
        "recommended headcount."
    )
    territories = preview_territories(team_plan, seed=st.session_state["seed"])
for note in territories.warnings:
    st.warning(note)

teams = territories.teams
cols = st.columns(3)
cols[0].metric("Reps", len(territories.reps))
worst = teams["value_cv"].max() if len(teams) else 0.0
cols[1].metric("Worst value spread (CV)", f"{worst:.2f}", help="0.10 reads balanced, 0.30 uneven")
if territories.disruption is not None and len(territories.disruption):
    cols[2].metric("Accounts that change owner", f"{len(territories.disruption):,}")

st.subheader("Balance per rep")
st.plotly_chart(charts.rep_balance_chart(territories.reps), key="rep_balance")
st.subheader("Per team")
st.dataframe(state.frame_for_display(teams), hide_index=True)
st.subheader("Per rep: accounts kept, moved in and out")
st.dataframe(state.frame_for_display(territories.reps), hide_index=True)
if len(territories.disruption):
    with st.expander("Every account that changes owner"):
        st.dataframe(state.frame_for_display(territories.disruption), hide_index=True)
