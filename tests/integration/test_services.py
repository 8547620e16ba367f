"""Smoke tests of the services the other integration tests rely on, and of their life cycle.

If one of these fails, the connector tests that use the same service will fail too; start here.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from confluent_kafka import (
    TIMESTAMP_CREATE_TIME,
    Consumer,
    ConsumerGroupTopicPartitions,
    Message,
    Producer,
    TopicPartition,
)

from pyconnect_flow.embedded import ServiceError, _sweep_stale_workdirs
from pyconnect_flow.embedded.kafka import EmbeddedKafka, KafkaEndpoint
from pyconnect_flow.embedded.noida import ElasticsearchEndpoint
from pyconnect_flow.embedded.postgres import PostgresEndpoint
from pyconnect_flow.embedded.s3 import S3Endpoint

PARTITIONS = 3
PER_PARTITION = 10
BASE_TIMESTAMP_MS = 1_700_000_000_000
MiB = 1024 * 1024


def _produce_numbered(kafka: KafkaEndpoint, topic: str) -> list[tuple[int, bytes, bytes, list[tuple[str, bytes]], int]]:
    """Produce PARTITIONS * PER_PARTITION records with key, headers and timestamp; return what was sent."""
    sent = []
    for i in range(PARTITIONS * PER_PARTITION):
        record = (
            i % PARTITIONS,
            f"key-{i}".encode(),
            f"value-{i}".encode(),
            [("n", str(i).encode()), ("h", b"x")],
            BASE_TIMESTAMP_MS + i,
        )
        sent.append(record)
    delivered: list[str | None] = []
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers, "linger.ms": 5})
    for partition, key, value, headers, timestamp in sent:
        producer.produce(
            topic,
            value,
            key,
            partition=partition,
            headers=headers,
            timestamp=timestamp,
            on_delivery=lambda err, _msg: delivered.append(None if err is None else str(err)),
        )
    assert producer.flush(30) == 0
    assert delivered == [None] * len(sent)
    return sent


def _consume(consumer: Consumer, count: int, timeout: float = 30.0) -> list[Message]:
    """Poll until ``count`` records arrived or ``timeout`` passed; fail on any consumer error."""
    messages: list[Message] = []
    deadline = time.monotonic() + timeout
    while len(messages) < count and time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is None:
            continue
        assert message.error() is None, message.error()
        messages.append(message)
    return messages


@pytest.mark.all_brokers
def test_kafka_produce_consume_and_commit_group_offsets(kafka: KafkaEndpoint, unique_name: str) -> None:
    kafka.create_topic(unique_name, partitions=PARTITIONS)
    sent = _produce_numbered(kafka, unique_name)

    group = f"{unique_name}-group"
    consumer = Consumer(kafka.consumer_config(group))
    consumer.assign([TopicPartition(unique_name, p, 0) for p in range(PARTITIONS)])
    received = _consume(consumer, len(sent))

    by_partition: dict[int, list[Message]] = defaultdict(list)
    for message in received:
        by_partition[message.partition()].append(message)
    for partition in range(PARTITIONS):
        expected = [record for record in sent if record[0] == partition]
        got = by_partition[partition]
        assert [m.offset() for m in got] == list(range(PER_PARTITION))
        assert [(m.key(), m.value(), m.headers(), m.timestamp()) for m in got] == [
            (key, value, headers, (TIMESTAMP_CREATE_TIME, timestamp)) for _p, key, value, headers, timestamp in expected
        ]
    assert len(received) == len(sent)

    consumer.commit(
        offsets=[TopicPartition(unique_name, p, PER_PARTITION) for p in range(PARTITIONS)], asynchronous=False
    )
    consumer.close()

    # A new client of the group sees the offsets, so the broker stored them.
    reader = Consumer(kafka.consumer_config(group))
    committed = reader.committed([TopicPartition(unique_name, p) for p in range(PARTITIONS)], timeout=10)
    reader.close()
    assert {(tp.partition, tp.offset) for tp in committed} == {(p, PER_PARTITION) for p in range(PARTITIONS)}

    admin = kafka.admin()  # keep a reference: the futures fail if the client is collected
    listed = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)], request_timeout=10)
    offsets = listed[group].result(10).topic_partitions
    assert {(tp.topic, tp.partition, tp.offset) for tp in offsets} == {
        (unique_name, p, PER_PARTITION) for p in range(PARTITIONS)
    }
    admin.delete_topics([unique_name], operation_timeout=10)[unique_name].result(10)


@pytest.mark.all_brokers
def test_kafka_group_subscription_resumes_from_committed_offsets(kafka: KafkaEndpoint, unique_name: str) -> None:
    kafka.create_topic(unique_name, partitions=PARTITIONS)
    sent = _produce_numbered(kafka, unique_name)
    group = f"{unique_name}-group"
    # Explicit committed offsets: a fresh group's reset to "earliest" is unreliable on noida-db.
    starter = Consumer(kafka.consumer_config(group))
    starter.commit(offsets=[TopicPartition(unique_name, p, 4) for p in range(PARTITIONS)], asynchronous=False)
    starter.close()

    assigned: list[TopicPartition] = []
    # librdkafka's group log goes to pytest's captured logs, shown if the test fails.
    group_log = logging.getLogger(f"librdkafka.{kafka.name}")
    group_log.setLevel(logging.DEBUG)
    debug = {"debug": "cgrp", "logger": group_log}
    consumer = Consumer(kafka.consumer_config(group, debug))
    consumer.subscribe([unique_name], on_assign=lambda _consumer, partitions: assigned.extend(partitions))
    received = _consume(consumer, len(sent) - 4 * PARTITIONS)
    consumer.close()

    assert sorted(tp.partition for tp in assigned) == list(range(PARTITIONS))
    assert sorted((m.partition(), m.offset()) for m in received) == [
        (p, offset) for p in range(PARTITIONS) for offset in range(4, PER_PARTITION)
    ]


def test_postgres_create_insert_copy_upsert_select(postgres: PostgresEndpoint, unique_name: str) -> None:
    with postgres.connect() as conn:
        conn.execute(f"CREATE TABLE {unique_name} (id bigint PRIMARY KEY, name text NOT NULL, doc jsonb)")
        with conn.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {unique_name} (id, name, doc) VALUES (%s, %s, %s::jsonb)",
                [(i, f"name-{i}", json.dumps({"i": i})) for i in range(5)],
            )
            # The sinks' fast path: COPY into a staging table, then one upsert.
            cursor.execute(f"CREATE TEMP TABLE staging (LIKE {unique_name})")
            with cursor.copy("COPY staging (id, name, doc) FROM STDIN") as copy:
                for i in range(3, 8):
                    copy.write_row((i, f"new-{i}", json.dumps({"i": i, "new": True})))
            cursor.execute(
                f"INSERT INTO {unique_name} SELECT * FROM staging "
                "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, doc = EXCLUDED.doc"
            )
        rows = conn.execute(f"SELECT id, name, doc FROM {unique_name} ORDER BY id").fetchall()
        conn.execute(f"DROP TABLE {unique_name}")
    assert rows == [(i, f"name-{i}", {"i": i}) for i in range(3)] + [
        (i, f"new-{i}", {"i": i, "new": True}) for i in range(3, 8)
    ]


def test_elasticsearch_index_search_and_bulk(elasticsearch: ElasticsearchEndpoint, unique_name: str) -> None:
    es = elasticsearch.client(request_timeout=10)
    assert es.info()["version"]["number"]

    created = es.index(index=unique_name, id="doc-1", document={"title": "hello stream", "n": 1})
    assert created["result"] == "created"
    es.indices.refresh(index=unique_name)
    hits = es.search(index=unique_name, query={"match": {"title": "hello"}})["hits"]
    assert hits["total"]["value"] == 1
    assert hits["hits"][0]["_id"] == "doc-1"
    assert hits["hits"][0]["_source"] == {"title": "hello stream", "n": 1}

    operations: list[dict[str, object]] = []
    for i in range(2, 52):
        operations += [{"index": {"_index": unique_name, "_id": f"doc-{i}"}}, {"title": f"bulk {i}", "n": i}]
    bulk = es.bulk(operations=operations, refresh=True)
    assert bulk["errors"] is False
    assert [item["index"]["status"] for item in bulk["items"]] == [201] * 50
    assert es.count(index=unique_name)["count"] == 51
    assert es.get(index=unique_name, id="doc-42")["_source"] == {"title": "bulk 42", "n": 42}
    es.indices.delete(index=unique_name)


def test_s3_bucket_objects_and_multipart_upload(s3: S3Endpoint, unique_name: str) -> None:
    client = s3.client()
    if s3.region == "us-east-1":
        client.create_bucket(Bucket=unique_name)
    else:
        client.create_bucket(Bucket=unique_name, CreateBucketConfiguration={"LocationConstraint": s3.region})

    client.put_object(Bucket=unique_name, Key="small.txt", Body=b"hello s3")
    assert client.get_object(Bucket=unique_name, Key="small.txt")["Body"].read() == b"hello s3"

    parts = [os.urandom(5 * MiB), os.urandom(1024)]  # every part but the last must be >= 5 MiB
    upload = client.create_multipart_upload(Bucket=unique_name, Key="big.bin")
    etags = [
        client.upload_part(Bucket=unique_name, Key="big.bin", UploadId=upload["UploadId"], PartNumber=n, Body=body)[
            "ETag"
        ]
        for n, body in enumerate(parts, start=1)
    ]
    client.complete_multipart_upload(
        Bucket=unique_name,
        Key="big.bin",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": n} for n, etag in enumerate(etags, start=1)]},
    )
    assert client.head_object(Bucket=unique_name, Key="big.bin")["ContentLength"] == sum(map(len, parts))
    assert client.get_object(Bucket=unique_name, Key="big.bin")["Body"].read() == b"".join(parts)
    listed = client.list_objects_v2(Bucket=unique_name)["Contents"]
    assert sorted(obj["Key"] for obj in listed) == ["big.bin", "small.txt"]

    for key in ("big.bin", "small.txt"):
        client.delete_object(Bucket=unique_name, Key=key)
    client.delete_bucket(Bucket=unique_name)


# -- life cycle of the embedded services --------------------------------------------------------


def _live_processes_in_group(pgid: int) -> list[int]:
    """Pids of non-zombie processes in process group ``pgid`` (Linux ``/proc``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            found.append(int(stat.parent.name))
    return found


def _wait_until_gone(pgid: int, timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (alive := _live_processes_in_group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def test_stop_ends_the_process_and_removes_its_directory() -> None:
    with EmbeddedKafka() as broker:
        pid, workdir = broker.pid, broker.workdir
        assert pid is not None and broker.running and workdir.is_dir()
        assert broker.startup_seconds is not None and broker.startup_seconds < 10
    assert not broker.running
    assert not workdir.exists()
    assert _wait_until_gone(pid) == []


def test_a_service_that_cannot_start_raises_with_its_log() -> None:
    broker = EmbeddedKafka(storage_engine="nonsense://nowhere/")
    with pytest.raises(ServiceError, match="tansu exited with code") as failure:
        broker.start()
    assert "UnsupportedStorageUrl" in str(failure.value)
    assert not broker.running


CRASHING_PARENT = """
import json, sys, time
from pyconnect_flow.embedded import EmbeddedKafka, EmbeddedPostgres
services = [EmbeddedKafka().start(), EmbeddedPostgres().start()]
print(json.dumps([[s.pid, str(s.workdir)] for s in services]), flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_DEATHSIG is Linux only")
def test_services_die_with_a_killed_parent_and_their_directories_are_swept() -> None:
    parent = subprocess.Popen([sys.executable, "-c", CRASHING_PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        started = json.loads(parent.stdout.readline())
    finally:
        parent.kill()  # SIGKILL: no atexit, no cleanup of our own
        parent.wait()
    for pid, _workdir in started:
        # Each service leads its own process group, so this also covers PostgreSQL's backends.
        assert _wait_until_gone(pid) == [], f"service {pid} outlived its parent"
    _sweep_stale_workdirs()
    assert [workdir for _pid, workdir in started if Path(workdir).exists()] == []
