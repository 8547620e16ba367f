"""The JDBC sink against real databases (PostgreSQL through COPY, SQLite through executemany):
every insert mode × pk mode, collapsing, deletes, replays, schema evolution, bad rows, hostile names."""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from pyconnect_flow.data import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
    Struct,
    logical,
)
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.record import Record
from tests.connectors.sql_helpers import (
    Collector,
    columns,
    make_sink,
    row_record,
    rows,
    tombstone,
    write,
)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"jdbc:sqlite:{tmp_path / 'sink.db'}"
    return str(request.getfixturevalue("postgres").sqlalchemy_url)


def sa_url(url: str) -> str:
    return "sqlite:///" + url[len("jdbc:sqlite:"):] if url.startswith("jdbc:sqlite:") else url


BATCH = [(0, 1, "a"), (1, 2, "b"), (2, 1, "c")]


def batch(topic: str, start: int = 0) -> list[Record]:
    return [row_record(topic, start + off, i, name) for off, i, name in BATCH]


@pytest.mark.parametrize(("insert_mode", "pk_mode", "expected"), [
    ("insert", "none", [(1, "a"), (1, "c"), (2, "b")]),
    ("insert", "kafka", [(1, "a"), (1, "c"), (2, "b")]),
    ("insert", "record_key", [(1, "c"), (2, "b")]),
    ("insert", "record_value", [(1, "a"), (1, "c"), (2, "b")]),
    ("upsert", "kafka", [(1, "a"), (1, "c"), (2, "b")]),
    ("upsert", "record_key", [(1, "c"), (2, "b")]),
    ("upsert", "record_value", [(1, "a"), (1, "c"), (2, "b")]),
])
def test_insert_and_upsert_modes_and_replay_write_each_row_once(db_url: str, unique_name: str, insert_mode: str,
                                                                 pk_mode: str, expected: list[tuple[int, str]]) -> None:
    report = Collector()
    sink = make_sink(db_url, report, insert_mode=insert_mode, pk_mode=pk_mode, auto_create=True)
    write(sink, f"{unique_name}-0", [batch(unique_name)])
    # A replay after a crash: the same offsets again, with no recovery state.
    write(sink, f"{unique_name}-0", [batch(unique_name)])
    assert rows(sa_url(db_url), unique_name, order='"id", "name"', columns='"id", "name"') == expected
    assert report.reported == []
    cols = columns(sa_url(db_url), unique_name)
    if pk_mode == "kafka":
        assert list(cols)[:3] == ["__connect_topic", "__connect_partition", "__connect_offset"]
        got = rows(sa_url(db_url), unique_name, order="3", columns='"__connect_topic", "__connect_partition", '
                                                                 '"__connect_offset"')
        assert got == [(unique_name, 0, 0), (unique_name, 0, 1), (unique_name, 0, 2)]


@pytest.mark.parametrize("pk_mode", ["kafka", "record_key", "record_value"])
def test_update_mode_changes_existing_rows_only(db_url: str, unique_name: str, pk_mode: str) -> None:
    engine = sa.create_engine(sa_url(db_url))
    with engine.begin() as conn:
        if pk_mode == "kafka":
            conn.exec_driver_sql(f'CREATE TABLE "{unique_name}" ("__connect_topic" TEXT, "__connect_partition" INT, '
                                 '"__connect_offset" BIGINT, id BIGINT, name TEXT, PRIMARY KEY '
                                 '("__connect_topic", "__connect_partition", "__connect_offset"))')
            conn.execute(sa.text(f'INSERT INTO "{unique_name}" VALUES (:t, 0, 1, 2, \'old\')'), {"t": unique_name})
        else:
            conn.exec_driver_sql(f'CREATE TABLE "{unique_name}" (id BIGINT, name TEXT, PRIMARY KEY '
                                 f'({"id" if pk_mode == "record_key" else "id, name"}))')
            conn.exec_driver_sql(f'INSERT INTO "{unique_name}" VALUES (1, \'x\'), (2, \'b\'), (3, \'z\')')
    engine.dispose()
    sink = make_sink(db_url, insert_mode="update", pk_mode=pk_mode)
    write(sink, f"{unique_name}-0", [batch(unique_name)])
    got = rows(sa_url(db_url), unique_name, order='"id", "name"', columns='"id", "name"')
    expected = {"kafka": [(2, "b")], "record_key": [(1, "c"), (2, "b"), (3, "z")],
                "record_value": [(1, "x"), (2, "b"), (3, "z")]}[pk_mode]
    assert got == expected


