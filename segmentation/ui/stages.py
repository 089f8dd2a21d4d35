"""The pipeline's stages in the app, cached per session: where the engine meets streamlit.

Results are cached per session (``scope="session"``), keyed on the SHA-256 of the uploaded bytes
and the parameters, and bounded: one user never sees another's accounts, and a rerun that
changes nothing is instant. The files and settings the keys are made of are
:mod:`segmentation.ui.session`.

The pipeline runs in three cached stages, each keyed on everything it depends on:

=========  ==========================================================================
stage      key
=========  ==========================================================================
load       file digest and name, mapping overrides, dropped columns, deals digest, units, status values
segment    load key + features left out or added, number of types, seed, vertical renames/merges,
           the fold of small verticals into Other
plan       segment key + playbook changes + roster digest
=========  ==========================================================================

so a playbook change re-runs only the plan, never the clustering.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import streamlit as st

from segmentation.errors import InputError
from segmentation.ingest import read_table
from segmentation.markdown import escape as md
from segmentation.opportunity_columns import map_opportunity_columns
from segmentation.pipeline import (
    LoadedAccounts,
    Segmentation,
    TeamPlan,
    load_accounts,
    plan_teams,
    preview_territories,
    segment_accounts,
)
from segmentation.playbook import Playbook
from segmentation.roster import read_roster
from segmentation.run_result import Run
from segmentation.territories import TerritoryResult
from segmentation.ui.session import (
    CACHE,
    accounts_file,
    customised,
    opportunities_file,
    playbook_with,
    roster_file,
    segment_settings,
    settings,
    undo_all,
)
from segmentation.verticals import VerticalResult, assign_verticals

log = logging.getLogger(__name__)

# The stages' results are kept as live objects (cache_resource), not pickled copies (cache_data):
# at 100k accounts a playbook change spent 0.25 s pickling the new plan and unpickling the load
# and segment results a dozen times. Pages and the engine only read them. Session-scoped
# resources also go when the browser tab disconnects, with the customer data in them.
_STAGE_CACHE = st.cache_resource(**CACHE)
_STAGES = ("load", "segment", "plan")
_STAGE_LABELS = {
    "load": "Reading and cleaning {accounts} accounts",
    "segment": "Finding verticals and customer types",
    "plan": "Planning coverage and headcount",
}


class Stop(Exception):
    """A stage could not run: the message is for the user."""


# --- stage keys -----------------------------------------------------------------------------


def _load_key() -> tuple:
    upload, deals = accounts_file(), opportunities_file()
    return (
        upload.digest,
        upload.name,
        tuple(sorted(st.session_state["overrides"].items())),
        tuple(st.session_state["drop_columns"]),
        deals.digest if deals else None,
        tuple(sorted(st.session_state["opp_overrides"].items())),
        tuple(sorted(st.session_state["units"].items())),
        tuple(sorted(st.session_state["status_values"].items())),
    )


def _segment_key() -> tuple:
    # Order-free: the same columns or renames in another order are the same segmentation.
    return (
        _load_key(),
        *(
            tuple(sorted(v.items() if isinstance(v, dict) else v))
            if isinstance(v, (dict, tuple))
            else v
            for v in segment_settings().values()
        ),
    )


def _plan_key() -> tuple:
    roster = roster_file()
    return (
        _segment_key(),
        tuple(sorted(st.session_state["playbook_values"].items())),
        roster.digest if roster is not None else None,
    )


# --- stages ---------------------------------------------------------------------------------


def prepare(upto: str = "plan") -> None:
    """Run the stages a page needs; on a first run show them in a status box with progress.

    Stops the page with a plain message when a stage fails (never a traceback), offering to
    undo the settings that may have caused it.
    """
    wanted = _STAGES[: _STAGES.index(upto) + 1]
    keys = {"load": _load_key, "segment": _segment_key, "plan": _plan_key}
    ready = st.session_state["_ready"]
    pending = [s for s in wanted if repr(keys[s]()) not in ready]
    if not pending:
        return
    stage_fns = {"load": _stage_load, "segment": _stage_segment, "plan": _stage_plan}
    failure = None
    slot = st.empty()  # the status box goes once the work is done
    with slot.status("Preparing your plan…", expanded=True) as status:
        bar = st.progress(0.0)
        for i, stage in enumerate(wanted):
            label = _STAGE_LABELS[stage].format(accounts=_accounts_word())
            status.update(label=label + "…")
            bar.progress(i / len(wanted), text=f"Step {i + 1} of {len(wanted)}: {label}…")
            try:
                stage_fns[stage]()
            except Stop as stop:
                failure = str(stop)
                status.update(
                    label=f"Stopped while {label[0].lower() + label[1:]}",
                    state="error",
                    expanded=False,
                )
                break
            ready.append(repr(keys[stage]()))
        else:
            bar.progress(1.0, text="Done")
            status.update(label="Ready", state="complete", expanded=False)
    if failure is None:
        slot.empty()
    del ready[:-24]  # bounded: only recent keys matter
    if failure is not None:
        _stop(failure)


def _stop(message: str) -> None:
    st.error(md(message))
    if customised():
        st.button(
            "Undo my changes (mapping, segments, playbook)", key="undo_all", on_click=undo_all
        )
    st.stop()


def _accounts_word() -> str:
    rows = st.session_state.get("_loaded_rows")
    if rows and rows[0] == accounts_file().digest:
        return f"{rows[1]:,}"
    return "the"


def _page_safe(function):
    """Public stage getters stop the page with a plain message instead of raising."""

    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Stop as stop:
            _stop(str(stop))

    wrapper.__doc__ = function.__doc__
    wrapper.__name__ = function.__name__
    return wrapper


def _stage_load() -> LoadedAccounts:
    upload, deals = accounts_file(), opportunities_file()
    result = _guard(
        "reading the file",
        _load,
        _load_key(),
        _data=upload.data,
        _name=upload.name,
        _deals=deals,
        _drop=tuple(st.session_state["drop_columns"]),
        _overrides=dict(st.session_state["overrides"]),
        _opp_overrides=dict(st.session_state["opp_overrides"]),
        _units=dict(st.session_state["units"]),
        _status=dict(st.session_state["status_values"]),
    )
    st.session_state["_loaded_rows"] = (upload.digest, len(result.accounts))
    return result


def _stage_segment() -> Segmentation:
    source = _stage_load()
    return _guard(
        "finding customer types",
        _segment,
        _segment_key(),
        _loaded=source,
        _settings=segment_settings(),
    )


def _stage_playbook() -> Playbook:
    return _guard(
        "reading the playbook",
        playbook_with,
        tuple(sorted(st.session_state["playbook_values"].items())),
    )


def _stage_plan() -> TeamPlan:
    source, segments, rules = _stage_load(), _stage_segment(), _stage_playbook()
    return _guard(
        "planning coverage",
        _plan,
        _plan_key(),
        _loaded=source,
        _segmentation=segments,
        _rules=rules,
        _roster=roster_file(),
        _seed=st.session_state["seed"],
    )


@_page_safe
def loaded() -> LoadedAccounts:
    """The current export, read, mapped and cleaned."""
    return _stage_load()


@_page_safe
def segmentation() -> Segmentation:
    """Verticals, customer types and profiles for the current export and settings."""
    return _stage_segment()


@_page_safe
def playbook() -> Playbook:
    """The shipped playbook with the user's changes applied."""
    return _stage_playbook()


