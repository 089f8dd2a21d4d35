"""Export: the team assignments for the CRM, one CSV per team, an Excel workbook, the report."""

import streamlit as st

from segmentation.ui import state

st.title("Export")
st.caption(
    "Files that import back into your CRM: one row per account with its team, segment, rep "
    "and the reason. Text that a spreadsheet would run as a formula is neutralised."
)
run = state.current_run()
files = run.files()
assignments = run.team_plan.assignments
st.metric("Accounts in the plan", f"{len(assignments):,}")

left, right = st.columns(2)
left.download_button(
    "Download assignments.csv",
    files["assignments.csv"],
    file_name="assignments.csv",
    mime="text/csv",
    key="download_assignments",
    type="primary",
    on_click="ignore",
)
right.download_button(
    "Download one CSV per team (zip)",
    run.teams_zip(),
    file_name="teams.zip",
    mime="application/zip",
    key="download_zip",
    on_click="ignore",
)
left.download_button(
    "Download the Excel workbook",
    run.excel(),
    file_name="segmentation-plan.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="download_excel",
    on_click="ignore",
)
right.download_button(
    "Download the plan summary (Markdown)",
    run.summary().encode("utf-8"),
    file_name="plan-summary.md",
    mime="text/markdown",
    key="download_summary",
    on_click="ignore",
)
for name in ("segments.csv", "teams.csv", "report.json"):
    st.download_button(
        f"Download {name}", files[name], file_name=name, key=f"download_{name}", on_click="ignore"
    )

st.subheader("Preview")
st.dataframe(assignments.head(100), hide_index=True)
with st.expander("Plan summary"):
    st.markdown(run.summary())
