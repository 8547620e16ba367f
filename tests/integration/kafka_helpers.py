"""Small helpers for integration tests: run the CLI, write configs, read and fill topics."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    timestamp: int


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["RUST_BACKTRACE"] = "0"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def without_rest(args: Iterable[str]) -> list[str]:
    """`standalone` runs the given connectors as one dataflow, without the REST API (`--no-rest`): tests
    that want the API start the worker themselves (tests/integration/rest_helpers.py)."""
    args = list(args)
    if args[:1] == ["standalone"] and "--no-rest" not in args:
        args.insert(1, "--no-rest")
    return args


def run_cli(args: Iterable[str], cwd: Path | None = None, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `pyconnect-flow ARGS` in a subprocess and return the finished process."""
    return subprocess.run([sys.executable, "-m", "pyconnect_flow", *without_rest(args)], cwd=cwd, env=cli_env(**env),
                          capture_output=True, text=True, timeout=timeout)


def _die_with_parent() -> None:
    """In the child: get SIGKILL when the test process dies, so no flow outlives a crashed test run."""
    import ctypes
    import signal

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_DEATHSIG


def start_cli(args: Iterable[str], cwd: Path | None = None, **env: str) -> subprocess.Popen[str]:
    """Start `pyconnect-flow ARGS` in the background (the caller must kill and wait for it)."""
    return subprocess.Popen([sys.executable, "-m", "pyconnect_flow", *without_rest(args)], cwd=cwd, env=cli_env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)


def write_properties(path: Path, values: Mapping[str, Any]) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return path


def worker_file(tmp: Path, bootstrap: str, **extra: Any) -> Path:
    values = {
        "bootstrap.servers": bootstrap,
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "true",
        "value.converter.schemas.enable": "true",
        "offset.storage.file.filename": str(tmp / "offsets"),
        "offset.flush.interval.ms": "500",
    }
    values.update({k.replace("_", "."): v for k, v in extra.items()})
    return write_properties(tmp / "worker.properties", values)


def topic_partitions(bootstrap: str, topic: str) -> list[int]:
    meta = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10)
    return sorted(meta.topics[topic].partitions)


class TopicReader:
    """Reads a topic from the beginning, incrementally, up to what the broker has now.

    The end is found with partition-EOF events (the fetch high watermark), not
    ListOffsets, because Tansu answers ListOffsets with the last batch's base offset + 1.
    """

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "pcf-test-reader",
                                  "enable.auto.commit": False, "enable.partition.eof": True})
        self.partitions = topic_partitions(bootstrap, topic)
        self.consumer.assign([TopicPartition(topic, p, 0) for p in self.partitions])
        self.messages: list[Message] = []

    def poll(self, timeout: float = 10.0) -> list[Message]:
        """Everything new until every partition reports EOF (or the timeout)."""
        at_eof: set[int] = set()
        deadline = time.monotonic() + timeout
        while len(at_eof) < len(self.partitions) and time.monotonic() < deadline:
            for m in self.consumer.consume(5000, 0.2):
                err = m.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        at_eof.add(m.partition())
                    continue
                at_eof.discard(m.partition())
                self.messages.append(Message(m.topic(), m.partition(), m.offset(), m.key(), m.value(),
                                             list(m.headers() or []), m.timestamp()[1]))
        return self.messages

    def close(self) -> None:
        self.consumer.close()


def read_topic(bootstrap: str, topic: str, expected: int | None = None, timeout: float = 30.0) -> list[Message]:
    """All messages of `topic` from the beginning: until EOF everywhere, or at least `expected` of them."""
    reader = TopicReader(bootstrap, topic)
    deadline = time.monotonic() + timeout
    try:
        while True:
            messages = reader.poll(max(0.5, deadline - time.monotonic()))
            if expected is None or len(messages) >= expected or time.monotonic() >= deadline:
                return messages
            time.sleep(0.1)
    finally:
        reader.close()


def count_messages(bootstrap: str, topic: str) -> int:
    return len(read_topic(bootstrap, topic))


def produce(bootstrap: str, topic: str, records: Iterable[Mapping[str, Any]]) -> None:
    """Produce dicts with value (and optional key, partition, headers, timestamp) and wait for delivery."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    errors: list[str] = []

    def report(err: Any, _msg: Any) -> None:
        if err is not None:
            errors.append(str(err))

    for r in records:
        kwargs = {k: r[k] for k in ("key", "partition", "headers", "timestamp") if r.get(k) is not None}
        while True:
            try:
                producer.produce(topic, r.get("value"), on_delivery=report, **kwargs)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(30)
    assert not errors, errors


def group_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        tps = consumer.committed([TopicPartition(topic, p) for p in topic_partitions(bootstrap, topic)], timeout=10)
        return {tp.partition: tp.offset for tp in tps}
    finally:
        consumer.close()


def read_batches(kafka: Any, topic: str, partition: int, columnar: bool, group: str,
                 batch_size: int = 100) -> list[Any]:
    """Every batch a `KafkaReader` hands over for one partition (columns or records), to its end."""
    from pyconnect_flow.connectors.kafka import KafkaSource

    source = KafkaSource(kafka.consumer_config(group), topics=[topic], stop_at_end=True, commit_offsets=False,
                         columnar=columnar, batch_size=batch_size)
    reader = source.open(f"{topic}-{partition}", None)
    batches: list[Any] = []
    try:
        while True:
            batch = reader.read()
            if len(batch):
                batches.append(batch)
    except StopIteration:
        pass
    finally:
        reader.close()
    return batches
