"""Segments: customer types and verticals, how strong the structure is, and what sets each apart."""

import streamlit as st

from segmentation import charts
from segmentation.ui import state

st.title("Segments")
loaded = state.loaded()
with st.spinner("Finding verticals and customer types…"):
    segments = state.segmentation()
types, verticals = segments.types, segments.verticals
quality = types.quality
colors = charts.type_colors(types.table["customer_type"])

cols = st.columns(4)
cols[0].metric("Accounts", f"{len(loaded.accounts):,}")
cols[1].metric("Customer types", int(quality["k"]))
cols[2].metric("Verticals", len(verticals.table))
cols[3].metric("Structure", str(quality["verdict"]).capitalize())
verdict_box = {"strong": st.success, "moderate": st.info, "weak": st.warning}
verdict_box.get(quality["verdict"], st.info)(quality["message"])
for note in verticals.warnings:
    st.caption(note)

with st.form("segment_controls"):
    left, right = st.columns(2)
    auto = left.checkbox(
        "Choose the number of customer types from the data",
        value=st.session_state["n_types"] is None,
        key="auto_k",
    )
    k = right.number_input(
        "Number of customer types",
        min_value=2,
        max_value=12,
        value=int(st.session_state["n_types"] or quality["k"]),
        key="k_input",
    )
    if st.form_submit_button("Update segments"):
        st.session_state["n_types"] = None if auto else int(k)
        st.rerun()

st.subheader("Customer types × verticals")
size = st.radio(
    "Size tiles by", ["accounts", "total_revenue"], horizontal=True, key="treemap_size",
    format_func={"accounts": "Accounts", "total_revenue": "Annual revenue"}.get,
)
st.plotly_chart(charts.segment_treemap(segments.profiles, colors, size=size), key="treemap")

left, right = st.columns(2)
with left:
    st.subheader("Customer types")
    st.dataframe(state.frame_for_display(types.table), hide_index=True)
with right:
    st.subheader("Map of accounts")
    st.plotly_chart(charts.customer_type_map(types.embedding, colors), key="type_map")

st.subheader("What sets each customer type apart")
for row in segments.explanations.itertuples(index=False):
    with st.container(border=True):
        st.markdown(f"**{row.customer_type}**")
        for sentence in row.distinguishing:
            st.markdown(f"- {sentence}")
        st.markdown(f"Rule: {row.sentence}  \n`{row.rule}` — fits {row.fidelity:.0%} of the type")

st.subheader("How many customer types?")
st.caption(
    "Silhouette: how well separated the types are (above 0.25 is real structure). Stability: how "
    "often refits on resampled data agree (above 0.8 is stable)."
)
st.plotly_chart(charts.k_selection_chart(types.selection), key="k_chart")

st.subheader("Verticals")
st.dataframe(verticals.table, hide_index=True)
