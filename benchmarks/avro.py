"""Benchmark: decoding Avro records with a Schema Registry, batch-first.

1,000,000 records of one struct schema (7 fields: longs, strings, a double, an int, a timestamp, an optional
string) are encoded once per path, then decoded and timed:

- `AvroConverter.to_connect_batch` in batches of 10,000 (what the decode stage calls), to Connect structs;
- a bare loop of confluent-kafka's `AvroDeserializer` over the same bytes, to dicts (its usual use);
- `JsonConverter.to_connect_batch` (schemas.enable=true, the envelope Kafka Connect writes) on the same
  values, the path a JSON pipeline takes.

Each path runs in its own child process with its own in-memory embedded registry; prints records/s and CPU
µs/record (best of `--repeat` alternating runs) and our speed-up over the bare deserializer loop.

Then whole pipelines (`--pipelines`, on by default): the same records produced to 3 partitions of an embedded
Kafka (Tansu) once as Avro (schemas in `pyconnect-flow`'s registry on that Kafka) and once as JsonConverter
envelopes, read by `pyconnect-flow standalone` (in-process `run_connectors`, start-up included) into
FileStreamSink and into the S3 sink with ParquetFormat (moto), each converter's default path, best of
`--repeat`.

    python benchmarks/avro.py [--records 1000000] [--repeat 2] [--no-pipelines]

Target (issue #16): ≥ 3× the bare AvroDeserializer loop.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PEAK_RSS, run_child, table  # noqa: E402

SETUP = PEAK_RSS + """
import datetime as dt, json, time
from pyconnect_flow.converters.avro import AvroConverter
from pyconnect_flow.data.logical import TIMESTAMP_SCHEMA
from pyconnect_flow.data.schema import FLOAT64_SCHEMA, INT32_SCHEMA, INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, \\
    STRING_SCHEMA, SchemaBuilder
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.registry import RegistryServer

SCHEMA = (SchemaBuilder.struct().name("bench.Order").field("id", INT64_SCHEMA).field("name", STRING_SCHEMA)
          .field("email", STRING_SCHEMA).field("amount", FLOAT64_SCHEMA).field("qty", INT32_SCHEMA)
          .field("at", TIMESTAMP_SCHEMA).field("note", OPTIONAL_STRING_SCHEMA).build())
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
values = [Struct.unchecked(SCHEMA, {{"id": i, "name": "customer %d" % (i % 1000), "email": "user%d@example.com" % i,
                                    "amount": i * 0.25, "qty": i % 7, "at": EPOCH + dt.timedelta(milliseconds=i),
                                    "note": None if i % 3 else "rush"}}) for i in range({records})]
registry = RegistryServer().__enter__()
BATCH = 10_000
"""

OURS = SETUP + """
c = AvroConverter()
c.configure({{"schema.registry.url": registry.url}}, False)
datas = []
for start in range(0, len(values), BATCH):
    datas += c.from_connect_values("bench", SCHEMA, values[start:start + BATCH])
del values
t0, c0 = time.perf_counter(), time.process_time()
n = 0
for start in range(0, len(datas), BATCH):
    n += len(c.to_connect_batch("bench", datas[start:start + BATCH]))
print(json.dumps({{"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "n": n,
                  "rss": peak_rss_mb()}}))
"""

CONFLUENT = SETUP + """
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
c = AvroConverter()
c.configure({{"schema.registry.url": registry.url}}, False)
datas = []
for start in range(0, len(values), BATCH):
    datas += c.from_connect_values("bench", SCHEMA, values[start:start + BATCH])
del values
deserializer = AvroDeserializer(SchemaRegistryClient({{"url": registry.url}}))
ctx = SerializationContext("bench", MessageField.VALUE)
t0, c0 = time.perf_counter(), time.process_time()
n = 0
for data in datas:
    deserializer(data, ctx)
    n += 1
print(json.dumps({{"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "n": n,
                  "rss": peak_rss_mb()}}))
"""

JSON = SETUP + """
from pyconnect_flow.converters.json import JsonConverter
c = JsonConverter()
c.configure({{"schemas.enable": "true"}}, False)
datas = []
for start in range(0, len(values), BATCH):
    datas += c.from_connect_values("bench", SCHEMA, values[start:start + BATCH])
