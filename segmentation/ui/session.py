"""The user's session: the files in use, every setting with its default, and the resets.

The accounts export (or the sample), the deals and the rep roster are held in memory as
:class:`Upload` objects; :data:`SETTINGS` lists every setting a page can change. Nothing is
written to disk unless the user saves a plan (Plans page). The stages these feed are
:mod:`segmentation.ui.stages`; the page controls that change them, :mod:`segmentation.ui.edits`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from segmentation.errors import InputError
from segmentation.markdown import escape as md
from segmentation.playbook import Playbook, load_playbook
from segmentation.roster import read_roster

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SAMPLE_ACCOUNTS = DATA_DIR / "sample_accounts.csv"
SAMPLE_OPPORTUNITIES = DATA_DIR / "sample_opportunities.csv"

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

CACHE = {"scope": "session", "max_entries": 4, "ttl": "2h", "show_spinner": False}
"""How every per-session cache is bounded: scoped to the session, a few entries, two hours."""


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


def defaults() -> None:
    """Set every session default once, so pages can read settings without checks."""
    for name in SETTINGS:
        st.session_state.setdefault(name, setting_default(name))
    st.session_state.setdefault("_ready", [])
    st.session_state.setdefault("editor_version", 0)


def setting_default(name: str):
    """A fresh copy of one setting's default (lists and dicts are never shared with SETTINGS).

    Parameters
    ----------
    name : str
        A key of :data:`SETTINGS`.
    """
    value = SETTINGS[name]
    return type(value)(value) if isinstance(value, (dict, list)) else value


def _reset_file_settings() -> None:
    for name in _FILE_SETTINGS:
        st.session_state[name] = setting_default(name)
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


SEGMENT_SETTINGS: tuple[str, ...] = (
    "ignore",
    "features",
    "n_types",
    "seed",
    "vertical_renames",
    "vertical_merges",
    "min_vertical_accounts",
    "min_vertical_share",
)
"""The settings that decide the customer types and verticals: the segment stage runs on them, is
cached by them, and the run report records them (one list, so the three cannot drift apart)."""


def segment_settings() -> dict:
    """The segment stage's settings, copied out of the session (lists as tuples)."""
    out = {}
    for name in SEGMENT_SETTINGS:
        value = st.session_state[name]
        if isinstance(value, (list, dict)):
            value = tuple(value) if isinstance(value, list) else dict(value)
        out[name] = value
    return out


def settings() -> dict:
    """The user's settings, as the run report records them."""
    deals = opportunities_file()
    segment = {k: list(v) if isinstance(v, tuple) else v for k, v in segment_settings().items()}
    return {
        "overrides": dict(st.session_state["overrides"]),
        "ignore_columns": list(st.session_state["drop_columns"]),
        **segment,
        "roster": st.session_state["roster"] is not None,
        "opportunities": deals is not None,
        "opportunity_overrides": dict(st.session_state["opp_overrides"]),
        "units": {f: [m, None] for f, m in st.session_state["units"].items()},
        "status_values": dict(st.session_state["status_values"]),
    }


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


def reset_playbook() -> None:
    """Button callback: back to the shipped playbook."""
    st.session_state["playbook_values"] = {}
    st.session_state.pop("playbook_error", None)
    for rule_id in playbook_defaults().rules:
        st.session_state.pop(f"rule_{rule_id}", None)


def playbook_defaults() -> Playbook:
    """The shipped playbook, to tell the user's changes from the defaults."""
    return playbook_with(())


@st.cache_data(**CACHE)
def playbook_with(values: tuple) -> Playbook:
    """The shipped playbook with changed values (rule id, value pairs), cached per session."""
    return load_playbook(overrides=dict(values))


@st.cache_resource(show_spinner=False)
def _sample_upload(path: Path) -> Upload:
    # Shared by every session: the sample is no customer data, and an Upload is immutable.
    return Upload(path.name, path.read_bytes())
