"""Export: the team assignments for the CRM, one CSV per team, an Excel workbook, the summary."""

import streamlit as st

from segmentation.report_html import currency_symbol
from segmentation.ui import plan_views, session, stages
from segmentation.ui.exports import downloads
from segmentation.ui.tables import show

st.title("Export")
st.caption(
    "Files that import back into your CRM: one row per account with its team, segment, rep "
    "and the reason. The same files as `python -m segmentation run`. Text a spreadsheet would "
    "run as a formula is neutralised."
)
stages.prepare("plan")
run = stages.current_run()
assignments = run.team_plan.assignments

cols = st.columns(3)
cols[0].metric("Accounts in the plan", f"{len(assignments):,}")
cols[1].metric("Teams", f"{assignments['team'].nunique():,}")
with_rep = int(assignments["rep"].notna().sum())
cols[2].metric(
    "Accounts with a rep", f"{with_rep:,}" if session.roster_file() is not None else "No roster",
    help="Upload a rep roster (Data or Territories page) to name a rep for every account.",
)  # fmt: skip

excel_csv = st.toggle(
    "CSV files for Excel", key="excel_csv",
    help="Adds a UTF-8 byte-order mark so Excel shows accented and other non-ASCII names "
    "intact. Leave off for a CRM import (the same bytes as `python -m segmentation run`; "
    "`--excel-csv` there does the same).",
)  # fmt: skip
files = downloads(run, excel_csv=excel_csv)
# The executive report leads with the CRM files; its PDF sits beside it when this machine can print.
n_main = 5 if any(item.key == "download_report_pdf" for item in files) else 4
main, more = files[:n_main], files[n_main:]
grid = st.columns(n_main)
for col, item in zip(grid, main):
    with col.container(border=True):
        st.download_button(
            item.label, item.build, file_name=item.file_name, mime=item.mime, key=item.key,
            type="primary" if item.key == "download_assignments" else "secondary",
            on_click="ignore", width="stretch", icon=":material/download:",
        )  # fmt: skip
        st.caption(item.help)
with st.expander("More files: segments, teams, the full report"):
    for item in more:
        st.download_button(
            item.label, item.build, file_name=item.file_name, mime=item.mime, key=item.key,
            on_click="ignore", help=item.help,
        )  # fmt: skip

st.subheader("Plan summary")
with st.container(border=True):
    st.markdown(plan_views.demote_headings(run.summary()))

st.subheader("Assignments (first 100 rows)")
show(assignments.head(100), key="assignments_preview", currency=currency_symbol(run))
