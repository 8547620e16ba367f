"""Kafka as source and sink: offsets, consumer groups, record fidelity, delivery failures."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.integration.kafka_helpers import (
    TopicReader,
    group_offsets,
    produce,
    read_topic,
    run_cli,
    start_cli,
    worker_file,
    write_properties,
)


def envelope(text: str) -> bytes:
    return b'{"schema":{"type":"string","optional":false},"payload":"' + text.encode() + b'"}'


@pytest.mark.all_brokers
def test_kafka_to_file_sink_commits_offsets_to_the_connector_group(kafka, tmp_path: Path, unique_name: str) -> None:
    kafka.create_topic(unique_name, partitions=3)
    produce(kafka.bootstrap_servers, unique_name,
            [{"value": envelope(f"v{i}"), "partition": i % 3} for i in range(90)])
    out = tmp_path / "out.txt"
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    conn = write_properties(tmp_path / "sink.properties", {
        "name": unique_name, "connector.class": "FileStreamSink", "topics": unique_name, "file": out})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    assert sorted(out.read_text().splitlines()) == sorted(f"v{i}" for i in range(90))
    assert group_offsets(kafka.bootstrap_servers, f"connect-{unique_name}", unique_name) == {0: 30, 1: 30, 2: 30}


def test_restart_without_recovery_store_resumes_from_group_offsets(kafka, tmp_path: Path, unique_name: str) -> None:
    kafka.create_topic(unique_name, partitions=1)
    out = tmp_path / "out.txt"
    worker = worker_file(tmp_path, kafka.bootstrap_servers, offset_storage_file_filename="")
    conn = write_properties(tmp_path / "sink.properties", {
        "name": unique_name, "connector.class": "FileStreamSink", "topics": unique_name, "file": out})
    produce(kafka.bootstrap_servers, unique_name, [{"value": envelope(f"a{i}")} for i in range(10)])
    assert run_cli(["standalone", str(worker), str(conn), "--stop-at-end"]).returncode == 0
    produce(kafka.bootstrap_servers, unique_name, [{"value": envelope(f"b{i}")} for i in range(5)])
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines() == [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(5)]


@pytest.mark.all_brokers
def test_kafka_to_kafka_keeps_key_value_headers_timestamp_and_partition(kafka, tmp_path: Path, unique_name: str) -> None:
    source_topic, target_topic = unique_name, unique_name + "-copy"
    kafka.create_topic(source_topic, partitions=3)
    kafka.create_topic(target_topic, partitions=3)
    sent = [{"key": f"k{i}".encode(), "value": bytes([i, 0, 255]), "partition": i % 3,
             "headers": [("h1", b"x"), ("h2", None), ("h1", str(i).encode())], "timestamp": 1_700_000_000_000 + i}
            for i in range(30)]
    sent.append({"key": b"tombstone", "value": None, "partition": 0, "timestamp": 1_700_000_000_999})
    produce(kafka.bootstrap_servers, source_topic, sent)
    worker = worker_file(tmp_path, kafka.bootstrap_servers,
                         key_converter="org.apache.kafka.connect.converters.ByteArrayConverter",
                         value_converter="org.apache.kafka.connect.converters.ByteArrayConverter")
    conn = write_properties(tmp_path / "mirror.properties", {
        "name": unique_name, "connector.class": "KafkaSink", "topics": source_topic, "target.topic": target_topic,
        "target.partition.preserve": "true"})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    got = read_topic(kafka.bootstrap_servers, target_topic, len(sent))

    def shape(m):
        return (m.partition, m.key, m.value, [(k, v) for k, v in m.headers], m.timestamp)

    expected = [(s["partition"], s["key"], s["value"], s.get("headers", []), s["timestamp"]) for s in sent]
    assert sorted(map(shape, got), key=repr) == sorted(expected, key=repr)


def test_delivery_failure_stops_the_flow_with_a_clear_error(kafka, tmp_path: Path, unique_name: str) -> None:
    from pyconnect_flow.embedded import EmbeddedKafka

    kafka.create_topic(unique_name, partitions=1)
    produce(kafka.bootstrap_servers, unique_name, [{"value": f"{i}".encode()} for i in range(100)])
    target = EmbeddedKafka()
    target.start()
    try:
        target.create_topic("target", partitions=1)
        worker = worker_file(tmp_path, kafka.bootstrap_servers,
                             key_converter="org.apache.kafka.connect.converters.ByteArrayConverter",
                             value_converter="org.apache.kafka.connect.converters.ByteArrayConverter")
        conn = write_properties(tmp_path / "c.properties", {
            "name": unique_name, "connector.class": "KafkaSink", "topics": unique_name, "target.topic": "target",
            "target.bootstrap.servers": target.bootstrap_servers,
            "producer.override.message.timeout.ms": 1500, "target.partition.preserve": "false"})
        proc = start_cli(["standalone", str(worker), str(conn)])
        try:
            progress = TopicReader(target.bootstrap_servers, "target")
            deadline = time.monotonic() + 60
            while len(progress.poll(0.5)) < 100:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline
            progress.close()
            target.stop()
            produce(kafka.bootstrap_servers, unique_name, [{"value": b"after"} for _ in range(10)])
            _, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
            proc.wait()
        assert proc.returncode == 1, err
        assert unique_name in err and "delivery to topic 'target'" in err and "failed" in err
    finally:
        target.stop()


def test_a_sink_without_its_broker_fails_after_the_unreachable_timeout(tmp_path: Path, unique_name: str) -> None:
    from pyconnect_flow.embedded import EmbeddedKafka

    broker = EmbeddedKafka()
    broker.start()
    try:
        broker.create_topic(unique_name, partitions=1)
        produce(broker.bootstrap_servers, unique_name, [{"value": b"first"}])
        out = tmp_path / "out.txt"
        worker = worker_file(tmp_path, broker.bootstrap_servers, **{"kafka.unreachable.timeout.ms": 3000},
                             value_converter="org.apache.kafka.connect.storage.StringConverter")
        conn = write_properties(tmp_path / "c.properties", {
            "name": unique_name, "connector.class": "FileStreamSink", "topics": unique_name, "file": str(out)})
        proc = start_cli(["standalone", str(worker), str(conn)])
        try:
            deadline = time.monotonic() + 60
            while not (out.exists() and out.read_text() == "first\n"):
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline
                time.sleep(0.1)
            address = broker.bootstrap_servers
            broker.stop()  # the broker is gone for good
            stopped = time.monotonic()
            _, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
            proc.wait()
        assert proc.returncode == 1, err
        assert time.monotonic() - stopped < 30, err
        assert f"Kafka at {address} unreachable for" in err, err
        assert "kafka.unreachable.timeout.ms=3000" in err and unique_name in err, err
        assert "Traceback" not in err and "panicked" not in err, err
    finally:
        broker.stop()
