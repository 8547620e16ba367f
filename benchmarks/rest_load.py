"""REST API under load (issue #14): 50 clients polling `GET /connectors?expand=status` while a connector
moves data, against the same connector moving the same data with nobody polling.

A `pyconnect-flow standalone` worker (its REST API on a free loopback port) runs a FileStreamSource
connector that copies `--lines` lines into a topic of a real Apache Kafka broker (`tests/reference`: JDK 17+
and Maven; Tansu's high watermark lags the records it holds, which this timing relies on). The data path's throughput
is timed from the first record in the topic to the last (the topic's high watermark); the polling clients
(`--clients` asyncio loops in this process, each sending a request, waiting for the answer, then
`--interval` seconds) record every request's latency. Runs alternate quiet and polled, `--repeat` times
each; the best throughput of each kind and the latencies of all polled runs are printed.

    python benchmarks/rest_load.py [--lines 2000000] [--clients 50] [--interval 1.0] [--repeat 2]

Targets: p99 latency under 100 ms; the data path's throughput at most 10% lower while polled.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from benchmarks._common import child_environment, table


def make_file(path: Path, lines: int) -> None:
    row = "x" * 80
    with path.open("w") as f:
        for start in range(0, lines, 100_000):
            f.write("".join(f"{i:09d} {row}\n" for i in range(start, min(lines, start + 100_000))))


def data_run(api: httpx.Client, bootstrap: str, source: Path, name: str, lines: int) -> float:
    """Create the connector, time its records into the topic, delete it; records per second."""
    from confluent_kafka import Consumer, TopicPartition

    created = api.post("/connectors", json={"name": name, "config": {
        "connector.class": "FileStreamSource", "file": str(source), "topic": name, "batch.size": "10000"}})
    created.raise_for_status()
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "rest-load-watch"})
    first = start = None
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                _low, high = consumer.get_watermark_offsets(TopicPartition(name, 0), timeout=5)
            except Exception:  # noqa: BLE001 - the topic is created by the first record
                high = 0
            now = time.monotonic()
            if high > 0 and start is None:
                first, start = high, now
            if high >= lines:
                assert start is not None and first is not None
                return (lines - first) / max(now - start, 1e-9)
            time.sleep(0.02)
        raise RuntimeError(f"{name}: the topic did not get {lines} records")
    finally:
        consumer.close()
        api.delete(f"/connectors/{name}")


async def poll(url: str, clients: int, interval: float, stop: threading.Event, latencies: list[float],
               first: list[float] | None = None) -> None:
    """`clients` loops polling until `stop`; each starts at its own moment of the first interval (as UIs
    opened at different times do). A client's first request, which opens its connection, goes to `first`."""

    # One httpx client with a pool of `clients` keep-alive connections: the server sees `clients` connections
    # (one per polling loop, as from as many UIs), and this process does not build 50 TLS contexts (~40 ms of
    # CPU each, which timed httpx, not the API).
    async with httpx.AsyncClient(base_url=url, timeout=30,
                                 limits=httpx.Limits(max_connections=clients,
                                                     max_keepalive_connections=clients)) as http:

        async def client(delay: float) -> None:
            await asyncio.sleep(delay)
            opened = False
            while not stop.is_set():
                began = time.perf_counter()
                response = await http.get("/connectors", params={"expand": "status"})
                took = time.perf_counter() - began
                (latencies if opened or first is None else first).append(took)
                opened = True
                response.raise_for_status()
                await asyncio.sleep(interval)

        await asyncio.gather(*(client(interval * i / clients) for i in range(clients)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds each client waits between polls")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from pyconnect_flow.net import free_ports
    from tests.reference.kafka_broker import ApacheKafka

    with tempfile.TemporaryDirectory(prefix="bench-rest-") as tmp_dir, ApacheKafka(log_level="WARN") as kafka:
        tmp = Path(tmp_dir)
        source = tmp / "in.txt"
        make_file(source, args.lines)
        port = free_ports(1)[0]
        worker = tmp / "worker.properties"
        worker.write_text(f"bootstrap.servers={kafka.bootstrap_servers}\nlisteners=http://127.0.0.1:{port}\n"
                          "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
                          "value.converter=org.apache.kafka.connect.storage.StringConverter\n"
                          f"offset.storage.file.filename={tmp / 'offsets'}\n")
        url = f"http://127.0.0.1:{port}"
        process = subprocess.Popen([sys.executable, "-m", "pyconnect_flow", "standalone", str(worker)], cwd=tmp,
                                   env=child_environment(),
                                   stdout=subprocess.DEVNULL, stderr=(tmp / "worker.log").open("w"))
        try:
            api = httpx.Client(base_url=url, timeout=90)
            deadline = time.monotonic() + 60
            while True:
                try:
                    if api.get("/").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError((tmp / "worker.log").read_text())
                time.sleep(0.2)
            # Warm-up: the first run also pays for imports into the page cache.
            data_run(api, kafka.bootstrap_servers, source, "warmup", args.lines)
            quiet: list[float] = []
            polled: list[float] = []
            latencies: list[float] = []
            idle_latencies: list[float] = []
            opening: list[float] = []
            stop = threading.Event()
            # Latencies with no data moving: the API alone.
            thread = threading.Thread(target=lambda: asyncio.run(poll(url, args.clients, args.interval, stop,
                                                                      idle_latencies, opening)))
            thread.start()
            time.sleep(10)
            stop.set()
            thread.join()
            for i in range(args.repeat):
                quiet.append(data_run(api, kafka.bootstrap_servers, source, f"quiet{i}", args.lines))
                stop = threading.Event()
                thread = threading.Thread(target=lambda s=stop: asyncio.run(  # type: ignore[misc]
                    poll(url, args.clients, args.interval, s, latencies, opening)))
                thread.start()
                time.sleep(2)  # every client has started polling
                try:
                    polled.append(data_run(api, kafka.bootstrap_servers, source, f"polled{i}", args.lines))
                finally:
                    stop.set()
                    thread.join()
        finally:
            process.terminate()
            process.wait(timeout=120)

    def pct(values: list[float], q: float) -> str:
        ordered = sorted(values)
        return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.1f}"

    best_quiet, best_polled = max(quiet), max(polled)
    print(f"{args.lines:,} lines, {args.clients} clients polling GET /connectors?expand=status every "
          f"{args.interval:g} s, best of {args.repeat}")
    print(table([
        ("run", "records/s", "requests", "p50 ms", "p99 ms", "max ms"),
        ("API only (no data moving)", "-", str(len(idle_latencies)), pct(idle_latencies, 0.5),
         pct(idle_latencies, 0.99), f"{max(idle_latencies) * 1000:.1f}"),
        ("clients' first requests (connection set-up)", "-", str(len(opening)), pct(opening, 0.5),
         pct(opening, 0.99), f"{max(opening) * 1000:.1f}"),
        ("data path, nobody polling", f"{best_quiet:,.0f}", "-", "-", "-", "-"),
        ("data path, 50 clients polling", f"{best_polled:,.0f}", str(len(latencies)), pct(latencies, 0.5),
         pct(latencies, 0.99), f"{max(latencies) * 1000:.1f}"),
    ]))
    print(f"all quiet runs: {[round(q) for q in quiet]}; all polled runs: {[round(p) for p in polled]}")
    print(f"throughput while polled: {best_polled / best_quiet:.2f}× (median {statistics.median(polled) / statistics.median(quiet):.2f}×)")


if __name__ == "__main__":
    main()


