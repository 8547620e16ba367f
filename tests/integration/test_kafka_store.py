"""Kafka Connect's internal topics (`runtime.kafka_store`) against the real broker and Kafka Connect's own
distributed worker (`ConnectDistributed` from the Maven jars): each reads what the other wrote."""

from __future__ import annotations

import json
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette 1.x asks for httpx2 for its test client; httpx works
    from starlette.testclient import TestClient

from pyconnect_flow.embedded.kafka import KafkaEndpoint
from pyconnect_flow.rest import create_app
from pyconnect_flow.runtime.herder import Herder, HerderSettings
from pyconnect_flow.runtime.kafka_store import (
    KafkaConfigStore,
    KafkaOffsetStore,
    KafkaStatusStore,
    RestartRequest,
    Status,
)
from pyconnect_flow.runtime.store import StoredConnector
from tests.reference.connect_distributed import KafkaConnectDistributed


def _worker(kafka: KafkaEndpoint) -> dict[str, str]:
    """A distributed worker config with topics of its own (replication factor 1: one broker)."""
    tag = uuid.uuid4().hex[:8]
    return {"bootstrap.servers": kafka.bootstrap_servers, "group.id": f"connect-{tag}",
            "config.storage.topic": f"configs-{tag}", "offset.storage.topic": f"offsets-{tag}",
            "status.storage.topic": f"status-{tag}", "config.storage.replication.factor": "1",
            "offset.storage.replication.factor": "1", "status.storage.replication.factor": "1",
            "offset.storage.partitions": "5", "status.storage.partitions": "3"}


