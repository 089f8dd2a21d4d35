"""Plans: save the current plan, reopen a saved one, compare any two side by side."""

import pandas as pd
import streamlit as st

from segmentation.errors import InputError
from segmentation.markdown import escape as md
from segmentation.ui import plans, stages
from segmentation.ui.tables import show

st.title("Plans")
st.caption(
    "Save the plan you are working on, reopen it later, or compare two plans: which accounts "
    "move, and what each team's headcount and cost become. Nothing is written until you press "
    "Save; a saved plan keeps its files (accounts, deals, roster) in this server's plan store. "
    "A plan you open stays open after a refresh, and its link (`?plan=NAME`) opens it for a "
    "colleague on the same server."
)

error = st.session_state.pop("plan_error", None)
if error:
    st.error(md(error))
opened = st.session_state.get(plans.OPENED)
if opened:
    st.info(f"Open plan: **{md(opened)}**. Changes you make are not saved until you save again.")

st.subheader("Save the current plan")
with st.form("save_plan", border=True):
    name = st.text_input("Plan name", value=opened or "", max_chars=200, key="plan_name",
                         placeholder="e.g. FY27 baseline")  # fmt: skip
    replace = st.checkbox("Replace a saved plan of the same name", key="plan_replace")
    submitted = st.form_submit_button("Save", type="primary", icon=":material/save:")
if submitted:
    stages.prepare("plan")
    try:
        saved = plans.save_current(name, replace=replace)
    except InputError as failure:
        st.error(md(plans.failure("Saving", failure)))
    else:
        st.success(f"Saved **{md(saved.name)}**: {saved.accounts or 0:,} accounts, "
                   f"{saved.reps or 0:,.0f} reps.")  # fmt: skip

try:
    saved_plans = plans.saved_plans()
except InputError as failure:
    st.error(md(plans.failure("Reading the saved plans", failure)))
    st.stop()

st.subheader("Saved plans")
if not saved_plans:
    st.info("No saved plans yet.")
    st.stop()

listing = pd.DataFrame([p.to_dict() for p in saved_plans])
listing["created"] = listing["created"].str.replace("T", " ").str.replace("+00:00", " UTC")
show(listing, ["name", "created", "accounts", "reps", "cost", "bookings"], key="plans_table")
names = [p.name for p in saved_plans]
left, right = st.columns([3, 1], vertical_alignment="bottom")
chosen = left.selectbox("Plan", names, index=len(names) - 1, key="plan_to_open")
if right.button("Open", icon=":material/folder_open:", key="open_plan"):
    try:
        plans.open_plan(chosen)
    except InputError as failure:
        st.error(md(plans.failure("Opening", failure)))
    else:
        st.rerun()

st.subheader("Compare two plans")
if len(names) < 2:
    st.info("Save a second plan to compare it with the first.")
    st.stop()
col_a, col_b = st.columns(2)
plan_a = col_a.selectbox("Plan A (baseline)", names, index=len(names) - 2, key="compare_a")
plan_b = col_b.selectbox("Plan B", names, index=len(names) - 1, key="compare_b")
try:
    by_name = {p.name: p for p in saved_plans}
    comparison = plans.compare(by_name[plan_a], by_name[plan_b])
except InputError as failure:
    st.error(md(plans.failure("Comparing", failure)))
    st.stop()

counts = comparison.counts
cols = st.columns(4)
cols[0].metric("Accounts that move", f"{counts['moved']:,}")
cols[1].metric("Only in A", f"{counts['only_in_a']:,}")
cols[2].metric("Only in B", f"{counts['only_in_b']:,}")
total = comparison.total
cols[3].metric(
    "Reps, B − A",
    "n/a" if total["headcount_diff"] is None else f"{total['headcount_diff']:+,.0f}",
)

st.markdown("**Balance per team** (± is B − A)")
st.dataframe(plans.balance_table(comparison), hide_index=True, key="compare_balance",
             width="stretch")  # fmt: skip
if comparison.teams[["headcount_diff", "cost_diff"]].fillna(0).eq(0).all().all():
    st.caption("Every team has the same reps and cost in both plans.")
else:
    st.plotly_chart(plans.difference_chart(comparison), key="compare_chart")

st.markdown("**Accounts that move** (largest value first)")
show(comparison.moves.head(500), key="compare_moves")
if len(comparison.moves) > 500:
    st.caption(f"The first 500 of {len(comparison.moves):,}; compare.csv has them all.")

st.markdown("**Disruption per rep**")
if comparison.reps.empty:
    st.caption(
        "Neither plan names reps (no roster): the balance table counts the accounts that move "
        "in and out of each team."
    )
else:
    show(comparison.reps, key="compare_reps")

files = comparison.files()
down = st.columns(2)
down[0].download_button("compare.csv", files["compare.csv"], file_name="compare.csv",
                        mime="text/csv", on_click="ignore", icon=":material/download:",
                        key="download_compare_csv")  # fmt: skip
down[1].download_button("compare.json", files["compare.json"], file_name="compare.json",
                        mime="application/json", on_click="ignore", icon=":material/download:",
                        key="download_compare_json")  # fmt: skip
