"""The Elasticsearch sink's columnar path (`connectors.elasticsearch.columns`) against its record path.

Generated data on a real Kafka topic set: compact envelopes of a flat struct schema (field columns), envelopes
of every Connect type (logical types, nested structs, maps, arrays, nulls), a schema change, tombstones,
null keys, poison values (not JSON; a document Elasticsearch rejects), and schemaless JSON maps. The same
connectors run with `PYCONNECT_FLOW_COLUMNAR=0` (the record path) and `=1`; the indices must hold the same
documents (ids, `_source`, versions), the `_bulk` requests the same items byte for byte (caught by a proxy),
and the dead letter queues the same records. In process, the bulk items built from decoded columns are
compared with those built from the records of the same batches.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pyconnect_flow.connectors.elasticsearch.columns import ColumnDocuments, ColumnRow
from pyconnect_flow.connectors.elasticsearch.config import EsSinkSettings
from pyconnect_flow.connectors.elasticsearch.documents import DocumentBuilder
from pyconnect_flow.converters import create_converter
from pyconnect_flow.engine.stages import Chunk, Decoder
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
from pyconnect_flow.kafka_columns import DecodedColumns
from tests.integration.columnar_data import SCHEMA_A, SCHEMA_B, SCHEMA_C, _value_a, _value_c
from tests.integration.es_helpers import FaultProxy, delete_index, documents, es_get, make_sink
from tests.integration.kafka_helpers import produce, read_topic, run_cli, worker_file, write_properties
from tests.integration.test_columnar_path import _read_all

PARTITIONS = 2
MESSAGES = 900
STRING_KEY = {"type": "string", "optional": False}


def _compact(node: Any) -> bytes:
    return json.dumps(node, separators=(",", ":"), ensure_ascii=False).encode()


def _key(i: int) -> bytes:
    return _compact({"schema": STRING_KEY, "payload": f"k{i % 400}"})  # repeated keys: later versions win


def flat(i: int) -> dict[str, Any]:
    """Compact flat envelopes with keys: every batch takes the field-column path."""
    return {"key": _key(i), "value": _compact({"schema": SCHEMA_C, "payload": _value_c(i)}), "partition": i % PARTITIONS}


def every_type(i: int) -> dict[str, Any]:
    """Envelopes of every Connect type with keys, a run of another schema mid-batch; poison and tombstones
    in the later batches only (the first ones take the columnar path, the others fall back)."""
    value: bytes | None
    if poison(i):
        value = b"{not json"  # fails in the decode stage: a dead letter
    elif tombstone(i):
        value = None  # a delete by key (none without a key)
    elif 200 <= i % 300 < 230:
        value = _compact({"schema": SCHEMA_B, "payload": {"id": i, "note": f"n{i}"}})
    else:
        value = _compact({"schema": SCHEMA_A, "payload": _value_a(i)})
    key = None if null_key(i) else _key(i)  # a null key cannot be an id: a dead letter
    return {"key": key, "value": value, "partition": i % PARTITIONS}


def poison(i: int) -> bool:
    return 600 <= i < 700 and i % 13 == 7


def tombstone(i: int) -> bool:
    return i >= 700 and i % 41 == 3


def null_key(i: int) -> bool:
    return i >= 700 and i % 19 == 5


def ignored_null(i: int) -> bool:
    return i >= 600 and i % 37 == 11


def dead_letter_count() -> int:
    """Undecodable values, envelopes without a key to be their id, ignored tombstones, the rejected map."""
    return sum(poison(i) + (null_key(i) and not tombstone(i)) + ignored_null(i) for i in range(MESSAGES)) + 1


def schemaless(i: int) -> dict[str, Any]:
    """Schemaless JSON maps (upserted by key) with floats, unicode and escapes; one value Elasticsearch
    rejects (a string where `n` is mapped as a number) and some tombstones (ignored, dead letters)."""
    value: Any = {"n": i, "zeta": i * 0.5, "alpha": f"\u00e9\u2028 \"q\"\\ {i}", "one": 1.0, "big": 1e20,
                  "tiny": 1.5e-7, "nested": {"b": [1, None, 3], "c": [2.5, None], "a": {"x": None, "t": True}}, "emoji": "\U0001f600"}
    if i == 650:
        value = {"n": "not a number"}
    data = None if ignored_null(i) else _compact(value)
    return {"key": f"m{i % 300}".encode(), "value": data, "partition": i % PARTITIONS}


def fill(kafka: Any, name: str) -> None:
    for suffix, make in (("flat", flat), ("all", every_type), ("maps", schemaless)):
        kafka.create_topic(f"{name}-{suffix}", partitions=PARTITIONS)
        produce(kafka.bootstrap_servers, f"{name}-{suffix}", [make(i) for i in range(MESSAGES)])


class RecordingProxy(FaultProxy):
    """A proxy in front of Elasticsearch that keeps the items of every `_bulk` request, as sent."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.items: list[bytes] = []

    def _answer(self, method: str, path: str, body: bytes | None, headers: Any) -> tuple[int, bytes]:
        if path.startswith("/_bulk") and body:
            lines = body.split(b"\n")
            i = 0
            while i < len(lines):
                if lines[i]:
                    item = lines[i] + b"\n"
                    if not lines[i].startswith(b'{"delete"'):
                        i += 1
                        item += lines[i] + b"\n"
                    with self._lock:
                        self.items.append(item)
                i += 1
        return super()._answer(method, path, body, headers)


