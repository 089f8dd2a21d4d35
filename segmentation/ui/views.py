"""Page sections that take more than a few lines of streamlit: the pages stay a description.

Each function draws one section from engine results; the logic it needs lives in the engine or
in :mod:`segmentation.ui.controls` (pure, tested).
"""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from segmentation import guidance
from segmentation.clustering import feature_label, format_money
from segmentation.fields import FIELDS
from segmentation.ingest import DELIMITER_NAMES
from segmentation.markdown import escape as md
from segmentation.pipeline import LoadedAccounts, Segmentation
from segmentation.playbook import CONFIDENCE_TAGS, Playbook
from segmentation.ui import controls, state
from segmentation.ui.charts.segments import segment_treemap
from segmentation.ui.charts.territory import rep_balance_chart, rep_book
from segmentation.ui.tables import show

FIELD_LABELS = {f.name: f.label.split(" (")[0] for f in FIELDS}
FORMATS = {"csv": "CSV", "tsv": "TSV", "xlsx": "Excel workbook", "excel": "Excel workbook"}


# --- Data page ------------------------------------------------------------------------------


def sources_in_use(accounts_col, deals_col, roster_col) -> None:
    """Under each uploader: the file in use (uploads outlive the widget) and how to drop it."""
    with accounts_col:
        if state.using_sample():
            st.caption("In use: **the sample** (2,000 accounts from a Salesforce report).")
        else:
            st.caption(f"In use: **{md(state.accounts_file().name)}**")
            if st.session_state.get("accounts_upload") is None:
                st.button("Use the sample instead", key="use_sample", on_click=state.use_sample)
    with deals_col:
        deals = state.opportunities_file()
        if deals is None:
            st.caption("None in use.")
        else:
            sample = state.using_sample() and "opportunities_file" not in st.session_state
            st.caption(f"In use: **{'the sample deals' if sample else md(deals.name)}**")
            if st.session_state.get("opportunities_upload") is None:
                st.button(
                    "Go without opportunities", key="drop_deals",
                    on_click=state.use_opportunities_file, args=(None, None),
                )  # fmt: skip
    with roster_col:
        roster = state.roster_file()
        if roster is None:
            st.caption("None in use: territories use placeholder reps.")
        else:
            reps = st.session_state.get("roster_reps")
            st.caption(f"In use: **{md(roster.name)}**" + (f" ({reps:,} reps)" if reps else ""))
            if st.session_state.get("roster_upload_data") is None:
                st.button("Remove the roster", key="drop_roster_data",
                          on_click=state.use_roster, args=(None, None))  # fmt: skip


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
    found = state.deal_columns()
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
                height=_fit(len(table)),
                disabled=["field"],
                column_config={
                    "field": st.column_config.TextColumn("Field", width="medium"),
                    "column": st.column_config.SelectboxColumn(
                        "Column in your file", options=[controls.NONE, *columns], required=True
                    ),
                },
            )
            st.form_submit_button(
                "Apply", key="apply_opp_mapping", on_click=state.apply_opportunity_mapping,
                args=(key, fields, current, detected),
            )  # fmt: skip
            if overrides:
                st.form_submit_button(
                    "Back to the detected columns", key="reset_opp_mapping",
                    on_click=state.reset_opportunity_mapping,
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
            height=_fit(len(table)),
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
            on_click=state.apply_mapping,
            args=(key, fields, current, {f.name: f.label for f in FIELDS}),
        )  # fmt: skip
        if st.session_state["overrides"] or st.session_state["drop_columns"]:
            right.form_submit_button(
                "Back to the detected mapping", key="reset_mapping", on_click=state.reset_mapping
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
                height=_fit(len(fill)),
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
            f"x{_number(unit['multiplier'])}, {md(currency)}"
        )
        left.caption(md(unit["evidence"]))
        key = f"unit_{field_name}_{st.session_state['editor_version']}"
        chosen = st.session_state["units"].get(field_name)
        labels = list(state.UNIT_CHOICES)
        index = next(
            (i for i, m in enumerate(state.UNIT_CHOICES.values()) if m is not None and m == chosen),
            0,
        )
        right.selectbox(
            f"Amounts in “{unit['column']}” are",
            labels,
            index=index,
            key=key,
            on_change=state.set_unit,
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
            height=_fit(min(len(table), 12)),
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
            "Apply statuses", key="apply_status", on_click=state.apply_status,
            args=(key, names, current),
        )  # fmt: skip
        if st.session_state["status_values"]:
            right.form_submit_button(
                "Back to the detected statuses", key="reset_status", on_click=state.reset_status
            )


