"""Helpers for the SQL connector tests: a sink from Kafka Connect keys, records, and table contents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from pyconnect_flow.connectors.sql.connector import sink_settings
from pyconnect_flow.connectors.sql.sink import SqlSink
from pyconnect_flow.data import INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, SchemaBuilder, Struct
from pyconnect_flow.data.schema import Schema
from pyconnect_flow.engine.spec import validate_connector
from pyconnect_flow.record import Record

KEY = SchemaBuilder.struct().name("key").field("id", INT64_SCHEMA).build()
VALUE = SchemaBuilder.struct().name("row").field("id", INT64_SCHEMA).field("name", OPTIONAL_STRING_SCHEMA).build()


class Collector:
    """A sink `report` callback that keeps what was reported (errors.tolerance=all)."""

    tolerate_all = True

    def __init__(self) -> None:
        self.reported: list[tuple[Record, BaseException]] = []

    def __call__(self, record: Record, exc: BaseException) -> None:
        self.reported.append((record, exc))

    @property
    def offsets(self) -> list[int | None]:
        return [r.offset for r, _ in self.reported]


def make_sink(url: str, report: Any = None, name: str = "test-sink", **keys: Any) -> SqlSink:
    """A SqlSink configured with Kafka Connect keys (`auto_create=True` → `auto.create=true`)."""
    raw = {"name": name, "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": "unused",
           "connection.url": url, "retry.backoff.ms": "50", "max.retries": "2"}
    raw.update({k.replace("_", "."): str(v).lower() if isinstance(v, bool) else str(v) for k, v in keys.items()})
    spec = validate_connector(raw, {})
    return SqlSink(sink_settings(spec.config, name), report if report is not None else Collector())


def row_record(topic: str, offset: int, id_: int, name: str | None, partition: int = 0,
               value_schema: Schema = VALUE, extra: dict[str, Any] | None = None) -> Record:
    """A record with struct key {id} and struct value {id, name, ...extra}."""
    value = Struct(value_schema, {"id": id_, "name": name, **(extra or {})})
    return Record(topic, Struct(KEY, {"id": id_}), value, partition, offset, KEY, value_schema)


def tombstone(topic: str, offset: int, id_: int, partition: int = 0) -> Record:
    return Record(topic, Struct(KEY, {"id": id_}), None, partition, offset, KEY, None)


def rows(url: str, table: str, order: str = "1", columns: str = "*") -> list[tuple[Any, ...]]:
    """Every row of `table` (quoted as given), ordered."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            q = conn.dialect.identifier_preparer.quote_identifier(table)
            return [tuple(r) for r in conn.execute(sa.text(f"SELECT {columns} FROM {q} ORDER BY {order}"))]
    finally:
        engine.dispose()


def columns(url: str, table: str) -> dict[str, Any]:
    """Column name → reflected column info of `table`."""
    engine = sa.create_engine(url)
    try:
        return {c["name"]: c for c in sa.inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def write(sink: SqlSink, partition: str, batches: Sequence[Sequence[Record]], state: Any = None) -> Any:
    """Open a writer, write each batch and flush after each; return the last state."""
    writer = sink.open(partition, state)
    for batch in batches:
        writer.write(list(batch))
        state = writer.flush()
    writer.close()
    return state
