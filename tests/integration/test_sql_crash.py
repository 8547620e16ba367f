"""kill -9 a Kafka → PostgreSQL `pyconnect-flow standalone` several times while 200,000 records stream;
after the restarts from the recovery store the table holds every record exactly once.

Insert mode without a key is the hard case (a replay would insert again): the sink stores each
partition's high-water mark in the target, in the transaction of the rows it covers.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from confluent_kafka import Producer

from tests.integration.kafka_helpers import run_cli, start_cli, worker_file, write_properties

RECORDS = 200_000
PARTITIONS = 4
SCHEMA = ('{"type":"struct","name":"event","optional":false,"fields":[{"field":"id","type":"int64","optional":false},'
          '{"field":"payload","type":"string","optional":true}]}')


def produce_events(bootstrap: str, topic: str) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10000,
                         "queue.buffering.max.messages": 500_000})
    for i in range(RECORDS):
        value = b'{"schema":%s,"payload":{"id":%d,"payload":"event-%d"}}' % (SCHEMA.encode(), i, i)
        while True:
            try:
                producer.produce(topic, value, partition=i % PARTITIONS)
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(60) == 0


def count(engine: Any, table: str) -> int:
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one())
    except sa.exc.ProgrammingError:  # not created yet
        return 0


def test_kill_9_while_streaming_into_postgres_then_resume_writes_every_record_once(
        apache_kafka, postgres, tmp_path: Path, unique_name: str) -> None:
    kafka, topic = apache_kafka, unique_name
    kafka.create_topic(topic, partitions=PARTITIONS)
    produce_events(kafka.bootstrap_servers, topic)
    worker = worker_file(tmp_path, kafka.bootstrap_servers, offset_flush_interval_ms=300)
    conn = write_properties(tmp_path / "sink.properties", {
        "name": unique_name, "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": topic,
        "connection.url": postgres.sqlalchemy_url, "insert.mode": "insert", "pk.mode": "none",
        "auto.create": "true"})
    engine = sa.create_engine(postgres.sqlalchemy_url)
    kills = []
    for threshold in (RECORDS // 10, RECORDS // 3, RECORDS * 2 // 3):
        proc = start_cli(["standalone", str(worker), str(conn), "--stop-at-end"], cwd=tmp_path)
        deadline = time.monotonic() + 60
        while count(engine, topic) < threshold:
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the flow made no progress"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills.append(count(engine, topic))
    assert kills[-1] < RECORDS, "the flow finished before the last kill; stream more records"
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    with engine.connect() as c:
        total, distinct, low, high = c.execute(sa.text(
            f'SELECT count(*), count(DISTINCT id), min(id), max(id) FROM "{topic}"')).one()
    engine.dispose()
    assert (total, distinct, low, high) == (RECORDS, RECORDS, 0, RECORDS - 1), kills
