"""Session state and caching for the app: the only place the engine meets streamlit.

Results are cached per session (``scope="session"``), keyed on the SHA-256 of the uploaded bytes
and the parameters, and bounded: one user never sees another's accounts, and a rerun that
changes nothing is instant. Nothing is written to disk unless the user saves a plan (Plans page).

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

import hashlib
import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from segmentation.clustering import feature_label
from segmentation.errors import InputError
from segmentation.ingest import read_table
from segmentation.markdown import escape as md
from segmentation.opportunities import map_opportunity_columns
from segmentation.pipeline import (
    LoadedAccounts,
    Segmentation,
    TeamPlan,
    load_accounts,
    plan_teams,
    preview_territories,
    segment_accounts,
)
from segmentation.playbook import Playbook, load_playbook
from segmentation.roster import read_roster
from segmentation.run_result import Run
from segmentation.territories import TerritoryResult
from segmentation.ui import controls
from segmentation.verticals import VerticalResult, assign_verticals

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SAMPLE_ACCOUNTS = DATA_DIR / "sample_accounts.csv"
SAMPLE_OPPORTUNITIES = DATA_DIR / "sample_opportunities.csv"

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

SETTINGS: dict[str, object] = {
    "overrides": {},  # canonical field -> source column (load)
    "drop_columns": [],  # source columns kept out of mapping and features (load)
    "units": {},  # money field -> multiplier set by the user (load)
    "status_values": {},  # status value as written -> status set by the user (load)
    "ignore": [],  # features left out of customer types (segment)
    "features": [],  # offered numeric columns switched on for customer types (segment)
    "n_types": None,  # None: chosen from the data (segment)
    "seed": 0,
    "vertical_renames": {},  # vertical -> display name (segment)
    "vertical_merges": {},  # vertical -> vertical it joins (segment)
    "min_vertical_accounts": 20,  # smaller verticals fold into Other (segment)
    "min_vertical_share": 0.02,  # so do verticals under this share of accounts (segment)
    "playbook_values": {},  # rule id -> value, only where changed (plan)
    "roster": None,  # Upload (plan)
    "opp_overrides": {},  # opportunity field -> deals column, None = unmapped (load)
}
"""Every setting a page can change, with its default."""

_FILE_SETTINGS = (
    "overrides",
    "drop_columns",
    "units",
    "status_values",
    "ignore",
    "features",
    "n_types",
    "vertical_renames",
    "vertical_merges",
    "opp_overrides",
)
"""Settings that belong to one accounts file and reset when the file changes."""

_CACHE = {"scope": "session", "max_entries": 4, "ttl": "2h", "show_spinner": False}
# The stages' results are kept as live objects (cache_resource), not pickled copies (cache_data):
# at 100k accounts a playbook change spent 0.25 s pickling the new plan and unpickling the load
# and segment results a dozen times. Pages and the engine only read them. Session-scoped
# resources also go when the browser tab disconnects, with the customer data in them.
_STAGE_CACHE = st.cache_resource(**_CACHE)
_STAGES = ("load", "segment", "plan")
_STAGE_LABELS = {
    "load": "Reading and cleaning {accounts} accounts",
    "segment": "Finding verticals and customer types",
    "plan": "Planning coverage and headcount",
}


class Stop(Exception):
    """A stage could not run: the message is for the user."""


@dataclass(frozen=True)
class Upload:
    """A file the user gave us (or the sample), held in memory, with its SHA-256 ``digest``."""

    name: str
    data: bytes
    digest: str = field(init=False, repr=False, compare=False)
    """SHA-256 of the content: the cache key."""

    def __post_init__(self):
        # Hashed once: a rerun reads the stage keys a dozen times or more, and hashing a 19 MB
        # export each time cost 0.55 s of a playbook change at 100k accounts.
        object.__setattr__(self, "digest", hashlib.sha256(self.data).hexdigest())


# --- settings -------------------------------------------------------------------------------


def defaults() -> None:
    """Set every session default once, so pages can read settings without checks."""
    for name, value in SETTINGS.items():
        st.session_state.setdefault(name, _copy(value))
    st.session_state.setdefault("_ready", [])
    st.session_state.setdefault("editor_version", 0)


def _copy(value):
    return type(value)(value) if isinstance(value, (dict, list)) else value


def _reset_file_settings() -> None:
    for name in _FILE_SETTINGS:
        st.session_state[name] = _copy(SETTINGS[name])
    st.session_state["editor_version"] += 1


def accounts_file() -> Upload:
    """The accounts export in use: the user's upload, or the sample."""
    upload = st.session_state.get("accounts_file")
    if upload is None:
        return _sample_upload(SAMPLE_ACCOUNTS)
    return upload


