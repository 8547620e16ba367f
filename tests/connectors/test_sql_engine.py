"""Which database errors are retried, which are blamed on rows, and retries with backoff (SQLite)."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from pyconnect_flow.connectors.sql.engine import describe_error, is_retriable, is_row_error
from pyconnect_flow.data.exceptions import ConnectException
from tests.connectors.sql_helpers import Collector, make_sink, row_record, rows


def wrapped(cls: type[sa.exc.DBAPIError], orig: Exception) -> sa.exc.DBAPIError:
    return cls("INSERT INTO t VALUES (%(x)s)", {"x": "secret-data"}, orig)


def test_connection_serialization_and_deadlock_failures_are_retriable() -> None:
    assert is_retriable(wrapped(sa.exc.OperationalError, psycopg.errors.SerializationFailure("40001")))
    assert is_retriable(wrapped(sa.exc.OperationalError, psycopg.errors.DeadlockDetected("40P01")))
    assert is_retriable(psycopg.OperationalError("connection refused"))
    assert not is_retriable(wrapped(sa.exc.IntegrityError, psycopg.errors.UniqueViolation("23505")))


def test_constraint_and_value_errors_are_row_errors() -> None:
    assert is_row_error(wrapped(sa.exc.IntegrityError, psycopg.errors.NotNullViolation("23502")))
    assert is_row_error(psycopg.errors.InvalidTextRepresentation("22P02"))
    assert is_row_error(sa.exc.StatementError("bad", "INSERT", {}, TypeError("bad type")))
    assert not is_row_error(wrapped(sa.exc.ProgrammingError, psycopg.errors.UndefinedTable("42P01")))


def test_messages_leave_out_sql_parameters_and_secrets() -> None:
    exc = wrapped(sa.exc.IntegrityError, psycopg.errors.UniqueViolation("duplicate key pw=hunter2"))
    text = describe_error(exc, None, "hunter2")
    assert text == "UniqueViolation: duplicate key pw=[hidden]" and "secret-data" not in text


def test_retriable_failures_are_retried_with_backoff_then_succeed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    url = f"jdbc:sqlite:{tmp_path / 'r.db'}"
    sink = make_sink(url, Collector(), auto_create=True, max_retries=3, retry_backoff_ms=1,
                     connection_password="pw-not-in-logs")
    writer = sink.open("t-0", None)
    real = writer._write_once
    failures = [wrapped(sa.exc.OperationalError, psycopg.errors.SerializationFailure("pw-not-in-logs conflict"))] * 2

    def flaky(records, last):  # noqa: ANN001, ANN202
        if failures:
            raise failures.pop()
        return real(records, last)

    monkeypatch.setattr(writer, "_write_once", flaky)
    writer.write([row_record("t", 0, 1, "a")])
    with caplog.at_level(logging.WARNING):
        assert writer.flush() == {"hwm": 0}
    assert rows(f"sqlite:///{tmp_path / 'r.db'}", "t") == [(1, "a")]
    assert [r.message for r in caplog.records].count("Connector 'test-sink': write records failed (attempt 1 of 4), "
                                                    "retrying in 1 ms: SerializationFailure: [hidden] conflict") == 1
    assert "pw-not-in-logs" not in caplog.text


def test_retries_run_out_with_a_connect_exception(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sink = make_sink(f"jdbc:sqlite:{tmp_path / 'r.db'}", auto_create=True, max_retries=1, retry_backoff_ms=1)
    writer = sink.open("t-0", None)

    def broken(records, last):  # noqa: ANN001, ANN202
        raise wrapped(sa.exc.OperationalError, psycopg.errors.SerializationFailure("conflict"))

    monkeypatch.setattr(writer, "_write_once", broken)
    writer.write([row_record("t", 0, 1, "a")])
    with pytest.raises(ConnectException, match="failed to write records in sqlite:///.* after 1 retries"):
        writer.flush()


def sqlite_error(statement: str, conn: sqlite3.Connection | None = None) -> sqlite3.Error:
    """The real error SQLite raises for `statement`."""
    try:
        (conn or sqlite3.connect(":memory:")).execute(statement)
    except sqlite3.Error as exc:
        return exc
    raise AssertionError(f"{statement} did not fail")


def test_sqlite_errors_are_classified_by_result_code(tmp_path: Path) -> None:
    assert not is_retriable(wrapped(sa.exc.OperationalError, sqlite_error("CREATE TABLE other.t (a)")))
    assert not is_retriable(wrapped(sa.exc.OperationalError, sqlite_error("SELECT * FROM nosuch")))
    assert not is_retriable(wrapped(sa.exc.OperationalError, sqlite_error("SELEC 1")))
    try:
        sqlite3.connect(tmp_path / "no-such-dir" / "x.db")
    except sqlite3.OperationalError as exc:
        assert str(exc) == "unable to open database file"
        assert not is_retriable(wrapped(sa.exc.OperationalError, exc))
    holder = sqlite3.connect(tmp_path / "l.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        locked = sqlite_error("BEGIN IMMEDIATE", sqlite3.connect(tmp_path / "l.db", timeout=0, isolation_level=None))
    finally:
        holder.close()
    assert str(locked) == "database is locked"
    assert is_retriable(wrapped(sa.exc.OperationalError, locked))


@pytest.mark.parametrize(("error", "retriable"), [
    (psycopg.errors.ConnectionFailure, True),          # 08006
    (psycopg.errors.SerializationFailure, True),       # 40001
    (psycopg.errors.DeadlockDetected, True),           # 40P01
    (psycopg.errors.TooManyConnections, True),         # 53300
    (psycopg.errors.DiskFull, True),                   # 53100
    (psycopg.errors.AdminShutdown, True),              # 57P01
    (psycopg.errors.CannotConnectNow, True),           # 57P03
    (psycopg.errors.LockNotAvailable, True),           # 55P03
    (psycopg.errors.InvalidPassword, False),           # 28P01
    (psycopg.errors.InvalidAuthorizationSpecification, False),  # 28000
    (psycopg.errors.InvalidCatalogName, False),        # 3D000
    (psycopg.errors.InvalidSchemaName, False),         # 3F000
    (psycopg.errors.SyntaxError, False),               # 42601
    (psycopg.errors.UndefinedTable, False),            # 42P01
    (psycopg.errors.InsufficientPrivilege, False),     # 42501
    (psycopg.errors.NumericValueOutOfRange, False),    # 22003
    (psycopg.errors.UniqueViolation, False),           # 23505
    (psycopg.errors.TransactionIntegrityConstraintViolation, False),  # 40002
    (psycopg.errors.DatabaseDropped, False),           # 57P04
], ids=lambda v: getattr(v, "sqlstate", None) or str(v))
def test_postgres_errors_are_classified_by_sqlstate(error: type[psycopg.Error], retriable: bool) -> None:
    wrapper = sa.exc.OperationalError if issubclass(error, psycopg.OperationalError) else sa.exc.ProgrammingError
    assert is_retriable(wrapped(wrapper, error("x"))) is retriable


@pytest.mark.parametrize(("message", "retriable"), [
    ('connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "nosuchdb" '
     "does not exist", False),
    ('connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password '
     'authentication failed for user "app"', False),
    ('connection failed: FATAL:  role "ghost" does not exist', False),
    ('connection failed: FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "app", database "app"', False),
    ('connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused', True),
    ("consuming input failed: server closed the connection unexpectedly", True),
])
def test_postgres_login_failures_without_sqlstate_are_classified_by_the_servers_words(message: str,
                                                                                      retriable: bool) -> None:
    assert is_retriable(wrapped(sa.exc.OperationalError, psycopg.OperationalError(message))) is retriable


def test_a_permanent_sqlite_error_fails_at_once_without_retries(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    # "other.t" is table t of schema (attached database) "other", which SQLite does not know.
    sink = make_sink(f"jdbc:sqlite:{tmp_path / 'p.db'}", auto_create=True, max_retries=10, retry_backoff_ms=2000)
    writer = sink.open("other.t-0", None)
    writer.write([row_record("other.t", 0, 1, "a")])
    started = time.monotonic()
    with caplog.at_level(logging.WARNING), pytest.raises(ConnectException) as info:
        writer.flush()
    assert time.monotonic() - started < 5
    assert "retrying" not in caplog.text
    assert str(info.value) == (f"Connector 'test-sink' failed to write records in sqlite:///{tmp_path / 'p.db'}: "
                               'OperationalError: unknown database "other" (a permanent error: not retried)')


def test_an_unopenable_sqlite_database_fails_at_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sink = make_sink(f"jdbc:sqlite:{tmp_path / 'no-such-dir' / 'p.db'}", auto_create=True, max_retries=10,
                     retry_backoff_ms=2000)
    writer = sink.open("t-0", None)
    with caplog.at_level(logging.WARNING), pytest.raises(ConnectException,
                                                         match="unable to open database file "
                                                               r"\(a permanent error: not retried\)$"):
        writer.write([row_record("t", 0, 1, "a")])
        writer.flush()
    assert "retrying" not in caplog.text
