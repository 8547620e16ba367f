"""Benchmark: decoding Avro records with a Schema Registry, batch-first.

1,000,000 records of one struct schema (7 fields: longs, strings, a double, an int, a timestamp, an optional
string) are encoded once per path, then decoded and timed:

- `AvroConverter.to_connect_batch` in batches of 10,000 (what the decode stage calls), to Connect structs;
- a bare loop of confluent-kafka's `AvroDeserializer` over the same bytes, to dicts (its usual use);
- `JsonConverter.to_connect_batch` (schemas.enable=true, the envelope Kafka Connect writes) on the same
  values, the path a JSON pipeline takes.

Each path runs in its own child process with its own in-memory embedded registry; prints records/s and CPU
µs/record (best of `--repeat` alternating runs) and our speed-up over the bare deserializer loop.

    python benchmarks/avro.py [--records 1000000] [--repeat 2]

Target (issue #16): ≥ 3× the bare AvroDeserializer loop.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
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
          f"CPU (target >= 3x); vs JsonConverter: {json_path / ours:.2f}x wall, {json_cpu / ours_cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
