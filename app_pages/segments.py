"""Segments: customer types and verticals, how strong the structure is, and what sets each apart."""

import streamlit as st

from segmentation.ui import segment_views, stages
from segmentation.ui.charts.segments import (
    MAP_POINTS,
    customer_type_map,
    k_choice_chart,
    k_selection_chart,
)
from segmentation.ui.charts.style import type_colors
from segmentation.ui.tables import show

st.title("Segments")
stages.prepare("segment")
loaded = stages.loaded()
segments = stages.segmentation()
types, verticals = segments.types, segments.verticals
quality = types.quality
colors = type_colors(types.table["customer_type"])

cols = st.columns(4)
cols[0].metric("Accounts", f"{len(loaded.accounts):,}")
cols[1].metric("Customer types", int(quality["k"]))
cols[2].metric("Verticals", len(verticals.table))
cols[3].metric(
    "Structure", str(quality["verdict"]).capitalize(),
    help=f"Separation (silhouette) {quality['silhouette']:.2f}, stability {quality['stability']:.2f}.",
)  # fmt: skip
verdict_box = {"strong": st.success, "moderate": st.info, "weak": st.warning, "tiers": st.warning}
verdict_box.get(quality["verdict"], st.info)(quality["message"])

with st.expander(
    "Change the segments: number of customer types, what they're built from, verticals"
):
    segment_views.segment_controls(segments)
segment_views.vertical_notes(verticals.warnings)

st.subheader("Customer types")
st.caption(
    f"Built from {segment_views.feature_names(segments)}. Each type keeps its colour on every chart."
)
segment_views.type_cards(segments, colors)

st.subheader("Where the accounts are")
segment_views.treemap_section(segments.profiles, colors)

left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader("Map of accounts")
    sampled = len(loaded.accounts) > MAP_POINTS
    st.caption(
        "Each dot is an account; similar accounts sit close together. Axes have no units"
        + (f"; {MAP_POINTS:,} accounts sampled." if sampled else ".")
    )
    st.plotly_chart(
        customer_type_map(types.embedding, colors, seed=st.session_state["seed"]),
        key="type_map",
    )
with right:
    st.subheader("How many customer types?")
    st.caption(
        "**Tighter than random data** (gap): how much closer accounts sit to their type's centre "
        "than they would in random data of the same shape. It climbs while real types are being "
        "separated and flattens once they are. The data picks the number with the best gap "
        "after a fixed cost per type, among numbers whose types reappear on resampled accounts "
        "(hollow markers don't); choose another number under *Change the segments* above."
    )
    if types.selection.empty:
        # A file too small to cluster is typed by firmographic tiers: there is no curve.
        st.caption("No curve: too few accounts to cluster, so the types are firmographic tiers.")
    else:
        st.plotly_chart(k_choice_chart(types.selection, quality), key="k_chart")
        with st.expander("Separation and stability by number of types"):
            st.caption(
                "**Separation** (silhouette): how distinct the types are; above 0.25 is real "
                "structure, and the grey line is the same measure on random data. **Stability**: how "
                "often refits on resampled accounts agree; above 0.8 is stable."
            )
            st.plotly_chart(k_selection_chart(types.selection, quality), key="k_detail_chart")

with st.expander("Every segment (vertical × customer type)"):
    show(
        segments.profiles,
        ["vertical", "customer_type", "accounts", "customer_share", "median_employees",
         "median_revenue", "median_deal_size", "total_revenue"],
        key="profiles_table",
    )  # fmt: skip


def _set_fold() -> None:
    # Widget keys are dropped when a page is left: keep the setting under its own key.
    st.session_state["min_vertical_accounts"] = int(st.session_state["fold_accounts_input"])
    st.session_state["min_vertical_share"] = float(st.session_state["fold_share_input"]) / 100


with st.expander("Verticals and the industry labels behind them"):
    fold_left, fold_right = st.columns(2)
    fold_left.number_input(
        "Fold verticals with fewer accounts than this into Other",
        min_value=0,
        step=1,
        value=int(st.session_state["min_vertical_accounts"]),
        key="fold_accounts_input",
        on_change=_set_fold,
        help="0 keeps every vertical, however small.",
    )
    fold_right.number_input(
        "… or with a smaller share of accounts than this (%)",
        min_value=0.0,
        max_value=100.0,
        step=0.5,
        value=float(st.session_state["min_vertical_share"]) * 100,
        key="fold_share_input",
        on_change=_set_fold,
        help="0 keeps every vertical, however small.",
    )
    show(
        verticals.table,
        ["vertical", "accounts", "share", "confidence", "top_labels"],
        key="verticals_table",
    )
