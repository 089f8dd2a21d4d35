"""The plan store: SQLAlchemy 2 over SQLite (default) or PostgreSQL (psycopg 3).

A plan is one row in ``plans`` and its files in ``plan_files``, each stored as the exact bytes
(outputs as the run wrote them, the input files, derived tables), so ``show`` writes back
byte-identical files whatever columns or files a later version adds. The schema is versioned
with Alembic; opening a store made by an earlier version upgrades it.

Nothing is written until :meth:`PlanStore.save`: listing or reading a SQLite store that does not
exist creates no file. Every value goes in as a bound parameter. Which database, its engine and
its migrations are :mod:`segmentation.store.connection`.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import exc

from segmentation import __version__
from segmentation.errors import InputError
from segmentation.json_report import jsonable
from segmentation.store.connection import (
    NoStore,
    bad_url,
    create_private,
    engine_for,
    migrate,
    store_url,
)

NAME_MAX = 200

OUTPUT, INPUT, DERIVED = "output", "input", "derived"
"""File roles: what the run wrote (``show`` writes these back), what it read, and tables the
store keeps for compare (e.g. each account's value)."""

_metadata = sa.MetaData()
plans = sa.Table(
    "plans",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(NAME_MAX), nullable=False, unique=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("accounts", sa.Integer),
    sa.Column("reps", sa.Float),
    sa.Column("cost", sa.Float),
    sa.Column("bookings", sa.Float),
    sa.Column("app_version", sa.String(40)),
    sa.Column("meta", sa.JSON, nullable=False),
)
plan_files = sa.Table(
    "plan_files",
    _metadata,
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(32)),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.PrimaryKeyConstraint("plan_id", "role", "name"),
)
"""The tables as the latest migration leaves them (the migrations are the source of truth)."""


@dataclass(frozen=True)
class StoredFile:
    """One file of a plan: its name, role, kind (``accounts``, ``opportunities``, ...) and bytes."""

    name: str
    data: bytes
    role: str = OUTPUT
    kind: str | None = None


@dataclass
class PlanSummary:
    """A plan as ``plans`` lists it (no file contents)."""

    name: str
    created: datetime
    accounts: int | None
    reps: float | None
    cost: float | None
    bookings: float | None
    fingerprint: str
    app_version: str | None

    def to_dict(self) -> dict:
        """JSON-ready: the created time in ISO 8601 (UTC)."""
        return {
            "name": self.name,
            "created": _utc(self.created).isoformat(timespec="seconds"),
            "accounts": self.accounts,
            "reps": self.reps,
            "cost": self.cost,
            "bookings": self.bookings,
            "fingerprint": self.fingerprint,
            "version": self.app_version,
        }


@dataclass
class StoredPlan:
    """A plan read back: its summary, metadata and every file."""

    summary: PlanSummary
    meta: dict
    files: list[StoredFile] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The plan's name."""
        return self.summary.name

    def outputs(self) -> dict[str, bytes]:
        """The files its run wrote, in the run's order."""
        return {f.name: f.data for f in self.files if f.role == OUTPUT}

    def inputs(self) -> dict[str, StoredFile]:
        """The input files by kind (``accounts``, ``opportunities``, ``roster``, ``playbook``)."""
        return {f.kind or f.name: f for f in self.files if f.role == INPUT}

    def derived(self, name: str) -> bytes | None:
        """A table the store derived at save time, or ``None``."""
        for stored in self.files:
            if stored.role == DERIVED and stored.name == name:
                return stored.data
        return None


