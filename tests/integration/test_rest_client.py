"""A real client from PyPI, kafka-connect-py, drives a whole lifecycle against the worker's REST API."""

from __future__ import annotations

from pathlib import Path

import pytest
from kafka_connect import KafkaConnect

from tests.integration.kafka_helpers import read_topic
from tests.integration.rest_helpers import RestWorker, wait_until

pytestmark = pytest.mark.timeout(300)


def test_kafka_connect_py_drives_a_lifecycle(kafka, tmp_path: Path, unique_name: str) -> None:
    topic = unique_name
    kafka.create_topic(topic, partitions=1)
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("".join(f"r{i}\n" for i in range(5)))
    with RestWorker(tmp_path, kafka.bootstrap_servers) as worker:
        client = KafkaConnect(worker.url)
        assert client.get_cluster_info()["version"]
        assert any(p["class"].endswith("FileStreamSinkConnector") for p in client.list_connector_plugins())
        client.create_connector({"name": "src", "config": {"connector.class": "FileStreamSource", "file": str(src),
                                                           "topic": topic}})
        client.create_connector({"name": "sink", "config": {"connector.class": "FileStreamSink", "topics": topic,
                                                            "file": str(out)}})
        assert sorted(client.list_connectors()) == ["sink", "src"]
        assert wait_until(lambda: out.exists() and len(out.read_text().splitlines()) == 5, 60)
        statuses = client.list_connectors(expand="status")
        assert statuses["sink"]["status"]["connector"]["state"] == "RUNNING"
        assert client.get_connector_task_status("sink", 0)["state"] == "RUNNING"
        assert client.list_connector_topics("src") == {"src": {"topics": [topic]}}

        client.pause_connector("sink")  # 202 Accepted: PAUSED once its sources have stopped reading
        assert wait_until(lambda: client.get_connector_status("sink")["connector"]["state"] == "PAUSED", 30)
        with src.open("a") as f:
            f.write("r5\n")
        assert len(read_topic(kafka.bootstrap_servers, topic, expected=6, timeout=60)) == 6
        client.resume_connector("sink")
        assert wait_until(lambda: len(out.read_text().splitlines()) == 6, 60)

        client.update_connector("sink", {"connector.class": "FileStreamSink", "topics": topic,
                                         "file": str(out), "tasks.max": "1"})
        assert wait_until(lambda: client.get_connector_status("sink")["connector"]["state"] == "RUNNING", 60)
        client.restart_connector("sink")
        client.stop_connector("src")
        assert client.get_connector_status("src")["connector"]["state"] == "STOPPED"
        validated = client.validate_connector_config("FileStreamSink", {"connector.class": "FileStreamSink",
                                                                        "name": "v", "topics": topic})
        assert validated["error_count"] == 0
        client.delete_connector("src")
        assert client.list_connectors() == ["sink"]
        assert out.read_text().splitlines() == [f"r{i}" for i in range(6)]
