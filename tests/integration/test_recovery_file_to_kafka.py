"""kill -9 a running `pyconnect-flow standalone` mid-file, restart it, count what arrived."""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from pathlib import Path

from tests.integration.kafka_helpers import (
    TopicReader,
    count_messages,
    read_topic,
    run_cli,
    start_cli,
    worker_file,
    write_properties,
)

LINES = 300_000


def test_kill_9_mid_file_then_resume_delivers_every_line(tansu_kafka, tmp_path: Path, unique_name: str) -> None:
    kafka = tansu_kafka
    src = tmp_path / "big.txt"
    src.write_text("".join(f"line-{i:07d}\n" for i in range(LINES)))
    worker = worker_file(tmp_path, kafka.bootstrap_servers, offset_flush_interval_ms=200)
    conn = write_properties(tmp_path / "c.properties", {
        "name": unique_name, "connector.class": "FileStreamSource", "file": src, "topic": unique_name,
        "batch.size": 50})
    kafka.create_topic(unique_name, partitions=3)

    proc = start_cli(["standalone", str(worker), str(conn), "--stop-at-end"], cwd=tmp_path)
    progress = TopicReader(kafka.bootstrap_servers, unique_name)
    try:
        deadline = time.monotonic() + 120
        while len(progress.poll(0.5)) < LINES // 10:
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the flow made no progress"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    delivered_before = len(progress.poll())
    progress.close()
    assert delivered_before < LINES, "the flow finished before it could be killed; make the file larger"

    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr

    total = count_messages(kafka.bootstrap_servers, unique_name)
    payloads = [json.loads(m.value)["payload"] for m in read_topic(kafka.bootstrap_servers, unique_name, total)]
    counts = Counter(payloads)
    assert set(counts) == {f"line-{i:07d}" for i in range(LINES)}, "some lines never arrived"
    duplicated = sorted(int(p[5:]) for p, n in counts.items() if n > 1)
    assert all(n <= 2 for n in counts.values())
    if duplicated:
        # Replayed lines are one contiguous run: from the last stored position to the crash point.
        assert duplicated[-1] - duplicated[0] + 1 == len(duplicated)
    # A third run continues after the end: nothing new.
    again = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert count_messages(kafka.bootstrap_servers, unique_name) == total