def _raw(kafka: KafkaEndpoint, topic: str) -> list[tuple[int, bytes, bytes | None]]:
    """Every (partition, key, value) of a topic, in the order of each partition."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": "raw-reader",
                         "enable.partition.eof": True})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
        waiting = {p for p, end in ends.items() if end > 0}
        found = []
        while waiting:
            message = consumer.poll(10)
            assert message is not None, f"reading {topic} timed out"
            if message.error():
                continue
            partition, offset, key = message.partition(), message.offset(), message.key()
            assert partition is not None and offset is not None and key is not None
            found.append((partition, key, message.value()))
            if offset + 1 >= ends[partition]:
                waiting.discard(partition)
        return found
    finally:
        consumer.close()


def _eventually(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not true after {timeout:g} s")
        time.sleep(0.2)


@pytest.fixture
def stores(apache_kafka: KafkaEndpoint) -> Iterator[tuple[dict[str, str], KafkaConfigStore, KafkaStatusStore,
                                                          KafkaOffsetStore]]:
    worker = _worker(apache_kafka)
    opened = (KafkaConfigStore(worker), KafkaStatusStore(worker), KafkaOffsetStore(worker))
    for store in opened:
        store.start()
    try:
        yield (worker, *opened)
    finally:
        for store in opened:
            store.close()


def test_config_topic_is_created_as_connect_creates_it_and_read_back_on_start(apache_kafka: KafkaEndpoint,
                                                                              stores: Any) -> None:
    from confluent_kafka.admin import AdminClient, ConfigResource

    worker, configs, _, _ = stores
    configs.put(StoredConnector("a", {"connector.class": "FileStreamSource", "topic": "t"}, "RUNNING"))
    configs.put(StoredConnector("b", {"connector.class": "FileStreamSink", "topics": "t"}, "STOPPED"))
    configs.put(StoredConnector("a", {"connector.class": "FileStreamSource", "topic": "t"}, "PAUSED"))
    configs.put_task_configs("a", [{"task.class": "T", "topic": "t"}])
    configs.request_restart(RestartRequest("a", include_tasks=True, only_failed=False))
    configs.put(StoredConnector("gone", {"connector.class": "FileStreamSource"}, "RUNNING"))
    configs.remove("gone")

    topic = worker["config.storage.topic"]
    admin = AdminClient({"bootstrap.servers": apache_kafka.bootstrap_servers})
    assert len(admin.list_topics(topic, timeout=10).topics[topic].partitions) == 1
    described = admin.describe_configs([ConfigResource("topic", topic)])
    settings = next(iter(described.values())).result(10)
    assert settings["cleanup.policy"].value == "compact"

    assert [(key, value) for _, key, value in _raw(apache_kafka, topic)] == [
        (b"connector-a", b'{"properties":{"connector.class":"FileStreamSource","topic":"t"}}'),
        (b"target-state-b", b'{"state":"PAUSED","state.v2":"STOPPED"}'),
        (b"connector-b", b'{"properties":{"connector.class":"FileStreamSink","topics":"t"}}'),
        (b"target-state-a", b'{"state":"PAUSED","state.v2":"PAUSED"}'),
        (b"task-a-0", b'{"properties":{"task.class":"T","topic":"t"}}'),
        (b"commit-a", b'{"tasks":1}'),
        (b"restart-connector-a", b'{"include-tasks":true,"only-failed":false}'),
        (b"connector-gone", b'{"properties":{"connector.class":"FileStreamSource"}}'),
        (b"connector-gone", None),
        (b"target-state-gone", None),
    ]

    fresh = KafkaConfigStore(worker)
    fresh.start()
    try:
        assert fresh.load() == [
            StoredConnector("a", {"connector.class": "FileStreamSource", "topic": "t"}, "PAUSED"),
            StoredConnector("b", {"connector.class": "FileStreamSink", "topics": "t"}, "STOPPED"),
        ]
        assert fresh.task_configs == {"a": [{"task.class": "T", "topic": "t"}]}
        assert fresh.restart_requests == {"a": RestartRequest("a", True, False)}
    finally:
        fresh.close()


def test_kafka_connect_reads_what_our_stores_wrote(apache_kafka: KafkaEndpoint, stores: Any,
                                                   tmp_path: Path) -> None:
    worker, configs, statuses, offsets = stores
    source = tmp_path / "in.txt"
    source.write_text("one\ntwo\n")
    paused = {"connector.class": "FileStreamSource", "file": str(source), "topic": "ours-topic", "name": "ours"}
    stopped = {"connector.class": "FileStreamSource", "file": str(source), "topic": "halted-topic", "name": "halted"}
    configs.put(StoredConnector("ours", paused, "PAUSED"))
    # Created through our REST API, on a herder whose ConfigStore is the config topic.
    herder = Herder(HerderSettings("worker.properties", worker, tmp_path / "herder", worker_id="w:8083"),
                    KafkaConfigStore(worker))
    herder.start()
    try:
        api = TestClient(create_app(herder))
        created = api.post("/connectors", json={"name": "halted", "config": stopped, "initial_state": "STOPPED"})
        assert created.status_code == 201, created.text
    finally:
        herder.shutdown()
    offsets.write("ours", [({"filename": str(source)}, {"position": 4})])
    # Kafka Connect drops statuses of connectors it has no config of, and rewrites those of what it runs:
    # a task a stopped connector does not run shows our status alone.
    statuses.put_task("halted", 3, Status("FAILED", "pyconnect-host:8083", 7, trace="boom: the trace"))

    topics = (worker["config.storage.topic"], worker["offset.storage.topic"], worker["status.storage.topic"])
    with KafkaConnectDistributed(apache_kafka.bootstrap_servers, group_id=worker["group.id"], topics=topics,
                                 offset_partitions=5) as connect:
        assert sorted(connect.request("GET", "/connectors")[1]) == ["halted", "ours"]
        assert connect.request("GET", "/connectors/ours/config") == (200, paused)
        assert connect.request("GET", "/connectors/halted/config") == (200, stopped)
        _eventually("ours PAUSED", lambda: connect.status("ours").get("connector", {}).get("state") == "PAUSED")
        _eventually("halted STOPPED", lambda: connect.status("halted").get("connector", {}).get("state") == "STOPPED")
        assert connect.offsets("ours") == [{"partition": {"filename": str(source)}, "offset": {"position": 4}}]
        assert connect.request("GET", "/connectors/halted/tasks/3/status") == (200, {
            "id": 3, "state": "FAILED", "worker_id": "pyconnect-host:8083", "version": None, "trace": "boom: the trace"})
        # Resumed by Kafka Connect, the source starts after the position we stored: only "two" is read.
        assert connect.request("PUT", "/connectors/ours/resume")[0] == 202
        _eventually("ours read to the end", lambda: connect.offsets("ours") == [
            {"partition": {"filename": str(source)}, "offset": {"position": 8}}])


def test_our_stores_read_what_kafka_connect_wrote(apache_kafka: KafkaEndpoint, tmp_path: Path) -> None:
    worker = _worker(apache_kafka)
    source = tmp_path / "in.txt"
    source.write_text("a\nb\nc\n")
    topics = (worker["config.storage.topic"], worker["offset.storage.topic"], worker["status.storage.topic"])
    base = {"connector.class": "FileStreamSource", "file": str(source)}
    with KafkaConnectDistributed(apache_kafka.bootstrap_servers, group_id=worker["group.id"], topics=topics,
                                 offset_partitions=5) as connect:
        assert connect.request("POST", "/connectors", {"name": "src", "config": {**base, "topic": "src-t"}})[0] == 201
        assert connect.request("POST", "/connectors", {"name": "stp", "config": {**base, "topic": "stp-t"},
                                                       "initial_state": "STOPPED"})[0] == 201
        assert connect.request("POST", "/connectors", {"name": "gone", "config": {**base, "topic": "g-t"}})[0] == 201
        _eventually("src read its file", lambda: connect.offsets("src") == [
            {"partition": {"filename": str(source)}, "offset": {"position": 6}}])
        assert connect.request("POST", "/connectors/src/restart?includeTasks=true&onlyFailed=true")[0] == 202
        assert connect.request("PUT", "/connectors/src/pause")[0] == 202
        _eventually("src PAUSED", lambda: connect.status("src").get("tasks", [{}])[0].get("state") == "PAUSED")
        assert connect.request("DELETE", "/connectors/gone")[0] == 204
        _eventually("gone deleted", lambda: connect.request("GET", "/connectors/gone")[0] == 404)
        their_configs = {name: connect.request("GET", f"/connectors/{name}/config")[1] for name in ("src", "stp")}
        their_tasks = connect.request("GET", "/connectors/src/tasks")[1]
        their_status = connect.status("src")

    configs, statuses, offsets = KafkaConfigStore(worker), KafkaStatusStore(worker), KafkaOffsetStore(worker)
    for store in (configs, statuses, offsets):
        store.start()
    try:
        assert configs.load() == [StoredConnector("src", their_configs["src"], "PAUSED"),
                                  StoredConnector("stp", their_configs["stp"], "STOPPED")]
        assert configs.task_configs["src"] == [task["config"] for task in their_tasks]
        assert configs.restart_requests == {"src": RestartRequest("src", include_tasks=True, only_failed=True)}
        restart = [v for _, k, v in _raw(apache_kafka, worker["config.storage.topic"]) if k == b"restart-connector-src"]
        assert restart == [b'{"include-tasks":true,"only-failed":true}']  # the bytes request_restart writes
        worker_id = their_status["connector"]["worker_id"]
        # Stopping the worker (after we asked) unassigned everything it ran; PAUSED was what it last reported
        # while running, and the status topic holds both in order.
        assert statuses.connectors["src"].state in ("PAUSED", "UNASSIGNED")
        assert statuses.connectors["src"].worker_id == worker_id
        assert set(statuses.tasks["src"]) == {0}
        assert statuses.connectors["stp"].state in ("STOPPED", "UNASSIGNED")
        assert offsets.offsets("src") == [({"filename": str(source)}, {"position": 6})]
        # Deleting writes the tombstones our store writes.
        gone = [(k, v) for _, k, v in _raw(apache_kafka, worker["config.storage.topic"]) if k.endswith(b"-gone")]
        assert gone[-2:] == [(b"connector-gone", None), (b"target-state-gone", None)], gone
        # What we write next to Kafka Connect's records is read back the same way.
        offsets.write("src", [({"filename": str(source)}, {"position": 2})])
        assert offsets.offsets("src") == [({"filename": str(source)}, {"position": 2})]
        # Same key bytes as Kafka Connect's, in the same topic partition (Java's murmur2 partitioner).
        key = json.dumps(["src", {"filename": str(source)}], separators=(",", ":")).encode()
        records = [(p, k, v) for p, k, v in _raw(apache_kafka, worker["offset.storage.topic"]) if k == key]
        assert [v for _, _, v in records] == [b'{"position":6}', b'{"position":2}']
        assert len({p for p, _, _ in records}) == 1
    finally:
        for store in (configs, statuses, offsets):
            store.close()


def test_unreadable_records_are_skipped_with_an_error_naming_the_key(apache_kafka: KafkaEndpoint, stores: Any,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    from confluent_kafka import Producer

    worker, configs, _, _ = stores
    producer = Producer({"bootstrap.servers": apache_kafka.bootstrap_servers})
    producer.produce(worker["config.storage.topic"], key=b"connector-broken", value=b"{not json")
    producer.produce(worker["config.storage.topic"], key=b"target-state-ok", value=b'{"state":"SLEEPING"}')
    producer.produce(worker["config.storage.topic"], key=b"connector-ok", value=b'{"properties":{"a":"b"}}')
    producer.flush(10)
    assert configs.load() == [StoredConnector("ok", {"a": "b"}, "RUNNING")]
    messages = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any("'connector-broken'" in m and worker["config.storage.topic"] in m for m in messages), messages
    assert any("'target-state-ok'" in m and "SLEEPING" in m for m in messages), messages


def test_worker_config_names_the_topics_and_their_settings() -> None:
    from pyconnect_flow.data.exceptions import ConnectException
    from pyconnect_flow.runtime.kafka_store import InternalTopics, TopicSpec

    topics = InternalTopics.from_worker({"config.storage.topic": "c", "offset.storage.topic": "o",
                                         "status.storage.topic": "s", "status.storage.partitions": "2",
                                         "offset.storage.replication.factor": "-1",
                                         "config.storage.min.insync.replicas": "2"})
    assert topics.config == TopicSpec("c", 1, 3, {"min.insync.replicas": "2"}, "config.storage.topic")
    assert topics.offsets == TopicSpec("o", 25, -1, {}, "offset.storage.topic")
    assert topics.status == TopicSpec("s", 2, 3, {}, "status.storage.topic")
    with pytest.raises(ConnectException, match='"status.storage.topic"'):
        InternalTopics.from_worker({"config.storage.topic": "c", "offset.storage.topic": "o"})
    with pytest.raises(ConnectException, match="offset.storage.partitions"):
        InternalTopics.from_worker({"config.storage.topic": "c", "offset.storage.topic": "o",
                                    "status.storage.topic": "s", "offset.storage.partitions": "0"})


def test_statuses_and_offsets_are_read_back_by_a_fresh_store(apache_kafka: KafkaEndpoint, stores: Any) -> None:
    from pyconnect_flow.data.exceptions import ConnectException

    worker, _, statuses, offsets = stores
    statuses.put_connector("c", Status("RUNNING", "w:8083", 1, version="1.0"))
    statuses.put_task("c", 0, Status("FAILED", "w:8083", 1, trace="boom"))
    statuses.put_task("c", 1, Status("RUNNING", "w:8083", 1))
    statuses.put_task("c", 1, Status("DESTROYED", "w:8083", 2))
    statuses.put_connector("old", Status("RUNNING", "w:8083", 1))
    statuses.remove("old")
    with pytest.raises(ConnectException, match="Invalid status 'SLEEPING' for status-connector-c"):
        statuses.put_connector("c", Status("SLEEPING", "w:8083", 1))
    raw = {k: v for _, k, v in _raw(apache_kafka, worker["status.storage.topic"])}
    assert raw[b"status-task-c-0"] == b'{"state":"FAILED","trace":"boom","worker_id":"w:8083","generation":1,"version":null}'

    offsets.write("c", [({"table": "t", "db": "d"}, {"id": 5}), ({"table": "u", "db": "d"}, {"id": 1})])
    offsets.write("c", [({"db": "d", "table": "u"}, None)])
    with pytest.raises(ConnectException, match="connector 'c'"):
        offsets.write("c", [({"table": "t"}, 5)])

    fresh_statuses, fresh_offsets = KafkaStatusStore(worker), KafkaOffsetStore(worker)
    try:
        fresh_statuses.start()
        assert fresh_statuses.connectors == {"c": Status("RUNNING", "w:8083", 1, version="1.0")}
        assert fresh_statuses.tasks == {"c": {0: Status("FAILED", "w:8083", 1, trace="boom")}}
        # Partition maps are written in one java.util.HashMap order, whatever order they are given in.
        assert fresh_offsets.offsets("c") == [({"db": "d", "table": "t"}, {"id": 5})]
        keys = [k for _, k, _ in _raw(apache_kafka, worker["offset.storage.topic"])]
        assert sorted(set(keys)) == [b'["c",{"db":"d","table":"t"}]', b'["c",{"db":"d","table":"u"}]']
    finally:
        fresh_statuses.close()
        fresh_offsets.close()


def test_a_topic_connect_would_refuse_is_refused(apache_kafka: KafkaEndpoint) -> None:
    from pyconnect_flow.data.exceptions import ConnectException

    worker = _worker(apache_kafka)
    apache_kafka.create_topic(worker["config.storage.topic"], partitions=2)
    with pytest.raises(ConnectException, match=r"supplied via the 'config.storage.topic' property is required to "
                                               r"have 'cleanup.policy=compact'.*'cleanup.policy=delete'"):
        KafkaConfigStore(worker).start()
    other = _worker(apache_kafka)
    apache_kafka.create_topic(other["config.storage.topic"], partitions=2, config={"cleanup.policy": "compact"})
    with pytest.raises(ConnectException, match="required to have a single partition .* found 2 partitions"):
        KafkaConfigStore(other).start()
    # Other topics may have any partition count, and are read from every partition.
    apache_kafka.create_topic(other["status.storage.topic"], partitions=2, config={"cleanup.policy": "compact"})
    statuses = KafkaStatusStore(other)
    try:
        statuses.put_connector("x", Status("RUNNING", "w", 0))
        statuses.put_connector("y", Status("PAUSED", "w", 0))
        assert set(statuses.connectors) == {"x", "y"}
    finally:
        statuses.close()