def run(kafka: Any, es_url: str, tmp: Path, name: str, tag: str, columnar: str) -> list[Any]:
    """Both connectors of `name` once (`tag` names them), with PYCONNECT_FLOW_COLUMNAR=`columnar`; their
    dead letters."""
    work = tmp / tag
    work.mkdir()
    worker = worker_file(work, kafka.bootstrap_servers)
    common = {"connection.url": es_url, "errors.tolerance": "all", "errors.deadletterqueue.topic.name": f"{name}-{tag}-dlq",
              "errors.deadletterqueue.topic.replication.factor": "1",
              "errors.deadletterqueue.context.headers.enable": "true",
              "behavior.on.malformed.documents": "warn", "batch.size": "150", "linger.ms": "5"}
    envelopes = write_properties(work / "envelopes.properties", {
        **common, "name": f"{name}-{tag}-env", "connector.class": "ElasticsearchSink",
        "topics": f"{name}-flat,{name}-all", "behavior.on.null.values": "delete"})
    maps = write_properties(work / "maps.properties", {
        **common, "name": f"{name}-{tag}-maps", "connector.class": "ElasticsearchSink", "topics": f"{name}-maps",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
        "schema.ignore": "true", "write.method": "upsert", "behavior.on.null.values": "ignore"})
    done = run_cli(["standalone", str(worker), str(envelopes), str(maps), "--stop-at-end"],
                   PYCONNECT_FLOW_COLUMNAR=columnar)
    assert done.returncode == 0, done.stderr
    return read_topic(kafka.bootstrap_servers, f"{name}-{tag}-dlq", expected=dead_letter_count())


def _dead_letter(m: Any) -> tuple[Any, ...]:
    headers = tuple((k, v) for k, v in m.headers
                    if k not in ("__connect.errors.connector.name", "__connect.errors.exception.stacktrace"))
    return m.key, m.value, headers


def _message(m: Any) -> bytes:
    return dict(m.headers).get("__connect.errors.exception.message") or b""


def snapshot(url: str, name: str) -> dict[str, Any]:
    """id → (_source, _version) of the documents of the three indices."""
    out: dict[str, Any] = {}
    for suffix in ("flat", "all", "maps"):
        index = f"{name}-{suffix}"
        for doc_id, source in documents(url, index).items():
            _, got = es_get(url, f"/{index}/_doc/{doc_id}")
            out[f"{index}/{doc_id}"] = (source, got["_version"])
    return out


