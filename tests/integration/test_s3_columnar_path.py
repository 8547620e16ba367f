"""The S3 sink on the columnar path against the record path, over a real Kafka broker and an S3 API (moto).

The generated envelopes of `columnar_data` (every Connect type, nulls, tombstones, a schema change in the
middle of a batch, poison values the converter rejects) and a topic of flat structs whose payloads hold
schemaless values now and then (values ParquetFormat rejects, so the sink reports them) run through a Kafka →
S3 connector twice: with `PYCONNECT_FLOW_COLUMNAR=0` (the record path) and `=1` (the columnar path). The
objects must have the same keys and bytes (Parquet: the same tables and schemas, read back), and the dead
letters the same values, topic, partition, offset and error. With InsertField in the chain as well.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.columnar_data import MESSAGES, PARTITIONS, fill, poison_count
from tests.integration.kafka_helpers import produce, read_topic, run_cli, worker_file
from tests.integration.s3_sink_helpers import bucket_contents, s3_connector_file

LOOSE = {"type": "struct", "name": "com.example.Plain", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "amount", "type": "double", "optional": True},
    {"field": "region", "type": "string", "optional": True},
    {"field": "ok", "type": "boolean", "optional": True}]}
"""A flat schema without float32, whose JSON lines come from the payloads as parsed."""
SCHEMALESS_EVERY = 150


def loose_message(i: int) -> dict[str, Any]:
    """Flat structs (doubles Java prints as Python does), now and then a schemaless value or a tombstone."""
    value: bytes | None
    if i % SCHEMALESS_EVERY == 149:
        value = json.dumps({"schema": None, "payload": {"id": i}}).encode()  # ParquetFormat rejects it
    elif i % 400 == 399:
        value = None
    else:
        payload = {"id": i, "amount": None if i % 9 == 0 else i * 0.25 + 0.5,
                   "region": ["eu", "us", None, "a},{b \u00e9\U0001f600"][i % 4], "ok": None if i % 5 == 0 else i % 2 == 0}
        value = json.dumps({"schema": LOOSE, "payload": payload}, separators=(",", ":"), ensure_ascii=False).encode()
    return {"key": None, "value": value, "partition": i % PARTITIONS}


def rejected_count(fmt: str) -> int:
    """Dead letters: the poison values, and with Parquet the schemaless values of the loose topic (with the
    FieldPartitioner on `ok`, also every value without that field; with MaskField, the tombstones)."""
    return poison_count() + (sum(i % SCHEMALESS_EVERY == 149 for i in range(MESSAGES)) if fmt == "parquet" else 0)


def run_s3_sink(kafka: Any, s3: Any, tmp: Path, topic: str, name: str, fmt: str, columnar: str,
                **extra: Any) -> tuple[dict[str, bytes], list[Any]]:
    s3.client().create_bucket(Bucket=name)
    worker = worker_file(tmp, kafka.bootstrap_servers, offset_storage_file_filename=str(tmp / f"offsets-{name}"))
    cls = {"json": "io.confluent.connect.s3.format.json.JsonFormat",
           "parquet": "io.confluent.connect.s3.format.parquet.ParquetFormat"}[fmt]
    conn = s3_connector_file(tmp / f"{name}.properties", s3, name, f"{topic},{topic}-flat,{topic}-loose", name,
                             **{"format.class": cls, "behavior.on.null.values": "ignore",
                                "errors.tolerance": "all", "errors.deadletterqueue.topic.name": f"{name}-dlq",
                                "errors.deadletterqueue.topic.replication.factor": "1",
                                "errors.deadletterqueue.context.headers.enable": "true", **extra})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], PYCONNECT_FLOW_COLUMNAR=columnar)
    assert done.returncode == 0, done.stderr
    return bucket_contents(s3.client(), name), read_topic(kafka.bootstrap_servers, f"{name}-dlq")


def _dead_letter(m: Any) -> tuple[Any, ...]:
    headers = [(k, v) for k, v in m.headers
               if k not in ("__connect.errors.connector.name", "__connect.errors.exception.stacktrace")]
    return m.partition, m.key, m.value, tuple(sorted(headers))


def _table(data: bytes) -> tuple[Any, Any, int]:
    import pyarrow.parquet as pq

    f = pq.ParquetFile(io.BytesIO(data))
    return f.read(), f.schema_arrow, f.metadata.num_row_groups


INSERT = {"transforms": "ins,drop,mask,cast",
          "transforms.ins.type": "org.apache.kafka.connect.transforms.InsertField$Value",
          "transforms.ins.topic.field": "src_topic", "transforms.ins.partition.field": "src_partition",
          "transforms.ins.offset.field": "src_offset!", "transforms.ins.static.field": "origin",
          "transforms.ins.static.value": "pcf",
          "transforms.drop.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
          "transforms.drop.exclude": "ok,note", "transforms.drop.renames": "i8:small",
          "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskField$Value",
          "transforms.mask.fields": "region,text,i16",
          "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
          "transforms.cast.spec": "i32:int64,amount:string,id:float64"}
"""InsertField, ReplaceField, MaskField, Cast (their columnar forms on flat struct batches,
`transforms.columns`; the record forms elsewhere)."""

CASES = [
    ("json", {"flush.size": 97}),
    ("json", {"flush.size": 500, "partitioner.class": "io.confluent.connect.storage.partitioner.FieldPartitioner",
              "partition.field.name": "ok"}),
    ("parquet", {"flush.size": 130}),
    ("parquet", {"flush.size": 130, **INSERT}),
    ("json", {"flush.size": 97, **INSERT}),
]


@pytest.mark.parametrize(("fmt", "extra"), CASES, ids=["json-default", "json-field", "parquet-default",
                                                       "parquet-insert-field", "json-insert-field"])
def test_s3_sink_writes_the_same_objects_and_dead_letters_both_ways(kafka: Any, s3: Any, tmp_path: Path,
                                                                    unique_name: str, fmt: str,
                                                                    extra: dict[str, Any]) -> None:
    fill(kafka, unique_name)
    kafka.create_topic(f"{unique_name}-loose", partitions=PARTITIONS)
    produce(kafka.bootstrap_servers, f"{unique_name}-loose", [loose_message(i) for i in range(MESSAGES)])
    by_records, dlq_records = run_s3_sink(kafka, s3, tmp_path, unique_name, f"{unique_name}-r", fmt, "0", **extra)
    by_columns, dlq_columns = run_s3_sink(kafka, s3, tmp_path, unique_name, f"{unique_name}-c", fmt, "1", **extra)
    assert sorted(by_columns) == sorted(by_records)
    assert len(by_records) >= 8 and any(f"{unique_name}-loose/" in k for k in by_records)
    if fmt == "parquet":
        for key, data in by_records.items():
            table, schema, groups = _table(data)
            assert _table(by_columns[key]) == (table, schema, groups), key
            assert table.num_rows > 0
            assert ("origin" in table.column_names) is ("transforms" in extra)
    else:
        assert by_columns == by_records
        if "transforms" not in extra:
            assert any(b'"region":"a},{b ' in v for v in by_records.values())
        else:  # region masked
            assert any(b'"origin":"pcf"' in v and b'"src_offset":' in v and b'"region":""' in v
                       for v in by_records.values())
    if "partition.field.name" in extra or "transforms" in extra:  # also MaskField on tombstones, as Kafka's
        assert len(dlq_records) > rejected_count(fmt)
    else:
        assert len(dlq_records) == rejected_count(fmt)
    assert sorted(map(_dead_letter, dlq_columns), key=repr) == sorted(map(_dead_letter, dlq_records), key=repr)
