"""The Segments page's sections: the customer-type and vertical controls, type cards, the treemap.

Each function draws one section from engine results; the controls' callbacks are
:mod:`segmentation.ui.edits`.
"""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from segmentation.markdown import escape as md
from segmentation.naming import feature_label, format_money
from segmentation.pipeline import Segmentation
from segmentation.ui import controls, edits, stages
from segmentation.ui.charts.segments import segment_treemap


def segment_controls(segments: Segmentation) -> None:
    """Number of customer types, features in or out, vertical renames and merges (one form)."""
    options = controls.feature_options(segments.features)
    names = list(options)
    defaults = controls.default_features(segments.features)
    base = stages.base_verticals()
    verticals = edits.vertical_edits_frame(base)
    vertical_names = verticals["vertical"].tolist()
    key = f"verticals_editor_{st.session_state['editor_version']}"
    with st.form("segment_controls", border=False):
        left, right = st.columns([2, 3], gap="large")
        with left:
            _customer_type_controls(segments, options)
        with right:
            _vertical_editor(verticals, key)
        buttons = st.columns([1, 1, 4])
        buttons[0].form_submit_button(
            "Update segments", type="primary", key="apply_segments",
            on_click=edits.apply_segment_controls, args=(key, vertical_names, names, defaults),
        )  # fmt: skip
        buttons[1].form_submit_button(
            "Reset", key="reset_segments", on_click=edits.reset_segment_controls
        )
    if "segments_error" in st.session_state:
        st.error(md(st.session_state["segments_error"]))


def _customer_type_controls(segments: Segmentation, options: dict[str, str]) -> None:
    # How many customer types, and the columns they are built from (with those left out and why).
    quality = segments.types.quality
    names = list(options)
    in_use = [str(c) for c in segments.features.columns]
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
            "Not usable: " + ", ".join(f"{md(k)} ({md(v)})" for k, v in unusable.items()) + "."
        )
    never = controls.never_offered_features(segments.features)
    if never:
        st.caption(
            "Not offered (they name accounts, not amounts): "
            + ", ".join(f"{md(k)} ({md(v)})" for k, v in never.items())
            + "."
        )


def _vertical_editor(verticals: pd.DataFrame, key: str) -> None:
    # Each vertical as found, to rename or merge into another (a merge target is a vertical).
    vertical_names = verticals["vertical"].tolist()
    st.markdown("**Verticals** — rename one, or merge it into another")
    st.data_editor(
        verticals,
        key=key,
        hide_index=True,
        disabled=["vertical", "accounts", "top_labels"],
        column_config={
            "vertical": st.column_config.TextColumn("Vertical", width="medium"),
            "accounts": st.column_config.NumberColumn("Accounts", format="%,d", width="small"),
            "top_labels": st.column_config.TextColumn("Labels in your file", width="medium"),
            "rename_to": st.column_config.TextColumn("Rename to", width="medium"),
            "merge_into": st.column_config.SelectboxColumn(
                "Merge into", options=vertical_names, width="medium"
            ),
        },
        column_order=["vertical", "accounts", "rename_to", "merge_into", "top_labels"],
        placeholder="",
    )


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


def feature_names(segments: Segmentation) -> str:
    """The features the customer types were built from, in words."""
    return ", ".join(feature_label(str(c)) for c in segments.features.columns)


def vertical_notes(warnings: list[str]) -> None:
    """The vertical stage's notes."""
    if warnings:
        st.caption("  \n".join(md(note) for note in warnings))


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
