"""Session state and caching for the app: the only place the engine meets streamlit.

Results are cached per session (``scope="session"``), keyed on the SHA-256 of the uploaded bytes
and the parameters, and bounded: one user never sees another's accounts, and a rerun that
changes nothing is instant. Nothing is written to disk.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from segmentation.errors import InputError
from segmentation.pipeline import (
    LoadedAccounts,
    Run,
    Segmentation,
    TeamPlan,
    load_accounts,
    plan_teams,
    segment_accounts,
)
from segmentation.playbook import Playbook, load_playbook
from segmentation.territories import read_roster

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SAMPLE_ACCOUNTS = DATA_DIR / "sample_accounts.csv"
SAMPLE_OPPORTUNITIES = DATA_DIR / "sample_opportunities.csv"

KEY_RULES: tuple[str, ...] = (
    "motion_digital_max",
    "motion_field_min",
    "large_company_employees",
    "farmer_customer_share_min",
    "hunter_prospect_share_min",
    "generalist_team_max",
    "pod_min_reps",
    "selling_hours_per_rep",
    "quota_field",
    "quota_inside",
    "attainment",
    "ramping_share",
)
"""The playbook values shown first on the Team plan page; the rest sit in an expander."""

_CACHE = {"scope": "session", "max_entries": 4, "ttl": "2h", "show_spinner": False}


@dataclass(frozen=True)
class Upload:
    """A file the user gave us (or the sample), held in memory."""

    name: str
    data: bytes

    @property
    def digest(self) -> str:
        """SHA-256 of the content: the cache key."""
        return hashlib.sha256(self.data).hexdigest()


def defaults() -> None:
    """Set every session default once, so pages can read settings without checks."""
    st.session_state.setdefault("overrides", {})
    st.session_state.setdefault("ignore", [])
    st.session_state.setdefault("n_types", None)
    st.session_state.setdefault("seed", 0)
    st.session_state.setdefault("playbook_values", {})
    st.session_state.setdefault("roster", None)


def accounts_file() -> Upload:
    """The accounts export in use: the user's upload, or the sample."""
    upload = st.session_state.get("accounts_file")
    if upload is None:
        return Upload(SAMPLE_ACCOUNTS.name, _sample_bytes(SAMPLE_ACCOUNTS))
    return upload


def opportunities_file() -> Upload | None:
    """The deals export in use: the user's, the sample's with the sample accounts, or none."""
    if "opportunities_file" in st.session_state:
        return st.session_state["opportunities_file"]
    if st.session_state.get("accounts_file") is None:
        return Upload(SAMPLE_OPPORTUNITIES.name, _sample_bytes(SAMPLE_OPPORTUNITIES))
    return None


def use_opportunities_file(name: str | None, data: bytes | None) -> None:
    """Use a deals export with the accounts (``None`` to go without)."""
    st.session_state["opportunities_file"] = None if data is None else Upload(name, data)


def use_accounts_file(name: str, data: bytes) -> None:
    """Switch to a new accounts export, resetting settings tied to the old file's columns."""
    st.session_state["accounts_file"] = Upload(name, data)
    st.session_state.pop("opportunities_file", None)
    st.session_state["overrides"] = {}
    st.session_state["ignore"] = []


def use_sample() -> None:
    """Go back to the sample accounts."""
    st.session_state.pop("accounts_file", None)
    st.session_state.pop("opportunities_file", None)
    st.session_state["overrides"] = {}
    st.session_state["ignore"] = []


def loaded() -> LoadedAccounts:
    """The current export, read, mapped and cleaned; stops the page with a message on bad input."""
    upload, deals = accounts_file(), opportunities_file()
    return _or_stop(
        _load,
        upload.digest,
        upload.name,
        tuple(sorted(st.session_state["overrides"].items())),
        tuple(st.session_state["ignore"]),
        deals.digest if deals else None,
        _data=upload.data,
        _deals=deals,
    )


def segmentation() -> Segmentation:
    """Verticals, customer types and profiles for the current export and settings."""
    upload, deals = accounts_file(), opportunities_file()
    return _or_stop(
        _segment,
        upload.digest,
        upload.name,
        tuple(sorted(st.session_state["overrides"].items())),
        tuple(st.session_state["ignore"]),
        deals.digest if deals else None,
        st.session_state["n_types"],
        st.session_state["seed"],
        _data=upload.data,
        _deals=deals,
    )