def test_upsert_collapses_keys_and_tombstones_delete(db_url: str, unique_name: str) -> None:
    sink = make_sink(db_url, insert_mode="upsert", pk_mode="record_key", auto_create=True, delete_enabled=True)
    t = unique_name
    write(sink, f"{t}-0", [
        [row_record(t, 0, 1, "a"), row_record(t, 1, 2, "b"), row_record(t, 2, 3, "c"), row_record(t, 3, 4, "d")],
        # 1 deleted; 2 deleted then written again in the same batch; 3 updated twice; 4 deleted last
        [tombstone(t, 4, 1), tombstone(t, 5, 2), row_record(t, 6, 2, "b2"), row_record(t, 7, 3, "c1"),
         row_record(t, 8, 3, "c2"), row_record(t, 9, 4, "d1"), tombstone(t, 10, 4), tombstone(t, 11, 99)],
    ])
    assert rows(sa_url(db_url), t) == [(2, "b2"), (3, "c2")]


def test_tombstones_without_delete_enabled_are_reported(db_url: str, unique_name: str) -> None:
    report = Collector()
    sink = make_sink(db_url, report, insert_mode="upsert", pk_mode="record_key", auto_create=True)
    write(sink, f"{unique_name}-0", [[row_record(unique_name, 0, 1, "a"), tombstone(unique_name, 1, 1)]])
    assert rows(sa_url(db_url), unique_name) == [(1, "a")]
    assert report.offsets == [1] and "delete.enabled=false" in str(report.reported[0][1])


def test_every_connect_type_maps_to_a_column_and_round_trips(db_url: str, unique_name: str) -> None:
    schema = (SchemaBuilder.struct().name("all")
              .field("id", INT64_SCHEMA).field("i8", INT8_SCHEMA).field("i16", INT16_SCHEMA).field("i32", INT32_SCHEMA)
              .field("f32", FLOAT32_SCHEMA).field("f64", FLOAT64_SCHEMA).field("b", BOOLEAN_SCHEMA)
              .field("s", STRING_SCHEMA).field("raw", BYTES_SCHEMA).field("dec", logical.decimal_schema(3))
              .field("d", logical.DATE_SCHEMA).field("t", logical.TIME_SCHEMA).field("ts", logical.TIMESTAMP_SCHEMA)
              .field("opt", OPTIONAL_INT32_SCHEMA)
              .field("dflt", SchemaBuilder.string().optional().default_value("fallback").build())
              .build())
    values = {"id": 1, "i8": -8, "i16": 16000, "i32": 2_000_000_000, "f32": 1.5, "f64": 2.25, "b": True,
              "s": "text ✓", "raw": b"\x00\x01\xff", "dec": decimal.Decimal("12345.678"), "d": dt.date(2024, 2, 29),
              "t": dt.time(13, 14, 15, 123000), "ts": dt.datetime(2024, 5, 6, 7, 8, 9, 10000, tzinfo=dt.timezone.utc),
              "opt": None, "dflt": None}
    record = Record(unique_name, None, Struct(schema, values), 0, 0, None, schema)
    sink = make_sink(db_url, insert_mode="insert", auto_create=True, db_timezone="Europe/Paris")
    write(sink, f"{unique_name}-0", [[record]])
    (got,) = rows(sa_url(db_url), unique_name)
    assert got[:3] == (1, -8, 16000) and got[3] == 2_000_000_000 and got[4:7] == (1.5, 2.25, True)
    assert got[7] == "text ✓" and bytes(got[8]) == b"\x00\x01\xff"
    assert decimal.Decimal(str(got[9])) == decimal.Decimal("12345.678")
    assert str(got[10]).startswith("2024-02-29") and str(got[11]).startswith("13:14:15.123")
    assert str(got[12]).startswith("2024-05-06 09:08:09.01")  # written as wall-clock time in db.timezone
    assert got[13:] == (None, "fallback")
    cols = columns(sa_url(db_url), unique_name)
    assert cols["opt"]["nullable"] and not cols["i8"]["nullable"]
    if "postgresql" in db_url:
        kinds = {name: str(c["type"]) for name, c in cols.items()}
        assert kinds == {"id": "BIGINT", "i8": "SMALLINT", "i16": "SMALLINT", "i32": "INTEGER", "f32": "REAL",
                         "f64": "DOUBLE PRECISION", "b": "BOOLEAN", "s": "TEXT", "raw": "BYTEA", "dec": "NUMERIC",
                         "d": "DATE", "t": "TIME", "ts": "TIMESTAMP",
                         "opt": "INTEGER", "dflt": "TEXT"}


