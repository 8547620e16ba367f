"""Filter with its predicates and InsertField's timestamp field on the columnar path, over a real Kafka broker.

Three topics of JsonConverter envelopes of flat structs (one, `-tmp`, dropped whole by a Filter behind
TopicNameMatches; `-orders` with tombstones in its later part, and messages with a `debug` header a Filter
behind HasHeaderKey drops; `-events` of another schema) run through a chain of Filters behind each predicate
and an InsertField (timestamp and offset fields) behind a negated TopicNameMatches, into a FileStreamSink and
into the S3 sink (Parquet and JSON) and into Elasticsearch, each twice: with `PYCONNECT_FLOW_COLUMNAR=0` (the
record path) and with the default (the columnar path). The lines, objects and documents must be the same; in
process, the transform stage must have kept batches read from the broker as columns and given the record path's
records for them, and the Elasticsearch sink the same bulk items from those columns as from the records.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from pyconnect_flow.connectors.elasticsearch.columns import ColumnDocuments
from pyconnect_flow.connectors.elasticsearch.documents import DocumentBuilder
from pyconnect_flow.converters import create_converter
from pyconnect_flow.engine.stages import Chunk, Decoder, Transformer
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
from pyconnect_flow.transforms import from_config
from tests.integration.es_helpers import delete_index, documents, es_get, make_sink
from tests.integration.kafka_helpers import produce, read_batches, run_cli, worker_file, write_properties
from tests.integration.s3_sink_helpers import bucket_contents, s3_connector_file

PARTITIONS = 2
ORDERS, EVENTS, TMP = 900, 300, 200
BASE_TS = 1_700_000_000_000

ORDER = {"type": "struct", "name": "com.example.Order", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "customer", "type": "string", "optional": True},
    {"field": "amount", "type": "double", "optional": True}]}
EVENT = {"type": "struct", "name": "com.example.Event", "optional": False, "fields": [
    {"field": "kind", "type": "string", "optional": False}, {"field": "n", "type": "int32", "optional": True}]}

CHAIN = {
    "transforms": "droptmp,droptomb,dropdebug,stamp",
    "transforms.droptmp.type": "org.apache.kafka.connect.transforms.Filter",
    "transforms.droptmp.predicate": "istmp",
    "transforms.droptomb.type": "org.apache.kafka.connect.transforms.Filter",
    "transforms.droptomb.predicate": "tomb",
    "transforms.dropdebug.type": "org.apache.kafka.connect.transforms.Filter",
    "transforms.dropdebug.predicate": "debug",
    "transforms.stamp.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.stamp.timestamp.field": "ts", "transforms.stamp.offset.field": "off",
    "transforms.stamp.predicate": "isevents", "transforms.stamp.negate": "true",
    "predicates": "istmp,tomb,debug,isevents",
    "predicates.istmp.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    "predicates.istmp.pattern": ".*-tmp",
    "predicates.tomb.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
    "predicates.debug.type": "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
    "predicates.debug.name": "debug",
    "predicates.isevents.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    "predicates.isevents.pattern": ".*-events",
}
"""Filters behind each predicate, then InsertField behind a negated one (every topic but `-events`)."""


def _envelope(schema: dict[str, Any], payload: dict[str, Any]) -> bytes:
    return json.dumps({"schema": schema, "payload": payload}, separators=(",", ":"), ensure_ascii=False).encode()


def _tombstone(i: int) -> bool:
    return i >= 600 and i % 3 == 0  # only later batches hold tombstones (they are not field columns)


def _debug(i: int) -> bool:
    return i % 7 == 0


def order(i: int) -> dict[str, Any]:
    headers = [("debug", b"1")] if _debug(i) else [("trace", f"t{i}".encode())] if i % 5 == 0 else None
    value = None if _tombstone(i) else _envelope(ORDER, {"id": i, "customer": None if i % 4 == 0 else f"c\u00e9{i}",
                                                         "amount": None if i % 6 == 0 else i * 0.25 + 0.5})
    return {"value": value, "headers": headers, "partition": i % PARTITIONS, "timestamp": BASE_TS + i * 1000}


def fill(kafka: Any, topic: str) -> None:
    for suffix, messages in (
        ("orders", [order(i) for i in range(ORDERS)]),
        ("events", [{"value": _envelope(EVENT, {"kind": f"k{i % 3}", "n": None if i % 5 == 0 else i}),
                     "partition": i % PARTITIONS, "timestamp": BASE_TS + i} for i in range(EVENTS)]),
        ("tmp", [{"value": _envelope(ORDER, {"id": i, "customer": "x", "amount": 1.5}), "partition": i % PARTITIONS}
                 for i in range(TMP)]),
    ):
        kafka.create_topic(f"{topic}-{suffix}", partitions=PARTITIONS)
        produce(kafka.bootstrap_servers, f"{topic}-{suffix}", messages)


def topics(topic: str) -> str:
    return f"{topic}-orders,{topic}-events,{topic}-tmp"


def kept_orders() -> int:
    return sum(not _tombstone(i) and not _debug(i) for i in range(ORDERS))


def run_file_sink(kafka: Any, tmp: Path, topic: str, name: str, **env: str) -> list[str]:
    out = tmp / f"{name}.txt"
    worker = worker_file(tmp, kafka.bootstrap_servers)
    conn = write_properties(tmp / f"{name}.properties", {
        "name": name, "connector.class": "FileStreamSink", "topics": topics(topic), "file": out, **CHAIN})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], **env)
    assert done.returncode == 0, done.stderr
    return out.read_text().splitlines()


def test_file_sink_writes_the_same_lines_both_ways(kafka: Any, tmp_path: Path, unique_name: str) -> None:
    fill(kafka, unique_name)
    by_records = run_file_sink(kafka, tmp_path, unique_name, f"{unique_name}-r", PYCONNECT_FLOW_COLUMNAR="0")
    by_columns = run_file_sink(kafka, tmp_path, unique_name, f"{unique_name}-c")
    # One file shared by the partitions' writers: partitions interleave.
    assert sorted(by_columns) == sorted(by_records)
    orders = [line for line in by_records if line.startswith("Struct{id=")]
    events = [line for line in by_records if line.startswith("Struct{kind=")]
    assert len(orders) == kept_orders() and len(events) == EVENTS and len(by_records) == len(orders) + len(events)
    assert all(",off=" in line and ",ts=" in line for line in orders)
    assert not any("ts=" in line for line in events)


@pytest.mark.parametrize("fmt", ["parquet", "json"])
def test_s3_objects_are_the_same_both_ways(kafka: Any, s3: Any, tmp_path: Path, unique_name: str, fmt: str) -> None:
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    fill(kafka, unique_name)
    contents = []
    for columnar in ("0", "1"):
        name = f"{unique_name}-{columnar}"
        s3.client().create_bucket(Bucket=name)
        worker = worker_file(tmp_path, kafka.bootstrap_servers, offset_storage_file_filename=str(tmp_path / name))
        conn = s3_connector_file(tmp_path / f"{name}.properties", s3, name, topics(unique_name), name, **{
            "format.class": f"io.confluent.connect.s3.format.{fmt}.{fmt.capitalize()}Format", "flush.size": 100,
            **CHAIN})
        done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], PYCONNECT_FLOW_COLUMNAR=columnar)
        assert done.returncode == 0, done.stderr
        contents.append({key.split("/", 1)[1]: data for key, data in bucket_contents(s3.client(), name).items()})
    by_records, by_columns = contents
    assert sorted(by_columns) == sorted(by_records)
    tables = {}
    for key, data in by_records.items():
        if fmt == "json":
            assert by_columns[key] == data, key
            tables[key] = pj.read_json(io.BytesIO(data))
        else:
            table, other = pq.read_table(io.BytesIO(data)), pq.read_table(io.BytesIO(by_columns[key]))
            assert other.equals(table) and other.schema == table.schema, key
            tables[key] = table
    orders = [t for key, t in tables.items() if "-orders/" in key]
    assert sum(t.num_rows for t in orders) == kept_orders()
    assert all(t.column_names == ["id", "customer", "amount", "off", "ts"] for t in orders)
    assert not any("-tmp/" in key for key in tables)
    assert sum(t.num_rows for key, t in tables.items() if "-events/" in key) == EVENTS


def test_transform_stage_keeps_broker_batches_as_columns(kafka: Any, unique_name: str) -> None:
    fill(kafka, unique_name)
    key = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, True)
    value = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, False)
    errors = ErrorReporter(unique_name, ErrorPolicy.from_values({}))
    decode_columns, decode_records = Decoder(key, value, errors), Decoder(key, value, errors, columnar=False)
    transform = Transformer(from_config(CHAIN), errors)
    kept_columnar = emptied = 0
    for topic in topics(unique_name).split(","):
        for p in range(PARTITIONS):
            got, expected = [], []
            for batch in _read_all(kafka, topic, p, columnar=True):
                chunk = transform(decode_columns(Chunk("k", batch, None)))
                if chunk.unbuilt_columns is not None:
                    kept_columnar += 1
                    emptied += not len(chunk)
                got += chunk.records
            for batch in _read_all(kafka, topic, p, columnar=False):
                expected += transform(decode_records(Chunk("k", batch, None))).records
            assert got == expected and (len(got) > 0) is (not topic.endswith("-tmp"))
    assert kept_columnar > 0 and emptied > 0


def _read_all(kafka: Any, topic: str, partition: int, columnar: bool) -> list[Any]:
    # Batches of at most 100: the first ones hold no poison value (they take the columnar path).
    return read_batches(kafka, topic, partition, columnar, f"filter-{topic}-{columnar}")


def test_elasticsearch_gets_the_same_documents_both_ways(kafka: Any, elasticsearch: Any, tmp_path: Path,
                                                         unique_name: str) -> None:
    """The chain into the Elasticsearch sink (ids topic+partition+offset): the same documents both ways; in
    process, the bulk items the sink makes from the transformed columns are those it makes from the records."""
    fill(kafka, unique_name)
    indices = [f"{unique_name}-orders", f"{unique_name}-events"]
    snapshots = []
    for columnar in ("0", "1"):
        for index in indices:
            delete_index(elasticsearch.url, index)
        name = f"{unique_name}-es{columnar}"
        worker = worker_file(tmp_path, kafka.bootstrap_servers)
        conn = write_properties(tmp_path / f"{name}.properties", {
            "name": name, "connector.class": "ElasticsearchSink", "topics": topics(unique_name),
            "connection.url": elasticsearch.url, "key.ignore": "true", "batch.size": "150", **CHAIN})
        done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], PYCONNECT_FLOW_COLUMNAR=columnar)
        assert done.returncode == 0, done.stderr
        snapshots.append({index: documents(elasticsearch.url, index) for index in indices})
    by_records, by_columns = snapshots
    assert by_columns == by_records
    orders, events = (by_records[index] for index in indices)
    assert len(orders) == kept_orders() and len(events) == EVENTS
    assert all("ts" in doc and "off" in doc for doc in orders.values())
    assert es_get(elasticsearch.url, f"/{unique_name}-tmp/_count")[0] == 404  # every tmp message dropped

    key = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, True)
    value = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, False)
    errors = ErrorReporter(unique_name, ErrorPolicy.from_values({}))
    decoder, transform = Decoder(key, value, errors), Transformer(from_config(CHAIN), errors)
    settings = make_sink(unique_name, {"connection.url": elasticsearch.url, "key.ignore": "true"}).settings
    builder = DocumentBuilder(settings)
    made = ColumnDocuments(DocumentBuilder(settings))
    compared = 0
    for topic in indices:
        for p in range(PARTITIONS):
            for batch in _read_all(kafka, topic, p, columnar=True):
                columns = transform(decoder(Chunk("k", batch, None))).unbuilt_columns
                if columns is None or not len(columns) or not made.writable(columns):
                    continue
                items = made.items(columns, builder.index_for(topic))
                assert items is not None
                expected = [builder.build(r) for r in columns.records()]
                assert [(i.op, i.doc_id, i.data) for i in items] == [
                    (e.op, e.doc_id, e.data) for e in expected if e is not None]
                compared += 1
    assert compared > 0
