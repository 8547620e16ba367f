"""The embedded Schema Registry on a real Kafka, and AvroConverter in a connector run.

The registry is started as a user starts it (`pyconnect-flow schema-registry --bootstrap-servers …`);
schemas live in a compacted topic with Confluent's record keys, so a restarted registry keeps its ids.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyconnect_flow.converters.avro import AvroConverter
from pyconnect_flow.data.schema import INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, SchemaBuilder
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.net import free_ports
from tests.integration.kafka_helpers import produce, read_topic, run_cli, start_cli, worker_file, write_properties

USER = SchemaBuilder.struct().name("com.example.User").field("id", INT64_SCHEMA).field(
    "name", OPTIONAL_STRING_SCHEMA).build()


class Registry:
    """A `pyconnect-flow schema-registry` process; `restart()` kills it and starts another on the same topic."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self.url = f"http://127.0.0.1:{free_ports(1)[0]}"
        self.proc: Any = None

    def start(self) -> Registry:
        self.proc = start_cli(["schema-registry", "--bootstrap-servers", self.bootstrap, "--listeners", self.url,
                               "--topic", self.topic])
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/subjects", timeout=2).read()
                return self
            except OSError:
                assert self.proc.poll() is None, self.proc.communicate()[1]
                assert time.monotonic() < deadline, "the registry did not start"
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.communicate()

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def registry(kafka: Any, unique_name: str) -> Iterator[Registry]:
    reg = Registry(kafka.bootstrap_servers, "_schemas-" + unique_name).start()
    try:
        yield reg
    finally:
        reg.stop()


def _converter(url: str) -> AvroConverter:
    c = AvroConverter()
    c.configure({"schema.registry.url": url}, False)
    return c


def test_ids_survive_a_restart_and_records_have_confluents_keys(kafka: Any, registry: Registry,
                                                                 unique_name: str) -> None:
    first = _converter(registry.url).from_connect(unique_name, USER, Struct(USER).put("id", 1))
    registry.restart()
    again = _converter(registry.url)
    assert again.from_connect(unique_name, USER, Struct(USER).put("id", 1)) == first
    schema, value = again.to_connect(unique_name, first)
    assert schema is not None and schema.version == 1  # the registry's version, read back from the topic
    assert (value.get("id"), value.get("name")) == (1, None)
    records = read_topic(kafka.bootstrap_servers, registry.topic, 1)
    assert json.loads(records[0].key or b"") == {"keytype": "SCHEMA", "subject": f"{unique_name}-value",
                                                 "version": 1, "magic": 1}
    value = json.loads(records[0].value or b"")
    assert (value["subject"], value["version"], value["deleted"]) == (f"{unique_name}-value", 1, False)


def test_kafka_to_file_sink_with_avro_values(kafka: Any, registry: Registry, tmp_path: Path, unique_name: str) -> None:
    kafka.create_topic(unique_name, partitions=1)
    writer = _converter(registry.url)
    values = [Struct(USER).put("id", i).put("name", None if i % 3 == 0 else f"n{i}") for i in range(20)]
    produce(kafka.bootstrap_servers, unique_name,
            [{"value": data} for data in writer.from_connect_values(unique_name, USER, values)])
    out = tmp_path / "out.txt"
    worker = worker_file(tmp_path, kafka.bootstrap_servers, **{
        "value.converter": "io.confluent.connect.avro.AvroConverter",
        "value.converter.schema.registry.url": registry.url})
    conn = write_properties(tmp_path / "sink.properties", {
        "name": unique_name, "connector.class": "FileStreamSink", "topics": unique_name, "file": out})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines() == [
        f"Struct{{id={i}{'' if i % 3 == 0 else f',name=n{i}'}}}" for i in range(20)]


def test_a_bad_converter_key_is_refused_before_data_moves(kafka: Any, tmp_path: Path, unique_name: str) -> None:
    worker = worker_file(tmp_path, kafka.bootstrap_servers, **{
        "value.converter": "io.confluent.connect.avro.AvroConverter",
        "value.converter.auto.register.schemas": "sometimes"})
    conn = write_properties(tmp_path / "sink.properties", {
        "name": unique_name, "connector.class": "FileStreamSink", "topics": unique_name,
        "file": tmp_path / "out.txt"})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode != 0
    assert "schema.registry.url" in done.stderr
    assert "auto.register.schemas: expected true or false" in done.stderr


def test_a_field_added_with_a_default_mid_stream_reaches_postgres_through_auto_evolve(
        kafka: Any, registry: Registry, postgres: Any, tmp_path: Path, unique_name: str) -> None:
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    from tests.integration.test_sql_kafka import jdbc, table_rows

    topic = unique_name
    kafka.create_topic(topic, partitions=1)
    v1 = {"type": "record", "name": "Order", "namespace": "com.example", "fields": [
        {"name": "id", "type": "long"}, {"name": "item", "type": "string"}]}
    v2 = {**v1, "fields": [*v1["fields"], {"name": "qty", "type": ["null", "int"], "default": None},
                           {"name": "note", "type": "string", "default": "none"}]}
    client = SchemaRegistryClient({"url": registry.url})
    ctx = SerializationContext(topic, MessageField.VALUE)
    first, second = (AvroSerializer(client, json.dumps(s)) for s in (v1, v2))
    records = [{"value": first({"id": i, "item": f"i{i}"}, ctx)} for i in range(10)]
    records += [{"value": second({"id": i, "item": f"i{i}", "qty": None if i % 4 == 0 else i, "note": f"n{i}"}, ctx)}
                for i in range(10, 25)]
    produce(kafka.bootstrap_servers, topic, records)
    # the registry took v2 as a second version of the subject: BACKWARD-compatible, the new fields have defaults
    assert [v.version for v in (client.get_version(f"{topic}-value", n) for n in (1, 2))] == [1, 2]
    worker = worker_file(tmp_path, kafka.bootstrap_servers, **{
        "value.converter": "io.confluent.connect.avro.AvroConverter",
        "value.converter.schema.registry.url": registry.url})
    conn = write_properties(tmp_path / "sink.properties", {
        "name": unique_name, "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": topic,
        "connection.url": jdbc(postgres), "insert.mode": "insert", "pk.mode": "none",
        "auto.create": "true", "auto.evolve": "true"})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    # `note` was added as Confluent's sink adds it, `TEXT DEFAULT 'none'`: the v1 rows read the default
    assert table_rows(postgres, topic, "id, item, qty, note") == (
        [(i, f"i{i}", None, "none") for i in range(10)]
        + [(i, f"i{i}", None if i % 4 == 0 else i, f"n{i}") for i in range(10, 25)])
    import sqlalchemy as sa

    engine = sa.create_engine(postgres.sqlalchemy_url)
    try:
        columns = {c["name"]: c for c in sa.inspect(engine).get_columns(topic)}
    finally:
        engine.dispose()
    assert list(columns) == ["id", "item", "qty", "note"]
    assert [str(columns[c]["type"]) for c in columns] == ["BIGINT", "TEXT", "INTEGER", "TEXT"]
    assert (columns["qty"]["nullable"], columns["note"]["nullable"]) == (True, True)
    assert (columns["qty"]["default"], columns["note"]["default"]) == (None, "'none'::text")