def test_auto_evolve_adds_nullable_columns_mid_stream_and_never_drops(db_url: str, unique_name: str) -> None:
    t = unique_name
    wider = VALUE_WITH("score", OPTIONAL_INT32_SCHEMA)
    sink = make_sink(db_url, insert_mode="upsert", pk_mode="record_key", auto_create=True, auto_evolve=True)
    write(sink, f"{t}-0", [
        [row_record(t, 0, 1, "a"), row_record(t, 1, 2, "b", value_schema=wider, extra={"score": 7}),
         row_record(t, 2, 3, "c")],
        # back to the narrower schema: the column stays, new rows get NULL there
        [row_record(t, 3, 4, "d")],
    ])
    assert rows(sa_url(db_url), t) == [(1, "a", None), (2, "b", 7), (3, "c", None), (4, "d", None)]
    assert columns(sa_url(db_url), t)["score"]["nullable"]


def VALUE_WITH(name: str, schema: object) -> object:  # noqa: N802 - reads like a schema constant
    builder = SchemaBuilder.struct().name("row").field("id", INT64_SCHEMA).field("name", OPTIONAL_STRING_SCHEMA)
    return builder.field(name, schema).build()  # type: ignore[arg-type]


def test_missing_table_or_column_without_auto_create_or_evolve_is_reported(db_url: str, unique_name: str) -> None:
    report = Collector()
    t = unique_name
    sink = make_sink(db_url, report, insert_mode="insert")
    write(sink, f"{t}-0", [[row_record(t, 0, 1, "a")]])
    assert "is missing and auto-creation is disabled" in str(report.reported[0][1])
    required = SchemaBuilder.struct().name("row").field("id", INT64_SCHEMA).field("name", OPTIONAL_STRING_SCHEMA) \
        .field("must", INT32_SCHEMA).build()
    make_sink(db_url, insert_mode="insert", auto_create=True).open(f"{t}-0", None)  # no-op open
    write(make_sink(db_url, insert_mode="insert", auto_create=True), f"{t}-9", [[row_record(t, 0, 1, "a")]])
    report2 = Collector()
    write(make_sink(db_url, report2, insert_mode="insert", auto_evolve=True), f"{t}-1",
          [[row_record(t, 0, 2, "b", value_schema=required, extra={"must": 1})]])
    assert "is not optional and does not have a default value" in str(report2.reported[0][1])
    report3 = Collector()
    write(make_sink(db_url, report3, insert_mode="insert"), f"{t}-2",
          [[row_record(t, 0, 3, "c", value_schema=VALUE_WITH("extra", OPTIONAL_INT32_SCHEMA), extra={"extra": 1})]])
    assert "auto-evolution is disabled" in str(report3.reported[0][1])


