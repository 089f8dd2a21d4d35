"""Data: load an accounts export (or the sample), see what was understood, correct the mapping."""

import streamlit as st

from segmentation.ui import data_views, session, stages
from segmentation.ui.tables import show

st.title("Data")
st.caption(
    "Drop in an accounts export from Salesforce, HubSpot, Dynamics or a spreadsheet (CSV, TSV or "
    "Excel). Everything stays in this browser session's memory; nothing is written to disk "
    "unless you save a plan (Plans page)."
)

# .xls is accepted here so the reader can say what to do with it (save as .xlsx or CSV);
# refused by the uploader itself, its message was easy to miss.
FILE_TYPES = ["csv", "tsv", "txt", "xlsx", "xls"]
accounts_col, deals_col, roster_col = st.columns(3)
with accounts_col:
    st.file_uploader("Accounts export", type=FILE_TYPES, key="accounts_upload")
    session.take_upload(
        "accounts_upload",
        None if session.using_sample() else session.accounts_file(),
        session.use_accounts_file,
    )
with deals_col:
    st.file_uploader(
        "Opportunities (optional)",
        type=FILE_TYPES,
        key="opportunities_upload",
        help="Deals with amounts, stages and dates: the average won deal becomes the deal size.",
    )
    session.take_upload(
        "opportunities_upload", session.opportunities_file(), session.use_opportunities_file
    )
with roster_col:
    st.file_uploader(
        "Rep roster (optional)",
        type=["csv", "txt"],
        key="roster_upload_data",
        help="A CSV with a `rep` column and either `team`, or `motion` and `role`; optional "
        "`capacity` (max accounts) and `region`. Used on the Territories page.",
    )
    session.take_upload("roster_upload_data", session.roster_file(), session.use_roster)

data_views.sources_in_use(accounts_col, deals_col, roster_col)
data_views.opportunity_mapping(deals_col)

stages.prepare("load")
loaded = stages.loaded()

st.subheader("What we read")
data_views.read_summary(loaded)

st.subheader("Column mapping")
st.caption(
    "Which column of your file feeds each field the planner uses, with a few of its values. "
    "Pick another column, or (none), and apply: the segments and the plan follow. * marks a "
    "required field."
)
data_views.mapping_checks(loaded)
data_views.mapping_editor(loaded)

st.subheader("Units and status")
st.caption(
    "How the money columns were scaled (a header such as “Revenues ($M)”, or revenue per "
    "employee only real in thousands or millions) and how the status values were read."
)
data_views.units_section(loaded)
data_views.status_editor(loaded)

st.subheader("Data quality")
data_views.quality_report(loaded)

with st.expander("Preview of the cleaned accounts (first 200)"):
    show(loaded.accounts.head(200), key="accounts_preview")