class PlanStore:
    """Saved plans in one database.

    Parameters
    ----------
    url : str, optional
        See :func:`store_url`.

    Raises
    ------
    InputError
        When the URL is not a database URL or names an unsupported database.
    """

    def __init__(self, url: str | None = None):
        self.url = store_url(url)
        try:
            self._url = sa.make_url(self.url)
        except exc.ArgumentError:
            raise InputError(bad_url(self.url)) from None
        backend = self._url.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise InputError(bad_url(self.url))
        # The drivers installed with segmentation: psycopg 3 and Python's sqlite3, whatever
        # driver the URL names (postgresql:// alone meant psycopg2 before SQLAlchemy 2.1).
        driver = "postgresql+psycopg" if backend == "postgresql" else "sqlite"
        self._url = self._url.set(drivername=driver)
        self.backend = backend
        self.label = self._url.render_as_string(hide_password=True)

    # --- connection ---------------------------------------------------------------------------

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, or ``None`` for PostgreSQL or an in-memory database."""
        if self.backend != "sqlite" or not self._url.database or self._url.database == ":memory:":
            return None
        return Path(self._url.database)

    def exists(self) -> bool:
        """Whether there can be plans: false for a SQLite file not made yet (nothing to read)."""
        path = self.sqlite_path
        return path is None or path.exists()

    def _engine(self) -> sa.Engine:
        return engine_for(self._url)

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sa.Connection]:
        # One transaction per operation: a save is all or nothing. On SQLite every transaction
        # takes the write lock at BEGIN (see segmentation.store.connection), so concurrent saves queue instead
        # of failing half-way with "database is locked".
        with self._errors():
            path = self.sqlite_path
            if path is not None and not write and not path.exists():
                raise NoStore()
            if path is not None and write and not path.parent.is_dir():
                raise InputError(
                    f"cannot create the plan store {path}: the folder {path.parent} does not "
                    "exist; check --store or SEGMENTATION_STORE"
                )
            if path is not None and write and not path.exists():
                create_private(path)
            with self._engine().begin() as connection:
                migrate(connection, write=write)
                yield connection

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except exc.IntegrityError:
            raise  # a constraint (a taken name): the caller says what it means
        except (exc.OperationalError, exc.InterfaceError) as error:
            raise InputError(self._unreachable(error)) from None
        except exc.DatabaseError as error:
            # e.g. "file is not a database": some other file at the store's path.
            raise InputError(self._unreachable(error)) from None
        except exc.NoSuchModuleError:
            raise InputError(bad_url(self.url)) from None

    def _unreachable(self, error: Exception) -> str:
        if "locked" in str(getattr(error, "orig", error)).lower():
            return (
                f"the plan store {self.label} stayed busy for a minute (another save holds it); "
                "try again, and check that no stuck process has it open"
            )
        if self.backend == "sqlite":
            return (
                f"cannot open the plan store {self.sqlite_path}: check that it is a plans "
                "database (or a new file name) in a folder you can write to "
                "(--store or SEGMENTATION_STORE)"
            )
        return (
            f"cannot reach the plan store {self.label}: check that PostgreSQL is running there and "
            "the host, port, database name, user and password (--store or SEGMENTATION_STORE)"
        )

    # --- operations ---------------------------------------------------------------------------

    def check(self) -> None:
        """Connect (creating or upgrading the store's tables) so a later save will not fail.

        Raises
        ------
        InputError
            The store cannot be reached or opened.
        """
        with self._transaction(write=True):
            pass

    def has(self, name: str) -> bool:
        """Whether a plan of this name is saved."""
        try:
            with self._transaction(write=False) as connection:
                found = connection.execute(
                    sa.select(plans.c.id).where(plans.c.name == name)
                ).first()
        except NoStore:
            return False
        return found is not None

    def save(
        self,
        name: str,
        files: list[StoredFile],
        *,
        meta: dict | None = None,
        fingerprint: str = "",
        replace: bool = False,
        _retried: bool = False,
    ) -> PlanSummary:
        """Save a plan in one transaction: it is either wholly saved or not at all.

        Parameters
        ----------
        name : str
            Unique name (see :func:`check_name`).
        files : list of StoredFile
            Outputs in the run's order, inputs and derived tables.
        meta : dict, optional
            JSON-ready metadata (mapping, settings, playbook values, app state).
        fingerprint : str
            SHA-256 of the input files (see :func:`fingerprint`).
        replace : bool
            Replace a plan of the same name instead of refusing.

        Returns
        -------
        PlanSummary

        Raises
        ------
        InputError
            The name is taken (without ``replace``), invalid, or the store fails.
        """
        name = check_name(name)
        totals = plan_totals({f.name: f.data for f in files if f.role == OUTPUT})
        created = datetime.now(UTC)
        try:
            with self._transaction(write=True) as connection:
                old = _plan_id(connection, name)
                if old is not None:
                    if not replace:
                        raise InputError(_taken(name))
                    _delete_plan(connection, old)
                plan_id = connection.execute(
                    plans.insert().returning(plans.c.id),
                    {
                        "name": name,
                        "created": created,
                        "fingerprint": fingerprint,
                        "app_version": __version__,
                        "meta": jsonable(meta or {}),
                        **totals,
                    },
                ).scalar_one()
                _insert_files(connection, plan_id, files)
        except exc.IntegrityError:
            # Another tab or process saved the same name between our check and insert (on
            # PostgreSQL; SQLite takes the lock first). Replacing, try once more: its plan is
            # committed now, and ours replaces it.
            if not replace or _retried:
                raise InputError(_taken(name)) from None
            return self.save(name, files, meta=meta, fingerprint=fingerprint, replace=True,
                             _retried=True)  # fmt: skip
        return PlanSummary(
            name, created, fingerprint=fingerprint, app_version=__version__, **totals
        )

    def list(self) -> list[PlanSummary]:
        """Every saved plan, oldest first (no file contents are read)."""
        try:
            with self._transaction(write=False) as connection:
                rows = connection.execute(
                    sa.select(
                        plans.c.name, plans.c.created, plans.c.accounts, plans.c.reps,
                        plans.c.cost, plans.c.bookings, plans.c.fingerprint, plans.c.app_version,
                    ).order_by(plans.c.created, plans.c.id)
                ).all()  # fmt: skip
        except NoStore:
            return []
        return [PlanSummary(*row) for row in rows]

    def get(self, name: str, roles: tuple[str, ...] | None = None) -> StoredPlan:
        """Read one plan with all its files, or only those of some roles.

        Parameters
        ----------
        name : str
        roles : tuple of str, optional
            E.g. ``(OUTPUT, DERIVED)`` for compare, which needs no input files.

        Returns
        -------
        StoredPlan

        Raises
        ------
        InputError
            No plan has this name (the message lists a few that exist).
        """
        try:
            with self._transaction(write=False) as connection:
                row = (
                    connection.execute(sa.select(plans).where(plans.c.name == name))
                    .mappings()
                    .first()
                )
                if row is None:
                    raise _NoPlan()
                stored = connection.execute(
                    sa.select(
                        plan_files.c.name, plan_files.c.data, plan_files.c.role, plan_files.c.kind
                    )
                    .where(plan_files.c.plan_id == row["id"])
                    .where(plan_files.c.role.in_(roles) if roles else sa.true())
                    .order_by(plan_files.c.position)
                ).all()
        except (NoStore, _NoPlan):
            raise InputError(self._missing(name)) from None
        summary = PlanSummary(
            row["name"], row["created"], row["accounts"], row["reps"], row["cost"],
            row["bookings"], row["fingerprint"], row["app_version"],
        )  # fmt: skip
        files = [StoredFile(n, bytes(d), r, k) for n, d, r, k in stored]
        return StoredPlan(summary, dict(row["meta"] or {}), files)

    def delete(self, name: str) -> bool:
        """Delete a plan; returns whether one was deleted."""
        try:
            with self._transaction(write=False) as connection:
                old = _plan_id(connection, name)
                if old is None:
                    return False
                _delete_plan(connection, old)
        except NoStore:
            return False
        return True

    def _missing(self, name: str) -> str:
        names = [p.name for p in self.list()] if self.exists() else []
        where = f"in the plan store {self.label}"
        if not names:
            return (
                f"no plan named {name!r} {where}: it holds no plans yet "
                "(save one with run --save NAME)"
            )
        shown = ", ".join(repr(n) for n in names[:5]) + (" …" if len(names) > 5 else "")
        return f"no plan named {name!r} {where}; saved plans: {shown} (see the plans command)"


class _NoPlan(Exception):
    """No plan of the name asked for."""


def _plan_id(connection: sa.Connection, name: str) -> int | None:
    return connection.execute(
        sa.select(plans.c.id).where(plans.c.name == name)
    ).scalar_one_or_none()


def _delete_plan(connection: sa.Connection, plan_id: int) -> None:
    connection.execute(plan_files.delete().where(plan_files.c.plan_id == plan_id))
    connection.execute(plans.delete().where(plans.c.id == plan_id))


def _insert_files(connection: sa.Connection, plan_id: int, files: list[StoredFile]) -> None:
    for position, stored in enumerate(files):
        # Row by row: each file is a separate statement, so a save interrupted between two
        # files rolls back with the transaction, never half-kept.
        row = {
            "plan_id": plan_id,
            "role": stored.role,
            "name": stored.name,
            "position": position,
            "kind": stored.kind,
            "sha256": hashlib.sha256(stored.data).hexdigest(),
            "size": len(stored.data),
            "data": stored.data,
        }
        connection.execute(plan_files.insert(), row)


def check_name(name: str) -> str:
    """A plan name as stored: trimmed, 1–200 characters, no control characters.

    Raises
    ------
    InputError
        An empty, too long or unprintable name.
    """
    text = (name or "").strip()
    if not text:
        raise InputError("a plan needs a name, e.g. --save 'FY27 baseline'")
    if len(text) > NAME_MAX:
        raise InputError(f"a plan name has at most {NAME_MAX} characters; this one has {len(text)}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InputError("a plan name cannot hold control characters (tabs, line breaks)")
    return text


def fingerprint(inputs: list[StoredFile]) -> str:
    """SHA-256 over the input files' contents (by kind: accounts, opportunities, ...).

    Parameters
    ----------
    inputs : list of StoredFile

    Returns
    -------
    str
        64 hex digits; plans made from the same files share it, whatever the files were
        called (a renamed export is the same data).
    """
    digest = hashlib.sha256()
    for stored in sorted(inputs, key=lambda f: (f.kind or "", f.name)):
        digest.update(f"{stored.kind}\0".encode())
        digest.update(hashlib.sha256(stored.data).digest())
    return digest.hexdigest()


def plan_totals(outputs: dict[str, bytes]) -> dict:
    """Accounts, reps, cost and bookings of a plan, read from its ``teams.csv``.

    Parameters
    ----------
    outputs : dict of str to bytes
        The run's files.

    Returns
    -------
    dict
        ``accounts, reps, cost, bookings``; ``None`` where teams.csv lacks the column (cost and
        bookings come with the headcount model's columns).
    """
    import pandas as pd

    totals = {"accounts": None, "reps": None, "cost": None, "bookings": None}
    data = outputs.get("teams.csv")
    if not data:
        return totals
    teams = pd.read_csv(io.BytesIO(data))
    for key, column in (("accounts", "accounts"), ("reps", "headcount"), ("cost", "cost"),
                        ("bookings", "bookings")):  # fmt: skip
        if column in teams.columns:
            values = pd.to_numeric(teams[column], errors="coerce")
            if values.notna().any():
                total = float(values.sum())
                totals[key] = int(total) if key == "accounts" else total
    return totals


def _taken(name: str) -> str:
    return (
        f"a plan named {name!r} is already saved; choose another name, or replace it "
        "(--replace; in the app, tick Replace)"
    )


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
