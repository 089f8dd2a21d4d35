"""Where the plan store is and how it is opened: its URL, SQLAlchemy engine and schema migrations.

:func:`store_url` picks the database (``--store``, ``$SEGMENTATION_STORE`` or a SQLite file
here), :func:`engine_for` gives one engine per database for the whole process, and
:func:`migrate` brings the schema to the latest Alembic revision inside the caller's
transaction. What is stored in it is :mod:`segmentation.store.db`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import exc

from segmentation.errors import InputError

DEFAULT_FILE = "segmentation-plans.db"
"""The SQLite file used when neither ``--store`` nor ``SEGMENTATION_STORE`` names a store."""

ENV_VAR = "SEGMENTATION_STORE"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

_MIGRATE_LOCK = threading.Lock()  # one migration at a time per process (the app's threads)
_ENGINES: dict[str, sa.Engine] = {}
_ENGINES_LOCK = threading.Lock()


class NoStore(Exception):
    """A SQLite store that does not exist yet: nothing to read, and nothing is created."""


def store_url(url: str | None = None) -> str:
    """The store to use: ``url``, else ``$SEGMENTATION_STORE``, else ``segmentation-plans.db``.

    Parameters
    ----------
    url : str, optional
        A SQLAlchemy URL (``sqlite:///plans.db``, ``postgresql+psycopg://user@host/db``) or a
        plain file path, taken as a SQLite file.

    Returns
    -------
    str
    """
    text = (url or os.environ.get(ENV_VAR) or "").strip() or DEFAULT_FILE
    if "://" not in text:
        return f"sqlite:///{text}"
    return text


def engine_for(url: sa.URL) -> sa.Engine:
    """The process's engine for one database, made on first use.

    Parameters
    ----------
    url : sqlalchemy.URL
        With its driver set (``sqlite`` or ``postgresql+psycopg``).

    Returns
    -------
    sqlalchemy.Engine
    """
    key = url.render_as_string(hide_password=False)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _make_engine(url)
            _ENGINES[key] = engine
        return engine


def create_private(path: Path) -> None:
    """Create an empty SQLite file readable and writable by its owner only.

    Parameters
    ----------
    path : pathlib.Path
        A file that may already exist (another process made it first): then it is left as is.
    """
    # The store holds customer data and the input files: readable by its owner only, whatever
    # the umask (a store tends to sit in a shared working folder for a long time).
    with contextlib.suppress(FileExistsError):  # another process made it first
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _make_engine(url: sa.URL) -> sa.Engine:
    if url.get_backend_name() == "sqlite":
        # A long busy timeout: a second tab's save waits for the first instead of failing.
        engine = sa.create_engine(url, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin(connection):
            # Take the write lock at BEGIN: two writers never both read "name is free" and
            # then collide, and a reader never upgrades to a writer mid-transaction.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, connect_args={"connect_timeout": 10}, pool_pre_ping=True)


def migrate(connection: sa.Connection, *, write: bool) -> None:
    """Bring the schema to the latest version in the caller's transaction.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        In a transaction (on SQLite holding the write lock).
    write : bool
        Whether the caller is about to write: only then is a store never saved to created.

    Raises
    ------
    NoStore
        A database never saved to, opened to read.
    InputError
        The store was made by a newer version.
    """
    from alembic.runtime.migration import MigrationContext

    script = _script()
    current = MigrationContext.configure(connection).get_current_revision()
    head = script.get_current_head()
    if current == head:
        return
    if current is None and not write:
        # A database never saved to, opened to read: nothing to list, and nothing is made.
        raise NoStore()
    if connection.dialect.name == "postgresql":
        # Serialise schema changes between processes (the lock goes at commit), then look
        # again: another process may have just made the tables.
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": 8015})
        current = MigrationContext.configure(connection).get_current_revision()
        if current == head:
            return
    if current is not None and current not in {r.revision for r in script.walk_revisions()}:
        raise InputError(
            "the plan store was made by a newer version of segmentation; "
            "upgrade segmentation to open it"
        )
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    with _MIGRATE_LOCK:
        command.upgrade(config, "head")


_SCRIPT = None


def _script():
    global _SCRIPT
    if _SCRIPT is None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        _SCRIPT = ScriptDirectory.from_config(config)
    return _SCRIPT


def bad_url(url: str) -> str:
    """What to say about a store URL that is not one: the URL shown without its password.

    Parameters
    ----------
    url : str

    Returns
    -------
    str
    """
    try:
        shown = sa.make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        shown = url.split("@")[-1] if "@" in url else url
    return (
        f"{shown!r} is not a plan store URL; give a SQLite file (sqlite:///plans.db) or "
        "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE (--store or SEGMENTATION_STORE)"
    )
