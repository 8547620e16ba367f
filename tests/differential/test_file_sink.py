"""Topic → FileStreamSink, Kafka Connect against pyconnect-flow: byte-identical files.

One topic of random records (JsonConverter envelopes of random schemas and values, schemaless ones,
tombstones, and now and then bytes that are not JSON or not UTF-8) is read by several sink connectors on
each side, with JsonConverter (schemas on and off, ``replace.null.with.default`` off) and StringConverter.
A line is the value's ``toString()``: structs, maps in HashMap order, lists, dates, decimals, doubles.
``errors.tolerance=all``: a record one side cannot read must be skipped by the other too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.differential.connect_data import documented, dumps, random_envelope, random_json
from tests.differential.harness import Run, case_count, compare_files, report, rng, run_id, sided
from tests.differential.lines import hostile_line
from tests.integration.kafka_helpers import produce
from tests.reference.connect_standalone import KafkaConnect, sink_done

CONVERTERS: dict[str, dict[str, str]] = {
    "json": {"value.converter": "org.apache.kafka.connect.json.JsonConverter",
             "value.converter.schemas.enable": "true"},
    "jsonnodefault": {"value.converter": "org.apache.kafka.connect.json.JsonConverter",
                      "value.converter.schemas.enable": "true",
                      "value.converter.replace.null.with.default": "false"},
    "jsonplain": {"value.converter": "org.apache.kafka.connect.json.JsonConverter",
                  "value.converter.schemas.enable": "false"},
    "string": {"value.converter": "org.apache.kafka.connect.storage.StringConverter"},
}

#: A Java byte[] prints its identity (``[B@1b6d3586``): the same on neither side, so masked on both.
_IDENTITY = re.compile(rb"\[B@[0-9a-f]+")


def masked(data: bytes) -> bytes:
    return _IDENTITY.sub(b"[B@(identity)", data)


def random_records(rnd: Any, count: int) -> list[dict[str, Any]]:
    with documented(False):
        return _random_records(rnd, count)


def _random_records(rnd: Any, count: int) -> list[dict[str, Any]]:
    records = []
    for _ in range(count):
        roll = rnd.random()
        if roll < 0.04:
            value: bytes | None = None  # a tombstone: FileStreamSink writes "null"
        elif roll < 0.08:
            value = hostile_line(rnd)[:2000]  # not JSON, maybe not UTF-8
        elif roll < 0.12:  # JSON followed by anything: Jackson reads the first value and stops
            value = (dumps(random_json(rnd, 3)).encode("utf-8", "surrogatepass") + rnd.choice((b"", b" ", b"\n"))
                     + hostile_line(rnd)[:50])
        else:
            value = random_envelope(rnd)[0].encode("utf-8", "surrogatepass")
        key = None if rnd.random() < 0.5 else random_envelope(rnd)[0].encode("utf-8", "surrogatepass")
        headers = [("h", b"1"), ("h2", None)] if rnd.random() < 0.2 else None
        records.append({"value": value, "key": key, "headers": headers})
    return records


def run_sinks(connect: KafkaConnect, tmp_path: Path, topic: str, count: int,
              converters: dict[str, dict[str, str]], extra: dict[str, Any] | None = None) -> list[str]:
    """Run one FileStreamSink per converter setting on both sides over ``topic``; the differences."""
    run = run_id()
    connectors = {sided(f"{run}-sink-{name}"): {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "tasks.max": 1,
        "topics": topic, "file": str(tmp_path / f"{{side}}-{name}.txt"), "errors.tolerance": "all",
        **settings, **(extra or {})} for name, settings in converters.items()}
    done = {name: sink_done({(topic, 0): count}) for name in connectors}
    both = Run(tmp_path / "run", connectors)
    both.execute(connect, done)
    assert both.ours is not None and both.ours.returncode == 0, both.ours.stderr[-3000:] if both.ours else ""
    failed = {name: o for name, o in both.outcomes.items() if o.state != "done"}
    assert not failed, failed
    problems = []
    for name in converters:
        kc = masked((tmp_path / f"kc-{name}.txt").read_bytes())
        py = masked((tmp_path / f"py-{name}.txt").read_bytes())
        problems += [f"[{name}] {p}" for p in compare_files(kc, py)]
    return problems


def test_random_records_give_identical_files(kafka_connect: KafkaConnect, tmp_path: Path) -> None:
    rnd = rng("file-sink")
    count = case_count(0.2, minimum=20)
    topic = f"{run_id()}-in"
    kafka_connect_topic(kafka_connect, topic)
    produce(kafka_connect.bootstrap_servers, topic, random_records(rnd, count))
    problems = run_sinks(kafka_connect, tmp_path, topic, count, CONVERTERS)
    assert not problems, report(problems)


def kafka_connect_topic(connect: KafkaConnect, topic: str, partitions: int = 1) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": connect.bootstrap_servers})
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])[topic].result(30)
