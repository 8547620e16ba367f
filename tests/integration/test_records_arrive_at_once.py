"""Records become visible in the sink as they arrive, not when the epoch ends (issue "first hour", latency).

Kafka Connect's sinks write as records come and commit offsets every `offset.flush.interval.ms`. Here the
epoch is a minute long: a record must be visible well before it ends, while positions still wait for it.
(Measured latencies are in `benchmarks/latency.py`.)
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from tests.integration.kafka_helpers import produce, read_topic
from tests.integration.rest_helpers import RestWorker, wait_until

LONG_EPOCH = {"offset.flush.interval.ms": "60000"}
SOON = 10.0  # seconds: far from the 60 s epoch, far above any scheduling noise


def test_a_sink_file_shows_each_record_long_before_the_epoch_ends(kafka, tmp_path: Path, unique_name: str) -> None:
    kafka.create_topic(unique_name, partitions=1)
    out = tmp_path / "out.txt"
    with RestWorker(tmp_path, kafka.bootstrap_servers, worker=LONG_EPOCH) as worker:
        assert worker.client.post("/connectors", json={"name": unique_name, "config": {
            "connector.class": "FileStreamSink", "topics": unique_name, "file": str(out)}}).status_code == 201
        worker.wait_state(unique_name, "RUNNING")
        for i, word in enumerate(["one", "two", "three"]):
            produce(kafka.bootstrap_servers, unique_name, [{"value": word.encode()}])
            assert wait_until(lambda n=i + 1: out.exists() and len(out.read_text().splitlines()) == n, SOON), \
                out.read_text() if out.exists() else "no file"
        assert out.read_text() == "one\ntwo\nthree\n"


def test_a_file_source_sends_each_line_long_before_the_epoch_ends(kafka, tmp_path: Path, unique_name: str) -> None:
    kafka.create_topic(unique_name, partitions=1)
    src = tmp_path / "in.txt"
    src.write_text("")
    with RestWorker(tmp_path, kafka.bootstrap_servers, worker=LONG_EPOCH) as worker:
        assert worker.client.post("/connectors", json={"name": unique_name, "config": {
            "connector.class": "FileStreamSource", "topic": unique_name, "file": str(src)}}).status_code == 201
        worker.wait_state(unique_name, "RUNNING")
        with src.open("a") as f:
            f.write("first\n")
        started = time.monotonic()
        assert [m.value for m in read_topic(kafka.bootstrap_servers, unique_name, 1, timeout=SOON)] == [b"first"]
        assert time.monotonic() - started < SOON


def test_a_sql_sink_commits_rows_long_before_the_epoch_ends(kafka, tmp_path: Path, unique_name: str) -> None:
    kafka.create_topic(unique_name, partitions=1)
    db = tmp_path / "rows.db"
    schema = {"type": "struct", "fields": [{"field": "id", "type": "int64"}, {"field": "name", "type": "string"}]}

    def envelope(i: int) -> bytes:
        return json.dumps({"schema": schema, "payload": {"id": i, "name": f"n{i}"}}).encode()

    def rows() -> list[tuple[int, str]]:
        if not db.exists():
            return []
        with sqlite3.connect(db) as conn:
            try:
                return conn.execute(f'SELECT id, name FROM "{unique_name}" ORDER BY id').fetchall()
            except sqlite3.OperationalError:  # not created yet
                return []

    with RestWorker(tmp_path, kafka.bootstrap_servers, worker=LONG_EPOCH) as worker:
        assert worker.client.post("/connectors", json={"name": unique_name, "config": {
            "connector.class": "JdbcSink", "topics": unique_name, "connection.url": f"sqlite:///{db}",
            "auto.create": "true", "insert.mode": "upsert", "pk.mode": "record_value", "pk.fields": "id",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "true"}}).status_code == 201
        worker.wait_state(unique_name, "RUNNING")
        produce(kafka.bootstrap_servers, unique_name, [{"value": envelope(1)}, {"value": envelope(2)}])
        assert wait_until(lambda: rows() == [(1, "n1"), (2, "n2")], SOON), rows()
        produce(kafka.bootstrap_servers, unique_name, [{"value": envelope(3)}])
        assert wait_until(lambda: len(rows()) == 3, SOON), rows()
