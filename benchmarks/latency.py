"""Benchmark: how long a record takes from its source to being visible in the sink, at a steady rate.

Each path runs `pyconnect-flow standalone` with Kafka's stock `connect-standalone.properties` settings
(`offset.flush.interval.ms=10000`) on a real Apache Kafka 4.x broker, while records are offered at
`--rate` records/s for `--seconds`; each record carries the time it was offered, and a reader watching the
sink notes when it first sees it:

- FileStreamSource → Kafka: lines appended to the source file; seen when a consumer of the topic reads them;
- Kafka → FileStreamSink: records produced to the topic; seen when their line is in the sink file;
- Kafka → PostgreSQL (JDBC sink, insert mode): seen when a query (every 5 ms) finds the row;
- Kafka → Elasticsearch (noida-db's Elasticsearch API, the tests' server): seen when a real-time GET of its id
  (`_mget`, every 5 ms) finds the document — what the sink controls — and, as a second path, when a search
  finds it, which adds the index's `refresh_interval` (1 s by default, in noida-db as in Elasticsearch; neither
  Confluent's connector nor ours asks for a refresh).

Prints p50, p99 and max per path (target, issue #18: p99 under 1 s with the stock worker file) and checks that
every record was seen.

    python benchmarks/latency.py [--rate 1000] [--seconds 20] [--paths file-source,file-sink,postgres,elasticsearch,...]

Needs the test extra, a JDK 17+ and Maven (the broker of tests/reference).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import child_environment, table  # noqa: E402

from tests.reference.kafka_broker import ApacheKafka  # noqa: E402

STRING = "org.apache.kafka.connect.storage.StringConverter"
#: Kafka's config/connect-standalone.properties, the keys that matter here.
STOCK_WORKER = {"key.converter": STRING, "value.converter": STRING, "offset.flush.interval.ms": "10000"}


def start_worker(bootstrap: str, workdir: Path, connector: dict[str, Any]) -> subprocess.Popen[str]:
    worker = workdir / "worker.properties"
    keys = {"bootstrap.servers": bootstrap, "offset.storage.file.filename": str(workdir / "offsets"),
            "listeners": "http://127.0.0.1:0", **STOCK_WORKER}
    worker.write_text("".join(f"{k}={v}\n" for k, v in keys.items()))
    config = workdir / "connector.json"
    config.write_text(json.dumps(connector))
    env = child_environment()
    return subprocess.Popen([sys.executable, "-m", "pyconnect_flow", "standalone", str(worker), str(config),
                             "--no-rest"], cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                            stderr=(workdir / "worker.log").open("w"), text=True)


def offer(rate: int, seconds: float, send: Callable[[int, float], None]) -> int:
    """Call `send(i, offered_at)` `rate` times a second for `seconds`, in small bursts; the count sent."""
    total = int(rate * seconds)
    start = time.monotonic()
    for i in range(total):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        send(i, time.time())
    return total


def file_sink_path(bootstrap: str, broker: ApacheKafka, workdir: Path, rate: int, seconds: float) -> list[float]:
    from confluent_kafka import Producer

    topic = "latency-file-sink"
    broker.endpoint.create_topic(topic, 1)
    out = workdir / "out.txt"
    out.touch()
    proc = start_worker(bootstrap, workdir, {"name": "latency-sink", "config": {
        "connector.class": "FileStreamSink", "topics": topic, "file": str(out)}})
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    producer.produce(topic, b"warm-up 0")  # the connector's start-up is not latency
    producer.flush()
    _wait_for(lambda: "warm-up" in out.read_text(), 60, proc, workdir)
    seen: dict[int, float] = {}
    watcher = _Tail(out, seen)
    try:
        def send(i: int, at: float) -> None:
            producer.produce(topic, f"{i} {at!r}".encode())
            producer.poll(0)

        total = offer(rate, seconds, send)
        producer.flush()
        _wait_for(lambda: len(seen) >= total, 60, proc, workdir)
    finally:
        watcher.stop()
        proc.terminate()
        proc.wait(60)
    return [seen[i] - at for i, at in watcher.offered.items()]


def file_source_path(bootstrap: str, broker: ApacheKafka, workdir: Path, rate: int, seconds: float) -> list[float]:
    from confluent_kafka import Consumer

    topic = "latency-file-source"
    broker.endpoint.create_topic(topic, 1)
    src = workdir / "in.txt"
    src.write_text("warm-up 0\n")
    proc = start_worker(bootstrap, workdir, {"name": "latency-source", "config": {
        "connector.class": "FileStreamSource", "topic": topic, "file": str(src)}})
    from confluent_kafka import TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "latency", "fetch.wait.max.ms": 10})
    consumer.assign([TopicPartition(topic, 0, 0)])  # no group join in the measurement
    seen: dict[int, float] = {}
    offered: dict[int, float] = {}
    done = threading.Event()
    warm = threading.Event()

    def consume() -> None:
        while not done.is_set():
            message = consumer.poll(0.05)
            if message is None or message.error():
                continue
            now = time.time()
            text = message.value().decode()
            if text.startswith("warm-up"):
                warm.set()
            else:
                i, at = text.split(" ")
                seen.setdefault(int(i), now)
                offered[int(i)] = float(at)

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    try:
        _wait_for(warm.is_set, 60, proc, workdir)  # the connector's start-up is not latency
        with src.open("a", buffering=1) as f:
            def send(i: int, at: float) -> None:
                f.write(f"{i} {at!r}\n")

            total = offer(rate, seconds, send)
        _wait_for(lambda: len(seen) >= total, 60, proc, workdir)
    finally:
        done.set()
        thread.join()
        consumer.close()
        proc.terminate()
        proc.wait(60)
    return [seen[i] - offered[i] for i in offered]


def postgres_path(bootstrap: str, broker: ApacheKafka, workdir: Path, rate: int, seconds: float) -> list[float]:
    from confluent_kafka import Producer

    from pyconnect_flow.embedded import EmbeddedPostgres

    topic = "latency_pg"
    broker.endpoint.create_topic(topic, 1)
    schema = {"type": "struct", "name": "row", "fields": [{"field": "id", "type": "int64"},
                                                          {"field": "at", "type": "double"}]}

    def envelope(i: int, at: float) -> bytes:
        return json.dumps({"schema": schema, "payload": {"id": i, "at": at}}).encode()

    with EmbeddedPostgres() as pg:
        proc = start_worker(bootstrap, workdir, {"name": "latency-pg", "config": {
            "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": topic,
            "connection.url": pg.url, "auto.create": "true", "insert.mode": "insert", "pk.mode": "none",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "true"}})
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
        producer.produce(topic, envelope(-1, 0.0))  # the connector's start-up (and CREATE TABLE) is not latency
        producer.flush()
        seen: dict[int, float] = {}
        offered: dict[int, float] = {}
        done = threading.Event()
        with pg.connect(autocommit=True) as conn:
            def rows() -> list[tuple[int, float]]:
                try:
                    last = max(seen, default=-1)
                    return conn.execute(f'SELECT id, at FROM "{topic}" WHERE id > %s', (last,)).fetchall()
                except Exception:  # noqa: BLE001 - the table is not created yet
                    return []

            _wait_for(lambda: bool(conn.execute("SELECT to_regclass(%s)", (topic,)).fetchone()[0]), 60, proc,
                      workdir)

            def watch() -> None:
                while not done.is_set():
                    now = time.time()
                    for i, at in rows():
                        seen.setdefault(i, now)
                        offered[i] = at
                    time.sleep(0.005)

            thread = threading.Thread(target=watch, daemon=True)
            thread.start()
            try:
                def send(i: int, at: float) -> None:
                    producer.produce(topic, envelope(i, at))
                    producer.poll(0)

                total = offer(rate, seconds, send)
                producer.flush()
                _wait_for(lambda: len(seen) >= total, 60, proc, workdir)
            finally:
                done.set()
                thread.join()
                proc.terminate()
                proc.wait(60)
    return [seen[i] - offered[i] for i in offered]


def elasticsearch_path(bootstrap: str, broker: ApacheKafka, workdir: Path, rate: int, seconds: float,
                       view: str = "get") -> list[float]:
    """Kafka → Elasticsearch; a record is seen when a real-time GET of its id finds it (`view="get"`: what the
    sink did) or when a search finds it (`view="search"`: the index's refresh interval on top)."""
    from confluent_kafka import Producer

    from pyconnect_flow.embedded import NoidaDb

    topic = f"latency-es-{view}"
    broker.endpoint.create_topic(topic, 1)

    def document(i: int, at: float) -> bytes:
        return json.dumps({"i": i, "at": at}).encode()

    with NoidaDb(["elasticsearch"]) as noida:
        proc = start_worker(bootstrap, workdir, {"name": topic, "config": {
            "connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector", "topics": topic,
            "connection.url": noida.elasticsearch_url, "key.ignore": "false", "schema.ignore": "true",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false"}})
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
        producer.produce(topic, document(-1, 0.0), b"-1")  # the connector's start-up (and the index) is not latency
        producer.flush()
        es = noida.elasticsearch.client(request_timeout=10)
        seen: dict[int, float] = {}
        offered: dict[int, float] = {}
        sent = [0]  # records produced so far (ids 0 .. sent-1)
        done = threading.Event()

        unseen = [0]  # every id below it has been seen (bulk requests in flight may land out of order)

        def found() -> list[dict[str, Any]]:
            while unseen[0] in seen:
                unseen[0] += 1
            first = unseen[0]
            if view == "search":
                answer = es.search(index=topic, query={"range": {"i": {"gte": first}}}, size=10_000, sort=[{"i": "asc"}])
                return [h["_source"] for h in answer["hits"]["hits"]]
            ids = [str(i) for i in range(first, min(sent[0], first + 2_000)) if i not in seen]
            if not ids:
                return []
            return [d["_source"] for d in es.mget(index=topic, ids=ids)["docs"] if d.get("found")]

        _wait_for(lambda: es.options(ignore_status=404).get(index=topic, id="-1").get("found", False), 60, proc,
                  workdir)

        def watch() -> None:
            while not done.is_set():
                now = time.time()
                for doc in found():
                    seen.setdefault(doc["i"], now)
                    offered[doc["i"]] = doc["at"]
                time.sleep(0.005)

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        try:
            def send(i: int, at: float) -> None:
                producer.produce(topic, document(i, at), str(i).encode())
                producer.poll(0)
                sent[0] = i + 1

            total = offer(rate, seconds, send)
            producer.flush()
            _wait_for(lambda: len(seen) >= total, 60, proc, workdir)
        finally:
            done.set()
            thread.join()
            es.close()
            proc.terminate()
            proc.wait(60)
    return [seen[i] - offered[i] for i in offered]


class _Tail:
    """Follows a growing file in a thread; `seen[i]` is when line `i` first appeared, `offered[i]` its send time."""

    def __init__(self, path: Path, seen: dict[int, float]) -> None:
        self.path = path
        self.seen = seen
        self.offered: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with self.path.open("rb") as f:
            rest = b""
            while not self._done.is_set():
                chunk = f.read()
                if not chunk:
                    time.sleep(0.005)
                    continue
                now = time.time()
                *lines, rest = (rest + chunk).split(b"\n")
                for line in lines:
                    if line.startswith(b"warm-up"):
                        continue
                    i, at = line.decode().split(" ")
                    self.seen.setdefault(int(i), now)
                    self.offered[int(i)] = float(at)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _wait_for(condition: Callable[[], bool], timeout: float, proc: subprocess.Popen[str], workdir: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise RuntimeError(f"the worker exited with {proc.returncode}:\n{(workdir / 'worker.log').read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"not everything arrived within {timeout:.0f}s")
        time.sleep(0.01)


PATHS = {"file-source": ("FileStreamSource → Kafka", file_source_path),
         "file-sink": ("Kafka → FileStreamSink", file_sink_path),
         "postgres": ("Kafka → PostgreSQL (JDBC sink, insert)", postgres_path),
         "elasticsearch": ("Kafka → Elasticsearch (noida-db), GET by id", elasticsearch_path),
         "elasticsearch-search": ("Kafka → Elasticsearch (noida-db), search, 1 s refresh",
                                  partial(elasticsearch_path, view="search"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--paths", default=",".join(PATHS))
    args = parser.parse_args()
    rows = [("path", "records", "p50 ms", "p99 ms", "max ms")]
    with tempfile.TemporaryDirectory(prefix="latency-") as tmp, ApacheKafka(log_level="WARN") as broker:
        for key in args.paths.split(","):
            title, measure = PATHS[key]
            workdir = Path(tmp) / key
            workdir.mkdir()
            latencies = measure(broker.bootstrap_servers, broker, workdir, args.rate, args.seconds)
            ms = sorted(x * 1000 for x in latencies)
            p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
            rows.append((title, f"{len(ms):,}", f"{statistics.median(ms):.0f}", f"{p99:.0f}", f"{ms[-1]:.0f}"))
            print(json.dumps({"path": key, "records": len(ms), "p50_ms": statistics.median(ms), "p99_ms": p99,
                              "max_ms": ms[-1]}), flush=True)
    print(f"\n{args.rate:,} records/s for {args.seconds:.0f} s each, stock worker file "
          "(offset.flush.interval.ms=10000); target p99 < 1,000 ms\n")
    print(table(rows))


if __name__ == "__main__":
    main()