def _number(value: float) -> str:
    """A playbook value as people write it: 25,000 · 0.85 · 1,200."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _fit(rows: int, row_height: int = 35) -> int:
    """Pixel height that shows every row of a table (no inner scrollbar) up to 20 rows."""
    return (min(rows, 20) + 1) * row_height + 3


# --- Segments page --------------------------------------------------------------------------


def segment_controls(segments: Segmentation) -> None:
    """Number of customer types, features in or out, vertical renames and merges (one form)."""
    quality = segments.types.quality
    options = controls.feature_options(segments.features)
    names = list(options)
    defaults = controls.default_features(segments.features)
    in_use = [str(c) for c in segments.features.columns]
    base = state.base_verticals()
    verticals = state.vertical_edits_frame(base)
    vertical_names = verticals["vertical"].tolist()
    key = f"verticals_editor_{st.session_state['editor_version']}"
    with st.form("segment_controls", border=False):
        left, right = st.columns([2, 3], gap="large")
        with left:
            st.markdown("**Customer types**")
            st.checkbox(
                "Let the data choose how many",
                value=st.session_state["n_types"] is None,
                key="auto_k",
            )
            st.number_input(
                "Number of customer types (when you choose)",
                min_value=2,
                max_value=12,
                value=min(max(int(st.session_state["n_types"] or quality["k"]), 2), 12),
                key="k_input",
            )
            st.pills(
                "Build customer types from",
                names,
                selection_mode="multi",
                default=[n for n in names if n in in_use],
                format_func=options.get,
                key="features_in",
                help="Size, revenue, deal size and status are on by default; your file's other "
                "number columns are offered but off. Leave a column out when it describes "
                "something you don't plan coverage by.",
            )
            unusable = controls.unusable_features(segments.features)
            if unusable:
                st.caption(
                    "Not usable: "
                    + ", ".join(f"{md(k)} ({md(v)})" for k, v in unusable.items())
                    + "."
                )
            never = controls.never_offered_features(segments.features)
            if never:
                st.caption(
                    "Not offered (they name accounts, not amounts): "
                    + ", ".join(f"{md(k)} ({md(v)})" for k, v in never.items())
                    + "."
                )
        with right:
            st.markdown("**Verticals** — rename one, or merge it into another")
            st.data_editor(
                verticals,
                key=key,
                hide_index=True,
                disabled=["vertical", "accounts", "top_labels"],
                column_config={
                    "vertical": st.column_config.TextColumn("Vertical", width="medium"),
                    "accounts": st.column_config.NumberColumn(
                        "Accounts", format="%,d", width="small"
                    ),
                    "top_labels": st.column_config.TextColumn(
                        "Labels in your file", width="medium"
                    ),
                    "rename_to": st.column_config.TextColumn("Rename to", width="medium"),
                    "merge_into": st.column_config.SelectboxColumn(
                        "Merge into", options=vertical_names, width="medium"
                    ),
                },
                column_order=["vertical", "accounts", "rename_to", "merge_into", "top_labels"],
                placeholder="",
            )
        buttons = st.columns([1, 1, 4])
        buttons[0].form_submit_button(
            "Update segments", type="primary", key="apply_segments",
            on_click=state.apply_segment_controls, args=(key, vertical_names, names, defaults),
        )  # fmt: skip
        buttons[1].form_submit_button(
            "Reset", key="reset_segments", on_click=state.reset_segment_controls
        )
    if "segments_error" in st.session_state:
        st.error(md(st.session_state["segments_error"]))


def type_cards(segments: Segmentation, colors: dict[str, str], per_row: int = 3) -> None:
    """A card per customer type: its figures, what sets it apart, and the rule that finds it."""
    table = segments.types.table.set_index("customer_type")
    explanations = segments.explanations.set_index("customer_type")
    names = [n for n in colors if n in table.index]
    for start in range(0, len(names), per_row):
        cols = st.columns(per_row)
        for col, name in zip(cols, names[start : start + per_row]):
            row = table.loc[name]
            with col.container(border=True):
                st.markdown(_swatch(colors[name], name), unsafe_allow_html=True)
                figures = st.columns(2)
                figures[0].metric("Accounts", f"{int(row['accounts']):,}")
                figures[1].metric("Share of all", f"{row['share']:.0%}")
                facts = []
                if pd.notna(row.get("median_employees")):
                    facts.append(f"{row['median_employees']:,.0f} employees")
                if pd.notna(row.get("median_revenue")):
                    facts.append(f"{format_money(row['median_revenue'])} revenue")
                if pd.notna(row.get("median_deal_size")):
                    facts.append(f"{format_money(row['median_deal_size'])} deals")
                if facts:
                    st.caption("Typical account: " + " · ".join(facts))
                if name in explanations.index:
                    why = explanations.loc[name]
                    distinguishing = why["distinguishing"]
                    if isinstance(distinguishing, (list, tuple)) and distinguishing:
                        st.markdown("**What sets it apart**")
                        st.markdown("\n".join(f"- {md(s)}" for s in distinguishing))
                    if why["sentence"]:
                        st.markdown(
                            f"**Rule:** {md(why['sentence'])}  \n"
                            f"<small>finds {why['fidelity']:.0%} of this type; "
                            f"{why['precision']:.0%} of the accounts it picks are this type</small>",
                            unsafe_allow_html=True,
                        )


def _swatch(color: str, name: str) -> str:
    return (
        f'<div style="display:flex;align-items:center;gap:.5rem;font-weight:600;font-size:1.05rem">'
        f'<span style="width:.9rem;height:.9rem;border-radius:3px;background:{color};'
        f'flex:none"></span>{html.escape(name)}</div>'
    )


def legend_note(colors: dict[str, str]) -> None:
    """The customer-type colours, once, as a compact legend line."""
    items = "".join(
        f'<span style="display:inline-flex;align-items:center;gap:.3rem;margin-right:1rem">'
        f'<span style="width:.75rem;height:.75rem;border-radius:2px;background:{c}"></span>'
        f"{html.escape(n)}</span>"
        for n, c in colors.items()
    )
    st.markdown(
        f'<div style="font-size:.9rem;line-height:1.8">{items}</div>', unsafe_allow_html=True
    )


# --- Team plan page -------------------------------------------------------------------------


def playbook_sidebar(rules: Playbook) -> None:
    """The playbook in the sidebar: key values first; each change re-plans at once."""
    with st.sidebar:
        st.header("Playbook")
        st.caption(
            "The thresholds behind the plan, each with its source (hover ⓘ). Change one: the "
            "plan updates at once, without re-running the segments."
        )
        for rule_id, label in state.KEY_RULES.items():
            if rule_id in rules.rules:
                state.rule_input(st, rules.rules[rule_id], label)
        with st.expander("Every other rule"):
            for rule_id, rule in rules.rules.items():
                if rule_id not in state.KEY_RULES:
                    state.rule_input(st, rule)
        changed = st.session_state["playbook_values"]
        if changed:
            st.caption(
                f"{len(changed)} value{'s' if len(changed) > 1 else ''} changed from the shipped playbook."
            )
            st.button(
                "Back to the shipped playbook", key="reset_playbook", on_click=state.reset_playbook
            )


def feature_names(segments: Segmentation) -> str:
    """The features the customer types were built from, in words."""
    return ", ".join(feature_label(str(c)) for c in segments.features.columns)


def vertical_notes(warnings: list[str]) -> None:
    """The vertical stage's notes."""
    if warnings:
        st.caption("  \n".join(md(note) for note in warnings))