@_page_safe
def team_plan() -> TeamPlan:
    """The team plan; recomputed from the playbook without re-clustering."""
    return _stage_plan()


@_page_safe
def base_verticals() -> VerticalResult:
    """The verticals before the user's renames and merges (what the vertical editor lists)."""
    fold = (st.session_state["min_vertical_accounts"], st.session_state["min_vertical_share"])
    return _guard(
        "finding verticals", _base_verticals, (_load_key(), fold), _loaded=_stage_load(), _fold=fold
    )


@_page_safe
def territories() -> tuple[TerritoryResult, bool]:
    """Rep territories: from the roster, or a preview with placeholder reps (``preview=True``)."""
    plan = _stage_plan()
    if plan.territories is not None:
        return plan.territories, False
    preview = _guard(
        "drawing territories",
        _preview,
        _plan_key(),
        _team_plan=plan,
        _seed=st.session_state["seed"],
    )
    return preview, True


def current_run() -> Run:
    """Everything the current settings produce, as one run (the same object the CLI writes)."""
    return Run(loaded(), segmentation(), team_plan(), playbook(), settings())


def _guard(what: str, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except InputError as error:
        raise Stop(str(error)) from None
    except Exception as error:  # a bug of ours: the log says where, the user a plain sentence
        # Frames, not the message: an exception's text can quote customer values.
        frames = traceback.extract_tb(error.__traceback__)[-6:]
        where = " <- ".join(
            f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames)
        )
        log.error("stage failed while %s: %s at %s", what, type(error).__name__, where)
        raise Stop(
            f"Something went wrong while {what}. Nothing was lost: change a setting or upload "
            "the file again; if it persists, send the server log to the maintainers."
        ) from None


