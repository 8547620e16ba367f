"""Benchmark: Kafka → sinks against the bare consumer, record path and columnar path side by side.

One run, the same 1,000,000 JsonConverter struct envelopes (about 390 bytes) on 3 partitions (Tansu,
embedded), whole processes with start-up:
1. a bare confluent-kafka consume loop (one consumer per partition, as pyconnect-flow reads; batches of
   2000, values touched): the front limit;
2. Kafka → FileStreamSink, Kafka → S3 JSON, Kafka → S3 Parquet (moto), and S3 Parquet behind a 5-SMT chain
   (InsertField, ReplaceField, Cast, MaskField, TimestampRouter: `s3-parquet-smt`), each with the record path
   (`PYCONNECT_FLOW_COLUMNAR=0`) and the columnar path (the default), in alternation.

It prints records/s, peak RSS and the ratio to the bare loop (issue #17's target: >= 0.5x), the CPU time of
each child process (all threads, start-up included) and the same ratio by CPU time, and the load average
before and after, since the machine may be shared. Each path also runs on a topic of `--startup-records`
(1,000): its time is the start-up (imports, clients, preflight, the flow, the end), and the last columns
compare the paths without it.

    python benchmarks/kafka_columnar.py [--records 1000000] [--repeat 1] [--sinks file,s3-json,s3-parquet,s3-parquet-smt]
                                        [--paths record,columnar] [--startup-records 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PEAK_RSS, run_child, table  # noqa: E402
from kafka_to_s3 import PARTITIONS, PYCONNECT, produce  # noqa: E402

# CPU seconds of the whole child process (all threads, start-up included): steadier than wall time on a
# shared machine.
# With tasks.max > 1 the work runs in child processes: their CPU time is added, and their peak RSS (an upper
# bound: Linux carries a parent's RSS at fork over exec) counts when it is the larger.
PYCONNECT = PYCONNECT.replace(
    '"rss": peak_rss_mb()}}',
    '"rss": max(peak_rss_mb(), __import__("resource").getrusage(__import__("resource").RUSAGE_CHILDREN).ru_maxrss / 1024), '
    '"cpu": time.process_time() + sum(__import__("resource").getrusage(__import__("resource").RUSAGE_CHILDREN)[:2])}}')
assert '"cpu"' in PYCONNECT

SMT_CHAIN = {
    "transforms": "insert,replace,cast,mask,route",
    "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.insert.static.field": "source", "transforms.insert.static.value": "bench",
    "transforms.replace.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "transforms.replace.exclude": "product",
    "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
    "transforms.cast.spec": "quantity:int64",
    "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskField$Value",
    "transforms.mask.fields": "customer",
    "transforms.route.type": "org.apache.kafka.connect.transforms.TimestampRouter",
    "transforms.route.topic.format": "${topic}-${timestamp}", "transforms.route.timestamp.format": "yyyyMMdd",
}
"""The 5-SMT chain of `--sinks s3-parquet-smt` (issue #17's target: >= 0.35x the bare loop)."""

BARE = PEAK_RSS + """
import json, time, threading
from confluent_kafka import Consumer, TopicPartition
from pyconnect_flow.connectors.kafka_clients import with_read_ahead
counts = [0] * {partitions}
failures = []

def read(p):
    try:
        read_partition(p)
    except BaseException as exc:
        failures.append(repr(exc))

def read_partition(p):
    # The read-ahead settings pyconnect-flow's Kafka source uses (`kafka_clients.with_read_ahead`).
    c = Consumer(with_read_ahead({{"bootstrap.servers": {bootstrap!r}, "group.id": "bare-{tag}",
                                  "enable.auto.commit": False, "enable.partition.eof": True}}))
    c.assign([TopicPartition({topic!r}, p, 0)])
    n = size = 0
    while True:
        msgs = c.consume(2000, 0.1)
        done = False
        for m in msgs:
            if m.error() is not None:
                done = m.offset() >= n  # the partition's end (an EOF event may be stale, as in KafkaReader)
                continue
            n += 1
            size += len(m.value())
        if done:
            break
    c.close()
    counts[p] = n

t0 = time.perf_counter()
threads = [threading.Thread(target=read, args=(p,)) for p in range({partitions})]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not failures, failures
print(json.dumps({{"seconds": time.perf_counter() - t0, "rss": peak_rss_mb(), "count": sum(counts),
                  "cpu": time.process_time()}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each path (the best is shown)")
    parser.add_argument("--sinks", default="file,s3-json,s3-parquet,s3-parquet-smt", help="which sinks to run (comma-separated)")
    parser.add_argument("--paths", default="record,columnar", help="which paths to run (comma-separated)")
    parser.add_argument("--tasks", type=int, default=1,
                        help="tasks.max of every connector: its Bytewax processes (the bare loop stays one process)")
    parser.add_argument("--startup-records", type=int, default=1000,
                        help="records of a second topic each path also runs on: its time is about the start-up, "
                             "subtracted in the 'without start-up' columns (0: skip)")
    args = parser.parse_args()
    from pyconnect_flow.embedded import EmbeddedKafka, MotoS3

    load_before = os.getloadavg()
    best: dict[str, dict] = {}

    def keep(label: str, m: dict) -> None:
        if label not in best or m["seconds"] < best[label]["seconds"]:
            best[label] = m

    with tempfile.TemporaryDirectory(prefix="bench-cols-") as tmp_dir, EmbeddedKafka() as kafka, MotoS3() as s3:
        tmp = Path(tmp_dir)
        topic = "bench-columnar"
        kafka.create_topic(topic, partitions=PARTITIONS)
        t0 = time.perf_counter()
        produce(kafka.bootstrap_servers, topic, args.records)
        print(f"produced {args.records:,} records in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        client = s3.client()
        run = 0
        small_topic = "bench-columnar-small"
        if args.startup_records:
            kafka.create_topic(small_topic, partitions=PARTITIONS)
            produce(kafka.bootstrap_servers, small_topic, args.startup_records)
        client = s3.client()
        run = 0

        def connector_for(sink: str, name: str, topic: str) -> dict[str, object]:
            if sink == "file":
                return {"name": name, "connector.class": "FileStreamSink", "topics": topic, "tasks.max": args.tasks,
                        "file": str(tmp / f"{name}.txt")}
            client.create_bucket(Bucket=name)
            fmt = "parquet.ParquetFormat" if sink.startswith("s3-parquet") else "json.JsonFormat"
            return {"name": name, "connector.class": "io.confluent.connect.s3.S3SinkConnector",
                    "topics": topic, "tasks.max": args.tasks, "s3.bucket.name": name, "store.url": s3.endpoint_url,
                    "s3.region": "us-east-1", "aws.access.key.id": "testing", "aws.secret.access.key": "testing",
                    "format.class": f"io.confluent.connect.s3.format.{fmt}",
                    "flush.size": 200_000, "s3.part.size": 5 * 1024 * 1024,
                    **(SMT_CHAIN if sink.endswith("-smt") else {})}

        for _ in range(args.repeat):
            bare = run_child(BARE.format(bootstrap=kafka.bootstrap_servers, topic=topic, partitions=PARTITIONS,
                                         tag=run))
            assert bare["count"] == args.records, bare
            keep("bare confluent-kafka consume loop", bare)
            if args.startup_records:
                small = run_child(BARE.format(bootstrap=kafka.bootstrap_servers, topic=small_topic,
                                              partitions=PARTITIONS, tag=f"small{run}"))
                keep("bare confluent-kafka consume loop (start-up)", small)
            paths = [(f"{p} path", {"PYCONNECT_FLOW_COLUMNAR": "0" if p == "record" else "1"})
                     for p in args.paths.split(",")]
            for sink in args.sinks.split(","):
                for path, env in paths:
                    for size, source in ((args.records, topic), (args.startup_records, small_topic)):
                        if not size:
                            continue
                        run += 1
                        name = f"bench-{sink}-{run}"
                        m = run_child(PYCONNECT.format(tmp=str(tmp), tag=name, bootstrap=kafka.bootstrap_servers,
                                                       connector=connector_for(sink, name, source)), **env)
                        if sink == "file":
                            with open(tmp / f"{name}.txt", "rb") as out:
                                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: out.read(1 << 20), b""))
                            assert lines == size, (name, lines)
                            (tmp / f"{name}.txt").unlink()
                        print(f"{sink} {path} ({size:,}): {m['seconds']:.1f} s", file=sys.stderr)
                        keep(f"Kafka → {sink}, {path}" + (" (start-up)" if source == small_topic else ""), m)
    load_after = os.getloadavg()

    def without_startup(label: str, m: dict, key: str) -> float | None:
        small = best.get(f"{label} (start-up)")
        return None if small is None else m[key] - small[key]

    bare_label = "bare confluent-kafka consume loop"
    bare_rate = args.records / best[bare_label]["seconds"]
    bare_cpu = best[bare_label]["cpu"]
    bare_net = without_startup(bare_label, best[bare_label], "seconds")
    bare_net_cpu = without_startup(bare_label, best[bare_label], "cpu")
    rows = [("path", "records/s", "seconds", "peak RSS MB", "vs bare loop", "CPU s", "bare CPU ÷ CPU",
             "start-up s", "vs bare, without start-up", "CPU ÷, without start-up")]
    for label, m in best.items():
        if label.endswith("(start-up)"):
            continue
        rate = args.records / m["seconds"]
        net, net_cpu = without_startup(label, m, "seconds"), without_startup(label, m, "cpu")
        small = best.get(f"{label} (start-up)")
        rows.append((label, f"{rate:,.0f}", f"{m['seconds']:.1f}", f"{m['rss']:.0f}", f"{rate / bare_rate:.2f}×",
                     f"{m['cpu']:.1f}", f"{bare_cpu / m['cpu']:.2f}×",
                     "-" if small is None else f"{small['seconds']:.1f}",
                     "-" if net is None or not bare_net else f"{bare_net / net:.2f}×",
                     "-" if net_cpu is None or not bare_net_cpu else f"{bare_net_cpu / net_cpu:.2f}×"))
    print(table(rows))
    print(f"\n{args.records:,} records, {PARTITIONS} partitions, best of {args.repeat}; start-up: the same path on "
          f"{args.startup_records:,} records; {os.cpu_count()} cores; "
          f"load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
          f"after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}")


if __name__ == "__main__":
    main()