def team_reasons(teams: pd.DataFrame) -> None:
    """Why each team exists and is sized as it is, as a short memo."""
    lines = []
    for row in teams.itertuples(index=False):
        reason = str(row.reason)
        prefix = f"{row.team}: "
        lines.append(f"- **{md(row.team)}** — {md(reason.removeprefix(prefix))}")
    st.markdown("\n".join(lines))


def segment_recommendations(segments: pd.DataFrame, rules: Playbook) -> None:
    """Pick a segment in the table; its reason and the rules behind it (with sources) follow."""
    selected = show(
        segments,
        [
            "segment",
            "accounts",
            "motion",
            "role",
            "team",
            "deal_size_used",
            "deal_size_basis",
            "bookings",
        ],
        key="segments_plan",
        on_select="rerun",
        selection_mode="single-row",
        selection_default={"selection": {"rows": [0]}},
    )
    rows = (
        selected.selection.rows if selected is not None and hasattr(selected, "selection") else []
    )
    row = segments.iloc[rows[0] if rows else 0]
    with st.container(border=True):
        st.markdown(f"**{md(row['segment'])}** → {md(row['team'])}")
        st.markdown(md(str(row["reason"]).removeprefix(f"{row['segment']}: ")))
        used = [r.strip() for r in str(row.get("rules", "")).split(",") if r.strip() in rules.rules]
        if used:
            table = pd.DataFrame(
                [
                    {
                        "rule": rules.rules[r].label,
                        "value": f"{_number(rules.rules[r].value)} {rules.rules[r].unit}",
                        "source": rules.rules[r].source,
                        "confidence": rules.rules[r].confidence,
                    }
                    for r in used
                ]
            )
            tags = "; ".join(f"{k} {v}" for k, v in CONFIDENCE_TAGS.items())
            st.caption(f"Rules applied, with their sources (confidence: {tags}):")
            st.dataframe(
                table, hide_index=True, key="segment_rules", height=_fit(min(len(table), 8)),
                column_config={
                    "rule": st.column_config.TextColumn("Rule", width="large"),
                    "value": st.column_config.TextColumn("Value", width="medium"),
                    "source": st.column_config.TextColumn("Source", width="large"),
                    "confidence": st.column_config.TextColumn("Conf.", width="small"),
                },
            )  # fmt: skip


