"""The REST API's shapes, codes and error bodies, on a herder whose connectors are created STOPPED (no
process, no Kafka): routing, trailing slashes, configs as submitted with secrets hidden, persistence."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette 1.x asks for httpx2 for its test client; httpx works
    from starlette.testclient import TestClient

from pyconnect_flow import __version__
from pyconnect_flow.rest import create_app
from pyconnect_flow.runtime.herder import Herder, HerderSettings
from pyconnect_flow.runtime.store import FileConfigStore

WORKER = {"bootstrap.servers": "127.0.0.1:1"}


def _herder(root: Path) -> Herder:
    herder = Herder(HerderSettings("worker.properties", WORKER, root, worker_id="w:8083"), FileConfigStore(root))
    herder.start()
    return herder


@pytest.fixture
def api(tmp_path: Path) -> TestClient:
    return TestClient(create_app(_herder(tmp_path)))


def _sink(tmp: Path, **extra: str) -> dict[str, str]:
    return {"connector.class": "FileStreamSink", "topics": "t", "file": str(tmp / "out.txt"), **extra}


def test_a_stopped_connector_is_created_listed_and_deleted(api: TestClient, tmp_path: Path) -> None:
    created = api.post("/connectors/", json={"name": "s", "config": _sink(tmp_path), "initial_state": "STOPPED"})
    assert created.status_code == 201
    assert created.headers["location"] == "/connectors/s"
    assert created.json() == {"name": "s", "config": {**_sink(tmp_path), "name": "s"}, "tasks": [], "type": "sink"}
    assert api.get("/connectors").json() == ["s"]
    assert api.get("/connectors/s/status/").json() == {
        "name": "s", "connector": {"state": "STOPPED", "worker_id": "w:8083", "version": __version__}, "tasks": [], "type": "sink"}
    assert api.get("/connectors?expand=status&expand=nonsense").json() == {
        "s": {"status": api.get("/connectors/s/status").json()}}
    assert api.get("/connectors/s/tasks").json() == []
    assert api.get("/connectors/s/topics").json() == {"s": {"topics": []}}  # no record has passed
    assert api.put("/connectors/s/topics/reset").status_code == 202
    assert api.delete("/connectors/s/").status_code == 204
    assert api.get("/connectors").json() == []
    assert api.get("/connectors/s").json() == {"error_code": 404, "message": "Connector s not found"}


def test_errors_are_connects_bodies(api: TestClient, tmp_path: Path) -> None:
    assert api.get("/nowhere").json() == {"error_code": 404, "message": "HTTP 404 Not Found"}
    assert api.delete("/connectors").json() == {"error_code": 405, "message": "HTTP 405 Method Not Allowed"}
    assert api.post("/connectors", content=b"[1, 2").status_code == 400
    assert api.post("/connectors", content=b"").json()["error_code"] == 400
    assert api.post("/connectors", json={"name": "x", "config": {"connector.class": "Nope"}}).status_code == 400
    assert api.post("/connectors", json={"name": "x", "config": {"a": ["list"]}}).status_code == 400
    body = {"name": "s", "config": _sink(tmp_path), "initial_state": "STOPPED"}
    assert api.post("/connectors", json=body).status_code == 201
    assert api.post("/connectors", json=body).json() == {"error_code": 409, "message": "Connector s already exists"}
    assert api.post("/connectors", json={**body, "initial_state": "DANCING"}).status_code in (400, 409)
    assert api.get("/connectors/s/tasks/0/status").status_code == 404
    assert api.get("/connectors/s/tasks/x/status").status_code == 404
    assert api.post("/connectors/s/tasks/0/restart").status_code == 404
    assert api.post("/connectors", content=b"{" + b" " * (1 << 21) + b"}").status_code == 413
    offsets = api.patch("/connectors/s/offsets", json={})
    assert offsets.json() == {"error_code": 400, "message": "Partitions / offsets need to be provided for an alter "
                                                            "offsets request"}
    assert api.get("/connector-plugins/Nope/config").status_code == 404
    assert api.put("/admin/loggers/x", json={"level": "LOUD"}).json() == {  # Kafka Connect answers so
        "error_code": 404, "message": "invalid log level 'LOUD'."}
    assert api.put("/admin/loggers/x", json={}).json() == {
        "error_code": 400, "message": "Desired 'level' parameter was not specified in request."}


def test_configs_are_returned_as_submitted_and_secrets_hidden(api: TestClient, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER_NAME", "someone")
    config = _sink(tmp_path, **{"consumer.override.sasl.password": "s3cret",
                                "consumer.override.sasl.username": "${env:USER_NAME}"})
    assert api.post("/connectors", json={"name": "s", "config": config, "initial_state": "STOPPED"}).status_code == 201
    shown = api.get("/connectors/s/config").json()
    assert shown["consumer.override.sasl.password"] == "[hidden]"
    assert shown["consumer.override.sasl.username"] == "${env:USER_NAME}"
    for path in ("/connectors/s", "/connectors?expand=info", "/connectors/s/config"):
        assert "s3cret" not in api.get(path).text
    assert api.put("/connectors/s/config", json=shown).status_code == 200
    stored = (tmp_path / "s" / "connector.json").read_text()
    assert '"s3cret"' in stored and '"STOPPED"' in stored
    created = api.put("/connectors/t/config", json=_sink(tmp_path))
    assert created.status_code == 201 and created.headers["location"] == "/connectors/t"
    api.put("/connectors/t/stop")
    patched = api.patch("/connectors/t/config", json={"file": None, "tasks.max": 2})
    assert patched.status_code == 200
    assert "file" not in patched.json()["config"] and patched.json()["config"]["tasks.max"] == "2"
    assert api.put("/connectors/t/config", json={**_sink(tmp_path), "name": "u"}).json()["message"] == (
        "Connector name configuration (u) doesn't match connector name in the URL (t)")


def test_a_new_herder_reads_the_stored_connectors(tmp_path: Path) -> None:
    api = TestClient(create_app(_herder(tmp_path)))
    api.post("/connectors", json={"name": "a/b c", "config": _sink(tmp_path), "initial_state": "STOPPED"})
    again = TestClient(create_app(_herder(tmp_path)))
    assert again.get("/connectors").json() == ["a/b c"]
    assert again.get("/connectors/a%2Fb c/status").status_code in (200, 404)  # "/" cannot be addressed by path
    assert again.get("/connectors?expand=status").json()["a/b c"]["status"]["connector"]["state"] == "STOPPED"


def test_plugins_and_validation(api: TestClient) -> None:
    plugins = api.get("/connector-plugins").json()
    assert {"class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "type": "sink",
            "version": plugins[0]["version"]} in plugins
    everything = api.get("/connector-plugins/?connectorsOnly=false").json()
    assert {p["type"] for p in everything} >= {"source", "sink", "converter", "transformation", "predicate"}
    keys = {k["name"]: k for k in api.get("/connector-plugins/FileStreamSource/config").json()}
    assert keys["topic"]["required"] is True and keys["batch.size"]["default_value"] == "2000"
    result = api.put("/connector-plugins/org.apache.kafka.connect.file.FileStreamSourceConnector/config/validate",
                     json={"name": "v", "file": "in.txt", "topic": "a,b"}).json()
    assert result["name"] == "org.apache.kafka.connect.file.FileStreamSourceConnector"
    assert result["error_count"] == 1
    assert [c["value"]["name"] for c in result["configs"] if c["value"]["errors"]] == ["topic"]
    assert api.put("/connector-plugins/FileStreamSource/config/validate",
                   json={"connector.class": "FileStreamSink"}).status_code == 400


def test_loggers(api: TestClient) -> None:
    assert "root" in api.get("/admin/loggers").json()
    assert api.put("/admin/loggers/pyconnect_flow.rest", json={"level": "DEBUG"}).json()[0] == "pyconnect_flow.rest"
    assert api.get("/admin/loggers/pyconnect_flow.rest").json()["level"] == "DEBUG"
    assert api.put("/admin/loggers/pyconnect_flow.rest?scope=cluster", json={"level": "WARN"}).status_code == 204
    assert api.get("/admin/loggers/no.such.logger.here").status_code == 404


def test_active_topics_are_read_from_the_topics_file_and_go_with_the_connector(api: TestClient, tmp_path: Path) -> None:
    from pyconnect_flow.runtime.store import ConnectorFiles, connector_dir

    assert api.post("/connectors", json={"name": "s", "config": _sink(tmp_path),
                                         "initial_state": "STOPPED"}).status_code == 201
    topics = ConnectorFiles(connector_dir(tmp_path, "s")).topics
    topics.write_text("t\nother\nt\n")  # as the connector's processes append them
    assert api.get("/connectors/s/topics").json() == {"s": {"topics": ["other", "t"]}}
    assert api.put("/connectors/s/topics/reset").status_code == 202
    assert api.get("/connectors/s/topics").json() == {"s": {"topics": []}}
    topics.write_text("t\n")
    assert api.delete("/connectors/s").status_code == 204
    assert api.post("/connectors", json={"name": "s", "config": _sink(tmp_path),
                                         "initial_state": "STOPPED"}).status_code == 201
    assert api.get("/connectors/s/topics").json() == {"s": {"topics": []}}
