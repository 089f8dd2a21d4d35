"""Saved plans in the app: save the plan in memory, open a saved one, compare two.

The store is the server's (``$SEGMENTATION_STORE``, else ``segmentation-plans.db`` in the
folder the app runs in), never chosen in the browser. Nothing touches it until the user saves
or opens a plan: the app's start creates no file. A plan opened here is named in the URL
(``?plan=NAME``), so a refresh reopens it and the link shares it with a colleague on the same
server.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import streamlit as st

from segmentation.errors import InputError
from segmentation.store import (
    DERIVED,
    OUTPUT,
    Comparison,
    PlanStore,
    PlanSummary,
    StoredPlan,
    compare_plans,
    plan_files_from_run,
)
from segmentation.store.plans import input_file
from segmentation.ui import session, stages

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

OPENED = "opened_plan"
"""Session key: the name of the plan the session opened or saved last."""

_APP_SETTINGS = tuple(name for name in session.SETTINGS if name != "roster")
"""The settings a plan restores; the roster is restored from its stored file."""

_CLI_SETTINGS = {
    "overrides": "overrides",
    "ignore": "ignore",
    "n_types": "n_types",
    "seed": "seed",
    "min_vertical_accounts": "min_vertical_accounts",
    "min_vertical_share": "min_vertical_share",
    "opportunity_overrides": "opp_overrides",
}
"""A plan saved by ``run --save``: its settings (report names) → the app's settings."""


def store() -> PlanStore:
    """The server's plan store (see the module docstring)."""
    return PlanStore()


def save_current(name: str, *, replace: bool = False) -> PlanSummary:
    """Save the plan in memory: its files, its inputs and every setting to restore it.

    Parameters
    ----------
    name : str
    replace : bool
        Replace a saved plan of that name.

    Returns
    -------
    PlanSummary

    Raises
    ------
    InputError
        A taken or invalid name, or a store that fails; the plan in memory is untouched.
    """
    run = stages.current_run()
    inputs = [input_file("accounts", session.accounts_file().data, session.accounts_file().name)]
    deals, roster = session.opportunities_file(), session.roster_file()
    if deals is not None:
        inputs.append(input_file("opportunities", deals.data, deals.name))
    if roster is not None:
        inputs.append(input_file("roster", roster.data, roster.name))
    app = {
        "settings": {name_: st.session_state[name_] for name_ in _APP_SETTINGS},
        "sample": session.using_sample(),
        "opportunities": deals is not None,
    }
    files, meta, digest = plan_files_from_run(run, inputs, app=app)
    summary = store().save(name, files, meta=meta, fingerprint=digest, replace=replace)
    _mark_opened(summary.name)
    return summary


def open_plan(name: str) -> StoredPlan:
    """Restore a saved plan's data, mapping, settings and playbook into this session.

    Parameters
    ----------
    name : str

    Returns
    -------
    StoredPlan

    Raises
    ------
    InputError
        No such plan, or the store fails (the session is then unchanged).
    """
    plan = store().get(name)  # read first: a failure leaves the session as it was
    inputs = plan.inputs()
    app = plan.meta.get("app") or {}
    accounts = inputs.get("accounts")
    if app.get("sample") or accounts is None:
        session.use_sample()
    else:
        session.use_accounts_file(accounts.name, accounts.data)
    deals = inputs.get("opportunities")
    if deals is not None and not app.get("sample"):
        session.use_opportunities_file(deals.name, deals.data)
    elif deals is None:
        session.use_opportunities_file(None, None)
    roster = inputs.get("roster")
    if roster is not None:
        session.use_roster(roster.name, roster.data)
    else:
        session.use_roster(None, None)
    if app.get("settings"):
        for key, value in app["settings"].items():
            if key in _APP_SETTINGS:
                st.session_state[key] = value
    else:
        settings = plan.meta.get("settings") or {}
        for cli_name, key in _CLI_SETTINGS.items():
            if cli_name in settings:
                st.session_state[key] = settings[cli_name]
        # `run --ignore` keeps a column out of both the mapping and the features.
        st.session_state["drop_columns"] = list(settings.get("ignore") or [])
    for key in ("auto_k", "k_input", "features_in", "segments_error", "mapping_error",
                "opp_mapping_error"):  # fmt: skip
        st.session_state.pop(key, None)  # widgets' own state would override the plan's
    session.reset_playbook()  # drops the playbook inputs' own state, so they show the plan's
    st.session_state["playbook_values"] = dict(plan.meta.get("playbook_values") or {})
    st.session_state["editor_version"] = st.session_state.get("editor_version", 0) + 1
    _mark_opened(plan.name)
    return plan