def using_sample() -> bool:
    """Whether the sample accounts are in use."""
    return st.session_state.get("accounts_file") is None


def opportunities_file() -> Upload | None:
    """The deals export in use: the user's, the sample's with the sample accounts, or none."""
    if "opportunities_file" in st.session_state:
        return st.session_state["opportunities_file"]
    if using_sample():
        return _sample_upload(SAMPLE_OPPORTUNITIES)
    return None


def roster_file() -> Upload | None:
    """The rep roster in use, or none."""
    return st.session_state["roster"]


def use_accounts_file(name: str, data: bytes) -> None:
    """Switch to a new accounts export, resetting settings tied to the old file's columns."""
    st.session_state["accounts_file"] = Upload(name, data)
    st.session_state.pop("opportunities_file", None)
    _reset_file_settings()


def use_sample() -> None:
    """Go back to the sample accounts (with the sample's opportunities)."""
    st.session_state.pop("accounts_file", None)
    st.session_state.pop("opportunities_file", None)
    _reset_file_settings()


def use_opportunities_file(name: str | None, data: bytes | None) -> None:
    """Use a deals export with the accounts (``None`` to go without)."""
    st.session_state["opportunities_file"] = None if data is None else Upload(name, data)
    # Column choices belong to the old file's headers.
    st.session_state["opp_overrides"] = {}
    st.session_state["editor_version"] = st.session_state.get("editor_version", 0) + 1


def use_roster(name: str | None, data: bytes | None) -> None:
    """Use a rep roster (``None`` to go without); raises InputError when it can't be read."""
    if data is None:
        st.session_state["roster"] = None
        return
    reps = read_roster(data)  # fail here, on the page that took the file
    st.session_state["roster"] = Upload(name, data)
    st.session_state["roster_reps"] = len(reps)


def take_upload(widget_key: str, current: Upload | None, use) -> None:
    """Adopt the file in an uploader widget when it differs from the one in use.

    Errors reading it are shown under the uploader; the previous file stays in use.
    """
    upload = st.session_state.get(widget_key)
    if upload is None:
        return
    data = upload.getvalue()
    if current is not None and current.name == upload.name and current.data == data:
        return
    try:
        use(upload.name, data)
    except InputError as error:
        st.error(md(f"{upload.name}: {error}"))


