"""Kafka → SQL and SQL → Kafka through `pyconnect-flow standalone`: JSON with schemas into
PostgreSQL (upsert, deletes, evolving schemas), bad records to the dead letter queue with
`__connect.errors.*` headers, and the JDBC source streaming a table into a topic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.integration.kafka_helpers import produce, read_topic, run_cli, worker_file, write_properties

ROW = {"type": "struct", "name": "row", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "name", "type": "string", "optional": True},
]}
KEY = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int64", "optional": False}]}


def envelope(schema: dict[str, Any] | None, payload: Any) -> bytes | None:
    if payload is None:
        return None
    return json.dumps({"schema": schema, "payload": payload}).encode()


def jdbc(postgres: Any) -> str:
    return (f"jdbc:postgresql://{postgres.host}:{postgres.port}/{postgres.database}"
            f"?user={postgres.user}&password={postgres.password}")


def table_rows(postgres: Any, table: str, columns: str = "*") -> list[tuple[Any, ...]]:
    engine = sa.create_engine(postgres.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(f'SELECT {columns} FROM "{table}" ORDER BY 1'))]
    finally:
        engine.dispose()


def test_kafka_to_postgres_upserts_deletes_evolves_and_dead_letters(apache_kafka, postgres, tmp_path: Path,
                                                                     unique_name: str) -> None:
    kafka, topic, dlq = apache_kafka, unique_name, unique_name + "-dlq"
    kafka.create_topic(topic, partitions=2)
    wider = {**ROW, "fields": [*ROW["fields"], {"field": "score", "type": "int32", "optional": True}]}
    records = []
    for i in range(40):
        schema, payload = (wider, {"id": i % 10, "name": f"v{i}", "score": i}) if i >= 30 else \
            (ROW, {"id": i % 10, "name": f"v{i}"})
        records.append({"key": envelope(KEY, {"id": i % 10}), "value": envelope(schema, payload), "partition": 0})
    records.append({"key": envelope(KEY, {"id": 3}), "value": None, "partition": 0})           # delete id 3
    records.append({"key": envelope(KEY, {"id": 77}), "value": envelope(ROW, {"id": 77, "name": "bad\u0000nul"}),
                    "partition": 1})                                                         # PG refuses NUL
    records.append({"key": envelope(KEY, {"id": 78}), "value": b"not json", "partition": 1})  # converter failure
    records.append({"key": envelope(KEY, {"id": 79}), "value": envelope(ROW, {"id": 79, "name": "ok"}),
                    "partition": 1})
    produce(kafka.bootstrap_servers, topic, records)
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    conn = write_properties(tmp_path / "sink.properties", {
        "name": unique_name, "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": topic,
        "connection.url": jdbc(postgres), "insert.mode": "upsert", "pk.mode": "record_key",
        "auto.create": "true", "auto.evolve": "true", "delete.enabled": "true",
        "errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true"})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    assert postgres.password not in done.stderr + done.stdout
    expected = [(i, f"v{30 + i}", 30 + i) for i in range(10) if i != 3] + [(79, "ok", None)]
    assert table_rows(postgres, topic) == expected
    dead = read_topic(kafka.bootstrap_servers, dlq, expected=2)
    by_offset = {int(dict(m.headers)["__connect.errors.offset"]): m for m in dead}
    assert sorted(by_offset) == [0, 1]
    nul = dict(by_offset[0].headers)
    assert nul["__connect.errors.topic"] == topic.encode() and nul["__connect.errors.partition"] == b"1"
    assert nul["__connect.errors.stage"] == b"TASK_PUT"
    assert nul["__connect.errors.class.name"] == b"io.confluent.connect.jdbc.sink.JdbcSinkTask"
    assert b"NUL" in nul["__connect.errors.exception.message"]
    assert by_offset[0].value == records[41]["value"] and by_offset[0].key == records[41]["key"]
    assert dict(by_offset[1].headers)["__connect.errors.stage"] == b"VALUE_CONVERTER"


def test_bad_record_with_default_tolerance_stops_the_flow_naming_the_record(apache_kafka, postgres, tmp_path: Path,
                                                                           unique_name: str) -> None:
    kafka, topic = apache_kafka, unique_name
    kafka.create_topic(topic, partitions=1)
    produce(kafka.bootstrap_servers, topic, [
        {"key": envelope(KEY, {"id": 1}), "value": envelope(ROW, {"id": 1, "name": "a\u0000"})}])
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    conn = write_properties(tmp_path / "sink.properties", {
        "name": unique_name, "connector.class": "JdbcSink", "topics": topic, "connection.url": jdbc(postgres),
        "insert.mode": "upsert", "pk.mode": "record_key", "auto.create": "true"})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode != 0
    assert "TASK_PUT" in done.stderr and "offset=0" in done.stderr and "NUL" in done.stderr
    assert postgres.password not in done.stderr
    assert table_rows(postgres, topic) == []


def test_jdbc_source_streams_tables_into_topics_and_resumes(apache_kafka, postgres, tmp_path: Path,
                                                           unique_name: str) -> None:
    kafka, table = apache_kafka, unique_name
    engine = sa.create_engine(postgres.sqlalchemy_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE TABLE "{table}" (id SERIAL PRIMARY KEY, name TEXT NOT NULL, '
                             'price NUMERIC(8,2), updated TIMESTAMP NOT NULL DEFAULT now())')
        conn.exec_driver_sql(f"INSERT INTO \"{table}\" (name, price) SELECT 'n' || g, g * 1.5 "
                             "FROM generate_series(1, 25) g")
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    conn_file = write_properties(tmp_path / "source.properties", {
        "name": unique_name, "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
        "connection.url": postgres.sqlalchemy_url, "mode": "incrementing", "incrementing.column.name": "id",
        "table.whitelist": table, "topic.prefix": "db-", "batch.max.rows": "10"})
    done = run_cli(["standalone", str(worker), str(conn_file), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    messages = read_topic(kafka.bootstrap_servers, f"db-{table}", expected=25)
    first = json.loads(messages[0].value)
    assert first["schema"]["name"] == table and first["schema"]["type"] == "struct"
    assert [f["field"] for f in first["schema"]["fields"]] == ["id", "name", "price", "updated"]
    assert [json.loads(m.value)["payload"]["id"] for m in messages] == list(range(1, 26))
    assert messages[0].key is None or json.loads(messages[0].key)["payload"] is None
    with engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO \"{table}\" (name) VALUES ('late')")
    engine.dispose()
    again = run_cli(["standalone", str(worker), str(conn_file), "--stop-at-end"])
    assert again.returncode == 0, again.stderr
    messages = read_topic(kafka.bootstrap_servers, f"db-{table}", expected=26)
    assert [json.loads(m.value)["payload"]["id"] for m in messages] == list(range(1, 27))