def compare(a: PlanSummary, b: PlanSummary) -> Comparison:
    """Compare two saved plans (B against A), once per pair of saves in this session.

    Parameters
    ----------
    a, b : PlanSummary
        From :func:`saved_plans`: a plan replaced since has another created time.

    Returns
    -------
    Comparison

    Raises
    ------
    InputError
        A plan is missing or the store fails.
    """
    # Every widget on the page reruns it: without this, each click read both plans again
    # (65 MB each at 100k accounts, with their input files).
    key = (a.name, a.created, b.name, b.created)
    cached = st.session_state.get("_comparison")
    if cached is not None and cached[0] == key:
        return cached[1]
    saved, roles = store(), (OUTPUT, DERIVED)
    result = compare_plans(saved.get(a.name, roles), saved.get(b.name, roles))
    st.session_state["_comparison"] = (key, result)
    return result


def saved_plans() -> list[PlanSummary]:
    """The saved plans, oldest first (an empty list when none was ever saved)."""
    return store().list()


def follow_url() -> None:
    """Open the plan named in the URL (``?plan=NAME``) once, and keep the opened plan's name there.

    Called on every rerun from ``app.py``: a refresh or a shared link reopens the plan; a store
    failure is kept for the Plans page to show, and the session keeps what it had.
    """
    wanted = st.query_params.get("plan")
    opened = st.session_state.get(OPENED)
    if wanted and wanted != opened and st.session_state.get("_plan_from_url") != wanted:
        st.session_state["_plan_from_url"] = wanted  # tried once per name, not on every rerun
        try:
            open_plan(wanted)
        except InputError as error:
            message = f"Could not open the plan {wanted!r} from the link: {error}"
            st.session_state["plan_error"] = message
        return
    if close_if_data_changed():
        return
    if opened and not wanted:
        # Moving between pages drops query parameters: put the name back for refresh and links.
        st.query_params["plan"] = opened


def close_if_data_changed() -> bool:
    """Close the opened plan when the accounts file in use is no longer the plan's.

    Called before and after the page runs (``app.py``): an upload on the Data page closes the
    plan in the same rerun, so a refresh never brings the plan back over the user's new file.

    Returns
    -------
    bool
        Whether a plan was closed.
    """
    opened = st.session_state.get(OPENED)
    if not opened or st.session_state.get("_opened_digest") == session.accounts_file().digest:
        return False
    st.session_state.pop(OPENED, None)
    st.query_params.pop("plan", None)
    return True


def _mark_opened(name: str) -> None:
    st.session_state[OPENED] = name
    st.session_state["_opened_digest"] = session.accounts_file().digest
    st.session_state["_plan_from_url"] = name
    st.query_params["plan"] = name


def failure(action: str, error: Exception) -> str:
    """The message for a store failure: what failed and that the plan in memory is kept."""
    return f"{action} failed: {error} Your plan in memory is kept."


def balance_table(comparison: Comparison) -> pd.DataFrame:
    """The side-by-side balance per team, with a ± column per measure and a total row.

    Parameters
    ----------
    comparison : Comparison

    Returns
    -------
    pandas.DataFrame
        ``Team``, then for each measure a plan has (accounts, reps, cost, bookings) the A and B
        values and ``±``; columns no plan has are left out.
    """
    import pandas as pd

    teams = comparison.teams
    total = {"team": "Total", **comparison.total}
    total["accounts_in"] = int(teams["accounts_in"].sum())
    total["accounts_out"] = int(teams["accounts_out"].sum())
    frame = pd.concat([teams, pd.DataFrame([total])], ignore_index=True)
    labels = {"accounts": "Accounts", "headcount": "Reps", "cost": "Cost", "bookings": "Bookings"}
    out = pd.DataFrame({"Team": frame["team"].astype("str")})
    for measure, label in labels.items():
        if frame[[f"{measure}_a", f"{measure}_b"]].isna().all().all():
            continue  # neither plan has it (cost and bookings before the headcount model)
        out[f"{label} A"] = frame[f"{measure}_a"]
        out[f"{label} B"] = frame[f"{measure}_b"]
        out[f"{label} ±"] = frame[f"{measure}_diff"]
    out["Accounts in"] = frame["accounts_in"]
    out["Accounts out"] = frame["accounts_out"]
    return out


def difference_chart(comparison: Comparison):
    """Bars of the headcount (and cost, when both plans have it) difference per team, B − A."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    teams = comparison.teams
    has_cost = comparison.total.get("cost_diff") is not None
    columns = 2 if has_cost else 1
    titles = ["Reps, B − A"] + (["Cost, B − A"] if has_cost else [])
    fig = make_subplots(rows=1, cols=columns, subplot_titles=titles, horizontal_spacing=0.25)
    measures = ["headcount"] + (["cost"] if has_cost else [])
    for column, measure in enumerate(measures, start=1):
        values = teams[f"{measure}_diff"].fillna(0.0)
        colors = ["#2e7d32" if v < 0 else "#c62828" if v > 0 else "#9e9e9e" for v in values]
        fig.add_trace(
            go.Bar(x=values, y=teams["team"].astype("str"), orientation="h",
                   marker_color=colors, name=titles[column - 1], showlegend=False),
            row=1, col=column,
        )  # fmt: skip
    fig.update_layout(
        height=max(260, 34 * len(teams) + 90), margin={"l": 10, "r": 10, "t": 40, "b": 10}
    )
    fig.update_yaxes(autorange="reversed")
    return fig
