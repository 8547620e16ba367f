"""No record lost when a connector stops: on a poison record, with or without a recovery store, in the
first epoch or later; and Ctrl-C/SIGTERM stop cleanly, re-sending nothing after a restart."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.integration.kafka_helpers import (
    group_offsets,
    produce,
    read_topic,
    run_cli,
    start_cli,
    worker_file,
    write_properties,
)


def _sink_connector(tmp: Path, name: str, topic: str, out: Path, tolerance: str) -> Path:
    return write_properties(tmp / f"{name}-{tolerance}.properties", {
        "name": name,
        "connector.class": "FileStreamSink",
        "topics": topic,
        "file": str(out),
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "errors.tolerance": tolerance,
    })


def _worker(tmp: Path, bootstrap: str, store: bool, flush_ms: int) -> Path:
    path = worker_file(tmp, bootstrap, offset_flush_interval_ms=str(flush_ms))
    if not store:
        path.write_text("".join(line + "\n" for line in path.read_text().splitlines()
                                if not line.startswith("offset.storage.file.filename")))
    return path


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.parametrize("store", [True, False], ids=["store", "no-store"])
@pytest.mark.parametrize("flush_ms", [60000, 50], ids=["first-epoch", "later-epochs"])
def test_a_stop_on_a_poison_record_loses_nothing_on_restart(kafka, tmp_path: Path, unique_name: str,
                                                            store: bool, flush_ms: int) -> None:
    topic = unique_name
    kafka.create_topic(topic, partitions=3)
    good = 3000
    poison_at = {1234, 2900}
    produce(kafka.bootstrap_servers, topic, [
        {"key": f"k{i}".encode(), "value": b"{not json" if i in poison_at else str(i).encode(), "partition": i % 3}
        for i in range(good + len(poison_at))])
    out = tmp_path / "out.txt"
    worker = _worker(tmp_path, kafka.bootstrap_servers, store, flush_ms)

    failed = run_cli(["standalone", str(worker), str(_sink_connector(tmp_path, topic, topic, out, "none")),
                      "--stop-at-end"])
    assert failed.returncode == 1, failed.stderr
    assert "VALUE_CONVERTER" in failed.stderr and topic in failed.stderr
    assert "Traceback" not in failed.stderr and "panicked" not in failed.stderr
    committed = group_offsets(kafka.bootstrap_servers, f"connect-{topic}", topic)
    # No committed position may pass the poison record of its partition (offset = index // 3).
    for i in poison_at:
        assert committed.get(i % 3, -1001) <= i // 3, committed

    # The user lets bad records through and restarts: every good record arrives.
    done = run_cli(["standalone", str(worker), str(_sink_connector(tmp_path, topic, topic, out, "all")),
                    "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    arrived = set(_lines(out))
    expected = {str(i) for i in range(good + len(poison_at)) if i not in poison_at}
    assert expected - arrived == set(), f"{len(expected - arrived)} good records lost"
    final = group_offsets(kafka.bootstrap_servers, f"connect-{topic}", topic)
    assert sum(final.values()) == good + len(poison_at)  # everything delivered is committed


def _source_connector(tmp: Path, name: str, src: Path, topic: str) -> Path:
    return write_properties(tmp / f"{name}.properties", {
        "name": name, "connector.class": "FileStreamSource", "file": str(src), "topic": topic,
    })


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_cleanly_and_a_restart_resends_nothing(tansu_kafka, tmp_path: Path, unique_name: str,
                                                              signum: int) -> None:
    topic = unique_name
    tansu_kafka.create_topic(topic, partitions=1)
    src = tmp_path / "in.txt"
    src.write_text("".join(f"line {i}\n" for i in range(100)))
    worker = worker_file(tmp_path, tansu_kafka.bootstrap_servers, offset_flush_interval_ms="60000")
    conn = _source_connector(tmp_path, topic, src, topic)

    proc = start_cli(["standalone", str(worker), str(conn)])
    try:
        assert len(read_topic(tansu_kafka.bootstrap_servers, topic, expected=100, timeout=30)) == 100
        with src.open("a") as f:
            f.write("appended just before the stop\n")
        time.sleep(1.0)  # read and sent; its position is not stored yet (60 s epochs)
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == (130 if signum == signal.SIGINT else 0), err
    assert "Traceback" not in err and "panicked" not in err and "KeyboardInterrupt" not in err, err

    # A restart must continue after the last line: nothing is sent twice.
    with src.open("a") as f:
        f.write("after the restart\n")
    rerun = start_cli(["standalone", str(worker), str(conn)])
    try:
        values = [json.loads(m.value)["payload"] for m in
                  read_topic(tansu_kafka.bootstrap_servers, topic, expected=102, timeout=30)]
        time.sleep(1.5)
        values = [json.loads(m.value)["payload"] for m in read_topic(tansu_kafka.bootstrap_servers, topic)]
    finally:
        rerun.send_signal(signal.SIGTERM)
        rerun.communicate(timeout=30)
    assert values.count("appended just before the stop") == 1, values[-5:]
    assert values.count("after the restart") == 1 and len(values) == 102


def test_a_record_the_producer_refuses_reaches_the_dead_letter_queue(kafka, tmp_path: Path,
                                                                     unique_name: str) -> None:
    topic = unique_name
    src = tmp_path / "in.txt"
    big = "x" * 5000
    src.write_text(f"first\n{big}\nlast\n")
    conn = write_properties(tmp_path / "c.properties", {
        "name": topic, "connector.class": "FileStreamSource", "file": str(src), "topic": topic,
        "producer.override.message.max.bytes": "2000",
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": f"{topic}-dlq",
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    })
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    assert [json.loads(m.value)["payload"] for m in read_topic(kafka.bootstrap_servers, topic, 2)] == \
        ["first", "last"]
    dead = read_topic(kafka.bootstrap_servers, f"{topic}-dlq", 1)
    assert len(dead) == 1 and json.loads(dead[0].value)["payload"] == big  # the bytes that were refused
    headers = dict(dead[0].headers)
    assert headers["__connect.errors.stage"] == b"KAFKA_PRODUCE"
    assert headers["__connect.errors.connector.name"] == topic.encode()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "SIGTERM"])
def test_worker_processes_never_outlive_their_parent(tansu_kafka, tmp_path: Path, unique_name: str,
                                                     signum: int) -> None:
    topic = unique_name
    tansu_kafka.create_topic(topic, partitions=2)
    files = [tmp_path / "a.txt", tmp_path / "b.txt"]
    for i, f in enumerate(files):
        f.write_text(f"file {i}\n")
    conn = write_properties(tmp_path / "c.properties", {
        "name": topic, "connector.class": "FileStreamSource", "files": ",".join(map(str, files)),
        "topic": topic, "tasks.max": "2"})
    proc = start_cli(["standalone", str(worker_file(tmp_path, tansu_kafka.bootstrap_servers)), str(conn)])
    try:
        assert len(read_topic(tansu_kafka.bootstrap_servers, topic, expected=2, timeout=60)) == 2
        workers = _children(proc.pid)
        assert len(workers) == 2, workers
        proc.send_signal(signum)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 20
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_alive, workers)), "a worker process outlived its parent"
        if signum == signal.SIGTERM:
            assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
