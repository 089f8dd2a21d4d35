"""Team plan: the recommended coverage per segment, with reasons; headcount, cost, hiring and sensitivity."""

import streamlit as st

from segmentation.naming import format_money
from segmentation.ui import plan_views, segment_views, stages
from segmentation.ui.charts.style import type_colors
from segmentation.ui.charts.team import (
    coverage_sunburst,
    hiring_chart,
    sizing_chart,
    team_mix_chart,
    tornado_chart,
)
from segmentation.ui.tables import show

st.title("Team plan")
st.caption(
    "How to specialise the sales team: motion (field, inside, digital), role (hunter, farmer, "
    "generalist) and vertical pods, each with the reason and the rule's source. The playbook "
    "in the sidebar holds every threshold."
)
plan_views.playbook_sidebar(stages.playbook())
stages.prepare("plan")
segments = stages.segmentation()
team_plan = stages.team_plan()
plan = team_plan.plan
teams = plan.teams
colors = type_colors(segments.types.table["customer_type"])

by_motion = teams.groupby("motion")["accounts"].sum()
named = teams[teams["motion"] != "digital"]
cost, bookings = float(named["cost"].sum()), float(named["bookings"].sum())
cols = st.columns(5)
cols[0].metric("Teams", len(teams))
cols[1].metric(
    "Reps recommended",
    f"{int(teams['headcount'].sum()):,}",
    help=f"{format_money(cost)} a year for {format_money(bookings)} of bookings"
    + (f" ({cost / bookings:.0%} cost of sales)." if bookings > 0 else "."),
)
cols[2].metric("Field accounts", f"{int(by_motion.get('field', 0)):,}")
cols[3].metric("Inside accounts", f"{int(by_motion.get('inside', 0)):,}")
cols[4].metric(
    "Digital accounts", f"{int(by_motion.get('digital', 0)):,}", help="Self-serve: no named rep."
)

st.subheader("Teams")
show(
    teams,
    ["team", "segments", "accounts", "headcount", "deal_size_basis", "bookings", "cost", "cost_of_sales",
     "headcount_capacity", "headcount_coverage", "headcount_affordable", "headcount_workload"],
    key="teams_table",
)  # fmt: skip
with st.expander("Why these teams, and why this many reps", expanded=True):
    plan_views.team_reasons(teams)

segment_views.legend_note(colors)
left, right = st.columns(2, gap="large")
with left:
    st.markdown("**Coverage: motion → role → team** (accounts)")
    st.plotly_chart(coverage_sunburst(plan.segments), key="sunburst")
with right:
    st.markdown("**Which customer types each team covers** (accounts)")
    st.plotly_chart(team_mix_chart(team_plan.book, colors), key="team_mix")

st.subheader("Headcount: capacity, coverage and what the bookings pay for")
st.caption(
    "**Capacity**: the bookings (won deals of the last 12 months where the opportunities have them, "
    "else the playbook's rates) ÷ what one rep books a year (quota × attainment, less ramp and "
    "attrition). **Coverage floor**: named accounts ÷ the most a rep can own. **Affordable**: "
    "bookings × the maximum cost of sales ÷ a rep's loaded cost. The recommendation is the larger "
    "of capacity and the floor, never above what the bookings pay for; where coverage asks for "
    "more, the team's reason says how the coverage changes and who hands accounts over. "
    "Workload (touches × hours) is in the table for reference only."
)
st.plotly_chart(sizing_chart(teams), key="sizing")
changed = teams[teams["coverage_change"].astype(str) != ""]
if len(changed):
    with st.expander(
        f"Coverage changed for {len(changed)} team(s) the bookings cannot pay for", expanded=True
    ):
        show(
            changed, ["team", "headcount", "coverage_change", "transition"], key="coverage_changes"
        )

st.subheader("Hiring plan, month by month")
st.caption(
    "All teams together: ramping and ramped reps, and the monthly capacity against the bookings "
    "target. Without a roster every team starts from zero; upload your reps on the Data page and "
    "the hires are the gap. Per team in hiring.csv."
)
st.plotly_chart(hiring_chart(plan.hiring), key="hiring")
with st.expander("The hiring plan per team"):
    show(plan.hiring, key="hiring_table")

st.subheader("Sensitivity")
st.caption(
    "Total reps when deal size, attainment or quota is 20% lower or higher (the design held fixed)."
)
st.plotly_chart(tornado_chart(plan.sensitivity), key="tornado")
with st.expander("The figures"):
    show(plan.sensitivity, key="sensitivity_table")

st.subheader("Recommendation per segment")
st.caption("Pick a segment to see why it is covered this way and the rules behind it.")
plan_views.segment_recommendations(plan.segments, stages.playbook())

with st.expander("The whole playbook, with sources"):
    show(stages.playbook().to_frame(), key="playbook_table")
