"""Benchmark: the same work done by Kafka Connect itself (JVM) and by pyconnect-flow, on one real Apache Kafka.

Rows, each with ``tasks.max`` 1 and 3, run alternately (Kafka Connect, then pyconnect-flow):

1. FileStreamSource → Kafka: a file of 1,000,000 lines of 90 bytes, JsonConverter (schemas on), into a
   3-partition topic;
2. Kafka → FileStreamSink: 1,000,000 JsonConverter string envelopes from a 3-partition topic into a file;
3. Kafka → 5 SMTs → FileStreamSink: 1,000,000 schemaless JSON maps through InsertField, ReplaceField, Cast,
   MaskField and TimestampRouter into a file.

Kafka Connect runs as ``bin/connect-standalone.sh`` runs it (``org.apache.kafka.connect.cli.ConnectStandalone``,
the JVM options of ``kafka-run-class.sh``: G1, -Xmx2G), one fresh JVM per run, the connector added through
its REST API as soon as it answers; it is done when the offsets it commits (every second) cover the input.
pyconnect-flow runs as ``python -m pyconnect_flow standalone worker.properties connector.json --stop-at-end``.
Both are timed from the launch of their process to the end of the work (start-up included), with the CPU
seconds of every process they ran (``RUSAGE_CHILDREN``) and the peak of their processes' summed RSS
(sampled every 100 ms). Every run's output is counted.

    python benchmarks/vs_kafka_connect.py [--lines 1000000] [--java-home /usr/lib/jvm/temurin-25-jdk-amd64]

Needs the test extra, a JDK 17+ and Maven (see tests/reference). Target (issue #13): pyconnect-flow at least as
fast as Kafka Connect on every row, with less memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import child_environment, table  # noqa: E402

from tests.reference import maven  # noqa: E402
from tests.reference.connect_standalone import (  # noqa: E402
    DISTRIBUTION_JVM_OPTIONS,
    KafkaConnect,
    sink_done,
    source_done,
)
from tests.reference.kafka_broker import ApacheKafka  # noqa: E402

JSON = "org.apache.kafka.connect.json.JsonConverter"
STRING = "org.apache.kafka.connect.storage.StringConverter"
PARTITIONS = 3

CHAIN = {
    "transforms": "insert,replace,cast,mask,route",
    "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.insert.static.field": "source",
    "transforms.insert.static.value": "bench",
    "transforms.replace.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "transforms.replace.exclude": "secret",
    "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
    "transforms.cast.spec": "amount:float64,qty:int32",
    "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskField$Value",
    "transforms.mask.fields": "email",
    "transforms.route.type": "org.apache.kafka.connect.transforms.TimestampRouter",
    "transforms.route.topic.format": "${topic}-${timestamp}",
    "transforms.route.timestamp.format": "yyyyMMdd",
}


# -- measuring ----------------------------------------------------------------------------------------

def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0


class PeakRss:
    """Samples the summed RSS of a process and its descendants every 100 ms; `peak_mb` is the highest."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            tree = _children()
            pids, todo = [], [self.pid]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(tree.get(pid, []))
            self.peak_kb = max(self.peak_kb, sum(map(_rss_kb, pids)))
            self._stop.wait(0.1)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- the two sides -------------------------------------------------------------------------------------

def run_kafka_connect(bootstrap: str, name: str, config: dict[str, Any], done: Callable[[list[dict[str, Any]]], bool],
                      java_home: str | None) -> dict[str, Any]:
    cpu0, t0 = _child_cpu(), time.monotonic()
    connect = KafkaConnect(bootstrap, java_home=java_home, jvm_options=DISTRIBUTION_JVM_OPTIONS, log_level="WARN",
                           worker={"offset.flush.interval.ms": 1000, "key.converter": STRING,
                                   "plugin.discovery": "service_load"})
    connect.start()
    assert connect.pid is not None
    rss = PeakRss(connect.pid)
    started = time.monotonic()
    try:
        outcome = connect.run({name: config}, {name: done}, timeout=1800, idle=120, poll=0.25)[name]
        finished = time.monotonic()
    finally:
        peak = rss.stop()
        connect.stop()
    if outcome.state != "done":
        raise RuntimeError(f"Kafka Connect {outcome.state}: {outcome.error[:2000]}")
    return {"seconds": finished - t0, "startup": started - t0, "cpu": _child_cpu() - cpu0, "rss": peak}


def run_pyconnect(bootstrap: str, name: str, config: dict[str, Any], workdir: Path) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    worker = workdir / "worker.properties"
    worker.write_text(f"bootstrap.servers={bootstrap}\nkey.converter={STRING}\nvalue.converter={JSON}\n"
                      f"offset.storage.file.filename={workdir / 'offsets'}\noffset.flush.interval.ms=10000\n")
    connector = workdir / "connector.json"
    connector.write_text(json.dumps({"name": name, "config": config}))
    env = child_environment()
    cpu0, t0 = _child_cpu(), time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "pyconnect_flow", "standalone", str(worker), str(connector),
                             "--stop-at-end"], cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    rss = PeakRss(proc.pid)
    _, stderr = proc.communicate()
    seconds = time.monotonic() - t0
    peak = rss.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"pyconnect-flow exited with {proc.returncode}:\n{stderr[-3000:]}")
    return {"seconds": seconds, "cpu": _child_cpu() - cpu0, "rss": peak}