def test_columnar_and_record_paths_index_the_same_documents(kafka: Any, elasticsearch: Any, tmp_path: Path,
                                                           unique_name: str) -> None:
    fill(kafka, unique_name)
    proxy = RecordingProxy(elasticsearch.url)
    try:
        record_dlq = run(kafka, proxy.url, tmp_path, unique_name, "records", "0")
        record_docs = snapshot(elasticsearch.url, unique_name)
        record_items, proxy.items = proxy.items, []
        for suffix in ("flat", "all", "maps"):
            delete_index(elasticsearch.url, f"{unique_name}-{suffix}")
        column_dlq = run(kafka, proxy.url, tmp_path, unique_name, "columns", "1")
        column_docs = snapshot(elasticsearch.url, unique_name)
        column_items = proxy.items
    finally:
        proxy.close()
    assert column_docs == record_docs
    assert len([k for k in record_docs if f"{unique_name}-flat/" in k]) == 400
    assert len([k for k in record_docs if f"{unique_name}-maps/" in k]) == 300
    assert record_docs[f"{unique_name}-maps/m50"][0]["alpha"] == "\u00e9\u2028 \"q\"\\ 350"  # 650 was rejected
    assert sorted(column_items) == sorted(record_items)
    assert len(record_items) >= 3 * MESSAGES - 60  # every document went once (no retries here)
    assert sorted(map(_dead_letter, column_dlq), key=repr) == sorted(map(_dead_letter, record_dlq), key=repr)
    messages = list(map(_message, record_dlq))
    assert any(b"parsing_exception" in x for x in messages)  # the rejected document
    assert any(b"null valued" in x for x in messages)  # an ignored tombstone
    assert any(b"can not be null" in x for x in messages)  # a null key
    assert len(record_dlq) == len(column_dlq) == dead_letter_count()


def test_items_from_columns_are_the_items_from_records(kafka: Any, elasticsearch: Any, unique_name: str) -> None:
    fill(kafka, unique_name)
    key = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, True)
    value = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, False)
    decoder = Decoder(key, value, ErrorReporter(unique_name, ErrorPolicy.from_values({"errors.tolerance": "all"})))
    for options in ({}, {"key.ignore": "true"}, {"write.method": "upsert"}, {"schema.ignore": "true"},
                    {"use.autogenerated.ids": "true", "key.ignore": "true"}):
        sink = make_sink(unique_name, {"connection.url": elasticsearch.url, **options})
        settings: EsSinkSettings = sink.settings
        builder = DocumentBuilder(settings)
        documents_ = ColumnDocuments(DocumentBuilder(settings))
        seen = {"flat": 0, "values": 0, "fallback": 0}
        for topic in (f"{unique_name}-flat", f"{unique_name}-all"):
            for p in range(PARTITIONS):
                for batch in _read_all(kafka, topic, p, True):
                    decoded = decoder(Chunk("k", batch, None)).unbuilt_columns
                    if decoded is None:
                        continue
                    assert isinstance(decoded, DecodedColumns)
                    items = documents_.items(decoded, builder.index_for(topic)) if documents_.writable(decoded) else None
                    if items is None:
                        seen["fallback"] += 1
                        continue
                    seen["flat" if decoded.flat is not None else "values"] += 1
                    records = decoded.records()
                    expected = [builder.build(r) for r in records]
                    assert [i.data for i in items] == [e.data for e in expected if e is not None]
                    assert [(i.op, i.doc_id, i.external) for i in items] == [
                        (e.op, e.doc_id, e.external) for e in expected if e is not None]
                    row = items[3].record
                    assert isinstance(row, ColumnRow)
                    assert row.record() == records[3] and row.coordinates() == records[3].coordinates()
                    assert row.original() == decoded.originals()[3]
        assert seen["flat"] > 0 and seen["values"] > 0 and seen["fallback"] > 0, (options, seen)
