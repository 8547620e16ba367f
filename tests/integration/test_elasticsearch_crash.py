"""kill -9 `pyconnect-flow standalone` while it streams Kafka into Elasticsearch; after a restart the index is exact."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import orjson
import urllib3

from tests.integration.es_helpers import count, refresh
from tests.integration.kafka_helpers import produce, run_cli, start_cli, worker_file, write_properties

RECORDS = 100_000
KEYS = 99_000  # keys 0..999 appear twice: the later value must win, also across the crash
PARTITIONS = 3
# (noida-db overwrites existing documents ~10x slower than it creates them, so few keys repeat.)


def _search(url: str, index: str, body: dict[str, object]) -> dict[str, object]:
    response = urllib3.request("POST", f"{url}/{index}/_search", body=orjson.dumps(body),
                               headers={"Content-Type": "application/json"})
    assert response.status == 200, response.data
    return orjson.loads(response.data)


def test_kill_9_mid_stream_then_restart_leaves_exactly_the_expected_documents(
        apache_kafka, elasticsearch, tmp_path: Path, unique_name: str) -> None:
    kafka, url = apache_kafka, elasticsearch.url
    kafka.create_topic(unique_name, partitions=PARTITIONS)
    produce(kafka.bootstrap_servers, unique_name, (
        {"key": f"k{i % KEYS}".encode(), "value": b'{"i":%d,"key":"k%d"}' % (i, i % KEYS),
         "partition": (i % KEYS) % PARTITIONS} for i in range(RECORDS)))
    worker = worker_file(tmp_path, kafka.bootstrap_servers, offset_flush_interval_ms=300,
                         key_converter="org.apache.kafka.connect.storage.StringConverter",
                         value_converter_schemas_enable="false")
    conn = write_properties(tmp_path / "es.properties", {
        "name": unique_name, "connector.class": "ElasticsearchSink", "topics": unique_name,
        "connection.url": url, "schema.ignore": "true", "batch.size": 1000, "read.timeout.ms": 30000})

    proc = start_cli(["standalone", str(worker), str(conn)], cwd=tmp_path)
    deadline = time.monotonic() + 60
    while (count(url, unique_name) if _exists(url, unique_name) else 0) < RECORDS // 4:
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the flow made no progress"
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = count(url, unique_name)
    assert before < RECORDS // 2, "the flow went too far before it could be killed"

    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr

    refresh(url, unique_name)
    assert count(url, unique_name) == KEYS
    expected_sum = sum(j + KEYS if j + KEYS < RECORDS else j for j in range(KEYS))
    stats = _search(url, unique_name, {"size": 0, "aggs": {"sum": {"sum": {"field": "i"}}}})
    assert stats["aggregations"]["sum"]["value"] == expected_sum  # type: ignore[index]
    stale = _search(url, unique_name, {"size": 0, "query": {"range": {"i": {"lt": RECORDS - KEYS}}}})
    assert stale["hits"]["total"]["value"] == 0  # type: ignore[index]
    keys = [0, RECORDS - KEYS - 1, RECORDS - KEYS, KEYS - 1]
    sample = _search(url, unique_name, {"size": 10, "query": {"ids": {"values": [f"k{j}" for j in keys]}}})
    got = {h["_id"]: h["_source"] for h in sample["hits"]["hits"]}  # type: ignore[index]
    last = {j: max(i for i in range(j, RECORDS, KEYS)) for j in keys}
    assert got == {f"k{j}": {"i": i, "key": f"k{j}"} for j, i in last.items()}


def _exists(url: str, index: str) -> bool:
    return urllib3.request("HEAD", f"{url}/{index}").status == 200
