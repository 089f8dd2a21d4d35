"""Data: load an accounts export (or the sample), see what was understood, correct the mapping."""

import pandas as pd
import streamlit as st

from segmentation.fields import FIELDS
from segmentation.ui import state

st.title("Data")
st.caption(
    "Drop in an accounts export from Salesforce, HubSpot, Dynamics or a spreadsheet (CSV, TSV or "
    "Excel). Everything stays in this browser session's memory; nothing is written to disk."
)

upload = st.file_uploader(
    "Accounts export", type=["csv", "tsv", "txt", "xlsx"], key="accounts_upload"
)
if upload is not None:
    data = upload.getvalue()
    current = state.accounts_file()
    if current.name != upload.name or current.data != data:
        state.use_accounts_file(upload.name, data)
elif st.session_state.get("accounts_file") is not None:
    if st.button("Go back to the sample accounts", key="use_sample"):
        state.use_sample()
        st.rerun()

deals_upload = st.file_uploader(
    "Opportunities export (optional): deals with amounts, stages and products",
    type=["csv", "tsv", "txt", "xlsx"],
    key="opportunities_upload",
)
if deals_upload is not None:
    deals_data = deals_upload.getvalue()
    current_deals = state.opportunities_file()
    if current_deals is None or current_deals.data != deals_data:
        state.use_opportunities_file(deals_upload.name, deals_data)

loaded = state.loaded()
info = loaded.read_info
if st.session_state.get("accounts_file") is None:
    st.info(
        f"Showing the sample: {len(loaded.accounts):,} accounts from a Salesforce report export. "
        "Upload your own file above to replace it."
    )

st.subheader("What we read")
cols = st.columns(4)
cols[0].metric("Accounts", f"{len(loaded.accounts):,}")
cols[1].metric("Columns", info.columns)
cols[2].metric("Encoding", info.encoding or "—")
cols[3].metric("Delimiter", {"\t": "tab", None: "—"}.get(info.delimiter, info.delimiter))
removed = []
if info.footer_rows_removed:
    removed.append(f"{len(info.footer_rows_removed)} report footer rows")
if info.blank_rows_removed:
    removed.append(f"{info.blank_rows_removed} blank rows")
if info.empty_columns_removed:
    removed.append(f"{len(info.empty_columns_removed)} empty columns")
if removed:
    st.caption("Removed: " + ", ".join(removed) + ".")
for note in loaded.warnings:
    st.warning(note)
if loaded.opportunities is not None:
    deals = loaded.opportunities
    st.caption(
        f"Opportunities: {deals.deals_read:,} deals read, {deals.matched_by_id:,} joined on account "
        f"id, {deals.matched_by_name:,} on account name, {deals.unmatched:,} matched no account."
    )

st.subheader("Column mapping")
st.caption(
    "How your columns map to what the planner needs. Change a choice and apply: "
    "the segments and the plan follow."
)
mapping = loaded.mapping
choices = ["(none)", *map(str, loaded.raw.columns)]
with st.form("mapping_form"):
    grid = st.columns(3)
    picked = {}
    for i, field in enumerate(FIELDS):
        match = mapping.matches.get(field.name)
        current_column = match.column if match else "(none)"
        help_text = (
            f"confidence {match.confidence:.0%}: {match.evidence}" if match else "not found in the file"
        )
        picked[field.name] = grid[i % 3].selectbox(
            field.label + (" *" if field.required else ""),
            choices,
            index=choices.index(current_column) if current_column in choices else 0,
            key=f"map_{field.name}",
            help=help_text,
        )
    ignored = st.multiselect(
        "Leave out of customer types",
        [*[f.name for f in FIELDS if f.kind in ("money", "count", "category")], *mapping.feature_columns],
        default=[c for c in st.session_state["ignore"]],
        key="ignore_select",
        help="Fields or columns the clustering should not use.",
    )
    if st.form_submit_button("Apply mapping"):
        overrides = {
            name: column
            for name, column in picked.items()
            if column != "(none)" and (mapping.columns.get(name) != column)
        }
        st.session_state["overrides"] = {**st.session_state["overrides"], **overrides}
        st.session_state["ignore"] = list(ignored)
        st.rerun()

table = pd.DataFrame(
    [
        {
            "field": m.field,
            "column": m.column,
            "confidence": round(m.confidence, 2),
            "evidence": m.evidence,
        }
        for m in mapping.matches.values()
    ]
)
st.dataframe(table, hide_index=True, width="stretch")
if mapping.excluded:
    st.caption(
        "Kept out of the clustering: "
        + "; ".join(f"{col} ({why})" for col, why in mapping.excluded.items())
    )

st.subheader("Data quality")
findings = loaded.quality.get("findings", [])
if findings:
    for finding in findings:
        st.markdown(f"- {finding}")
else:
    st.success("No data-quality problems found.")
if loaded.prepared.changes:
    st.caption("Every value we changed or treated as missing:")
    changes = pd.DataFrame(loaded.prepared.changes)
    if "examples" in changes:
        changes["examples"] = changes["examples"].map(
            lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v
        )
    st.dataframe(changes, hide_index=True, width="stretch")

with st.expander("Preview of the cleaned accounts"):
    st.dataframe(state.frame_for_display(loaded.accounts.head(200)), hide_index=True)
