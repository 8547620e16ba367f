"""`python -m bytewax.run flows.kafka_to_postgres`: settings from the environment, SQLite by default."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.integration.kafka_helpers import cli_env, produce

SCHEMA = {"type": "struct", "name": "row", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False}, {"field": "name", "type": "string", "optional": True}]}


def test_bytewax_run_kafka_to_postgres_defaults_to_a_sqlite_file(apache_kafka, tmp_path: Path,
                                                                 unique_name: str) -> None:
    apache_kafka.create_topic(unique_name, partitions=2)
    produce(apache_kafka.bootstrap_servers, unique_name, [
        {"value": json.dumps({"schema": SCHEMA, "payload": {"id": i, "name": f"n{i}"}}).encode(), "partition": i % 2}
        for i in range(20)])
    env = cli_env(PYCONNECT_TOPICS=unique_name, PYCONNECT_BOOTSTRAP_SERVERS=apache_kafka.bootstrap_servers,
                  PYCONNECT_STOP_AT_END="1")
    cmd = [sys.executable, "-m", "bytewax.run", "flows.kafka_to_postgres"]
    for _ in range(2):  # the second run replays the topic (no recovery store): pk.mode=kafka upserts overwrite
        done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "kafka_to_postgres.db") as db:
        got = db.execute(f'SELECT "__connect_partition", id, name FROM "{unique_name}" ORDER BY id').fetchall()
    assert got == [(i % 2, i, f"n{i}") for i in range(20)]
