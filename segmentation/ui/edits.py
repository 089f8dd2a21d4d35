"""The pages' control callbacks: the user's edits to the mapping, units, status, customer types,
verticals and playbook, turned into session settings.

Each runs before the page script (``on_change``/``on_click``), so the page draws the new state;
what a control means for the engine is :mod:`segmentation.ui.controls` (pure, tested).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from segmentation.naming import feature_label
from segmentation.ui import controls
from segmentation.ui.session import playbook_defaults, setting_default
from segmentation.verticals import VerticalResult

KEY_RULES: dict[str, str] = {
    "motion_digital_max": "Digital below this deal size ($)",
    "motion_field_min": "Field above this deal size ($)",
    "large_company_employees": "Large company from (employees)",
    "farmer_customer_share_min": "Farmers when customers are at least (share)",
    "hunter_prospect_share_min": "Hunters when prospects are at least (share)",
    "generalist_team_max": "Generalist team up to (reps)",
    "pod_min_reps": "Vertical pod from (reps)",
    "selling_hours_per_rep": "Selling hours per rep a year",
    "quota_field": "Field quota ($ a year)",
    "quota_inside": "Inside quota ($ a year)",
    "attainment": "Quota attainment (share)",
    "cost_of_sales_max": "Most cost of sales (share of bookings)",
}
"""The playbook values shown first on the Team plan page, with short labels; the rest sit in an
expander under their full labels."""


UNIT_CHOICES: dict[str, float | None] = {
    "as detected": None,
    "as written (x1)": 1.0,
    "thousands (x1,000)": 1e3,
    "millions (x1,000,000)": 1e6,
    "billions (x1,000,000,000)": 1e9,
}
"""The scale control's choices on the Data page: label → multiplier (None: what was detected)."""


def apply_mapping(
    editor_key: str, fields: list[str], current: dict[str, str | None], labels: dict[str, str]
) -> None:
    """Form callback: turn the mapping editor's edits into overrides and dropped columns."""
    edits = st.session_state.get(editor_key) or {}
    edited = controls.edited_values(edits, fields, current, column="column")
    try:
        overrides, drop = controls.mapping_settings(
            current,
            edited,
            st.session_state["overrides"],
            st.session_state["drop_columns"],
            labels=labels,
        )
    except ValueError as error:
        st.session_state["mapping_error"] = str(error)
        return
    st.session_state.pop("mapping_error", None)
    st.session_state["overrides"] = overrides
    st.session_state["drop_columns"] = drop
    # the unit and status choices belong to the columns they were made on
    _forget_choices_for(lambda f: edited.get(f) != current.get(f))
    st.session_state["editor_version"] += 1


def _forget_choices_for(changed) -> None:
    st.session_state["units"] = {
        f: m for f, m in st.session_state["units"].items() if not changed(f)
    }
    if changed("status"):
        st.session_state["status_values"] = {}


def reset_mapping() -> None:
    """Button callback: back to the detected mapping."""
    was = dict(st.session_state["overrides"])
    _forget_choices_for(lambda f: f in was)
    st.session_state["overrides"] = {}
    st.session_state["drop_columns"] = []
    st.session_state.pop("mapping_error", None)
    st.session_state["editor_version"] += 1


def set_unit(field_name: str, widget_key: str) -> None:
    """Selectbox callback: the user's scale for a money field (``--unit`` in the CLI)."""
    choice = UNIT_CHOICES.get(st.session_state.get(widget_key))
    units = dict(st.session_state["units"])
    if choice is None:
        units.pop(field_name, None)
    else:
        units[field_name] = choice
    st.session_state["units"] = units


def apply_status(editor_key: str, values: list[str], current: dict[str, str]) -> None:
    """Form callback: the status editor's edits become status overrides (``--status``)."""
    edits = st.session_state.get(editor_key) or {}
    edited = controls.edited_values(edits, values, current, column="status")
    chosen = dict(st.session_state["status_values"])
    for value in values:
        new = edited.get(value)
        if new and new != current.get(value):
            chosen[value] = new
    st.session_state["status_values"] = chosen
    st.session_state["editor_version"] += 1


def reset_status() -> None:
    """Button callback: statuses back to the built-in words."""
    st.session_state["status_values"] = {}
    st.session_state["editor_version"] += 1


def apply_opportunity_mapping(
    editor_key: str, fields: list[str], current: dict[str, str | None], detected: dict[str, str]
) -> None:
    """Form callback: the opportunities editor's choices, kept where they differ from detection."""
    edits = st.session_state.get(editor_key) or {}
    edited = controls.edited_values(edits, fields, current, column="column")
    chosen = [c for c in edited.values() if c is not None]
    if len(chosen) != len(set(chosen)):
        st.session_state["opp_mapping_error"] = "Each column can feed one opportunity field only."
        return
    st.session_state.pop("opp_mapping_error", None)
    st.session_state["opp_overrides"] = {
        name: column for name, column in edited.items() if column != detected.get(name)
    }
    st.session_state["editor_version"] += 1