def settings() -> dict:
    """The user's settings, as the run report records them."""
    deals = opportunities_file()
    return {
        "overrides": dict(st.session_state["overrides"]),
        "ignore_columns": list(st.session_state["drop_columns"]),
        "ignore": list(st.session_state["ignore"]),
        "features": list(st.session_state["features"]),
        "n_types": st.session_state["n_types"],
        "seed": st.session_state["seed"],
        "vertical_renames": dict(st.session_state["vertical_renames"]),
        "vertical_merges": dict(st.session_state["vertical_merges"]),
        "min_vertical_accounts": st.session_state["min_vertical_accounts"],
        "min_vertical_share": st.session_state["min_vertical_share"],
        "roster": st.session_state["roster"] is not None,
        "opportunities": deals is not None,
        "opportunity_overrides": dict(st.session_state["opp_overrides"]),
        "units": {f: [m, None] for f, m in st.session_state["units"].items()},
        "status_values": dict(st.session_state["status_values"]),
    }


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
    return (
        _load_key(),
        tuple(sorted(st.session_state["ignore"])),
        tuple(sorted(st.session_state["features"])),
        st.session_state["n_types"],
        st.session_state["seed"],
        tuple(sorted(st.session_state["vertical_renames"].items())),
        tuple(sorted(st.session_state["vertical_merges"].items())),
        st.session_state["min_vertical_accounts"],
        st.session_state["min_vertical_share"],
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


def customised() -> bool:
    """Whether any setting differs from its default (besides the files)."""
    return any(
        st.session_state[name] != SETTINGS[name] for name in (*_FILE_SETTINGS, "playbook_values")
    )


def undo_all() -> None:
    """Button callback: every setting back to its default; the files stay."""
    _reset_file_settings()
    reset_playbook()
    for key in ("auto_k", "k_input", "features_in", "segments_error", "mapping_error",
                "opp_mapping_error"):  # fmt: skip
        st.session_state.pop(key, None)


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
        _settings={
            "ignore": tuple(st.session_state["ignore"]),
            "features": tuple(st.session_state["features"]),
            "n_types": st.session_state["n_types"],
            "seed": st.session_state["seed"],
            "vertical_renames": dict(st.session_state["vertical_renames"]),
            "vertical_merges": dict(st.session_state["vertical_merges"]),
            "min_vertical_accounts": st.session_state["min_vertical_accounts"],
            "min_vertical_share": st.session_state["min_vertical_share"],
        },
    )


def _stage_playbook() -> Playbook:
    return _guard(
        "reading the playbook",
        _playbook,
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


def playbook_defaults() -> Playbook:
    """The shipped playbook, to tell the user's changes from the defaults."""
    return _playbook(())


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


@st.cache_resource(show_spinner=False)
def _sample_upload(path: Path) -> Upload:
    # Shared by every session: the sample is no customer data, and an Upload is immutable.
    return Upload(path.name, path.read_bytes())


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


@st.cache_data(**_CACHE)
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


@st.cache_data(**_CACHE)
def _playbook(values: tuple) -> Playbook:
    return load_playbook(overrides=dict(values))


@_STAGE_CACHE
def _plan(key: tuple, *, _loaded, _segmentation, _rules, _roster, _seed) -> TeamPlan:
    roster = read_roster(_roster.data) if _roster is not None else None
    return plan_teams(_loaded, _segmentation, _rules, roster, seed=_seed)


@_STAGE_CACHE
def _preview(key: tuple, *, _team_plan: TeamPlan, _seed: int) -> TerritoryResult:
    return preview_territories(_team_plan, seed=_seed)


# --- control callbacks (run before the page script, so the page draws the new state) ---------


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


UNIT_CHOICES: dict[str, float | None] = {
    "as detected": None,
    "as written (x1)": 1.0,
    "thousands (x1,000)": 1e3,
    "millions (x1,000,000)": 1e6,
    "billions (x1,000,000,000)": 1e9,
}
"""The scale control's choices on the Data page: label → multiplier (None: what was detected)."""


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


def reset_mapping() -> None:
    """Button callback: back to the detected mapping."""
    was = dict(st.session_state["overrides"])
    _forget_choices_for(lambda f: f in was)
    st.session_state["overrides"] = {}
    st.session_state["drop_columns"] = []
    st.session_state.pop("mapping_error", None)
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
        st.session_state[name] = _copy(SETTINGS[name])
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


def reset_playbook() -> None:
    """Button callback: back to the shipped playbook."""
    st.session_state["playbook_values"] = {}
    st.session_state.pop("playbook_error", None)
    for rule_id in playbook_defaults().rules:
        st.session_state.pop(f"rule_{rule_id}", None)


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
