"""SQLAlchemy engines for the SQL connectors, and which database errors mean what.

`create_engine` applies the settings every dialect needs here (SQLite: wait for locks, working
SAVEPOINTs). `is_retriable` says whether a failure may pass when the whole batch is tried again
(lost connection, serialization failure, deadlock, locked database) or is permanent and must fail
at once (unknown database or table, failed login, syntax); `is_row_error` whether it
is caused by the data of some rows (constraint violation, bad value), so the rows are isolated
and reported one by one. `describe_error` gives a message without SQL parameters or secrets.
"""

from __future__ import annotations

import re
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


# SQLite primary result codes that a new attempt may get past: BUSY, LOCKED, NOMEM, IOERR, FULL,
# PROTOCOL, SCHEMA (the schema changed under a statement). Every other code (ERROR: unknown
# database or table, syntax; CANTOPEN: unable to open database file; READONLY, CORRUPT, NOTADB, …)
# fails the same way again.
_SQLITE_RETRIABLE = frozenset({5, 6, 7, 10, 13, 15, 17})

# PostgreSQL SQLSTATEs: classes 08 (connection exception), 40 (transaction rollback: serialization
# failure, deadlock), 53 (insufficient resources), 58 (system error), and a few codes of classes 57
# (admin shutdown, crash shutdown, cannot connect now, statement cancelled, idle session timeout),
# 55 (lock not available, object in use) and 25 (idle-in-transaction timeout) are retriable. The rest
# (28 authentication, 3D000 unknown database, 42 syntax or undefined object, 22 data, 23 integrity, …)
# is permanent.
_PG_RETRIABLE_CLASSES = ("08", "40", "53", "58")
_PG_RETRIABLE_CODES = frozenset({"57014", "57P01", "57P02", "57P03", "57P05", "55P03", "55006", "25P03"})
_PG_PERMANENT_CODES = frozenset({"40002", "58P01", "58P02"})

# libpq reports a refused login without a SQLSTATE; these are the server's words for permanent ones
# (3D000 unknown database, 28000/28P01 unknown role or wrong password, 42501 no CONNECT privilege).
_PG_PERMANENT_LOGIN = re.compile(r'database "[^"]*" does not exist|role "[^"]*" does not exist|'
                                 r"authentication failed|no pg_hba\.conf entry|permission denied")


def is_retriable(exc: BaseException) -> bool:
    """True for failures that may pass on a new attempt, False for those that fail the same way again.

    Retriable: lost or refused connections, serialization failures, deadlocks, locked databases,
    exhausted resources, a server shutting down. Permanent: an unknown database or table, a failed
    login, a syntax error, bad data, a constraint violation. SQLite is classified by its result code,
    PostgreSQL by SQLSTATE (by the server's message for a refused login, which has none); other
    databases' operational and interface errors are retried.
    """
    import sqlalchemy as sa

    orig = _orig(exc)
    verdict = _sqlite_verdict(orig)
    if verdict is None:
        verdict = _postgres_verdict(orig)
    if verdict is not None:
        return verdict
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError,
                        sa.exc.TimeoutError)):
        return True
    return isinstance(orig, (ConnectionError, TimeoutError))


def _sqlite_verdict(orig: BaseException) -> bool | None:
    """Retriable or not by SQLite result code; None when `orig` is no SQLite error with a code."""
    import sqlite3

    code = getattr(orig, "sqlite_errorcode", None) if isinstance(orig, sqlite3.Error) else None
    if code is None:
        return None
    return code & 0xFF in _SQLITE_RETRIABLE


def _postgres_verdict(orig: BaseException) -> bool | None:
    """Retriable or not by SQLSTATE (psycopg); None when `orig` is no psycopg error."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is optional
        return None
    if not isinstance(orig, psycopg.Error):
        return None
    state = orig.sqlstate
    if state is None:  # raised by libpq or psycopg itself: a failed or lost connection, or misuse
        if _PG_PERMANENT_LOGIN.search(str(orig)):
            return False
        return isinstance(orig, (psycopg.OperationalError, psycopg.InterfaceError))
    if state in _PG_PERMANENT_CODES:
        return False
    return state.startswith(_PG_RETRIABLE_CLASSES) or state in _PG_RETRIABLE_CODES


def is_database_error(exc: BaseException) -> bool:
    """True for errors raised by the database or its driver (which `is_retriable` classifies)."""
    import sqlite3

    import sqlalchemy as sa

    if isinstance(exc, (sa.exc.DBAPIError, sqlite3.Error)):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is optional
        return False
    return isinstance(exc, psycopg.Error)


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
