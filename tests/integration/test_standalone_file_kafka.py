"""`pyconnect-flow standalone` with Kafka Connect's stock file connector configs, end to end."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from tests.integration.kafka_helpers import (
    count_messages,
    read_topic,
    run_cli,
    start_cli,
    worker_file,
    write_properties,
)

STOCK = Path(__file__).resolve().parents[1] / "data" / "kafka-config"


def stock_files(tmp: Path, bootstrap: str) -> tuple[Path, Path, Path]:
    """Kafka's stock files, with only the broker address and the offsets path pointed at this test."""
    for name in ("connect-standalone.properties", "connect-file-source.properties", "connect-file-sink.properties"):
        shutil.copy(STOCK / name, tmp / name)
    worker = tmp / "connect-standalone.properties"
    text = worker.read_text()
    text = text.replace("bootstrap.servers=localhost:9092", f"bootstrap.servers={bootstrap}")
    text = text.replace("offset.storage.file.filename=/tmp/connect.offsets",
                        f"offset.storage.file.filename={tmp / 'connect.offsets'}")
    worker.write_text(text)
    return worker, tmp / "connect-file-source.properties", tmp / "connect-file-sink.properties"


def envelope(line: str) -> bytes:
    return b'{"schema":{"type":"string","optional":false},"payload":' + json.dumps(line, ensure_ascii=False).encode() + b"}"


