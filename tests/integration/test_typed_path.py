"""Flat struct batches decoded by msgspec (`converters.json_typed`) against the record path, over real Kafka.

A topic of flat structs of the types msgspec reads (ints of every width, doubles, strings, booleans, nulls) and
a topic where such envelopes carry, now and then, a payload msgspec would read otherwise than JsonConverter (a
second document, `NaN`, invalid UTF-8, a duplicate key, `-0.0`, a number for a string, an unknown field, …)
run through FileStreamSink, S3 JsonFormat and S3 ParquetFormat twice: on the record path
(`PYCONNECT_FLOW_COLUMNAR=0`) and on the columnar path. Lines, objects and dead letters must be the same; in
process, the clean batches are seen to be decoded by msgspec.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from pyconnect_flow.converters import create_converter
from pyconnect_flow.engine.stages import Chunk, Decoder
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
from tests.integration.kafka_helpers import produce, read_batches, read_topic, run_cli, worker_file, write_properties
from tests.integration.s3_sink_helpers import bucket_contents, s3_connector_file

PARTITIONS = 2
CLEAN = 4400  # over 2,000 per partition: several batches
MIXED = 900
SCHEMA = {"type": "struct", "name": "com.example.Typed", "optional": False, "fields": [
    {"field": "i8", "type": "int8", "optional": False},
    {"field": "i16", "type": "int16", "optional": True},
    {"field": "i32", "type": "int32", "optional": True},
    {"field": "i64", "type": "int64", "optional": False},
    {"field": "f64", "type": "double", "optional": True},
    {"field": "flag", "type": "boolean", "optional": True},
    {"field": "text", "type": "string", "optional": True}]}
PREFIX = b'{"schema":' + json.dumps(SCHEMA, separators=(",", ":")).encode() + b',"payload":'
POISON = [b'{"i8":1,"i64":2,"other":5}', b'{"i8":1,"i64":2}null', b'{"i8":1,"i64":2}{"i8":3,"i64":4}', b'{"i8":1,"i64":2,"x":NaN}',
          b'{"i8":1,"i64":2,"x":"\xff"}', b'{"i8":1,"i8":2,"i64":3}', b'{"i8":1,"i64":2,"f64":-0.0}',
          b'{"i8":1,"i64":2,"text":7}', b'{"i8":1,"i64":2,"f64":3}', b'{"i8":300,"i64":2}', b'{"i64":2}',
          b'{"i8":1,"i64":2,"text":"a\\ud800"}', b'{"i8":1,"i64":2,"f64":12345678.5}', b"null"]


def payload(i: int) -> bytes:
    null = i % 7 == 0
    value = {"i8": i % 256 - 128, "i16": None if null else -(i % 30000), "i32": None if null else i * 1000,
             "i64": i * 10**12, "f64": None if null or i % 5 == 0 else (i % 1000) * 0.25 + 0.5,
             "flag": None if null else i % 2 == 0, "text": None if null else f"t\u00e9xt {i}"}
    if i % 11 == 0:
        value.pop("i16")  # a missing optional field reads as null
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def messages(count: int, poisoned: bool) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        body = POISON[(i // 40) % len(POISON)] if poisoned and i % 40 == 39 else payload(i)
        out.append({"key": None, "value": PREFIX + body + b"}", "partition": i % PARTITIONS})
    return out


def fill(kafka: Any, topic: str) -> None:
    for name, count, poisoned in ((f"{topic}-clean", CLEAN, False), (f"{topic}-mixed", MIXED, True)):
        kafka.create_topic(name, partitions=PARTITIONS)
        produce(kafka.bootstrap_servers, name, messages(count, poisoned))


DLQ = {"errors.tolerance": "all", "errors.deadletterqueue.topic.replication.factor": "1",
       "errors.deadletterqueue.context.headers.enable": "true"}


def _dead_letter(m: Any) -> tuple[Any, ...]:
    headers = [(k, v) for k, v in m.headers
               if k not in ("__connect.errors.connector.name", "__connect.errors.exception.stacktrace")]
    return m.partition, m.key, m.value, tuple(sorted(headers))


def run(kafka: Any, tmp: Path, name: str, connector: dict[str, Any], columnar: str) -> list[Any]:
    worker = worker_file(tmp, kafka.bootstrap_servers, offset_storage_file_filename=str(tmp / f"offsets-{name}"))
    conn = write_properties(tmp / f"{name}.properties", connector)
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], PYCONNECT_FLOW_COLUMNAR=columnar)
    assert done.returncode == 0, done.stderr
    return sorted(map(_dead_letter, read_topic(kafka.bootstrap_servers, f"{name}-dlq")), key=repr)


def test_file_sink_prints_the_same_lines(kafka: Any, tmp_path: Path, unique_name: str) -> None:
    fill(kafka, unique_name)
    out: dict[str, list[str]] = {}
    dead: dict[str, list[Any]] = {}
    for columnar in ("0", "1"):
        name = f"{unique_name}-file{columnar}"
        dead[columnar] = run(kafka, tmp_path, name, {
            "name": name, "connector.class": "FileStreamSink", "topics": f"{unique_name}-clean,{unique_name}-mixed",
            "file": tmp_path / f"{name}.txt", "errors.deadletterqueue.topic.name": f"{name}-dlq", **DLQ}, columnar)
        out[columnar] = sorted((tmp_path / f"{name}.txt").read_text(encoding="utf-8").splitlines())
    assert out["1"] == out["0"] and len(out["0"]) > CLEAN
    assert any("f64=" in line for line in out["0"]) and any(line.startswith("Struct{i8=") for line in out["0"])
    assert dead["1"] == dead["0"] and dead["0"]


@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_s3_sink_writes_the_same_objects(kafka: Any, s3: Any, tmp_path: Path, unique_name: str, fmt: str) -> None:
    fill(kafka, unique_name)
    objects: dict[str, dict[str, Any]] = {}
    dead: dict[str, list[Any]] = {}
    cls = {"json": "json.JsonFormat", "parquet": "parquet.ParquetFormat"}[fmt]
    for columnar in ("0", "1"):
        name = f"{unique_name}-{fmt}{columnar}"
        s3.client().create_bucket(Bucket=name)
        conn = s3_connector_file(tmp_path / "unused.properties", s3, name,
                                 f"{unique_name}-clean,{unique_name}-mixed", name)
        values = dict(line.split("=", 1) for line in conn.read_text().splitlines() if "=" in line)
        values.update({"format.class": f"io.confluent.connect.s3.format.{cls}", "flush.size": "1000",
                       "errors.deadletterqueue.topic.name": f"{name}-dlq", **DLQ})
        dead[columnar] = run(kafka, tmp_path, name, values, columnar)
        objects[columnar] = bucket_contents(s3.client(), name)
    assert sorted(objects["1"]) == sorted(objects["0"]) and len(objects["0"]) >= 4
    if fmt == "json":
        assert objects["1"] == objects["0"]
        return
    for key, data in objects["0"].items():
        expected, got = pq.ParquetFile(io.BytesIO(data)), pq.ParquetFile(io.BytesIO(objects["1"][key]))
        assert got.read() == expected.read() and got.schema_arrow == expected.schema_arrow, key
    assert dead["1"] == dead["0"] and dead["0"]


def test_clean_batches_are_decoded_by_msgspec(kafka: Any, unique_name: str) -> None:
    fill(kafka, unique_name)
    key = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, True)
    value = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, False)
    decoder = Decoder(key, value, ErrorReporter(unique_name, ErrorPolicy()))
    read = 0
    for p in range(PARTITIONS):
        for batch in read_batches(kafka, f"{unique_name}-clean", p, True, f"typed-{unique_name}", batch_size=500):
            decoded = decoder(Chunk("k", batch, None)).unbuilt_columns
            assert decoded is not None and decoded.flat is not None and decoded.flat.nodes is None
            read += len(decoded)
    assert read == CLEAN
