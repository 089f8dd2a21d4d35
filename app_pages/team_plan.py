"""Team plan: the recommended coverage per segment, with reasons, and headcount two ways."""

import streamlit as st

from segmentation import charts
from segmentation.ui import state, views
from segmentation.ui.tables import show

st.title("Team plan")
st.caption(
    "How to specialise the sales team: motion (field, inside, digital), role (hunter, farmer, "
    "generalist) and vertical pods, each with the reason and the rule's source. The playbook "
    "in the sidebar holds every threshold."
)
views.playbook_sidebar(state.playbook())
state.prepare("plan")
segments = state.segmentation()
team_plan = state.team_plan()
plan = team_plan.plan
teams = plan.teams
colors = charts.type_colors(segments.types.table["customer_type"])

by_motion = teams.groupby("motion")["accounts"].sum()
cols = st.columns(5)
cols[0].metric("Teams", len(teams))
cols[1].metric("Reps recommended", f"{int(teams['headcount'].sum()):,}")
cols[2].metric("Field accounts", f"{int(by_motion.get('field', 0)):,}")
cols[3].metric("Inside accounts", f"{int(by_motion.get('inside', 0)):,}")
cols[4].metric(
    "Digital accounts", f"{int(by_motion.get('digital', 0)):,}", help="Self-serve: no named rep."
)

st.subheader("Teams")
show(
    teams,
    ["team", "segments", "accounts", "headcount", "headcount_workload", "headcount_capacity"],
    key="teams_table",
)  # fmt: skip
with st.expander("Why these teams, and why this many reps", expanded=True):
    views.team_reasons(teams)

views.legend_note(colors)
left, right = st.columns(2, gap="large")
with left:
    st.markdown("**Coverage: motion → role → team** (accounts)")
    st.plotly_chart(charts.coverage_sunburst(plan.segments), key="sunburst")
with right:
    st.markdown("**Which customer types each team covers** (accounts)")
    st.plotly_chart(charts.team_mix_chart(team_plan.book, colors), key="team_mix")

st.subheader("Headcount, two ways")
st.caption(
    "**By workload**: accounts × touches a year × hours per touch ÷ selling hours per rep. "
    "**By quota capacity**: the bookings the segment can bring ÷ what one rep closes "
    "(quota × attainment, less ramping). The recommendation covers the workload; a large gap "
    "means the book takes more time than its bookings pay for — or the other way round."
)
st.plotly_chart(charts.headcount_chart(teams), key="headcount")

st.subheader("Recommendation per segment")
st.caption("Pick a segment to see why it is covered this way and the rules behind it.")
views.segment_recommendations(plan.segments, state.playbook())

with st.expander("The whole playbook, with sources"):
    show(state.playbook().to_frame(), key="playbook_table")
