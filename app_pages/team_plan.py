"""Team plan: the recommended coverage per segment, with reasons, and headcount two ways."""

import streamlit as st

from segmentation import charts
from segmentation.ui import state

st.title("Team plan")
st.caption(
    "How to specialise the sales team: motion (field, inside, digital), role (hunter, farmer, "
    "generalist) and vertical pods, each with the reason and the rule's source."
)
state.segmentation()
rules = state.playbook()
frame = rules.to_frame()

with st.form("playbook_form"):
    st.markdown("**Playbook** — change a value and apply; the plan updates without re-clustering.")
    grid = st.columns(3)
    key_rules = [rid for rid in state.KEY_RULES if rid in rules.rules]
    values = {}
    for i, rule_id in enumerate(key_rules):
        values[rule_id] = state.rule_input(grid[i % 3], rules.rules[rule_id])
    with st.expander("Every other rule"):
        grid = st.columns(3)
        others = [rid for rid in rules.rules if rid not in key_rules]
        for i, rule_id in enumerate(others):
            values[rule_id] = state.rule_input(grid[i % 3], rules.rules[rule_id])
    if st.form_submit_button("Apply playbook"):
        shipped = state.playbook_defaults()
        st.session_state["playbook_values"] = {
            rid: value for rid, value in values.items() if value != shipped[rid]
        }
        st.rerun()

plan = state.team_plan().plan
teams = plan.teams
cols = st.columns(4)
cols[0].metric("Teams", len(teams))
cols[1].metric("Recommended reps", int(teams["headcount"].sum()))
cols[2].metric("Field accounts", f"{int(teams.loc[teams['motion'] == 'field', 'accounts'].sum()):,}")
cols[3].metric("Inside accounts", f"{int(teams.loc[teams['motion'] == 'inside', 'accounts'].sum()):,}")

st.subheader("Teams")
st.dataframe(state.frame_for_display(teams), hide_index=True)
left, right = st.columns(2)
with left:
    st.markdown("**Headcount: workload vs capacity**")
    st.plotly_chart(charts.headcount_chart(teams), key="headcount")
with right:
    st.markdown("**Coverage: motion → role → team → segment**")
    st.plotly_chart(charts.coverage_sunburst(plan.segments), key="sunburst")

st.subheader("Recommendation per segment")
shown = plan.segments[
    ["segment", "accounts", "motion", "role", "team", "deal_size_basis", "reason", "rules", "sources"]
]
st.dataframe(shown, hide_index=True)

with st.expander("The playbook's rules and their sources"):
    st.dataframe(frame, hide_index=True)
