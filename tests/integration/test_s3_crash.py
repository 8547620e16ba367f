"""kill -9 a `pyconnect-flow standalone` Kafka → S3 run while records stream in; restart; compare with a clean run.

Exactly-once means: the restarted run leaves the same object keys with the same
bytes as a run that was never interrupted, because file boundaries depend only
on offsets and record time, and the stored Kafka positions never pass the
first record of a file still open.
"""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

from tests.integration.kafka_helpers import run_cli, start_cli, worker_file
from tests.integration.s3_sink_helpers import bucket_contents, produce_orders, s3_connector_file

RECORDS = 200_000
PARTITIONS = 3
SETTINGS = {
    "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat",
    "flush.size": 3000,
    "partitioner.class": "io.confluent.connect.storage.partitioner.HourlyPartitioner",
    "timestamp.extractor": "Record", "locale": "en-US", "timezone": "UTC",
    "rotate.interval.ms": 1_200_000,  # 20 minutes of record time
}


def test_kill_9_while_streaming_then_restart_equals_an_uninterrupted_run(apache_kafka, s3, tmp_path: Path,
                                                                         unique_name: str) -> None:
    kafka, client, topic = apache_kafka, s3.client(), unique_name
    kafka.create_topic(topic, partitions=PARTITIONS)
    client.create_bucket(Bucket=unique_name)
    crash_dir, ref_dir = tmp_path / "crash", tmp_path / "reference"
    crash_dir.mkdir()
    ref_dir.mkdir()
    crash_worker = worker_file(crash_dir, kafka.bootstrap_servers, offset_flush_interval_ms=300)
    crash_conn = s3_connector_file(crash_dir / "s3.properties", s3, f"{topic}-crash", topic, unique_name,
                                   **{**SETTINGS, "topics.dir": "crash"})

    # the first half is there at the start; the second half streams in while the connector runs
    produce_orders(kafka.bootstrap_servers, topic, 0, RECORDS // 2, PARTITIONS)
    producer = threading.Thread(target=produce_orders,
                                args=(kafka.bootstrap_servers, topic, RECORDS // 2, RECORDS // 2, PARTITIONS))
    proc = start_cli(["standalone", str(crash_worker), str(crash_conn)], cwd=crash_dir)
    try:
        producer.start()
        deadline = time.monotonic() + 60
        while len(client.list_objects_v2(Bucket=unique_name, Prefix="crash/").get("Contents", [])) < 4:
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the connector wrote no objects"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        producer.join()
    before = bucket_contents(client, unique_name, "crash/")
    assert before, "nothing was committed before the crash"

    resumed = run_cli(["standalone", str(crash_worker), str(crash_conn), "--stop-at-end"], cwd=crash_dir)
    assert resumed.returncode == 0, resumed.stderr

    ref_worker = worker_file(ref_dir, kafka.bootstrap_servers, offset_flush_interval_ms=300)
    ref_conn = s3_connector_file(ref_dir / "s3.properties", s3, f"{topic}-ref", topic, unique_name,
                                 **{**SETTINGS, "topics.dir": "reference"})
    reference = run_cli(["standalone", str(ref_worker), str(ref_conn), "--stop-at-end"], cwd=ref_dir)
    assert reference.returncode == 0, reference.stderr

    crashed = bucket_contents(client, unique_name, "crash/")
    clean = bucket_contents(client, unique_name, "reference/")
    assert sorted(crashed) == sorted(clean)
    assert crashed == clean
    assert len(clean) > 3 * PARTITIONS
    # objects committed before the crash were rewritten with the same bytes, not moved
    assert all(crashed[k] == v for k, v in before.items())
    assert len(before) < len(clean), "the crash came after the last object; it proves nothing"
    ids = [i for data in crashed.values() for i in pq.read_table(io.BytesIO(data), columns=["id"])["id"].to_pylist()]
    assert len(ids) == RECORDS and set(ids) == set(range(RECORDS))
    assert not client.list_multipart_uploads(Bucket=unique_name).get("Uploads")
