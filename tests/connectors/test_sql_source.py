"""The JDBC-style source on SQLite: partitions per table, every mode, positions and resuming."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pyconnect_flow.connectors.sql.config import connection_url
from pyconnect_flow.connectors.sql.source import SqlSource, SqlSourceSettings
from pyconnect_flow.contract.source import EndOfInput
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.record import Record

T0 = dt.datetime(2024, 1, 1)


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'src.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL, "
                             "price NUMERIC(8, 2), updated TIMESTAMP NOT NULL)")
        conn.exec_driver_sql("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.exec_driver_sql("CREATE TABLE audit (id INTEGER PRIMARY KEY)")
        insert(conn, range(1, 8))
        conn.exec_driver_sql("INSERT INTO customers VALUES (1, 'ann'), (2, 'bob')")
    engine.dispose()
    return url


def insert(conn: Any, ids: range) -> None:
    # two rows per second: rows 1..7 at +0.5 s, +1 s, +1 s, +2 s, +2 s, +3 s, +3 s
    for i in ids:
        conn.execute(sa.text("INSERT INTO orders VALUES (:i, :item, :p, :u)"),
                     {"i": i, "item": f"item{i}", "p": i * 1.25, "u": T0 + dt.timedelta(seconds=(i // 2) or 0.5)})


def source(url: str, mode: str, **kwargs: Any) -> SqlSource:
    s = SqlSourceSettings(url=connection_url({"connection.url": url}), mode=mode, incrementing_column="id",
                          timestamp_columns=("updated",), batch_max_rows=3, stop_at_end=True, **kwargs)
    return SqlSource(s)


def drain(src: SqlSource, partition: str, position: Any = None) -> tuple[list[Record], Any]:
    reader = src.open(partition, position)
    out: list[Record] = []
    with pytest.raises(EndOfInput):
        while True:
            batch = reader.read()
            assert len(batch) <= 3
            out += batch
    return out, reader.position()


def ids(records: list[Record]) -> list[int]:
    return [r.value["id"] for r in records]


def test_one_partition_per_table_filtered_by_whitelist_or_blacklist(db: str) -> None:
    assert source(db, "bulk").partitions() == ["audit", "customers", "orders"]
    assert source(db, "bulk", table_whitelist=("orders",)).partitions() == ["orders"]
    assert source(db, "bulk", table_blacklist=("audit",)).partitions() == ["customers", "orders"]
    with pytest.raises(ConnectException, match="do not exist: nope"):
        source(db, "bulk", table_whitelist=("nope",)).preflight()


def test_bulk_reads_the_whole_table_as_structs_named_after_it(db: str) -> None:
    records, position = drain(source(db, "bulk", topic_prefix="shop-"), "orders")
    assert ids(records) == [1, 2, 3, 4, 5, 6, 7] and position is None
    first = records[0]
    assert first.topic == "shop-orders" and first.key is None
    assert first.value_schema.name == "orders"
    assert [f.name for f in first.value_schema.fields] == ["id", "item", "price", "updated"]
    assert first.value["item"] == "item1" and str(first.value["price"]) == "1.25"
    assert first.value["updated"] == dt.datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=dt.timezone.utc)
    assert first.source_partition == {"table": "orders"}


def test_incrementing_resumes_after_the_stored_id(db: str) -> None:
    src = source(db, "incrementing")
    records, position = drain(src, "orders")
    assert ids(records) == list(range(1, 8)) and position == {"incrementing": 7}
    engine = sa.create_engine(db)
    with engine.begin() as conn:
        insert(conn, range(8, 10))
    engine.dispose()
    records, position = drain(src, "orders", position)
    assert ids(records) == [8, 9] and position == {"incrementing": 9}
    assert records[-1].source_offset == {"incrementing": 9}


def test_timestamp_mode_never_skips_rows_that_share_the_last_timestamp(db: str) -> None:
    src = source(db, "timestamp")
    reader = src.open("orders", None)
    first = reader.read()                       # ids 1, 2, 3: +0.5 s, +1 s, +1 s
    assert ids(first) == [1, 2, 3]
    # +1 s is not complete until a later timestamp was read: the position stays at +0.5 s
    assert reader.position()["timestamp"] == int(dt.datetime(2024, 1, 1, 0, 0, 0, 500000,
                                                              tzinfo=dt.timezone.utc).timestamp() * 1000)
    resumed, position = drain(src, "orders", reader.position())
    assert ids(resumed) == [2, 3, 4, 5, 6, 7]   # a restart re-reads +1 s rows, never loses one
    assert position["timestamp"] == int(dt.datetime(2024, 1, 1, 0, 0, 3, tzinfo=dt.timezone.utc).timestamp() * 1000)
    again, _ = drain(src, "orders", position)
    assert again == []


def test_timestamp_plus_incrementing_and_delay(db: str) -> None:
    records, position = drain(source(db, "timestamp+incrementing"), "orders",
                              {"timestamp": int(dt.datetime(2024, 1, 1, 0, 0, 2, tzinfo=dt.timezone.utc)
                                                .timestamp() * 1000), "incrementing": 4})
    assert ids(records) == [5, 6, 7] and position["incrementing"] == 7
    # rows newer than now - delay are not read yet
    late, _ = drain(source(db, "timestamp", timestamp_delay_ms=10 ** 12), "orders")
    assert late == []


def test_query_mode_reads_the_query_into_one_topic(db: str) -> None:
    src = source(db, "incrementing", query="SELECT id, item FROM orders WHERE id % 2 = 1", topic_prefix="odd")
    assert src.partitions() == ["query"]
    records, position = drain(src, "query")
    assert ids(records) == [1, 3, 5, 7] and position == {"incrementing": 7}
    assert {r.topic for r in records} == {"odd"} and records[0].value["item"] == "item1"