@pytest.mark.all_brokers
def test_quickstart_source_then_sink_with_stock_files(kafka, tmp_path: Path) -> None:
    worker, source, sink = stock_files(tmp_path, kafka.bootstrap_servers)
    lines = ["foo", "bar", "sai", 'quotes " and \\ backslash', "ünïcödé", ""]
    (tmp_path / "test.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    done = run_cli(["standalone", str(worker), str(source), "--stop-at-end"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr

    messages = read_topic(kafka.bootstrap_servers, "connect-test", expected=len(lines))
    assert sorted(m.value for m in messages) == sorted(envelope(line) for line in lines)
    assert all(m.key is None for m in messages)
    assert count_messages(kafka.bootstrap_servers, "connect-test") == len(lines)

    done = run_cli(["standalone", str(worker), str(sink), "--stop-at-end"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted((tmp_path / "test.sink.txt").read_text(encoding="utf-8").splitlines()) == sorted(lines)


def test_source_and_sink_run_together_and_tail(kafka, tmp_path: Path, unique_name: str) -> None:
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    src = tmp_path / "in.txt"
    out = tmp_path / "out.txt"
    src.write_text("one\ntwo\n")
    source = write_properties(tmp_path / "source.properties", {
        "name": f"{unique_name}-source", "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "file": src, "topic": unique_name})
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps({"name": f"{unique_name}-sink", "config": {
        "connector.class": "FileStreamSinkConnector", "topics": unique_name, "file": str(out), "tasks.max": 1}}))
    kafka.create_topic(unique_name, partitions=1)

    proc = start_cli(["standalone", str(worker), str(source), str(sink)], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        appended = False
        while time.monotonic() < deadline:
            lines = out.read_text().splitlines() if out.exists() else []
            if lines == ["one", "two"] and not appended:
                with src.open("a") as f:
                    f.write("three\n")
                appended = True
            if lines == ["one", "two", "three"]:
                break
            assert proc.poll() is None, proc.communicate()[1]
            time.sleep(0.2)
        assert out.read_text().splitlines() == ["one", "two", "three"]
    finally:
        proc.kill()
        proc.wait()


def test_several_files_in_parallel_processes(kafka, tmp_path: Path, unique_name: str) -> None:
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    files = []
    for i in range(3):
        f = tmp_path / f"part{i}.txt"
        f.write_text("".join(f"file{i}-line{j}\n" for j in range(500)))
        files.append(str(f))
    source = write_properties(tmp_path / "source.properties", {
        "name": unique_name, "connector.class": "FileStreamSource", "files": ",".join(files),
        "topic": unique_name, "tasks.max": 2})
    kafka.create_topic(unique_name, partitions=3)

    done = run_cli(["standalone", str(worker), str(source), "--stop-at-end"], cwd=tmp_path, timeout=180)
    assert done.returncode == 0, done.stderr
    values = [json.loads(m.value)["payload"] for m in read_topic(kafka.bootstrap_servers, unique_name, 1500)]
    assert sorted(values) == sorted(f"file{i}-line{j}" for i in range(3) for j in range(500))


def test_invalid_config_lists_every_bad_key_and_moves_no_data(kafka, tmp_path: Path, unique_name: str) -> None:
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    (tmp_path / "in.txt").write_text("x\n")
    source = write_properties(tmp_path / "bad.properties", {
        "name": unique_name, "connector.class": "FileStreamSource", "file": tmp_path / "in.txt",
        "topc": unique_name, "batch.size": "lots", "tasks.max": "0",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "maybe"})
    done = run_cli(["standalone", str(worker), str(source), "--stop-at-end"], cwd=tmp_path)
    assert done.returncode == 1
    err = done.stderr
    assert unique_name in err
    for key in ("topc", "did you mean 'topic'", "topic: missing required key", "batch.size", "tasks.max",
                "value.converter.schemas.enable"):
        assert key in err, (key, err)
    assert "Traceback" not in err
    assert count_messages_or_missing(kafka.bootstrap_servers, unique_name) is None


def count_messages_or_missing(bootstrap: str, topic: str) -> int | None:
    from confluent_kafka.admin import AdminClient

    topics = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics
    return None if topic not in topics else count_messages(bootstrap, topic)


def test_unknown_connector_class_lists_the_available_ones(tmp_path: Path) -> None:
    worker = write_properties(tmp_path / "w.properties", {"bootstrap.servers": "127.0.0.1:1"})
    conn = write_properties(tmp_path / "c.properties", {"name": "x", "connector.class": "FileStreamSorce",
                                                         "file": "a", "topic": "t"})
    done = run_cli(["standalone", str(worker), str(conn)])
    assert done.returncode == 1
    assert "unknown connector class 'FileStreamSorce'" in done.stderr
    assert "did you mean 'FileStreamSource'" in done.stderr
    assert "FileStreamSink" in done.stderr and "`pyconnect-flow connectors` lists" in done.stderr


def test_unreachable_broker_fails_fast_and_clearly(tmp_path: Path) -> None:
    worker = write_properties(tmp_path / "w.properties", {"bootstrap.servers": "127.0.0.1:1",
                                                           "request.timeout.ms": "3000"})
    (tmp_path / "in.txt").write_text("x\n")
    conn = write_properties(tmp_path / "c.properties", {"name": "x", "connector.class": "FileStreamSource",
                                                         "file": tmp_path / "in.txt", "topic": "t"})
    started = time.monotonic()
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], timeout=60)
    assert done.returncode == 1
    assert "Cannot reach Kafka at 127.0.0.1:1" in done.stderr
    assert time.monotonic() - started < 30


def test_missing_source_file_is_named(kafka, tmp_path: Path, unique_name: str) -> None:
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    conn = write_properties(tmp_path / "c.properties", {"name": unique_name, "connector.class": "FileStreamSource",
                                                         "file": tmp_path / "missing.txt", "topic": unique_name})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 1
    assert "missing.txt" in done.stderr and "does not exist" in done.stderr


def test_missing_topic_with_topic_creation_disabled_is_a_clear_error(kafka, tmp_path: Path, unique_name: str) -> None:
    worker = worker_file(tmp_path, kafka.bootstrap_servers, topic_creation_enable="false")
    (tmp_path / "in.txt").write_text("x\n")
    conn = write_properties(tmp_path / "c.properties", {"name": unique_name, "connector.class": "FileStreamSource",
                                                         "file": tmp_path / "in.txt", "topic": unique_name})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 1
    assert f"Topic(s) {unique_name} do not exist" in done.stderr and "topic.creation.enable=false" in done.stderr
    assert count_messages_or_missing(kafka.bootstrap_servers, unique_name) is None


def test_missing_topic_is_created_when_allowed(kafka, tmp_path: Path, unique_name: str) -> None:
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    (tmp_path / "in.txt").write_text("x\ny\n")
    conn = write_properties(tmp_path / "c.properties", {"name": unique_name, "connector.class": "FileStreamSource",
                                                         "file": tmp_path / "in.txt", "topic": unique_name})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    assert len(read_topic(kafka.bootstrap_servers, unique_name, 2)) == 2


@pytest.mark.parametrize(("worker_headers", "connector_headers", "expected"), [
    (None, None, [("src", b"file"), ("n", b"1")]),  # SimpleHeaderConverter, the default
    ("org.apache.kafka.connect.storage.StringConverter", None, [("src", b"file"), ("n", b"1")]),
    (None, "org.apache.kafka.connect.json.JsonConverter", [
        ("src", b'{"schema":{"type":"string","optional":false},"payload":"file"}'),
        ("n", b'{"schema":{"type":"int8","optional":false},"payload":1}')]),
    ("org.apache.kafka.connect.json.JsonConverter", "org.apache.kafka.connect.converters.ByteArrayConverter", None),
])
def test_header_converter_writes_the_headers(kafka, tmp_path: Path, unique_name: str, worker_headers: str | None,
                                             connector_headers: str | None, expected: list | None) -> None:
    extra = {"header_converter": worker_headers} if worker_headers else {}
    worker = worker_file(tmp_path, kafka.bootstrap_servers, **extra)
    (tmp_path / "in.txt").write_text("x\n")
    config = {"name": unique_name, "connector.class": "FileStreamSource", "file": tmp_path / "in.txt",
              "topic": unique_name, "transforms": "src,n",
              "transforms.src.type": "org.apache.kafka.connect.transforms.InsertHeader",
              "transforms.src.header": "src", "transforms.src.value.literal": "file",
              "transforms.n.type": "org.apache.kafka.connect.transforms.InsertHeader",
              "transforms.n.header": "n", "transforms.n.value.literal": "1"}
    if connector_headers:
        config["header.converter"] = connector_headers
    done = run_cli(["standalone", str(worker), str(write_properties(tmp_path / "c.properties", config)),
                    "--stop-at-end"])
    if expected is None:  # ByteArrayConverter takes bytes only, as Kafka's: the record fails
        assert done.returncode == 1
        assert "HEADER_CONVERTER" in done.stderr and "ByteArrayConverter" in done.stderr, done.stderr
        return
    assert done.returncode == 0, done.stderr
    assert read_topic(kafka.bootstrap_servers, unique_name, 1)[0].headers == expected
