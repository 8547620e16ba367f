"""Property: whatever happens between runs — new records, a poison record that stops the connector,
kill -9 in the middle of a run, restarts with or without a recovery store — every good record reaches
the sink at least once (FileStreamSink), and exactly once in an idempotent sink (an upsert by id).

Each scenario is a random sequence from a printed seed; rerun one with PYCONNECT_TEST_SEED=<seed>.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.kafka_helpers import produce, run_cli, start_cli, worker_file, write_properties

SCHEMA = {"type": "struct", "name": "event", "optional": False,
          "fields": [{"field": "id", "type": "int64", "optional": False}]}
SEEDS = [int(os.environ["PYCONNECT_TEST_SEED"])] if os.environ.get("PYCONNECT_TEST_SEED") else [11, 23, 47]
PARTITIONS = 3


def _connectors(tmp: Path, topic: str, out: Path, db: Path, tolerance: str) -> list[str]:
    common = {"topics": topic, "errors.tolerance": tolerance,
              "key.converter": "org.apache.kafka.connect.storage.StringConverter",
              "value.converter": "org.apache.kafka.connect.json.JsonConverter"}
    file_sink = write_properties(tmp / f"file-{tolerance}.properties", {
        **common, "name": f"{topic}-file", "connector.class": "FileStreamSink", "file": str(out)})
    sql_sink = write_properties(tmp / f"sql-{tolerance}.properties", {
        **common, "name": f"{topic}-sql", "connector.class": "JdbcSink", "connection.url": f"sqlite:///{db}",
        "insert.mode": "upsert", "pk.mode": "record_value", "pk.fields": "id", "auto.create": "true",
        "table.name.format": "events"})
    return [str(file_sink), str(sql_sink)]


def _sql_ids(db: Path) -> list[int]:
    if not db.exists():
        return []
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as c:
            return [int(row[0]) for row in c.execute(sa.text("SELECT id FROM events"))]
    except sa.exc.OperationalError:  # not created yet
        return []
    finally:
        engine.dispose()


@pytest.mark.parametrize("seed", SEEDS)
def test_every_good_record_arrives_whatever_the_stops(tansu_kafka, tmp_path: Path, unique_name: str,
                                                     seed: int) -> None:
    rng = random.Random(seed)
    topic, bootstrap = unique_name, tansu_kafka.bootstrap_servers
    tansu_kafka.create_topic(topic, partitions=PARTITIONS)
    out, db = tmp_path / "out.txt", tmp_path / "sink.db"
    store = rng.random() < 0.5
    worker = worker_file(tmp_path, bootstrap, offset_flush_interval_ms=str(rng.choice([50, 300, 60000])))
    if not store:
        worker.write_text("".join(f"{line}\n" for line in worker.read_text().splitlines()
                                  if not line.startswith("offset.storage")))
    good: set[int] = set()
    history: list[str] = [f"seed={seed} store={store}"]
    next_id = 0
    for _ in range(rng.randint(4, 7)):
        action = rng.choice(["produce", "produce-poison", "run", "kill", "run-tolerant"])
        history.append(action)
        if action.startswith("produce"):
            n = rng.randint(20, 3000)
            records = []
            for _i in range(n):
                records.append({"key": str(next_id).encode(), "partition": next_id % PARTITIONS,
                                "value": json.dumps({"schema": SCHEMA, "payload": {"id": next_id}}).encode()})
                good.add(next_id)
                next_id += 1
            if action == "produce-poison":
                records.insert(rng.randrange(len(records)), {"key": b"poison", "value": b"{not json",
                                                             "partition": rng.randrange(PARTITIONS)})
            produce(bootstrap, topic, records)
        elif action in ("run", "run-tolerant"):
            tolerance = "all" if action == "run-tolerant" else "none"
            done = run_cli(["standalone", str(worker), *_connectors(tmp_path, topic, out, db, tolerance),
                            "--stop-at-end"], cwd=tmp_path)
            assert done.returncode in (0, 1), (history, done.stderr[-2000:])
            assert "panicked" not in done.stderr and "Traceback" not in done.stderr, done.stderr[-2000:]
        else:
            proc = start_cli(["standalone", str(worker), *_connectors(tmp_path, topic, out, db, "none")],
                             cwd=tmp_path)
            time.sleep(rng.uniform(0.5, 3.0))
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate()
    history.append("final run-tolerant")
    done = run_cli(["standalone", str(worker), *_connectors(tmp_path, topic, out, db, "all"), "--stop-at-end"],
                   cwd=tmp_path, timeout=180)
    assert done.returncode == 0, (history, done.stderr[-2000:])
    lines = out.read_text().splitlines() if out.exists() else []
    in_file = {int(line.removeprefix("Struct{id=").removesuffix("}")) for line in lines}
    missing = good - in_file
    assert not missing, f"{len(missing)} good records missing from the file sink: {history}"
    ids = _sql_ids(db)
    assert sorted(ids) == sorted(good), f"SQL sink: {len(ids)} rows for {len(good)} records: {history}"
