"""Shared fixtures: paths to the sample data, small real-format exports, and the sample's runs.

The sample's pipeline runs and CLI output folders are built once per session (each takes seconds)
and shared by every test that reads them. They are read-only by contract: each fixture checks
after every test that the test left them as it found them, so a test that needs to change one
must work on a copy (``copy.deepcopy(run)``, ``shutil.copytree(folder, tmp_path / ...)``).
"""

import copy
import hashlib
import io
import os
import pickle
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

# Property tests draw a fixed, derandomized set of examples, so the suite gives the same answer
# on every run and every worker (a test in test_ingest found a real bug only on some runs).
# `HYPOTHESIS_PROFILE=explore` draws fresh examples: what it finds becomes an @example.
settings.register_profile("suite", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_ACCOUNTS = ROOT / "data" / "sample_accounts.csv"
SAMPLE_OPPORTUNITIES = ROOT / "data" / "sample_opportunities.csv"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def sample_accounts() -> Path:
    return SAMPLE_ACCOUNTS


@pytest.fixture(scope="session")
def sample_opportunities() -> Path:
    return SAMPLE_OPPORTUNITIES


# --- the sample's runs, built once ------------------------------------------------------------


class _ContentPickler(pickle.Pickler):
    # A DataFrame pickles its block layout too, and merely reading a frame (a groupby) can
    # consolidate its blocks: frames are pickled column by column, so only content counts.
    def reducer_override(self, obj):
        if isinstance(obj, pd.DataFrame):
            return list, ([(name, obj.iloc[:, i]) for i, name in enumerate(obj.columns)],)
        return NotImplemented


def _run_fingerprint(run) -> str:
    # Everything a run holds, pickled: any change a test makes to it changes the digest.
    buffer = io.BytesIO()
    _ContentPickler(buffer).dump(run)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def _folder_fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _unchanged(shared, fingerprint, what: str):
    before = fingerprint(shared)
    yield shared
    assert fingerprint(shared) == before, (
        f"this test changed the shared {what}: work on a copy (see tests/conftest.py)"
    )


@pytest.fixture(scope="session")
def _sample_runs() -> dict:
    return {}  # filled on first use: a worker that never needs a run never pays for it


def _shared_run(runs: dict, with_opportunities: bool):
    from segmentation.pipeline import run

    if with_opportunities not in runs:
        deals = SAMPLE_OPPORTUNITIES if with_opportunities else None
        runs[with_opportunities] = run(SAMPLE_ACCOUNTS, opportunities=deals)
    return runs[with_opportunities]


@pytest.fixture
def sample_run(_sample_runs):
    """``pipeline.run`` on the sample accounts and opportunities (shared: read, never change)."""
    shared = _shared_run(_sample_runs, with_opportunities=True)
    yield from _unchanged(shared, _run_fingerprint, "sample run")


@pytest.fixture
def sample_run_accounts_only(_sample_runs):
    """``pipeline.run`` on the sample accounts alone (shared: read, never change)."""
    shared = _shared_run(_sample_runs, with_opportunities=False)
    yield from _unchanged(shared, _run_fingerprint, "sample run")


def _cli_run(folder: Path, *args: str) -> Path:
    from segmentation.cli import main

    assert main(["run", str(SAMPLE_ACCOUNTS), *args, "--out", str(folder)]) == 0
    return folder


@pytest.fixture(scope="session")
def _sample_cli_outs() -> dict:
    return {}  # filled on first use: a session that needs no CLI folder runs no CLI


@pytest.fixture
def sample_cli_out(_sample_cli_outs, tmp_path_factory):
    """The folder ``segmentation run SAMPLE --out`` wrote (shared: read, never change)."""
    if "accounts only" not in _sample_cli_outs:
        _sample_cli_outs["accounts only"] = _cli_run(tmp_path_factory.mktemp("sample-cli"))
    yield from _unchanged(_sample_cli_outs["accounts only"], _folder_fingerprint, "CLI output")


@pytest.fixture
def sample_cli_out_with_opportunities(_sample_cli_outs, tmp_path_factory):
    """The folder of ``segmentation run SAMPLE --opportunities DEALS --out`` (shared: read only)."""
    if "with opportunities" not in _sample_cli_outs:
        _sample_cli_outs["with opportunities"] = _cli_run(
            tmp_path_factory.mktemp("sample-cli-deals"),
            "--opportunities",
            str(SAMPLE_OPPORTUNITIES),
        )
    yield from _unchanged(_sample_cli_outs["with opportunities"], _folder_fingerprint, "CLI output")


# --- the app --------------------------------------------------------------------------------


@pytest.fixture
def fresh_caches():
    """Streamlit's caches empty before and after an app test (no result leaks between tests)."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


APP_STAGES = ("load_accounts", "segment_accounts", "plan_teams", "preview_territories")
"""The engine calls behind the app's cached stages (names in ``segmentation.ui.stages``)."""


class _Unkeyed(Exception):
    """An argument the stage memo cannot key on: the stage runs for real."""


class _StageMemo:
    """The app's engine stages, each run once per session for a given input.

    Every AppTest session starts on the sample and re-ran load, segment and plan (about 2 s)
    before the test's own steps. Here the first call with a given input runs the engine on a
    private copy of the arguments; every call (that one included) gets its own deep copy of the
    result, so no test or session ever holds an object another one saw. A stage result passed
    back in (the loaded accounts into ``segment_accounts``) keys as the result it copies.
    """

    def __init__(self, results: dict):
        self.results = results  # key -> the result the engine returned, never handed out
        self.handed: dict[int, tuple] = {}  # id(copy) -> (key, original, copy): one test's

    def _key(self, value):
        if id(value) in self.handed:
            return ("stage", self.handed[id(value)][0])
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        if isinstance(value, (bytes, bytearray)):
            return ("bytes", hashlib.sha256(value).hexdigest())
        if isinstance(value, (list, tuple)):
            return (type(value).__name__, tuple(self._key(v) for v in value))
        if isinstance(value, dict):
            return ("dict", tuple(sorted((repr(k), self._key(v)) for k, v in value.items())))
        try:  # a playbook, a roster frame: by content
            return (type(value).__name__, hashlib.sha256(pickle.dumps(value)).hexdigest())
        except Exception as error:
            raise _Unkeyed from error

    def wrap(self, name: str, engine):
        def stage(*args, **kwargs):
            try:
                key = (name, self._key(args), self._key(kwargs))
            except _Unkeyed:
                return engine(*args, **kwargs)
            # The copies passed in stand for the originals they were made from, both ways: the
            # engine gets the originals, and the copy of its result refers to these copies.
            passed = [self.handed[id(v)] for v in (*args, *kwargs.values()) if id(v) in self.handed]
            to_originals = {id(mine): original for _, original, mine in passed}
            to_copies = {id(original): mine for _, original, mine in passed}
            if key not in self.results:
                own_args, own_kwargs = copy.deepcopy((args, kwargs), to_originals)
                self.results[key] = engine(*own_args, **own_kwargs)
            original = self.results[key]
            mine = copy.deepcopy(original, to_copies)
            self.handed[id(mine)] = (key, original, mine)
            return mine

        stage.__name__ = name
        return stage


@pytest.fixture(scope="session")
def _stage_results() -> dict:
    return {}


@pytest.fixture
def warm_engine(monkeypatch, _stage_results):
    """The app's engine stages memoised for the session (see :class:`_StageMemo`).

    Streamlit's own caches stay per session and are emptied by ``fresh_caches``: the app still
    decides when a stage runs (a test counting the calls sees the app's calls); only the
    engine's work for an input seen before is skipped.
    """
    from segmentation.ui import stages

    memo = _StageMemo(_stage_results)
    for name in APP_STAGES:
        monkeypatch.setattr(stages, name, memo.wrap(name, getattr(stages, name)))
    yield memo


# --- files ----------------------------------------------------------------------------------


def rewrite_member(data: bytes, member: str, change) -> bytes:
    """A copy of a zip (an .xlsx) with one member's bytes passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            content = source.read(name)
            archive.writestr(name, change(content) if name == member else content)
    return out.getvalue()


def shared_string_bomb(text_length: int, rows: int) -> bytes:
    """A small workbook whose every cell points at one shared string of ``text_length`` chars."""
    import pandas as pd

    from segmentation.export import excel_workbook

    frame = pd.DataFrame({"Account Name": ["x"] * rows, "Industry": ["x"] * rows})
    long_text = b"A" * text_length
    return rewrite_member(
        excel_workbook({"S": frame}),
        "xl/sharedStrings.xml",
        lambda xml: xml.replace(b"<t>x</t>", b"<t>" + long_text + b"</t>"),
    )
