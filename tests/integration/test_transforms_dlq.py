"""A Kafka → Kafka connector with a chain of SMTs and a poison record mix: tolerance all (DLQ) and none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.kafka_helpers import produce, read_topic, run_cli, worker_file, write_properties

GOOD = 40
POISON = {
    7: (b"{not json", "VALUE_CONVERTER", "org.apache.kafka.connect.errors.DataException"),
    15: (json.dumps({"id": 15, "age": "abc", "email": "x@y", "secret": "s"}).encode(), "TRANSFORMATION", None),
    23: (json.dumps([1, 2, 3]).encode(), "TRANSFORMATION", None),
}


def connector(tmp: Path, name: str, topic: str, tolerance: str) -> Path:
    return write_properties(tmp / f"{name}.properties", {
        "name": name,
        "connector.class": "KafkaSink",
        "topics": topic,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "transforms": "addSource,dropSecret,castAge,maskEmail,route",
        "transforms.addSource.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.addSource.static.field": "source",
        "transforms.addSource.static.value": "poison-test",
        "transforms.dropSecret.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
        "transforms.dropSecret.exclude": "secret",
        "transforms.castAge.type": "org.apache.kafka.connect.transforms.Cast$Value",
        "transforms.castAge.spec": "age:int32",
        "transforms.maskEmail.type": "org.apache.kafka.connect.transforms.MaskField$Value",
        "transforms.maskEmail.fields": "email",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "(.*)",
        "transforms.route.replacement": "$1-out",
        "errors.tolerance": tolerance,
        "errors.log.enable": "true",
        "errors.deadletterqueue.topic.name": f"{topic}-dlq",
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    })


def fill(kafka, topic: str) -> list[bytes]:
    kafka.create_topic(topic, partitions=1)
    values = []
    for i in range(GOOD + len(POISON)):
        values.append(POISON[i][0] if i in POISON else
                      json.dumps({"id": i, "age": str(20 + i), "email": f"u{i}@example.com", "secret": "pw"}).encode())
    produce(kafka.bootstrap_servers, topic, [{"key": f"k{i}".encode(), "value": v, "headers": [("trace", b"t")]}
                                             for i, v in enumerate(values)])
    return values


def test_tolerance_all_transforms_good_records_and_dead_letters_bad_ones(kafka, tmp_path: Path, unique_name: str) -> None:
    values = fill(kafka, unique_name)
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    done = run_cli(["standalone", str(worker), str(connector(tmp_path, unique_name, unique_name, "all")),
                    "--stop-at-end"])
    assert done.returncode == 0, done.stderr

    out = read_topic(kafka.bootstrap_servers, f"{unique_name}-out", GOOD)
    assert len(out) == GOOD
    by_key = {m.key.decode(): json.loads(m.value) for m in out}
    for i in range(GOOD + len(POISON)):
        if i in POISON:
            assert f"k{i}" not in by_key
            continue
        assert by_key[f"k{i}"] == {"id": i, "age": 20 + i, "email": "", "source": "poison-test"}
    assert all(m.headers == [("trace", b"t")] for m in out)

    dlq = read_topic(kafka.bootstrap_servers, f"{unique_name}-dlq", len(POISON))
    assert len(dlq) == len(POISON)
    for m in dlq:
        headers = dict(m.headers)
        offset = int(headers["__connect.errors.offset"])
        raw, stage, exception = POISON[offset]
        assert m.value == raw == values[offset]
        assert m.key == f"k{offset}".encode()
        assert headers["trace"] == b"t"
        assert headers["__connect.errors.topic"] == unique_name.encode()
        assert headers["__connect.errors.partition"] == b"0"
        assert headers["__connect.errors.connector.name"] == unique_name.encode()
        assert headers["__connect.errors.task.id"] == b"0"
        assert headers["__connect.errors.stage"] == stage.encode()
        assert headers["__connect.errors.class.name"]
        assert headers["__connect.errors.exception.class.name"]
        assert headers["__connect.errors.exception.message"]
        assert b"Traceback" in headers["__connect.errors.exception.stacktrace"]
        if exception:
            assert headers["__connect.errors.exception.class.name"].endswith(b"DataException")
    assert "Error encountered in task" in done.stderr


@pytest.mark.parametrize("tolerance", ["none"])
def test_tolerance_none_stops_at_the_first_bad_record(kafka, tmp_path: Path, unique_name: str, tolerance: str) -> None:
    fill(kafka, unique_name)
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    done = run_cli(["standalone", str(worker), str(connector(tmp_path, unique_name, unique_name, tolerance)),
                    "--stop-at-end"])
    assert done.returncode == 1
    err = done.stderr
    assert f"Connector '{unique_name}' failed at stage VALUE_CONVERTER" in err
    assert f"topic={unique_name!r} partition=0 offset=7" in err
    assert "Traceback" not in err


def test_source_connector_dead_letters_records_that_fail_a_transform(kafka, tmp_path: Path, unique_name: str) -> None:
    src = tmp_path / "numbers.txt"
    src.write_text("1\n2\nthree\n4\n")
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    conn = write_properties(tmp_path / "c.properties", {
        "name": unique_name, "connector.class": "FileStreamSource", "file": src, "topic": unique_name,
        "transforms": "toInt", "transforms.toInt.type": "org.apache.kafka.connect.transforms.Cast$Value",
        "transforms.toInt.spec": "int32", "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": f"{unique_name}-dlq",
        "errors.deadletterqueue.context.headers.enable": "true"})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    good = read_topic(kafka.bootstrap_servers, unique_name, 3)
    assert sorted(json.loads(m.value)["payload"] for m in good) == [1, 2, 4]
    assert {json.loads(m.value)["schema"]["type"] for m in good} == {"int32"}
    dead = read_topic(kafka.bootstrap_servers, f"{unique_name}-dlq", 1)
    assert [m.value for m in dead] == [b'{"schema":{"type":"string","optional":false},"payload":"three"}']
    headers = dict(dead[0].headers)
    assert headers["__connect.errors.stage"] == b"TRANSFORMATION"
    assert headers["__connect.errors.topic"] == unique_name.encode()