# -- inputs and checks ------------------------------------------------------------------------------

def make_file(path: Path, lines: int) -> None:
    filler = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut"
    with path.open("w") as f:
        for i in range(lines):
            f.write(f"{i:09d} {filler}"[:90] + "\n")


def produce(bootstrap: str, topic: str, records: int, schemaless_maps: bool) -> None:
    import orjson
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10000,
                         "queue.buffering.max.messages": 1000000, "compression.type": "lz4"})
    head = b'{"schema":{"type":"string","optional":false},"payload":"'
    for i in range(records):
        if schemaless_maps:
            value = orjson.dumps({"id": i, "amount": "12.50", "qty": 3, "email": f"user{i}@example.com",
                                  "secret": "pw", "note": "benchmark record"})
        else:
            value = head + f"{i:09d} lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod".encode() + b'"}'
        while True:
            try:
                producer.produce(topic, value, b"k%d" % i, i % PARTITIONS, timestamp=1_700_000_000_000 + i)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(300)


def topic_count(bootstrap: str, topic: str) -> int:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-count"})
    try:
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in range(PARTITIONS))
    finally:
        consumer.close()


def line_count(path: Path) -> int:
    count = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
    return count


# -- main -----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines / records per row")
    parser.add_argument("--java-home", default=None, help="the JDK of Kafka Connect (default: tests/reference's)")
    parser.add_argument("--tasks", default="1,3")
    parser.add_argument("--rows", default="source,sink,smt")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args()
    n = args.lines
    java_version = maven.java_version(maven.java(args.java_home))
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="vs-kafka-connect-") as tmp, ApacheKafka(log_level="WARN") as broker:
        tmp_path = Path(tmp)
        bootstrap = broker.bootstrap_servers
        endpoint = broker.endpoint
        source_file = tmp_path / "lines.txt"
        make_file(source_file, n)
        endpoint.create_topic("bench-sink-in", PARTITIONS)
        endpoint.create_topic("bench-smt-in", PARTITIONS)
        produce(bootstrap, "bench-sink-in", n, schemaless_maps=False)
        produce(bootstrap, "bench-smt-in", n, schemaless_maps=True)
        print(f"inputs ready: {n:,} lines / records; Kafka Connect on JDK {java_version}", flush=True)
        run = 0
        for row in args.rows.split(","):
            for tasks in map(int, args.tasks.split(",")):
                for side in ("kafka-connect", "pyconnect-flow"):
                    run += 1
                    name = f"bench-{row}-{tasks}-{side}-{run}"
                    if row == "source":
                        topic = name
                        endpoint.create_topic(topic, PARTITIONS)
                        config: dict[str, Any] = {
                            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
                            "tasks.max": tasks, "file": str(source_file), "topic": topic,
                            "value.converter": JSON, "value.converter.schemas.enable": "true"}
                        done = source_done({source_file: source_file.stat().st_size})
                    else:
                        topic = "bench-sink-in" if row == "sink" else "bench-smt-in"
                        out = tmp_path / f"{name}.txt"
                        config = {"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                                  "tasks.max": tasks, "topics": topic, "file": str(out), "value.converter": JSON,
                                  "value.converter.schemas.enable": "true" if row == "sink" else "false",
                                  **(CHAIN if row == "smt" else {})}
                        done = sink_done({(topic, p): n // PARTITIONS + (p < n % PARTITIONS) for p in range(PARTITIONS)})
                    if side == "kafka-connect":
                        measured = run_kafka_connect(bootstrap, name, config, done, args.java_home)
                    else:
                        measured = run_pyconnect(bootstrap, name, config, tmp_path / name)
                    count = topic_count(bootstrap, topic) if row == "source" else line_count(out)
                    if row != "source":
                        out.unlink()
                    if count != n:
                        raise RuntimeError(f"{name}: {count:,} records written, {n:,} expected")
                    result = {"row": row, "tasks": tasks, "side": side, **measured, "records": n}
                    results.append(result)
                    print(json.dumps(result), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print_table(results, java_version)


def print_table(results: list[dict[str, Any]], java_version: int) -> None:
    titles = {"source": "FileStreamSource → Kafka", "sink": "Kafka → FileStreamSink",
              "smt": "Kafka → 5 SMTs → FileStreamSink"}
    rows = [("work", "tasks.max", "Kafka Connect rec/s", "pyconnect-flow rec/s", "speed ratio",
             "CPU s KC / ours", "peak RSS KC / ours")]
    by = {(r["row"], r["tasks"], r["side"]): r for r in results}
    for (row, tasks, side), kc in by.items():
        if side != "kafka-connect":
            continue
        py = by[(row, tasks, "pyconnect-flow")]
        rows.append((titles[row], str(tasks), f"{kc['records'] / kc['seconds']:,.0f}",
                     f"{py['records'] / py['seconds']:,.0f}", f"{kc['seconds'] / py['seconds']:.2f}×",
                     f"{kc['cpu']:.1f} / {py['cpu']:.1f}", f"{kc['rss']:.0f} / {py['rss']:.0f} MB"))
    print(f"\nKafka Connect on JDK {java_version}; wall time from process launch to the end of the work\n")
    print(table(rows))


if __name__ == "__main__":
    main()
