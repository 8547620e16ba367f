"""Kafka → S3 through `pyconnect-flow standalone`: Confluent configs in, Confluent object names out."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pyarrow.parquet as pq

from tests.integration.kafka_helpers import group_offsets, produce, read_topic, run_cli, worker_file
from tests.integration.s3_sink_helpers import bucket_contents, order_envelope, produce_orders, s3_connector_file


def test_kafka_to_s3_parquet_hourly_by_record_time(kafka, s3, tmp_path: Path, unique_name: str) -> None:
    kafka.create_topic(unique_name, partitions=2)
    s3.client().create_bucket(Bucket=unique_name)
    # 1,000 records, 0.1 s apart in record time per partition pair: 100 s of data in one hour
    produce_orders(kafka.bootstrap_servers, unique_name, 0, 1000, partitions=2,
                   base_ts=1_700_000_000_000 - 1_700_000_000_000 % 3_600_000)
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    conn = s3_connector_file(tmp_path / "s3.properties", s3, unique_name, unique_name, unique_name, **{
        "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat", "flush.size": 300,
        "partitioner.class": "io.confluent.connect.storage.partitioner.HourlyPartitioner",
        "timestamp.extractor": "Record", "locale": "en-US", "timezone": "UTC", "rotate.interval.ms": 30_000})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    got = bucket_contents(s3.client(), unique_name)
    # per partition (500 records, 0.2 s apart = 100 s): 30 s of record time per file -> starts 0, 150, 300, 450
    prefix = f"topics/{unique_name}/year=2023/month=11/day=14/hour=22/{unique_name}"
    assert sorted(got) == sorted(f"{prefix}+{p}+{o:010d}.snappy.parquet" for p in (0, 1) for o in (0, 150, 300, 450))
    rows = [row for data in got.values() for row in pq.read_table(io.BytesIO(data)).to_pylist()]
    assert sorted(r["id"] for r in rows) == list(range(1000))
    assert rows[0].keys() == {"id", "customer", "amount"}
    # offsets are committed to the connector's group only up to what is in S3
    assert group_offsets(kafka.bootstrap_servers, f"connect-{unique_name}", unique_name) == {0: 500, 1: 500}


def test_kafka_to_s3_json_gzip_field_partitions_and_tombstones(apache_kafka, s3, tmp_path: Path,
                                                               unique_name: str) -> None:
    kafka = apache_kafka
    kafka.create_topic(unique_name, partitions=1)
    s3.client().create_bucket(Bucket=unique_name)
    schema = {"type": "struct", "optional": False, "fields": [{"field": "country", "type": "string"},
                                                              {"field": "n", "type": "int64"}]}
    records = [{"key": b'"k"', "value": json.dumps({"schema": schema, "payload": {
        "country": "NL" if i % 3 else "BE", "n": i}}).encode()} for i in range(30)]
    records.insert(10, {"key": b'"gone"', "value": None})
    produce(kafka.bootstrap_servers, unique_name, records)
    worker = worker_file(tmp_path, kafka.bootstrap_servers, key_converter_schemas_enable="false")
    conn = s3_connector_file(tmp_path / "s3.properties", s3, unique_name, unique_name, unique_name, **{
        "s3.compression.type": "gzip", "flush.size": 1000, "behavior.on.null.values": "ignore",
        "partitioner.class": "io.confluent.connect.storage.partitioner.FieldPartitioner",
        "partition.field.name": "country", "topics.dir": "landing"})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    got = bucket_contents(s3.client(), unique_name)
    base = f"landing/{unique_name}/country=%s/{unique_name}+0+%010d.json.gz"
    assert sorted(got) == [base % ("BE", 0), base % ("NL", 1)]
    be = [json.loads(line) for line in gzip.decompress(got[base % ("BE", 0)]).splitlines()]
    nl = [json.loads(line) for line in gzip.decompress(got[base % ("NL", 1)]).splitlines()]
    assert be == [{"country": "BE", "n": i} for i in range(0, 30, 3)]
    assert nl == [{"country": "NL", "n": i} for i in range(30) if i % 3]  # the tombstone was skipped


def test_missing_bucket_fails_before_data_moves(apache_kafka, s3, tmp_path: Path, unique_name: str) -> None:
    apache_kafka.create_topic(unique_name, partitions=1)
    worker = worker_file(tmp_path, apache_kafka.bootstrap_servers)
    conn = s3_connector_file(tmp_path / "s3.properties", s3, unique_name, unique_name, "no-such-bucket-" + unique_name)
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode != 0
    assert f"S3 bucket 'no-such-bucket-{unique_name}' does not exist" in done.stderr
    assert "testing" not in done.stderr.replace("tests/", "")


def test_a_record_the_format_rejects_goes_to_the_dead_letter_queue_as_read(apache_kafka, s3, tmp_path: Path,
                                                                          unique_name: str) -> None:
    kafka = apache_kafka
    kafka.create_topic(unique_name, partitions=1)
    s3.client().create_bucket(Bucket=unique_name)
    # spaced as no converter would write it: the dead letter must carry the bytes as read
    not_a_struct = b'{"schema": {"type": "string", "optional": false}, "payload": "not an order"}'
    produce(kafka.bootstrap_servers, unique_name,
            [{"value": order_envelope(i)} for i in range(10)] + [{"value": not_a_struct}]
            + [{"value": order_envelope(i)} for i in range(10, 20)])
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    conn = s3_connector_file(tmp_path / "s3.properties", s3, unique_name, unique_name, unique_name, **{
        "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat", "flush.size": 1000,
        "errors.tolerance": "all", "errors.deadletterqueue.topic.name": f"{unique_name}-dlq"})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"])
    assert done.returncode == 0, done.stderr
    rows = [row for data in bucket_contents(s3.client(), unique_name).values()
            for row in pq.read_table(io.BytesIO(data)).to_pylist()]
    assert sorted(r["id"] for r in rows) == list(range(20))
    dead = read_topic(kafka.bootstrap_servers, f"{unique_name}-dlq", expected=1)
    assert [m.value for m in dead] == [not_a_struct]
