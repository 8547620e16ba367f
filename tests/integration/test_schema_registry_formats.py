"""JsonSchemaConverter and ProtobufConverter end to end over a real Kafka, with `pyconnect-flow schema-registry`
keeping schemas in a topic: records confluent-kafka's JSONSerializer/ProtobufSerializer wrote reach a
FileStreamSink as Connect structs, and what a FileStreamSource writes with the converters is read back
(by confluent-kafka's JSONDeserializer; Protobuf strings as google.protobuf.StringValue messages)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.integration.kafka_helpers import produce, read_topic, run_cli, worker_file, write_properties
from tests.integration.test_avro_schema_registry import Registry

CONVERTER = "io.confluent.connect.json.JsonSchemaConverter"
PROTOBUF = "io.confluent.connect.protobuf.ProtobufConverter"


@pytest.fixture
def registry(kafka: Any, unique_name: str) -> Iterator[Registry]:
    reg = Registry(kafka.bootstrap_servers, "_schemas-" + unique_name).start()
    try:
        yield reg
    finally:
        reg.stop()


def test_confluent_serialized_records_reach_a_file_sink(kafka: Any, registry: Registry, tmp_path: Path,
                                                        unique_name: str) -> None:
    kafka.create_topic(unique_name, partitions=1)
    schema = json.dumps({"title": "User", "type": "object", "required": ["id"],
                         "properties": {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}})
    serializer = JSONSerializer(schema, SchemaRegistryClient({"url": registry.url}))
    ctx = SerializationContext(unique_name, MessageField.VALUE)
    produce(kafka.bootstrap_servers, unique_name,
            [{"value": serializer({"id": i, "name": None if i % 3 == 0 else f"n{i}"}, ctx)} for i in range(20)])
    out = tmp_path / "out.txt"
    worker = worker_file(tmp_path, kafka.bootstrap_servers, **{
        "value.converter": CONVERTER, "value.converter.schema.registry.url": registry.url})
    conn = write_properties(tmp_path / "sink.properties", {
        "name": unique_name, "connector.class": "FileStreamSink", "topics": unique_name, "file": out})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    # properties without connect.index come in the order of Java's HashMap of names, as Confluent reads them
    assert out.read_text().splitlines() == [
        f"Struct{{{'' if i % 3 == 0 else f'name=n{i},'}id={i}}}" for i in range(20)]


def test_a_file_source_writes_what_confluents_deserializer_reads(kafka: Any, registry: Registry, tmp_path: Path,
                                                                 unique_name: str) -> None:
    src = tmp_path / "in.txt"
    lines = [f"line {i} é" for i in range(15)]
    src.write_text("\n".join(lines) + "\n")
    worker = worker_file(tmp_path, kafka.bootstrap_servers, **{
        "value.converter": CONVERTER, "value.converter.schema.registry.url": registry.url})
    conn = write_properties(tmp_path / "source.properties", {
        "name": unique_name, "connector.class": "FileStreamSource", "file": src, "topic": unique_name})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    records = read_topic(kafka.bootstrap_servers, unique_name, len(lines))
    deserializer = JSONDeserializer(None, schema_registry_client=SchemaRegistryClient({"url": registry.url}))
    ctx = SerializationContext(unique_name, MessageField.VALUE)
    assert [deserializer(r.value, ctx) for r in records] == lines
    subject = json.loads(_get(registry.url + f"/subjects/{unique_name}-value/versions/latest"))
    assert subject["schemaType"] == "JSON" and json.loads(subject["schema"]) == {"type": "string"}


def _get(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as answer:
        return bytes(answer.read())


def _user_class() -> Any:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    field = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(name="user.proto", package="example", syntax="proto3")
    user = file.message_type.add(name="User")
    user.field.add(name="id", number=1, type=field.TYPE_INT64, label=field.LABEL_OPTIONAL)
    user.field.add(name="name", number=2, type=field.TYPE_STRING, label=field.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("example.User"))


def test_protobuf_records_reach_a_file_sink_and_a_file_source_writes_wrappers(
        kafka: Any, registry: Registry, tmp_path: Path, unique_name: str) -> None:
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
    from google.protobuf import wrappers_pb2

    from pyconnect_flow.converters.protobuf import ProtobufConverter, decode_message_indexes

    topic = unique_name + "-in"
    kafka.create_topic(topic, partitions=1)
    user = _user_class()
    serializer = ProtobufSerializer(user, SchemaRegistryClient({"url": registry.url}),
                                    {"use.deprecated.format": False})
    ctx = SerializationContext(topic, MessageField.VALUE)
    produce(kafka.bootstrap_servers, topic,
            [{"value": serializer(user(id=i, name="" if i % 3 == 0 else f"n{i}"), ctx)} for i in range(12)])
    out = tmp_path / "out.txt"
    worker = worker_file(tmp_path, kafka.bootstrap_servers, **{
        "value.converter": PROTOBUF, "value.converter.schema.registry.url": registry.url})
    conn = write_properties(tmp_path / "sink.properties", {
        "name": unique_name + "-sink", "connector.class": "FileStreamSink", "topics": topic, "file": out})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    # proto3 scalars always have a value: an unset name reads as ""
    assert out.read_text().splitlines() == [f"Struct{{id={i},name={'' if i % 3 == 0 else f'n{i}'}}}"
                                            for i in range(12)]

    src = tmp_path / "in.txt"
    lines = [f"line {i}" for i in range(5)]
    src.write_text("\n".join(lines) + "\n")
    conn = write_properties(tmp_path / "source.properties", {
        "name": unique_name + "-source", "connector.class": "FileStreamSource", "file": src,
        "topic": unique_name + "-out"})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    records = read_topic(kafka.bootstrap_servers, unique_name + "-out", len(lines))
    reader = ProtobufConverter()
    reader.configure({"schema.registry.url": registry.url}, False)
    assert [reader.to_connect(unique_name + "-out", r.value)[1] for r in records] == lines
    for r in records:
        assert r.value is not None
        indexes, start = decode_message_indexes(r.value, 5)
        assert wrappers_pb2.StringValue.FromString(r.value[start:]).value in lines


@pytest.mark.parametrize("converter", [CONVERTER, PROTOBUF])
def test_bad_records_go_to_the_dead_letter_queue_or_stop_the_flow_naming_them(
        kafka: Any, registry: Registry, tmp_path: Path, unique_name: str, converter: str) -> None:
    from pyconnect_flow.converters.registry import create_converter
    from pyconnect_flow.data.schema import STRING_SCHEMA

    topic, dlq = unique_name, unique_name + "-dlq"
    kafka.create_topic(topic, partitions=1)
    writer = create_converter(converter, {"schema.registry.url": registry.url}, is_key=False)
    good = writer.from_connect_values(topic, STRING_SCHEMA, ["one", "two"])
    produce(kafka.bootstrap_servers, topic, [{"value": good[0]}, {"value": b"no magic byte"},
                                             {"value": b"\x00\x00\x0f\x42\x3f{}"}, {"value": good[1]}])
    worker = worker_file(tmp_path, kafka.bootstrap_servers, **{
        "value.converter": converter, "value.converter.schema.registry.url": registry.url})
    out = tmp_path / "out.txt"
    sink = {"name": unique_name, "connector.class": "FileStreamSink", "topics": topic, "file": out}
    done = run_cli(["standalone", str(worker), str(write_properties(tmp_path / "strict.properties", sink)),
                    "--stop-at-end"])
    assert done.returncode != 0
    assert f"stage VALUE_CONVERTER in {converter.rsplit('.', 1)[1]}" not in done.stderr  # the full class is named
    assert f"on record topic='{topic}' partition=0 offset=1" in done.stderr and "Unknown magic byte!" in done.stderr
    conn = write_properties(tmp_path / "tolerant.properties", {
        **sink, "name": unique_name + "-tolerant", "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": dlq, "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true"})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines() == ["one", "two"]
    dead = read_topic(kafka.bootstrap_servers, dlq, 2)
    assert sorted(int(dict(m.headers)["__connect.errors.offset"]) for m in dead) == [1, 2]
    messages = {int(dict(m.headers)["__connect.errors.offset"]): dict(m.headers)["__connect.errors.exception.message"]
                for m in dead}
    assert b"Unknown magic byte!" in messages[1] and b"999999" in messages[2]
    assert all(dict(m.headers)["__connect.errors.stage"] == b"VALUE_CONVERTER" for m in dead)
