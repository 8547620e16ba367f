"""Which database errors are retried, which are blamed on rows, and retries with backoff (SQLite)."""

from __future__ import annotations

import logging
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