def demote_headings(markdown: str, levels: int = 2) -> str:
    """Shift Markdown headings down (``#`` → ``###``) to preview a document inside a page."""
    out = []
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("#"):
            line = "#" * levels + line
        out.append(line)
    return "\n".join(out)


def warning_list(notes: list[str], limit: int = 3) -> None:
    """Warnings in one box: the first few, the rest behind an expander (never a wall of boxes)."""
    if not notes:
        return
    st.warning("\n".join(f"- {md(note)}" for note in notes[:limit]))
    if len(notes) > limit:
        with st.expander(f"{len(notes) - limit} more warnings"):
            st.markdown("\n".join(f"- {md(note)}" for note in notes[limit:]))


@st.fragment
def treemap_section(profiles: pd.DataFrame, colors: dict[str, str]) -> None:
    """The treemap and its size toggle: toggling redraws this section only."""
    size = (
        st.segmented_control(
            "Size tiles by",
            ["accounts", "total_revenue"],
            default="accounts",
            key="treemap_size",
            format_func={"accounts": "Accounts", "total_revenue": "Annual revenue"}.get,
        )
        or "accounts"
    )
    st.plotly_chart(segment_treemap(profiles, colors, size=size), key="treemap")


@st.fragment
def rep_balance_section(book: pd.DataFrame, rep: pd.Series, teams: list[str], colors) -> None:
    """Pick a team; its reps' book value and account count, by customer type (redraws alone)."""
    team = st.selectbox("Team", teams, key="balance_team")
    books = rep_book(book, rep)
    books = books[books["team"] == team]
    legend_note({k: v for k, v in colors.items() if k in set(books["customer_type"])})
    st.plotly_chart(rep_balance_chart(books, colors), key="rep_balance")
