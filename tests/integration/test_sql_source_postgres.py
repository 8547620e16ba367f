"""The JDBC-style source on PostgreSQL: timestamp and timestamp+incrementing positions, COALESCE, types."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest
import sqlalchemy as sa

from pyconnect_flow.connectors.sql.config import connection_url
from pyconnect_flow.connectors.sql.source import SqlSource, SqlSourceSettings
from pyconnect_flow.contract.source import EndOfInput
from pyconnect_flow.data import Type, logical
from pyconnect_flow.record import Record

T0 = dt.datetime(2024, 3, 1, 12, 0, 0)
UTC = dt.timezone.utc


def drain(src: SqlSource, partition: str, position: Any = None) -> tuple[list[Record], Any]:
    reader = src.open(partition, position)
    out: list[Record] = []
    with pytest.raises(EndOfInput):
        while True:
            out += reader.read()
    return out, reader.position()


def test_timestamp_modes_resume_from_confluent_style_offsets(postgres, unique_name: str) -> None:
    table = unique_name
    engine = sa.create_engine(postgres.sqlalchemy_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE TABLE "{table}" (id BIGINT PRIMARY KEY, amount NUMERIC(9, 3), ok BOOLEAN, '
                             'created TIMESTAMP NOT NULL, modified TIMESTAMP, blob BYTEA, day DATE)')
        for i in range(1, 7):
            conn.execute(sa.text(f'INSERT INTO "{table}" VALUES (:i, :a, :ok, :c, :m, :b, :d)'), {
                "i": i, "a": decimal.Decimal(i) / 8, "ok": i % 2 == 0, "c": T0 + dt.timedelta(seconds=i // 2),
                "m": T0 + dt.timedelta(minutes=1) if i == 6 else None, "b": bytes([i]), "d": dt.date(2024, 3, i)})
    engine.dispose()

    def source(mode: str, columns: tuple[str, ...] = ("created",)) -> SqlSource:
        return SqlSource(SqlSourceSettings(url=connection_url({"connection.url": postgres.sqlalchemy_url}),
                                           mode=mode, incrementing_column="id", timestamp_columns=columns,
                                           table_whitelist=(table,), batch_max_rows=2, stop_at_end=True))

    records, position = drain(source("timestamp+incrementing"), table)
    assert [r.value["id"] for r in records] == [1, 2, 3, 4, 5, 6]
    t3 = int((T0 + dt.timedelta(seconds=3)).replace(tzinfo=UTC).timestamp() * 1000)
    assert position == {"incrementing": 6, "timestamp": t3, "timestamp_nanos": 0}
    resumed, _ = drain(source("timestamp+incrementing"), table,
                       {"incrementing": 4, "timestamp": t3 - 1000, "timestamp_nanos": 0})
    assert [r.value["id"] for r in resumed] == [5, 6]
    # COALESCE(modified, created): row 6 moves a minute later, and comes last
    coalesced, _ = drain(source("timestamp", ("modified", "created")), table)
    assert [r.value["id"] for r in coalesced][-1] == 6
    first = records[0]
    schema = first.value_schema
    assert schema.name == table
    kinds = {f.name: (f.schema.type, f.schema.name) for f in schema.fields}
    assert kinds == {"id": (Type.INT64, None), "amount": (Type.BYTES, logical.DECIMAL_NAME),
                     "ok": (Type.BOOLEAN, None), "created": (Type.INT64, logical.TIMESTAMP_NAME),
                     "modified": (Type.INT64, logical.TIMESTAMP_NAME), "blob": (Type.BYTES, None),
                     "day": (Type.INT32, logical.DATE_NAME)}
    assert first.value["amount"] == decimal.Decimal("0.125") and first.value["blob"] == b"\x01"
    assert first.value["created"] == T0.replace(tzinfo=UTC) and first.value["day"] == dt.date(2024, 3, 1)