del values
t0, c0 = time.perf_counter(), time.process_time()
n = 0
for start in range(0, len(datas), BATCH):
    n += len(c.to_connect_batch("bench", datas[start:start + BATCH]))
print(json.dumps({{"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "n": n,
                  "rss": peak_rss_mb()}}))
"""

PATHS = {
    "AvroConverter.to_connect_batch (ours, batches of 10,000)": OURS,
    "confluent-kafka AvroDeserializer, bare loop": CONFLUENT,
    "JsonConverter.to_connect_batch (schemas.enable=true)": JSON,
}


PIPELINE = PEAK_RSS + """
import json, time
from pathlib import Path
from pyconnect_flow.engine.runner import RunOptions, run_connectors
tmp = Path({tmp!r})
(tmp / "w-{tag}.properties").write_text("bootstrap.servers={bootstrap}\\noffset.storage.file.filename={tmp}/offsets-{tag}\\n"
    "offset.flush.interval.ms=5000\\n" + "".join(f"{{k}}={{v}}\\n" for k, v in {worker!r}.items()))
(tmp / "c-{tag}.properties").write_text("\\n".join(f"{{k}}={{v}}" for k, v in {connector!r}.items()) + "\\n")
t0 = time.perf_counter()
run_connectors(RunOptions(str(tmp / "w-{tag}.properties"), [str(tmp / "c-{tag}.properties")], stop_at_end=True))
print(json.dumps({{"seconds": time.perf_counter() - t0, "rss": peak_rss_mb()}}))
"""
PARTITIONS = 3


def _produce(bootstrap: str, registry_url: str, topics: dict[str, str], records: int) -> None:
    """The benchmark's records to `topics` ({"avro": name, "json": name}), encoded by our converters."""
    import datetime as dt

    from confluent_kafka import Producer

    from pyconnect_flow.converters.avro import AvroConverter
    from pyconnect_flow.converters.json import JsonConverter
    from pyconnect_flow.data.logical import TIMESTAMP_SCHEMA
    from pyconnect_flow.data.schema import (
        FLOAT64_SCHEMA,
        INT32_SCHEMA,
        INT64_SCHEMA,
        OPTIONAL_STRING_SCHEMA,
        STRING_SCHEMA,
        SchemaBuilder,
    )
    from pyconnect_flow.data.struct import Struct

    schema = (SchemaBuilder.struct().name("bench.Order").field("id", INT64_SCHEMA).field("name", STRING_SCHEMA)
              .field("email", STRING_SCHEMA).field("amount", FLOAT64_SCHEMA).field("qty", INT32_SCHEMA)
              .field("at", TIMESTAMP_SCHEMA).field("note", OPTIONAL_STRING_SCHEMA).build())
    epoch = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    avro = AvroConverter()
    avro.configure({"schema.registry.url": registry_url}, False)
    envelope = JsonConverter()
    envelope.configure({"schemas.enable": "true"}, False)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10000,
                         "queue.buffering.max.messages": 500000, "compression.type": "lz4"})
    for start in range(0, records, 10_000):
        values = [Struct.unchecked(schema, {"id": i, "name": f"customer {i % 1000}",
                                            "email": f"user{i}@example.com", "amount": i * 0.25, "qty": i % 7,
                                            "at": epoch + dt.timedelta(milliseconds=i),
                                            "note": None if i % 3 else "rush"})
                  for i in range(start, min(records, start + 10_000))]
        for kind, converter in (("avro", avro), ("json", envelope)):
            for i, data in enumerate(converter.from_connect_values(topics[kind], schema, values), start):
                while True:
                    try:
                        producer.produce(topics[kind], data, partition=i % PARTITIONS)
                        break
                    except BufferError:
                        producer.poll(0.05)
    producer.flush(120)


