"""The columnar path (`kafka_columns`) against the record path, over a real Kafka topic.

Generated JsonConverter envelopes (every Connect type, optional fields set and null, tombstones, a schema
change in the middle of a batch, headers, null and non-null keys, poison values) run through a Kafka →
FileStreamSink connector twice: with `PYCONNECT_FLOW_COLUMNAR=0` (the record path) and with the default
(the columnar path). The files must be byte for byte the same, and so must the dead letters (values,
keys, headers with their topic, partition and offset). In process, the decode stage's records from columns
are compared with the record path's, field by field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pyconnect_flow.connectors.file import java_string
from pyconnect_flow.connectors.file_text import flat_lines
from pyconnect_flow.converters import create_converter
from pyconnect_flow.engine.stages import Chunk, Decoder
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
from pyconnect_flow.kafka_columns import KafkaColumns
from tests.integration.columnar_data import MESSAGES, PARTITIONS, fill, poison, poison_count
from tests.integration.kafka_helpers import read_batches, read_topic, run_cli, worker_file, write_properties


def run_file_sink(kafka: Any, tmp: Path, topic: str, name: str, **env: str) -> tuple[list[str], list[Any]]:
    out = tmp / f"{name}.txt"
    worker = worker_file(tmp, kafka.bootstrap_servers)
    conn = write_properties(tmp / f"{name}.properties", {
        "name": name, "connector.class": "FileStreamSink", "topics": f"{topic},{topic}-clean,{topic}-flat",
        "file": out,
        "errors.tolerance": "all", "errors.deadletterqueue.topic.name": f"{name}-dlq",
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    })
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], **env)
    assert done.returncode == 0, done.stderr
    dlq = read_topic(kafka.bootstrap_servers, f"{name}-dlq", poison_count())
    # A byte[] prints as its identity hash (`[B@1b6d3586`), as in Java: different in every run.
    return re.sub(r"\[B@[0-9a-f]+", "[B@", out.read_text()).splitlines(), dlq


def _dead_letter(m: Any) -> tuple[Any, ...]:
    headers = [(k, v) for k, v in m.headers
               if k not in ("__connect.errors.connector.name", "__connect.errors.exception.stacktrace")]
    return m.partition, m.key, m.value, tuple(headers)


def test_file_sink_writes_the_same_lines_and_dead_letters_both_ways(kafka: Any, tmp_path: Path,
                                                                     unique_name: str) -> None:
    fill(kafka, unique_name)
    record_lines, record_dlq = run_file_sink(kafka, tmp_path, unique_name, f"{unique_name}-records",
                                             PYCONNECT_FLOW_COLUMNAR="0")
    column_lines, column_dlq = run_file_sink(kafka, tmp_path, unique_name, f"{unique_name}-columns")
    assert len(record_lines) == 3 * MESSAGES - poison_count()
    # One file shared by the partitions' writers: partitions interleave (their order is compared in process).
    assert sorted(column_lines) == sorted(record_lines)
    assert "null" in record_lines and any(x.startswith("Struct{i8=") for x in record_lines)
    assert any(x.startswith("Struct{id=") for x in record_lines)
    assert any(x.startswith("Struct{i8=") and "E7," in x for x in record_lines)  # the flat topic
    assert len(record_dlq) == len(column_dlq) == poison_count()
    assert sorted(map(_dead_letter, column_dlq), key=repr) == sorted(map(_dead_letter, record_dlq), key=repr)
    offsets = sorted((int(dict(m.headers)["__connect.errors.partition"]), int(dict(m.headers)["__connect.errors.offset"]))
                     for m in column_dlq)
    expected = sorted((i % PARTITIONS, i // PARTITIONS) for i in range(MESSAGES) if poison(i))
    assert offsets == expected


def _read_all(kafka: Any, topic: str, partition: int, columnar: bool) -> list[Any]:
    # Batches of at most 100: the first ones hold no poison value (they take the columnar path).
    return read_batches(kafka, topic, partition, columnar, f"cols-{topic}-{columnar}")


def test_decoded_columns_build_the_records_of_the_record_path(kafka: Any, unique_name: str) -> None:
    fill(kafka, unique_name)
    key = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, True)
    value = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, False)
    errors = ErrorReporter(unique_name, ErrorPolicy.from_values({"errors.tolerance": "all",
                                                                "errors.deadletterqueue.topic.name": "dlq"}))
    columnar, records = Decoder(key, value, errors), Decoder(key, value, errors, columnar=False)
    for topic in (unique_name, f"{unique_name}-flat"):
        for p in range(PARTITIONS):
            compare_partition(kafka, topic, p, columnar, records, poisoned=topic == unique_name)


def compare_partition(kafka: Any, topic: str, p: int, columnar: Decoder, records: Decoder, poisoned: bool) -> None:
    seen_columns = seen_flat = 0
    by_columns: list[Any] = []
    by_records: list[Any] = []
    failed_c: list[Any] = []
    failed_r: list[Any] = []
    originals_c: list[Any] = []
    originals_r: list[Any] = []
    for batch in _read_all(kafka, topic, p, True):
        assert isinstance(batch, KafkaColumns)
        chunk = columnar(Chunk("k", batch, None))
        decoded = chunk.unbuilt_columns
        if decoded is not None:
            seen_columns += 1  # decoded without records
            if decoded.flat is not None:  # field columns, no Struct: lines and values as the Structs give them
                seen_flat += 1
                assert flat_lines(decoded.flat) == [java_string(v, s) for s, v in decoded.values]
                for name, column in zip(decoded.flat.names, decoded.flat.columns):
                    assert column == [v.get_without_default(name) for _, v in decoded.values]
        by_columns += chunk.records
        originals_c += chunk.originals or []
        failed_c += [(f.original, f.stage, str(f.exception)) for f in chunk.failed]
    for batch in _read_all(kafka, topic, p, False):
        assert isinstance(batch, list)
        chunk = records(Chunk("k", batch, None))
        by_records += chunk.records
        originals_r += chunk.originals or []
        failed_r += [(f.original, f.stage, str(f.exception)) for f in chunk.failed]
    assert by_columns == by_records and len(by_records) > 100
    assert [tuple(map(type, r)) for r in by_columns] == [tuple(map(type, r)) for r in by_records]
    assert [r.value.schema for r in by_columns if r.value is not None] == [
        r.value.schema for r in by_records if r.value is not None]
    assert originals_c == originals_r
    assert failed_c == failed_r
    assert bool(failed_r) is poisoned
    assert seen_columns > 0  # the columnar path ran (and the poison batches took the record path)
    assert seen_flat > 0 or poisoned