def test_bad_rows_are_reported_alone_and_the_rest_of_the_batch_is_written(db_url: str, unique_name: str) -> None:
    t = unique_name
    engine = sa.create_engine(sa_url(db_url))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE TABLE "{t}" (id BIGINT PRIMARY KEY, name TEXT NOT NULL CHECK (name <> \'bad\'))')
    engine.dispose()
    report = Collector()
    sink = make_sink(db_url, report, insert_mode="upsert", pk_mode="record_key")
    records = [row_record(t, i, i, "bad" if i in (3, 17, 18, 60) else (None if i == 41 else f"n{i}"))
               for i in range(100)]
    write(sink, f"{t}-0", [records])
    assert sorted(report.offsets) == [3, 17, 18, 41, 60]
    assert [r[0] for r in rows(sa_url(db_url), t)] == [i for i in range(100) if i not in (3, 17, 18, 41, 60)]


def test_hostile_topic_names_make_strange_tables_and_never_run_sql(db_url: str, unique_name: str) -> None:
    victim = "v" + unique_name[-8:]
    engine = sa.create_engine(sa_url(db_url))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE TABLE "{victim}" (x INT)')
    topic = f'x{unique_name[-8:]}"; DROP TABLE "{victim}"; --'
    sink = make_sink(db_url, insert_mode="insert", auto_create=True, auto_evolve=True)
    odd = SchemaBuilder.struct().field('id"; DROP TABLE x; --', INT64_SCHEMA).build()
    write(sink, f"{unique_name}-0", [[Record(topic, None, Struct(odd, {'id"; DROP TABLE x; --': 5}), 0, 0, None,
                                             odd)]])
    names = sa.inspect(engine).get_table_names()
    assert victim in names and topic in names
    with engine.connect() as conn:
        q = conn.dialect.identifier_preparer.quote_identifier
        assert conn.execute(sa.text(f"SELECT * FROM {q(topic)}")).fetchall() == [(5,)]
    engine.dispose()


def test_schemaless_json_objects_get_inferred_columns_and_other_values_are_refused(db_url: str,
                                                                                   unique_name: str) -> None:
    t = unique_name
    report = Collector()
    sink = make_sink(db_url, report, insert_mode="upsert", pk_mode="record_key", pk_fields="id",
                     auto_create=True, auto_evolve=True)
    write(sink, f"{t}-0", [[
        Record(t, 1, {"id": 1, "name": "a", "score": 1.5, "ok": True}, 0, 0),
        Record(t, 2, {"id": 2, "name": "b", "score": 2.5, "ok": False, "new": "x"}, 0, 1),
        Record(t, 3, "just a string", 0, 2),
        Record(t, 4, {"id": 4, "nested": {"a": 1}}, 0, 3),
    ]])
    assert rows(sa_url(db_url), t, columns='"id", "name", "score", "ok", "new"') == [
        (1, "a", 1.5, True, None), (2, "b", 2.5, False, "x")]
    assert report.offsets == [2, 3]
    assert "JSON objects" in str(report.reported[0][1]) and "Flatten" in str(report.reported[1][1])


def test_nested_struct_fields_are_refused_as_confluent_does(db_url: str, unique_name: str) -> None:
    inner = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()
    schema = SchemaBuilder.struct().field("id", INT64_SCHEMA).field("inner", inner).build()
    report = Collector()
    record = Record(unique_name, None, Struct(schema, {"id": 1, "inner": Struct(inner, {"a": 1})}), 0, 0, None, schema)
    write(make_sink(db_url, report, auto_create=True), f"{unique_name}-0", [[record]])
    assert "doesn't have a mapping to the SQL database column type" in str(report.reported[0][1])


def test_table_name_format_and_kafka_pk_field_names(db_url: str, unique_name: str) -> None:
    sink = make_sink(db_url, insert_mode="upsert", pk_mode="kafka", pk_fields="t,p,o", auto_create=True,
                     table_name_format="kafka_${topic}_tbl", fields_whitelist="name")
    write(sink, f"{unique_name}-3", [[row_record(unique_name, 7, 1, "a", partition=3)]])
    assert rows(sa_url(db_url), f"kafka_{unique_name}_tbl") == [(unique_name, 3, 7, "a")]


def test_connection_failures_are_retried_then_fail_without_showing_the_password(tmp_path: Path) -> None:
    sink = make_sink("jdbc:postgresql://127.0.0.1:1/db?user=u&password=Sup3rSecret", max_retries=2,
                     retry_backoff_ms=10, auto_create=True)
    writer = sink.open("t-0", None)
    with pytest.raises(ConnectException) as info:
        writer.write([row_record("t", 0, 1, "a")])
        writer.flush()
    text = str(info.value)
    assert "after 2 retries" in text and "127.0.0.1" in text and "Sup3rSecret" not in text
    with pytest.raises(ConnectException) as pre:
        sink.preflight()
    assert "could not connect" in str(pre.value) and "Sup3rSecret" not in str(pre.value)


@pytest.mark.parametrize("fault", ["unknown database", "wrong password"])
def test_permanent_postgres_errors_fail_at_once_without_retries(postgres, unique_name: str, fault: str,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    # Both are refused at login (3D000, 28P01), which libpq reports without the SQLSTATE.
    url = sa.engine.make_url(str(postgres.sqlalchemy_url))
    if fault == "unknown database":
        url = url.set(database=f"no_{unique_name}")
        expected = f'database "no_{unique_name}" does not exist'
    else:
        url = url.set(password=f"wrong-{unique_name}")
        expected = f'password authentication failed for user "{url.username}"'
    sink = make_sink(url.render_as_string(hide_password=False), auto_create=True, max_retries=10,
                     retry_backoff_ms=2000)
    writer = sink.open(f"{unique_name}-0", None)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING), pytest.raises(ConnectException) as info:
        writer.write([row_record(unique_name, 0, 1, "a")])
        writer.flush()
    assert time.monotonic() - started < 5, "a permanent error was retried"
    assert "retrying" not in caplog.text
    assert expected in str(info.value) and str(info.value).endswith("(a permanent error: not retried)")
    assert str(url.password) not in str(info.value)


def test_state_and_offsets_table_skip_replayed_offsets_in_insert_mode(db_url: str, unique_name: str) -> None:
    t = unique_name
    sink = make_sink(db_url, insert_mode="insert", auto_create=True)
    state = write(sink, f"{t}-0", [[row_record(t, i, i, "x") for i in range(5)]])
    assert state == {"hwm": 4}
    # a replay from offset 2 (recovery store one epoch behind the target) adds only new offsets
    write(sink, f"{t}-0", [[row_record(t, i, i, "x") for i in range(2, 8)]], state={"hwm": 1})
    assert [r[0] for r in rows(sa_url(db_url), t)] == list(range(8))



def test_postgres_chunks_written_by_the_pool_keep_order_deletes_bad_rows_and_evolution(
        postgres, unique_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyconnect_flow.connectors.sql import sink as sink_module

    monkeypatch.setattr(sink_module, "PIPELINE_CHUNK", 4)
    t, url = unique_name, postgres.sqlalchemy_url
    report = Collector()
    sink = make_sink(url, report, insert_mode="upsert", pk_mode="record_key", auto_create=True, auto_evolve=True,
                     delete_enabled=True)
    wider = VALUE_WITH("score", OPTIONAL_INT32_SCHEMA)
    writer = sink.open(f"{t}-0", None)
    batches = [
        [row_record(t, 0, 1, "a"), row_record(t, 1, 2, "b"), row_record(t, 2, 3, "c")],
        [row_record(t, 3, 4, "bad\x00"), row_record(t, 4, 5, "e")],             # chunk 1 (0..4) to the pool
        [tombstone(t, 5, 1), row_record(t, 6, 2, "b2"), row_record(t, 7, 6, "f")],
        [row_record(t, 8, 7, "g", value_schema=wider, extra={"score": 1})],    # chunk 2 evolves the table
        [row_record(t, 9, 3, "c2")],
    ]
    for records in batches:
        writer.write(records)
    assert writer.flush() is None
    assert rows(url, t) == [(2, "b2", None), (3, "c2", None), (5, "e", None), (6, "f", None), (7, "g", 1)]
    assert report.offsets == [3]


def test_postgres_chunk_failing_retriably_in_the_pool_is_retried(
        postgres, unique_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    from pyconnect_flow.connectors.sql import sink as sink_module

    monkeypatch.setattr(sink_module, "PIPELINE_CHUNK", 2)
    t, url = unique_name, postgres.sqlalchemy_url
    sink = make_sink(url, insert_mode="insert", auto_create=True, retry_backoff_ms=1)
    writer = sink.open(f"{t}-0", None)
    real = writer._apply_all
    calls = []

    def flaky(*args):  # noqa: ANN002, ANN202
        calls.append(1)
        if len(calls) == 2:
            raise sa.exc.OperationalError("COPY", {}, psycopg.errors.SerializationFailure("40001"))
        return real(*args)

    monkeypatch.setattr(writer, "_apply_all", flaky)
    for i in range(0, 8, 2):
        writer.write([row_record(t, i, i, "x"), row_record(t, i + 1, i + 1, "y")])
    assert writer.flush() == {"hwm": 7}
    assert [r[0] for r in rows(url, t)] == list(range(8))