def pipelines(records: int, repeat: int) -> None:
    """Kafka → FileStreamSink and Kafka → S3 Parquet, Avro beside JsonConverter envelopes."""
    from pyconnect_flow.embedded import EmbeddedKafka, MotoS3
    from pyconnect_flow.registry import RegistryServer

    load_before = os.getloadavg()
    best: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-avro-") as tmp_dir, EmbeddedKafka() as kafka, MotoS3() as s3, \
            RegistryServer(kafka.bootstrap_servers) as registry:
        tmp = Path(tmp_dir)
        topics = {"avro": "bench-avro", "json": "bench-json"}
        for topic in topics.values():
            kafka.create_topic(topic, partitions=PARTITIONS)
        t0 = time.perf_counter()
        _produce(kafka.bootstrap_servers, registry.url, topics, records)
        print(f"produced {records:,} records twice in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        workers = {"avro": {"value.converter": "io.confluent.connect.avro.AvroConverter",
                            "value.converter.schema.registry.url": registry.url},
                   "json": {}}
        client = s3.client()
        run = 0
        for _ in range(repeat):
            for sink in ("FileStreamSink", "S3 Parquet"):
                for kind in ("avro", "json"):
                    run += 1
                    name = f"bench-{kind}-{run}"
                    connector: dict[str, object]
                    if sink == "FileStreamSink":
                        connector = {"name": name, "connector.class": "FileStreamSink", "topics": topics[kind],
                                     "file": str(tmp / f"{name}.txt")}
                    else:
                        client.create_bucket(Bucket=name)
                        connector = {"name": name, "connector.class": "io.confluent.connect.s3.S3SinkConnector",
                                     "topics": topics[kind], "s3.bucket.name": name, "store.url": s3.endpoint_url,
                                     "s3.region": "us-east-1", "aws.access.key.id": "testing",
                                     "aws.secret.access.key": "testing",
                                     "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat",
                                     "flush.size": 200_000, "s3.part.size": 5 * 1024 * 1024}
                    m = run_child(PIPELINE.format(tmp=str(tmp), tag=name, bootstrap=kafka.bootstrap_servers,
                                                  worker=workers[kind], connector=connector))
                    if sink == "FileStreamSink":
                        with open(tmp / f"{name}.txt", "rb") as out:
                            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: out.read(1 << 20), b""))
                        assert lines == records, (name, lines)
                        (tmp / f"{name}.txt").unlink()
                    else:
                        import pyarrow.parquet as pq

                        rows = 0
                        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
                            for o in page.get("Contents", []):
                                body = client.get_object(Bucket=name, Key=o["Key"])["Body"].read()
                                rows += pq.ParquetFile(__import__("io").BytesIO(body)).metadata.num_rows
                        assert rows == records, (name, rows)
                    label = f"Kafka → {sink}, {'AvroConverter' if kind == 'avro' else 'JsonConverter'}"
                    print(f"{label}: {m['seconds']:.1f} s", file=sys.stderr)
                    if label not in best or m["seconds"] < best[label]["seconds"]:
                        best[label] = m
    load_after = os.getloadavg()
    rows = [("pipeline", "records/s", "seconds", "peak RSS MB")]
    for label, m in best.items():
        rows.append((label, f"{records / m['seconds']:,.0f}", f"{m['seconds']:.1f}", f"{m['rss']:.0f}"))
    print(table(rows))
    print(f"\n{records:,} records, {PARTITIONS} partitions, whole runs with start-up, best of {repeat}; load average "
          f"(1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, after "
          f"{load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pipelines", action=argparse.BooleanOptionalAction, default=True,
                        help="also run Kafka → FileStreamSink / S3 Parquet (default: yes)")
    args = parser.parse_args()
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.repeat):
        for label, code in PATHS.items():
            result = run_child(code.format(records=args.records))
            assert result["n"] == args.records, result
            if label not in best or result["seconds"] < best[label]["seconds"]:
                best[label] = result
    rows = [("path", "records/s", "CPU µs/record", "peak RSS MB")]
    for label, r in best.items():
        rows.append((label, f"{args.records / r['seconds']:,.0f}", f"{r['cpu'] / args.records * 1e6:.2f}",
                     f"{r['rss']:.0f}"))
    print(table(rows))
    ours, bare, json_path = (best[label]["seconds"] for label in PATHS)
    ours_cpu, bare_cpu, json_cpu = (best[label]["cpu"] for label in PATHS)
    print(f"\nAvroConverter vs the bare AvroDeserializer loop: {bare / ours:.2f}x wall, {bare_cpu / ours_cpu:.2f}x "
          f"CPU (target >= 3x); vs JsonConverter: {json_path / ours:.2f}x wall, {json_cpu / ours_cpu:.2f}x CPU\n")
    if args.pipelines:
        pipelines(args.records, args.repeat)


if __name__ == "__main__":
    main()
