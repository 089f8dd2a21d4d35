"""Saved plans: the store on SQLite and on a real PostgreSQL, the commands, compare, the Plans page.

The PostgreSQL server is started here (Debian's ``postgresql`` package: ``initdb`` and ``pg_ctl``
on a temporary folder and a free loopback port, as the ``postgres`` user when run as root) and
stopped at the end of the session; each test gets its own database.
"""

from __future__ import annotations

import glob
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from segmentation.cli import main
from segmentation.errors import InputError
from segmentation.store import (
    DERIVED,
    INPUT,
    PlanStore,
    StoredFile,
    compare_plans,
    plan_totals,
)
from segmentation.store.compare import COMPARE_COLUMNS
from tests.conftest import ROOT, SAMPLE_ACCOUNTS

# --- a real PostgreSQL, started by the tests ---------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL cluster on 127.0.0.1: its admin URL; stopped and deleted after."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("PostgreSQL is not installed: apt-get install -y postgresql (.ci/run does)")
    bindir = Path(found[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="segmentation-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root: the cluster belongs to the postgres user.
        shutil.chown(root, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
         "-E", "UTF8", "--no-sync"],
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*pg_ctl, "-l", str(root / "server.log"), "-w", "-t", "60", "-o", options, "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(postgres_server):
    """A fresh, empty database on the test server."""
    import psycopg

    name = f"plans_{uuid.uuid4().hex[:12]}"  # our own identifier, never user text
    admin = postgres_server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield f"{postgres_server}/{name}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """Each store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'plans.db'}"
    return request.getfixturevalue("pg_url")


# --- plans made up in the test ------------------------------------------------------------------

INJECTION = "Robert'); DROP TABLE plans; --"


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def _assignments(rows: list[tuple]) -> bytes:
    columns = ["account_id", "account_name", "team", "motion", "role", "rep"]
    frame = pd.DataFrame(rows, columns=columns)
    return _csv(frame)


def _teams(rows: list[tuple], columns=("team", "accounts", "headcount")) -> bytes:
    return _csv(pd.DataFrame(rows, columns=list(columns)))


def _plan_files(assignments: bytes, teams: bytes, extra: dict[str, bytes] | None = None):
    outputs = {"assignments.csv": assignments, "segments.csv": b"segment\nx\n", "teams.csv": teams}
    outputs.update(extra or {})
    outputs["report.json"] = b'{"version": "0"}\n'
    return [StoredFile(name, data) for name, data in outputs.items()]


SIMPLE = _plan_files(
    _assignments([("1", "Acme", "Field", "field", "farmer", "")]), _teams([("Field", 1, 2)])
)

# --- the store ----------------------------------------------------------------------------------


def test_round_trip_keeps_every_file_byte_identical(store_url):
    odd = {
        "hiring.csv": b"month,hires\n2027-01,3\n",  # a file a later version adds
        "binary.bin": bytes(range(256)) * 4096 + b"\x00",  # every byte value, 1 MB
        "empty.csv": b"",
        "bom.csv": '\ufeffnäme,€\r\n"a""b",\'=1\r\n'.encode("utf-8"),
    }
    files = _plan_files(
        _assignments([("1", INJECTION, "Field", "field", "farmer", "Ann")]),
        _teams([("Field", 1, 2.5)]),
        odd,
    )
    files += [
        StoredFile("accounts.csv", b"id,name\n1,x\n", INPUT, "accounts"),
        StoredFile("account_values.csv", b"value\n5\n", DERIVED),
    ]
    meta = {"mapping": {"account_name": INJECTION}, "settings": {"seed": 3}, "n": [1, None]}
    store = PlanStore(store_url)
    store.save(INJECTION, files, meta=meta, fingerprint="f" * 64)

    plan = PlanStore(store_url).get(INJECTION)
    assert [(f.name, f.role, f.kind, f.data) for f in plan.files] == [
        (f.name, f.role, f.kind, f.data) for f in files
    ]
    assert list(plan.outputs()) == [f.name for f in files if f.role == "output"]
    assert plan.meta == meta
    assert plan.inputs()["accounts"].data == b"id,name\n1,x\n"
    assert plan.summary.fingerprint == "f" * 64
    assert (plan.summary.accounts, plan.summary.reps) == (1, 2.5)
    assert [p.name for p in store.list()] == [INJECTION]


def test_a_name_is_saved_once_unless_replaced(store_url):
    store = PlanStore(store_url)
    store.save("Base", SIMPLE)
    with pytest.raises(InputError, match="already saved.*replace"):
        store.save("Base", SIMPLE)
    other = _plan_files(_assignments([("2", "Beta", "Inside", "inside", "hunter", "")]),
                        _teams([("Inside", 1, 1)]))  # fmt: skip
    store.save("Base", other, replace=True)
    assert [p.name for p in store.list()] == ["Base"]
    assert store.get("Base").outputs()["teams.csv"] == other[2].data


def test_two_tabs_saving_at_once_both_land(store_url):
    PlanStore(store_url).check()  # the tabs share a store that exists (the race is the save)
    names = [f"tab {i}" for i in range(4)]
    barrier, errors = threading.Barrier(len(names)), []

    def save(name):
        try:
            barrier.wait()
            PlanStore(store_url).save(name, SIMPLE)
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)

    threads = [threading.Thread(target=save, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(p.name for p in PlanStore(store_url).list()) == names


def test_two_tabs_creating_a_new_store_at_once_both_land(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    barrier, errors = threading.Barrier(3), []

    def save(name):
        try:
            barrier.wait()
            PlanStore(url).save(name, SIMPLE)
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=save, args=(f"p{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(PlanStore(url).list()) == 3


@pytest.mark.parametrize("interrupt_at", [1, 3, 5])  # plan_files inserts: first, middle, last
def test_a_save_interrupted_mid_way_leaves_no_plan(store_url, interrupt_at):
    store = PlanStore(store_url)
    store.save("Kept", SIMPLE)
    inserts = []

    def interrupt(connection, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO PLAN_FILES"):
            inserts.append(statement)
            if len(inserts) == interrupt_at:
                raise KeyboardInterrupt  # Ctrl-C, a killed worker, a closed tab

    engine = store._engine()
    files = SIMPLE + [StoredFile("accounts.csv", b"a", INPUT, "accounts")]
    assert len(files) == 5
    sa.event.listen(engine, "before_cursor_execute", interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            store.save("Half", files)
    finally:
        sa.event.remove(engine, "before_cursor_execute", interrupt)
    assert [p.name for p in store.list()] == ["Kept"]
    with pytest.raises(InputError, match="no plan named 'Half'"):
        store.get("Half")
    store.save("Half", files)  # the name is free: nothing of the interrupted save remains
    assert len(store.get("Half").files) == 5


KILLED_MID_SAVE = """
import os, signal, sys
import sqlalchemy as sa
from segmentation.store import PlanStore, StoredFile

store = PlanStore(sys.argv[1])
store.check()
inserts = []

def kill(connection, cursor, statement, parameters, context, executemany):
    if statement.lstrip().upper().startswith("INSERT INTO PLAN_FILES"):
        inserts.append(statement)
        if len(inserts) == 3:
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no rollback: the power goes

sa.event.listen(store._engine(), "before_cursor_execute", kill)
store.save("Killed", [StoredFile(f"f{i}.csv", os.urandom(200_000)) for i in range(5)])
"""


def test_a_process_killed_mid_save_leaves_no_plan(store_url):
    result = subprocess.run(
        [sys.executable, "-c", KILLED_MID_SAVE, store_url], cwd=ROOT, capture_output=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == -9, result.stderr.decode()[-2000:]
    store = PlanStore(store_url)
    assert store.list() == []
    store.save("Killed", SIMPLE)  # the name is free, the store usable
    assert [p.name for p in store.list()] == ["Killed"]


@pytest.mark.parametrize(
    "action", [lambda s: s.list(), lambda s: s.has("x"), lambda s: s.delete("x")]
)
def test_reading_a_sqlite_store_never_creates_it(tmp_path, action):
    path = tmp_path / "never.db"
    action(PlanStore(str(path)))
    with pytest.raises(InputError, match="holds no plans yet"):
        PlanStore(str(path)).get("x")
    assert not path.exists()


@pytest.mark.parametrize(
    "other, same",
    [
        ([("accounts", "renamed.csv", b"id\n1\n")], True),  # a renamed export is the same data
        ([("accounts", "a.csv", b"id\n2\n")], False),
        ([("accounts", "a.csv", b"id\n1\n"), ("roster", "r.csv", b"rep\n")], False),
        ([("opportunities", "a.csv", b"id\n1\n")], False),
    ],
)
def test_the_fingerprint_follows_the_input_contents(other, same):
    from segmentation.store import fingerprint

    base = fingerprint([StoredFile("a.csv", b"id\n1\n", INPUT, "accounts")])
    digest = fingerprint([StoredFile(name, data, INPUT, kind) for kind, name, data in other])
    assert (digest == base) is same


def test_a_new_sqlite_store_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "private.db"
    PlanStore(str(path)).save("Base", SIMPLE)
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg2", "postgresql+psycopg"])
def test_any_postgresql_url_uses_psycopg_3(scheme):
    store = PlanStore(f"{scheme}://ann:pw@db.example:5433/plans")
    assert store.label == "postgresql+psycopg://ann:***@db.example:5433/plans"


def test_the_migrated_schema_is_the_one_the_code_uses(store_url):
    from segmentation.store.connection import _script
    from segmentation.store.db import _metadata

    PlanStore(store_url).check()
    engine = sa.create_engine(store_url)
    try:
        inspector = sa.inspect(engine)
        for table in _metadata.tables.values():
            assert [c["name"] for c in inspector.get_columns(table.name)] == [
                c.name for c in table.columns
            ]
        with engine.connect() as connection:
            query = sa.text("SELECT version_num FROM alembic_version")
            version = connection.execute(query).scalar()
        assert version == _script().get_current_head()
    finally:
        engine.dispose()


def test_a_store_made_by_this_version_opens_in_the_next(tmp_path, monkeypatch):
    from segmentation.store import connection as store_connection

    url = f"sqlite:///{tmp_path / 'old.db'}"
    PlanStore(url).save("Base", SIMPLE, meta={"settings": {"seed": 1}})
    # The next version: this version's migrations plus one that adds a column.
    nxt = tmp_path / "migrations"
    shutil.copytree(store_connection.MIGRATIONS, nxt, ignore=shutil.ignore_patterns("__pycache__"))
    (nxt / "versions" / "0002_next.py").write_text(
        'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "0002"\n'
        'down_revision = "0001"\nbranch_labels = None\ndepends_on = None\n\n\n'
        "def upgrade():\n    op.add_column('plans', sa.Column('note', sa.Text))\n"
    )
    monkeypatch.setattr(store_connection, "MIGRATIONS", nxt)
    monkeypatch.setattr(store_connection, "_SCRIPT", None)
    plan = PlanStore(url).get("Base")  # opening upgrades it, in place
    assert [(f.name, f.data) for f in plan.files] == [(f.name, f.data) for f in SIMPLE]
    assert plan.meta == {"settings": {"seed": 1}}
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            query = sa.text("SELECT version_num FROM alembic_version")
            assert connection.execute(query).scalar() == "0002"
        assert "note" in [c["name"] for c in sa.inspect(engine).get_columns("plans")]
    finally:
        engine.dispose()
        store_connection._SCRIPT = None  # the real migrations again for the next tests


def test_a_store_from_a_newer_version_is_refused_with_a_message(tmp_path):
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    PlanStore(url).save("Base", SIMPLE)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(InputError, match="newer version of segmentation"):
        PlanStore(url).list()


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        ("x" * 201, "at most 200"),
        ("two\nlines", "control characters"),
    ],
)
def test_bad_plan_names_are_refused(tmp_path, name, message):
    with pytest.raises(InputError, match=message):
        PlanStore(str(tmp_path / "p.db")).save(name, SIMPLE)
    assert not (tmp_path / "p.db").exists()


@pytest.mark.parametrize(
    "columns, row, expected",
    [
        (("team", "accounts", "headcount"), ("A", 10, 2), (10, 2.0, None, None)),
        (("team", "accounts", "headcount", "cost", "bookings"), ("A", 10, 2, 300.0, 900.0),
         (10, 2.0, 300.0, 900.0)),
        (("team", "segments"), ("A", "x"), (None, None, None, None)),
    ],
)  # fmt: skip
def test_plan_totals_read_teams_csv_whatever_columns_it_has(columns, row, expected):
    totals = plan_totals({"teams.csv": _teams([row, row], columns)})
    doubled = tuple(None if v is None else v * 2 for v in expected)
    assert (totals["accounts"], totals["reps"], totals["cost"], totals["bookings"]) == doubled


# --- compare ------------------------------------------------------------------------------------

A_ROWS = [
    ("1", "Acme", "Field", "field", "farmer", "Ann"),
    ("2", "Beta", "Field", "field", "farmer", "Ann"),
    ("3", "Gamma", "Inside", "inside", "hunter", "Bob"),
    ("4", "Delta", "Inside", "inside", "hunter", "Bob"),
]
B_ROWS = [
    ("1", "Acme", "Field", "field", "farmer", "Ann"),  # unchanged
    ("2", "Beta", "Inside", "inside", "hunter", "Bob"),  # team, motion, role and rep move
    ("3", "Gamma", "Inside", "inside", "hunter", "Cy"),  # rep only
    ("5", "Epsilon", "Field", "field", "farmer", "Ann"),  # new; Delta gone
]


def _stored(url, name, rows, teams, values=None):
    extra = []
    if values is not None:
        extra = [StoredFile("account_values.csv", _csv(pd.DataFrame({"value": values})), DERIVED)]
    PlanStore(url).save(name, _plan_files(_assignments(rows), teams) + extra)
    return PlanStore(url).get(name)


@pytest.mark.parametrize(
    "columns, a_team, b_team, expected_total",
    [
        # Before the headcount model: cost and bookings are unknown, never zero.
        (("team", "accounts", "headcount"), [("Field", 2, 2), ("Inside", 2, 1)],
         [("Field", 2, 1), ("Inside", 2, 2), ("Pod", 0, 1)],
         {"headcount_a": 3.0, "headcount_b": 4.0, "headcount_diff": 1.0, "cost_a": None,
          "cost_diff": None, "bookings_b": None}),
        (("team", "accounts", "headcount", "cost", "bookings"),
         [("Field", 2, 2, 200.0, 1000.0), ("Inside", 2, 1, 80.0, 300.0)],
         [("Field", 2, 1, 100.0, 600.0), ("Inside", 2, 2, 160.0, 500.0)],
         {"headcount_diff": 0.0, "cost_a": 280.0, "cost_b": 260.0, "cost_diff": -20.0,
          "bookings_diff": -200.0}),
    ],
)  # fmt: skip
def test_compare_lists_moved_accounts_and_the_balance_per_team(
    tmp_path, columns, a_team, b_team, expected_total
):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    a = _stored(url, "A", A_ROWS, _teams(a_team, columns), values=[10.0, 20.0, 30.0, 40.0])
    b = _stored(url, "B", B_ROWS, _teams(b_team, columns), values=[10.0, 20.0, 30.0, 50.0])
    result = compare_plans(a, b)
    files = result.files()
    moves = pd.read_csv(io.BytesIO(files["compare.csv"]), dtype=str, keep_default_na=False)
    assert list(moves.columns) == list(COMPARE_COLUMNS)
    by_id = moves.set_index("account_id")
    assert sorted(by_id.index) == ["2", "3", "4", "5"]  # Acme did not move
    assert by_id.loc["2", ["team_a", "team_b", "rep_a", "rep_b", "change"]].tolist() == [
        "Field", "Inside", "Ann", "Bob", "moved"
    ]  # fmt: skip
    assert by_id.loc["3", ["team_a", "team_b", "rep_b"]].tolist() == ["Inside", "Inside", "Cy"]
    assert by_id.loc["4", ["team_b", "change"]].tolist() == ["", "only in A"]
    assert by_id.loc["5", ["team_a", "change", "value"]].tolist() == ["", "only in B", "50.0"]
    assert moves["account_id"].tolist()[0] == "5"  # largest value first

    report = json.loads(files["compare.json"])
    assert report["accounts"] == {"moved": 2, "only_in_a": 1, "only_in_b": 1, "value_moved": 140.0}
    assert {k: report["total"][k] for k in expected_total} == expected_total
    teams = {row["team"]: row for row in report["teams"]}
    assert teams["Field"]["accounts_out"] == 1 and teams["Inside"]["accounts_in"] == 1
    reps = {row["rep"]: row for row in report["reps"]}
    assert reps["Ann"] == {"rep": "Ann", "accounts_a": 2, "accounts_b": 2, "kept": 1,
                           "moved_in": 1, "moved_out": 1}  # fmt: skip
    assert reps["Cy"]["moved_in"] == 1 and reps["Bob"]["moved_out"] == 2


def test_compare_unguards_and_reguards_spreadsheet_formulas(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    rows = [("'=1+1", '\'=HYPERLINK("x")', "Field", "field", "farmer", "")]
    moved = [("'=1+1", '\'=HYPERLINK("x")', "Inside", "inside", "hunter", "")]
    team = _teams([("Field", 1, 1)])
    result = compare_plans(_stored(url, "A", rows, team), _stored(url, "B", moved, team))
    text = result.files()["compare.csv"].decode()
    assert '"\'=HYPERLINK(""x"")"' in text and "''=" not in text


# --- the command line ---------------------------------------------------------------------------


def _cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_run_save_then_show_plans_and_compare(store_url, tmp_path, capsys):
    out = tmp_path / "run"
    code, printed, err = _cli(capsys, "run", SAMPLE_ACCOUNTS, "--out", out, "--save", "Base",
                              "--store", store_url)  # fmt: skip
    assert code == 0, err
    assert "saved plan 'Base'" in printed

    code, _, err = _cli(capsys, "run", SAMPLE_ACCOUNTS, "--out", out, "--save", "Base",
                        "--store", store_url)  # fmt: skip
    assert code == 2 and err.startswith("error:") and "--replace" in err and err.count("\n") == 1

    shown = tmp_path / "shown"
    assert _cli(capsys, "show", "Base", "--store", store_url, "--out", shown)[0] == 0
    written = sorted(p.name for p in out.iterdir())
    assert sorted(p.name for p in shown.iterdir()) == written
    for name in written:  # every file, and the manifest, byte for byte
        assert (shown / name).read_bytes() == (out / name).read_bytes(), name

    code, printed, _ = _cli(capsys, "plans", "--store", store_url, "--json")
    listed = json.loads(printed)
    assert [p["name"] for p in listed] == ["Base"]
    assert listed[0]["accounts"] == 2000 and listed[0]["fingerprint"]
    code, printed, _ = _cli(capsys, "plans", "--store", store_url)
    header = ["name", "created", "(UTC)", "accounts", "reps", "cost"]
    assert printed.splitlines()[0].split() == header

    code, printed, _ = _cli(capsys, "compare", "Base", "Base", "--store", store_url,
                            "--out", tmp_path / "cmp")  # fmt: skip
    assert code == 0 and "0 accounts change" in printed
    assert json.loads((tmp_path / "cmp" / "compare.json").read_bytes())["accounts"]["moved"] == 0


@pytest.mark.parametrize(
    "store, check",
    [
        ("mysql://user@host/db", "sqlite:///plans.db"),
        ("://nothing", "postgresql+psycopg://"),
        ("postgresql+psycopg://ann:s3cret@127.0.0.1:{port}/plans", "PostgreSQL is running"),
        ("{tmp}/missing-folder/plans.db", "folder"),
        ("{tmp}/not-a-database.db", "plans database"),
    ],
)
def test_a_store_that_fails_is_one_error_line_saying_what_to_check(tmp_path, capsys, store, check):
    (tmp_path / "not-a-database.db").write_bytes(b"this is no database, just text" * 100)
    url = store.format(tmp=tmp_path, port=_free_port())
    code, out, err = _cli(capsys, "run", SAMPLE_ACCOUNTS, "--out", tmp_path / "o", "--save", "X",
                          "--store", url)  # fmt: skip
    assert code == 2 and out == ""
    assert err.startswith("error:") and err.count("\n") == 1 and "Traceback" not in err
    assert check in err
    assert "s3cret" not in err  # a password never reaches the terminal
    assert not (tmp_path / "o").exists()  # checked before the run: nothing written


def test_listing_or_showing_creates_no_store(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEGMENTATION_STORE", raising=False)
    assert _cli(capsys, "plans")[0] == 0
    code, _, err = _cli(capsys, "show", "Base", "--out", tmp_path / "x")
    assert code == 2 and "no plan named 'Base'" in err
    assert list(tmp_path.iterdir()) == []


# --- the app ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("fresh_caches", "warm_engine")
def test_plans_page_saves_opens_from_the_url_and_compares(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    db = tmp_path / "app.db"
    monkeypatch.setenv("SEGMENTATION_STORE", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    assert not db.exists()  # the privacy promise: starting the app writes nothing

    at.switch_page("app_pages/plans.py").run()
    assert not db.exists() and not at.exception
    at.text_input(key="plan_name").input("Baseline")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert at.query_params["plan"] == ["Baseline"] or at.query_params["plan"] == "Baseline"

    at.session_state["seed"] = 7
    at.session_state["playbook_values"] = {"quota_field": 900000.0}
    at.text_input(key="plan_name").input(INJECTION)
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert {m.label for m in at.metric} >= {"Accounts that move", "Reps, B − A"}
    assert [d.label for d in at.get("download_button")] == ["compare.csv", "compare.json"]

    # A colleague opens the link: a new session restores the plan's settings and playbook.
    other = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    other.query_params["plan"] = INJECTION
    other.run()
    assert not other.exception
    assert other.session_state["opened_plan"] == INJECTION
    assert other.session_state["seed"] == 7
    assert other.session_state["playbook_values"] == {"quota_field": 900000.0}

    # New data in that session: the plan is closed, so a refresh won't bring it back over it.
    wholesale = (ROOT / "tests" / "fixtures" / "real" / "wholesale.csv").read_bytes()
    other.file_uploader(key="accounts_upload").set_value(("w.csv", wholesale, "text/csv")).run()
    assert not other.exception
    assert "plan" not in other.query_params
    assert "opened_plan" not in other.session_state


@pytest.mark.usefixtures("fresh_caches", "warm_engine")
def test_a_failing_store_keeps_the_plan_in_memory_and_says_so(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SEGMENTATION_STORE", f"postgresql+psycopg://x@127.0.0.1:{_free_port()}/p")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["plan"] = "Shared"
    at.run()
    assert not at.exception
    at.switch_page("app_pages/plans.py").run()
    errors = " ".join(e.value for e in at.error)
    assert "Could not open the plan 'Shared'" in errors and "PostgreSQL is running" in errors
    at.text_input(key="plan_name").input("Mine")
    at.get("form_submit_button")[0].click()
    at.run()
    errors = " ".join(e.value for e in at.error)
    assert "Saving failed" in errors and "plan in memory is kept" in errors
