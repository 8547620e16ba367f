"""SQLAlchemy engines for the SQL connectors, and which database errors mean what.

`create_engine` applies the settings every dialect needs here (SQLite: wait for locks, working
SAVEPOINTs). `is_retriable` says whether a failure may pass when the whole batch is tried again
(lost connection, serialization failure, deadlock, locked database); `is_row_error` whether it
is caused by the data of some rows (constraint violation, bad value), so the rows are isolated
and reported one by one. `describe_error` gives a message without SQL parameters or secrets.
"""

from __future__ import annotations

from typing import Any

from pyconnect_flow.connectors.sql.config import safe_url


def create_engine(url: Any, *, writer: bool = True) -> Any:
    """An engine for `url` (a SQLAlchemy `URL`).

    SQLite transactions of a `writer` take the write lock at BEGIN (`BEGIN IMMEDIATE`), so two
    writers wait for each other instead of failing to upgrade a read lock; readers use plain BEGIN.
    """
    import sqlalchemy as sa

    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself
        # (the recipe of SQLAlchemy's SQLite documentation).
        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=16)


def _orig(exc: BaseException) -> BaseException:
    return getattr(exc, "orig", None) or exc


def is_retriable(exc: BaseException) -> bool:
    """True for failures that may pass on a new attempt (connection, serialization, deadlock, lock)."""
    import sqlalchemy as sa

    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError,
                        sa.exc.TimeoutError)):
        return True
    orig = _orig(exc)
    try:
        import psycopg

        if isinstance(orig, (psycopg.OperationalError, psycopg.InterfaceError)):
            return True
    except ImportError:  # pragma: no cover - psycopg is optional
        pass
    return isinstance(orig, (ConnectionError, TimeoutError))


def is_row_error(exc: BaseException) -> bool:
    """True for failures caused by some rows' data (constraint violations, values that do not fit)."""
    import sqlalchemy as sa

    if isinstance(exc, (sa.exc.IntegrityError, sa.exc.DataError)):
        return True
    orig = _orig(exc)
    if isinstance(orig, (TypeError, ValueError, OverflowError)):
        return True
    try:
        import psycopg

        if isinstance(orig, (psycopg.IntegrityError, psycopg.DataError)):
            return True
        if isinstance(orig, psycopg.ProgrammingError) and "cannot adapt" in str(orig):
            return True
    except ImportError:  # pragma: no cover
        pass
    import sqlite3

    if isinstance(orig, (sqlite3.IntegrityError, sqlite3.DataError)):
        return True
    return isinstance(orig, (sqlite3.ProgrammingError, sqlite3.InterfaceError)) and "binding" in str(orig).lower()


def describe_error(exc: BaseException, url: Any = None, secret: str | None = None) -> str:
    """`Type: message` of a database error, without the SQL parameters SQLAlchemy appends or any secret."""
    orig = _orig(exc)
    text = f"{type(orig).__name__}: {str(orig).strip()}"
    text = text.split("\n[SQL:", 1)[0]
    if secret:
        text = text.replace(secret, "[hidden]")
    if url is not None and url.password:
        text = text.replace(str(url.password), "[hidden]")
        text = text.replace(url.render_as_string(hide_password=False), safe_url(url))
    return text