# --- cached computations (keyed on the hashed arguments; underscore arguments are not hashed) ---


@_STAGE_CACHE
def _load(
    key: tuple,
    *,
    _data: bytes,
    _name: str,
    _deals,
    _drop: tuple,
    _overrides: dict,
    _opp_overrides: dict | None = None,
    _units: dict | None = None,
    _status: dict | None = None,
) -> LoadedAccounts:
    return load_accounts(
        _data,
        name=_name,
        overrides=_overrides,
        ignore=_drop,
        opportunities=_deals.data if _deals else None,
        opportunities_name=_deals.name if _deals else None,
        opportunity_overrides=_opp_overrides or None,
        units={f: (m, None) for f, m in (_units or {}).items()},
        status_values=_status or None,
    )


@st.cache_data(**CACHE)
def _deal_columns(digest: str, *, _data: bytes, _name: str) -> tuple[list[str], dict] | None:
    # The opportunities editor needs the headers even when the load stage fails on them (no
    # amount column found): read them here, once per file.
    try:
        deals, _ = read_table(_data, name=_name)
    except InputError:
        return None  # the load stage says why
    columns = [str(c) for c in deals.columns]
    return columns, map_opportunity_columns(columns, None, deals)


def deal_columns() -> tuple[list[str], dict] | None:
    """The opportunities file's columns and their detected mapping (``None`` without a file)."""
    deals = opportunities_file()
    if deals is None:
        return None
    return _deal_columns(deals.digest, _data=deals.data, _name=deals.name)


@_STAGE_CACHE
def _segment(key: tuple, *, _loaded: LoadedAccounts, _settings: dict) -> Segmentation:
    return segment_accounts(
        _loaded,
        n_types=_settings["n_types"],
        ignore=_settings["ignore"],
        features=_settings["features"],
        seed=_settings["seed"],
        vertical_renames=_settings["vertical_renames"] or None,
        vertical_merges=_settings["vertical_merges"] or None,
        min_vertical_accounts=_settings["min_vertical_accounts"],
        min_vertical_share=_settings["min_vertical_share"],
    )


@_STAGE_CACHE
def _base_verticals(key: tuple, *, _loaded: LoadedAccounts, _fold: tuple) -> VerticalResult:
    accounts = _loaded.accounts
    industry = accounts["industry"] if "industry" in _loaded.mapping.columns else None
    return assign_verticals(
        industry, index=accounts.index, min_accounts=_fold[0], min_share=_fold[1]
    )


@_STAGE_CACHE
def _plan(key: tuple, *, _loaded, _segmentation, _rules, _roster, _seed) -> TeamPlan:
    roster = read_roster(_roster.data) if _roster is not None else None
    return plan_teams(_loaded, _segmentation, _rules, roster, seed=_seed)


@_STAGE_CACHE
def _preview(key: tuple, *, _team_plan: TeamPlan, _seed: int) -> TerritoryResult:
    return preview_territories(_team_plan, seed=_seed)