def reset_opportunity_mapping() -> None:
    """Button callback: back to the detected opportunity columns."""
    st.session_state["opp_overrides"] = {}
    st.session_state.pop("opp_mapping_error", None)
    st.session_state["editor_version"] += 1


def apply_segment_controls(
    editor_key: str, names: list[str], feature_names: list[str], defaults: list[str] | None = None
) -> None:
    """Form callback: number of customer types, features in or out, vertical renames/merges."""
    state = st.session_state
    edits = state.get(editor_key) or {}
    renames = controls.edited_values(edits, names, _current_renames(names), column="rename_to")
    merges = controls.edited_values(edits, names, _current_merges(names), column="merge_into")
    chosen = list(state.get("features_in", feature_names))
    try:
        renames, merges = controls.vertical_settings(names, renames, merges)
        controls.check_features(chosen, {n: feature_label(n) for n in feature_names})
    except ValueError as error:
        state["segments_error"] = str(error)
        return
    state.pop("segments_error", None)
    state["vertical_renames"], state["vertical_merges"] = renames, merges
    state["n_types"] = None if state.get("auto_k", True) else int(state["k_input"])
    defaults = feature_names if defaults is None else defaults
    state["ignore"], state["features"] = controls.feature_settings(chosen, feature_names, defaults)
    state["editor_version"] += 1


def reset_segment_controls() -> None:
    """Button callback: customer types chosen from the data, every feature, verticals as found."""
    for name in ("ignore", "features", "n_types", "vertical_renames", "vertical_merges"):
        st.session_state[name] = setting_default(name)
    for key in ("auto_k", "k_input", "features_in", "segments_error"):
        st.session_state.pop(key, None)
    st.session_state["editor_version"] += 1


def _current_renames(names: list[str]) -> dict[str, str | None]:
    return {n: st.session_state["vertical_renames"].get(n) for n in names}


def _current_merges(names: list[str]) -> dict[str, str | None]:
    return {n: st.session_state["vertical_merges"].get(n) for n in names}


def vertical_edits_frame(base: VerticalResult) -> pd.DataFrame:
    """The vertical editor's rows: each vertical as found, with the user's rename and merge."""
    table = base.table
    names = table["vertical"].astype(str).tolist()
    return pd.DataFrame(
        {
            "vertical": names,
            "accounts": table["accounts"].to_numpy(),
            "top_labels": table["top_labels"].astype(str).to_numpy(),
            "rename_to": [st.session_state["vertical_renames"].get(n) for n in names],
            "merge_into": [st.session_state["vertical_merges"].get(n) for n in names],
        }
    )


def set_rule(rule_id: str) -> None:
    """Widget callback: store one playbook value (dropped when it equals the shipped value)."""
    value = st.session_state[f"rule_{rule_id}"]
    values = dict(st.session_state["playbook_values"])
    shipped = playbook_defaults().rules[rule_id]
    error = None if value is None else controls.rule_value_error(shipped, value)
    if error:
        # Outside the rule's range (the input's bounds stop most of it): keep the value in force.
        st.session_state[f"rule_{rule_id}"] = values.get(rule_id, shipped.value)
        st.session_state["playbook_error"] = error
        return
    st.session_state.pop("playbook_error", None)
    if value is None or value == playbook_defaults().rules[rule_id].value:
        values.pop(rule_id, None)
    else:
        values[rule_id] = float(value)
    st.session_state["playbook_values"] = values


def rule_input(container, rule, label: str | None = None) -> None:
    """A number input for one playbook rule that applies on change; its source in the help."""
    shipped = playbook_defaults().rules[rule.id]
    changed = rule.value != shipped.value
    help_text = (
        f"{rule.label} ({rule.unit}).  \nSource: {shipped.source} (confidence {rule.confidence})."
        + (f"  \nShipped value: {shipped.value:,g}." if changed else "")
        + f"  \nValid range: {shipped.valid}."
    )
    container.number_input(
        label or rule.label,
        value=float(rule.value),
        **controls.rule_input_bounds(rule),  # the rule's valid range, as the CLI checks it
        step=1.0 if rule.valid.choices else _step(rule.value),
        key=f"rule_{rule.id}",
        help=help_text,
        format="%g",
        on_change=set_rule,
        args=(rule.id,),
    )
    error = st.session_state.get("playbook_error")
    if error and error.startswith(f"Rule '{rule.id}'"):
        container.warning(error)  # a value the input let through but the rule's range refuses


def _step(value: float) -> float:
    if value <= 1:
        return 0.05
    magnitude = 10 ** max(0, len(str(int(abs(value)))) - 2)
    return float(magnitude)
