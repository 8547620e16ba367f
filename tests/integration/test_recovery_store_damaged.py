"""A damaged recovery store stops `pyconnect-flow standalone` before any record moves, with a message to act on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.integration.kafka_helpers import read_topic, run_cli, worker_file, write_properties


def test_garbage_in_a_part_file_is_reported_before_data_moves_then_moving_it_away_recovers(
        tansu_kafka, tmp_path: Path, unique_name: str) -> None:
    kafka = tansu_kafka
    src = tmp_path / "in.txt"
    src.write_text("a\nb\nc\n")
    worker = worker_file(tmp_path, kafka.bootstrap_servers, offset_flush_interval_ms=200)
    store = tmp_path / "offsets"
    conn = write_properties(tmp_path / "c.properties", {
        "name": unique_name, "connector.class": "FileStreamSource", "file": src, "topic": unique_name})
    kafka.create_topic(unique_name, partitions=1)
    first = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert len(read_topic(kafka.bootstrap_servers, unique_name, 3)) == 3

    (store / "part-0.sqlite3").write_bytes(b"\x00garbage\xff" * 4096)
    with src.open("a") as f:
        f.write("d\ne\n")
    damaged = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], cwd=tmp_path)
    assert damaged.returncode == 1
    assert damaged.stderr == (
        f"pyconnect-flow: Recovery store '{store}' (offset.storage.file.filename) cannot be used: part-0.sqlite3 "
        "cannot be read as a SQLite database (file is not a database). It holds the connectors' positions. To "
        f"start again without them, move the directory away (e.g. `mv {store} {store}.broken`): sink connectors "
        "then resume from their consumer group's committed offsets (connect-<name>), source connectors from the "
        "start of their input, so some records may be delivered again.\n")
    assert len(read_topic(kafka.bootstrap_servers, unique_name, timeout=5)) == 3, "records moved"

    shutil.move(store, f"{store}.broken")
    again = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    payloads = [json.loads(m.value)["payload"] for m in read_topic(kafka.bootstrap_servers, unique_name, 8)]
    assert payloads == ["a", "b", "c", "a", "b", "c", "d", "e"]  # a file source starts again from the top
