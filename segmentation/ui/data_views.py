"""The Data page's sections: the files in use, how they were read and mapped, units, status, quality.

Each function draws one section from engine results; the logic it needs lives in the engine or
in :mod:`segmentation.ui.controls` (pure, tested), and its callbacks in :mod:`segmentation.ui.edits`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from segmentation import guidance
from segmentation.fields import FIELDS
from segmentation.ingest import DELIMITER_NAMES
from segmentation.markdown import escape as md
from segmentation.pipeline import LoadedAccounts
from segmentation.ui import controls, edits, session, stages
from segmentation.ui.tables import fit_height, plain_number, show, warning_list

FIELD_LABELS = {f.name: f.label.split(" (")[0] for f in FIELDS}
FORMATS = {"csv": "CSV", "tsv": "TSV", "xlsx": "Excel workbook", "excel": "Excel workbook"}


def sources_in_use(accounts_col, deals_col, roster_col) -> None:
    """Under each uploader: the file in use (uploads outlive the widget) and how to drop it."""
    with accounts_col:
        if session.using_sample():
            st.caption("In use: **the sample** (2,000 accounts from a Salesforce report).")
        else:
            st.caption(f"In use: **{md(session.accounts_file().name)}**")
            if st.session_state.get("accounts_upload") is None:
                st.button("Use the sample instead", key="use_sample", on_click=session.use_sample)
    with deals_col:
        deals = session.opportunities_file()
        if deals is None:
            st.caption("None in use.")
        else:
            sample = session.using_sample() and "opportunities_file" not in st.session_state
            st.caption(f"In use: **{'the sample deals' if sample else md(deals.name)}**")
            if st.session_state.get("opportunities_upload") is None:
                st.button(
                    "Go without opportunities", key="drop_deals",
                    on_click=session.use_opportunities_file, args=(None, None),
                )  # fmt: skip
    with roster_col:
        roster = session.roster_file()
        if roster is None:
            st.caption("None in use: territories use placeholder reps.")
        else:
            reps = st.session_state.get("roster_reps")
            st.caption(f"In use: **{md(roster.name)}**" + (f" ({reps:,} reps)" if reps else ""))
            if st.session_state.get("roster_upload_data") is None:
                st.button("Remove the roster", key="drop_roster_data",
                          on_click=session.use_roster, args=(None, None))  # fmt: skip


OPPORTUNITY_LABELS = {
    "account_id": "Account ID",
    "account_name": "Account name",
    "amount": "Amount",
    "stage": "Stage / won-lost status",
    "is_won": "Won flag (IsWon)",
    "is_closed": "Closed flag (IsClosed)",
    "close_date": "Close date",
    "created": "Created date",
    "product": "Product",
    "deal": "Deal name (for examples)",
    "competitor": "Competitor(s)",
    "loss_reason": "Loss reason",
}


def opportunity_mapping(deals_col) -> None:
    """Under the opportunities uploader: which deal column feeds each field, editable.

    Drawn before the load stage runs, from the file's own headers, so a file whose amount or
    stage column was not recognised can be mapped here instead of only failing.
    """
    found = stages.deal_columns()
    if found is None:
        return
    columns, detected = found
    overrides = st.session_state["opp_overrides"]
    current = {name: overrides.get(name, detected.get(name)) for name in OPPORTUNITY_LABELS}
    fields = list(OPPORTUNITY_LABELS)
    table = pd.DataFrame(
        {
            "field": [OPPORTUNITY_LABELS[f] for f in fields],
            "column": [current[f] or controls.NONE for f in fields],
        }
    )
    key = f"opp_mapping_editor_{st.session_state['editor_version']}"
    # Open when the user changed it, or when no amount was found (the load fails until mapped).
    with deals_col.expander(
        "Opportunity columns", expanded=bool(overrides) or not current["amount"]
    ):
        with st.form("opp_mapping_form", border=False):
            st.data_editor(
                table,
                key=key,
                hide_index=True,
                height=fit_height(len(table)),
                disabled=["field"],
                column_config={
                    "field": st.column_config.TextColumn("Field", width="medium"),
                    "column": st.column_config.SelectboxColumn(
                        "Column in your file", options=[controls.NONE, *columns], required=True
                    ),
                },
            )
            st.form_submit_button(
                "Apply", key="apply_opp_mapping", on_click=edits.apply_opportunity_mapping,
                args=(key, fields, current, detected),
            )  # fmt: skip
            if overrides:
                st.form_submit_button(
                    "Back to the detected columns", key="reset_opp_mapping",
                    on_click=edits.reset_opportunity_mapping,
                )  # fmt: skip
        if "opp_mapping_error" in st.session_state:
            st.error(md(st.session_state["opp_mapping_error"]))


def read_summary(loaded: LoadedAccounts) -> None:
    """What was detected: format, rows, columns, what was removed; reading warnings."""
    info = loaded.read_info
    cols = st.columns(4)
    cols[0].metric("Accounts", f"{len(loaded.accounts):,}")
    cols[1].metric("Columns", f"{info.columns:,}")
    cols[2].metric("Format", FORMATS.get(str(info.format).lower(), str(info.format).upper()))
    cols[3].metric("Encoding", info.encoding.upper() if info.encoding else "—")
    how = []
    if info.delimiter:
        how.append(DELIMITER_NAMES.get(info.delimiter, repr(info.delimiter)) + "-separated")
    if info.sheet:
        how.append(f"sheet “{info.sheet}”")
    removed = []
    if info.footer_rows_removed:
        shown = "; ".join(f"“{r}”" for r in info.footer_rows_removed[:3])
        removed.append(f"{len(info.footer_rows_removed)} report footer rows ({shown})")
    if info.blank_rows_removed:
        removed.append(f"{info.blank_rows_removed:,} blank rows")
    if info.empty_columns_removed:
        removed.append(f"{len(info.empty_columns_removed)} empty columns")
    st.caption(
        f"Read **{md(info.source_name)}**"
        + (f" ({', '.join(how)})" if how else "")
        + ". "
        + ("Removed: " + ", ".join(removed) + "." if removed else "Nothing had to be removed.")
    )
    deals = loaded.opportunities
    if deals is not None:
        st.caption(
            f"Opportunities: {deals.deals_read:,} deals read; {deals.matched_by_id:,} joined on "
            f"account ID, {deals.matched_by_name:,} on account name, {deals.unmatched:,} matched "
            f"no account ({deals.unmatched_blank:,} name none, {deals.unmatched_unknown:,} an "
            f"unknown account, {deals.ambiguous:,} a name two accounts share). "
            + ", ".join(f"{n:,} {kind}" for kind, n in deals.outcomes.items())
            + "."
        )
    # Cleaning notes are in the data-quality section; here only what reading the files found.
    notes = [*info.warnings, *(deals.warnings if deals is not None else [])]
    warning_list(notes)


def mapping_checks(loaded: LoadedAccounts) -> None:
    """Say first when key fields are missing or a mapping looks wrong by its content."""
    alert = guidance.key_fields_alert(loaded.mapping)
    if alert:
        st.warning(md(alert))
    for doubt in guidance.mapping_doubts(loaded.raw, loaded.mapping, loaded.accounts):
        st.warning(md(doubt))


def _sample_values(raw: pd.DataFrame, column: str | None, shown: int = 3) -> str:
    if column is None or column not in raw.columns:
        return ""
    values = raw[column].dropna().astype("str").str.strip()
    values = values[values != ""].drop_duplicates().head(shown)
    return " · ".join(v[:30] for v in values)


def mapping_editor(loaded: LoadedAccounts) -> None:
    """The column mapping as an editable table: pick a column (or none) per field, then apply."""
    mapping = loaded.mapping
    current = {f.name: (mapping.columns.get(f.name)) for f in FIELDS}
    fields = [f.name for f in FIELDS]
    labels = {f.name: f.label + (" *" if f.required else "") for f in FIELDS}
    table = pd.DataFrame(
        {
            "field": [labels[f] for f in fields],
            "column": [current[f] or controls.NONE for f in fields],
            "sample": [_sample_values(loaded.raw, current[f]) for f in fields],
            "confidence": [
                mapping.matches[f].confidence if f in mapping.matches else None for f in fields
            ],
            "evidence": [
                mapping.matches[f].evidence if f in mapping.matches else "not found in the file"
                for f in fields
            ],
        }
    )
    options = [controls.NONE, *map(str, loaded.raw.columns)]
    key = f"mapping_editor_{st.session_state['editor_version']}"
    with st.form("mapping_form", border=False):
        st.data_editor(
            table,
            key=key,
            hide_index=True,
            height=fit_height(len(table)),
            disabled=["field", "sample", "confidence", "evidence"],
            column_config={
                "field": st.column_config.TextColumn("Field", width="medium"),
                "column": st.column_config.SelectboxColumn(
                    "Column in your file", options=options, required=True, width="medium"
                ),
                "sample": st.column_config.TextColumn("Values in it", width="medium"),
                "confidence": st.column_config.ProgressColumn(
                    "Confidence", min_value=0.0, max_value=1.0, format="percent", width="small"
                ),
                "evidence": st.column_config.TextColumn("How we know", width="large"),
            },
        )
        left, right = st.columns([1, 5])
        left.form_submit_button(
            "Apply mapping", type="primary", key="apply_mapping",
            on_click=edits.apply_mapping,
            args=(key, fields, current, {f.name: f.label for f in FIELDS}),
        )  # fmt: skip
        if st.session_state["overrides"] or st.session_state["drop_columns"]:
            right.form_submit_button(
                "Back to the detected mapping", key="reset_mapping", on_click=edits.reset_mapping
            )
    if "mapping_error" in st.session_state:
        st.error(md(st.session_state["mapping_error"]))
    if mapping.excluded:
        st.caption(
            "Not used for customer types: "
            + "; ".join(f"{md(col)} ({md(why)})" for col, why in mapping.excluded.items())
            + "."
        )
    if mapping.feature_columns:
        st.caption(
            "Other number columns ("
            + ", ".join(md(str(col)) for col in mapping.feature_columns)
            + ") can join the customer types on the Segments page; they are off unless you "
            "choose them, and identifiers, codes and mostly blank columns are not offered."
        )


def quality_report(loaded: LoadedAccounts) -> None:
    """Findings in plain words, fill rate per field, and every value changed."""
    findings = loaded.quality.get("findings", [])
    if findings:
        st.markdown("\n".join(f"- {md(finding)}" for finding in findings))
    else:
        st.success("No data-quality problems found.")
    columns = loaded.quality.get("columns", {})
    left, right = st.columns([2, 3], gap="large")
    if columns:
        fill = pd.DataFrame(
            [
                {"field": FIELD_LABELS.get(k, k), "fill_rate": v.get("fill_rate")}
                for k, v in columns.items()
            ]
        )
        with left:
            st.caption("How full each field is:")
            st.dataframe(
                fill,
                hide_index=True,
                height=fit_height(len(fill)),
                column_config={
                    "field": st.column_config.TextColumn("Field", width="medium"),
                    "fill_rate": st.column_config.ProgressColumn(
                        "Filled", min_value=0.0, max_value=1.0, format="percent", width="medium"
                    ),
                },
                key="fill_rates",
            )
    changes = loaded.prepared.changes
    if changes:
        frame = pd.DataFrame(changes)
        frame["field"] = frame["field"].map(lambda f: FIELD_LABELS.get(f, f))
        with right:
            st.caption("Every value we changed or treated as missing:")
            show(frame, ["field", "what", "count", "examples"], key="changes",
                 widths={"field": "small", "what": "medium", "count": "small", "examples": "medium"})  # fmt: skip


def units_section(loaded: LoadedAccounts) -> None:
    """The scale and currency of each money column, why, and a control to set the scale."""
    units = {f: u for f, u in loaded.prepared.units.items() if u.get("column") is not None}
    if not units:
        st.caption("No money column (annual revenue, deal size) in this file.")
        return
    for field_name, unit in units.items():
        left, right = st.columns([3, 2], gap="large")
        currency = unit.get("currency") or "currency not stated"
        left.markdown(
            f"**{md(FIELD_LABELS.get(field_name, field_name))}** from “{md(unit['column'])}”: "
            f"x{plain_number(unit['multiplier'])}, {md(currency)}"
        )
        left.caption(md(unit["evidence"]))
        key = f"unit_{field_name}_{st.session_state['editor_version']}"
        chosen = st.session_state["units"].get(field_name)
        labels = list(edits.UNIT_CHOICES)
        index = next(
            (i for i, m in enumerate(edits.UNIT_CHOICES.values()) if m is not None and m == chosen),
            0,
        )
        right.selectbox(
            f"Amounts in “{unit['column']}” are",
            labels,
            index=index,
            key=key,
            on_change=edits.set_unit,
            args=(field_name, key),
            help="The numbers in the column as written, times this, are single currency units "
            "(dollars, euros). Same as --unit on the command line.",
        )


def status_editor(loaded: LoadedAccounts) -> None:
    """Each status value of the file with the status it was read as; change any, then apply."""
    info = loaded.prepared.status or {}
    if info.get("column") is None:
        if info.get("source") == "won deals":
            st.caption(
                "No status column: accounts with a won deal in the opportunities are customers, "
                "the others prospects."
            )
        else:
            st.caption(
                "No status column: customer, prospect or former is unknown for every account."
            )
        return
    values = info.get("values", [])
    if not values:
        return
    unknown = sum(v["count"] for v in values if v["how"] == "not recognised")
    st.caption(
        f"Values of “{md(info['column'])}” and the status each was read as"
        + (
            f" — **{unknown:,} accounts have a value we did not recognise** (read as other)"
            if unknown
            else ""
        )
        + ". Change a status, then apply. Same as --status VALUE=STATUS on the command line."
    )
    names = [v["value"] for v in values]
    current = {v["value"]: v["status"] for v in values}
    table = pd.DataFrame(
        {
            "value": names,
            "accounts": [v["count"] for v in values],
            "status": [v["status"] for v in values],
            "how": [v["how"] for v in values],
        }
    )
    key = f"status_editor_{st.session_state['editor_version']}"
    with st.form("status_form", border=False):
        st.data_editor(
            table,
            key=key,
            hide_index=True,
            height=fit_height(min(len(table), 12)),
            disabled=["value", "accounts", "how"],
            column_config={
                "value": st.column_config.TextColumn("Value in your file", width="medium"),
                "accounts": st.column_config.NumberColumn("Accounts", format="%d", width="small"),
                "status": st.column_config.SelectboxColumn(
                    "Read as", options=["customer", "prospect", "former", "partner", "other"],
                    required=True, width="small",
                ),
                "how": st.column_config.TextColumn("How", width="small"),
            },
        )  # fmt: skip
        left, right = st.columns([1, 5])
        left.form_submit_button(
            "Apply statuses", key="apply_status", on_click=edits.apply_status,
            args=(key, names, current),
        )  # fmt: skip
        if st.session_state["status_values"]:
            right.form_submit_button(
                "Back to the detected statuses", key="reset_status", on_click=edits.reset_status
            )