def playbook() -> Playbook:
    """The shipped playbook with the user's changes applied."""
    return _or_stop(_playbook, tuple(sorted(st.session_state["playbook_values"].items())))


def rule_input(column, rule) -> float:
    """A number input for one playbook rule, its source in the help text."""
    label = f"{rule.label} ({rule.unit})" if rule.unit else rule.label
    return column.number_input(
        label,
        value=float(rule.value),
        key=f"rule_{rule.id}",
        help=f"Source: {rule.source} (confidence {rule.confidence})",
        format="%g",
    )


def playbook_defaults() -> dict[str, float]:
    """The shipped playbook's values, to tell the user's changes from the defaults."""
    return {rid: rule.value for rid, rule in _playbook(()).rules.items()}


def current_run() -> Run:
    """Everything the current settings produce, as one run (the same object the CLI writes)."""
    settings = {
        "overrides": dict(st.session_state["overrides"]),
        "ignore": list(st.session_state["ignore"]),
        "n_types": st.session_state["n_types"],
        "seed": st.session_state["seed"],
        "roster": st.session_state["roster"] is not None,
    }
    return Run(loaded(), segmentation(), team_plan(), playbook(), settings)


def team_plan() -> TeamPlan:
    """The team plan; recomputed from the playbook without re-clustering."""
    source, segments, rules = loaded(), segmentation(), playbook()
    roster = st.session_state["roster"]
    deals = opportunities_file()
    return _or_stop(
        _plan,
        accounts_file().digest,
        deals.digest if deals else None,
        tuple(sorted(st.session_state["overrides"].items())),
        tuple(st.session_state["ignore"]),
        st.session_state["n_types"],
        st.session_state["seed"],
        tuple(sorted(st.session_state["playbook_values"].items())),
        roster.digest if roster is not None else None,
        _loaded=source,
        _segmentation=segments,
        _rules=rules,
        _roster=roster,
    )


def _or_stop(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except InputError as error:
        st.error(str(error))
        st.stop()


@st.cache_data(**_CACHE)
def _sample_bytes(path: Path) -> bytes:
    return path.read_bytes()


@st.cache_data(**_CACHE)
def _load(
    digest: str,
    name: str,
    overrides: tuple,
    ignore: tuple,
    deals_digest: str | None,
    *,
    _data: bytes,
    _deals: Upload | None,
) -> LoadedAccounts:
    return load_accounts(
        _data,
        name=name,
        overrides=dict(overrides),
        ignore=ignore,
        opportunities=_deals.data if _deals else None,
        opportunities_name=_deals.name if _deals else None,
    )


@st.cache_data(**_CACHE)
def _segment(
    digest: str,
    name: str,
    overrides: tuple,
    ignore: tuple,
    deals_digest: str | None,
    n_types,
    seed: int,
    *,
    _data: bytes,
    _deals: Upload | None,
) -> Segmentation:
    source = _load(digest, name, overrides, ignore, deals_digest, _data=_data, _deals=_deals)
    return segment_accounts(source, n_types=n_types, ignore=ignore, seed=seed)


@st.cache_data(**_CACHE)
def _playbook(values: tuple) -> Playbook:
    return load_playbook(overrides=dict(values))


@st.cache_data(**_CACHE)
def _plan(
    digest: str,
    deals_digest: str | None,
    overrides: tuple,
    ignore: tuple,
    n_types,
    seed: int,
    values: tuple,
    roster_digest,
    *,
    _loaded: LoadedAccounts,
    _segmentation: Segmentation,
    _rules: Playbook,
    _roster: Upload | None,
) -> TeamPlan:
    # The hashed arguments key the cache; the objects come from the (cached) earlier stages.
    roster = read_roster(_roster.data) if _roster is not None else None
    return plan_teams(_loaded, _segmentation, _rules, roster, seed=seed)


def frame_for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Round floats for reading; the engine keeps full precision."""
    floats = frame.select_dtypes("float").columns
    return frame.assign(**{c: frame[c].round(2) for c in floats})
