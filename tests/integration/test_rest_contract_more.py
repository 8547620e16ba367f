"""More contract tests (see ``test_rest_contract.py`` for the method and what is normalized): config
replacement and patches, ``initial_state``, topics tracking, ``/health``, ``/admin/loggers``, and the error
bodies of each, against Kafka Connect's own standalone worker and ours on the same broker.

Normalized here besides: ``last_modified`` of a logger (a time, or null: which one is compared); the loggers
each process has (Java's against Python's: ``root`` and the loggers set through the API are compared); the
messages of 400s for malformed JSON (Jackson's parser text against ours).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration import test_rest_contract as contract
from tests.integration.rest_helpers import wait_until
from tests.integration.test_rest_contract import Side, compare

pytestmark = pytest.mark.timeout(600)



@pytest.fixture(scope="module")
def servers(apache_kafka: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[contract.Servers]:
    """This module's own pair of workers (Kafka Connect's and ours)."""
    with contract.both_servers(apache_kafka, tmp_path_factory) as pair:
        yield pair

LINES = contract.LINES
SOURCE_CLASS = "org.apache.kafka.connect.file.FileStreamSourceConnector"
SINK_CLASS = "org.apache.kafka.connect.file.FileStreamSinkConnector"


def _parser_message(document: Any) -> Any:
    """A 400 for malformed JSON: its message is each parser's own text."""
    if isinstance(document, dict) and "message" in document:
        return {**document, "message": "<parser>"}
    return document


def _source_config(**extra: str) -> dict[str, str]:
    return {"connector.class": SOURCE_CLASS, "file": "@DIR@/in.txt", "topic": "@TOPIC@", "tasks.max": "1", **extra}


def test_put_and_patch_config(servers: contract.Servers, tmp_path: Path, unique_name: str, apache_kafka: Any) -> None:
    kafka_side, ours_side = contract._sides(servers, tmp_path, unique_name)
    name, fresh = f"{unique_name}-put", f"{unique_name}-new"
    for side in (kafka_side, ours_side):
        apache_kafka.create_topic(side.topic, partitions=1)
        (side.directory / "in.txt").write_text("".join(line + "\n" for line in LINES))
        side.call("PUT", f"/connectors/{name}/config", _source_config(), label="PUT config creates")
        side.wait_state(name, "RUNNING", tasks=1)
        side.call("GET", f"/connectors/{name}/config")
        side.call("PUT", f"/connectors/{name}/config", _source_config(**{"batch.size": "100"}),
                  label="PUT config updates")
        side.wait_state(name, "RUNNING", tasks=1)
        side.call("GET", f"/connectors/{name}", label="info after PUT")
        side.call("PUT", f"/connectors/{name}/config", {**_source_config(), "name": name},
                  label="PUT config with its own name")
        side.call("PUT", f"/connectors/{name}/config", {"file": "@DIR@/in.txt"}, label="PUT config without class")
        side.call("PUT", f"/connectors/{name}/config", {**_source_config(), "tasks.max": "zero"},
                  label="PUT config invalid")
        side.call("PUT", f"/connectors/{name}/config", raw=b'{"file": ', label="PUT config malformed",
                  shape=_parser_message, defect=400)
        side.call("PUT", f"/connectors/{name}/config", ["not", "an", "object"], label="PUT config not an object",
                  shape=_parser_message, defect=400)
        side.wait_state(name, "RUNNING", tasks=1)
        side.call("PATCH", f"/connectors/{name}/config", {"batch.size": "50"})
        side.wait_state(name, "RUNNING", tasks=1)
        side.call("PATCH", f"/connectors/{name}/config", {"batch.size": None}, label="PATCH removes a key")
        side.wait_state(name, "RUNNING", tasks=1)
        side.call("GET", f"/connectors/{name}/config", label="config patched")
        side.call("PATCH", f"/connectors/{name}/config", {"name": "other"}, label="PATCH name mismatch", defect=400)
        side.call("PATCH", f"/connectors/{name}/config", {"name": name}, label="PATCH own name")
        side.wait_state(name, "RUNNING", tasks=1)
        side.call("PATCH", f"/connectors/{name}/config", {"tasks.max": "zero"}, label="PATCH invalid")
        side.call("PATCH", f"/connectors/{name}/config", raw=b'{"file": ', label="PATCH malformed",
                  shape=_parser_message, defect=400)
        side.call("PATCH", f"/connectors/{fresh}/config", {"batch.size": "5"}, label="PATCH unknown")
        side.call("PUT", f"/connectors/{name}/stop")
        side.wait_state(name, "STOPPED")
        side.call("PUT", f"/connectors/{name}/config", _source_config(**{"batch.size": "7"}),
                  label="PUT config while stopped")
        side.call("GET", f"/connectors/{name}/status", label="status after PUT while stopped")
        side.call("DELETE", f"/connectors/{name}")
    compare(kafka_side, ours_side)


@pytest.mark.parametrize("state", ["RUNNING", "PAUSED", "STOPPED"])
def test_initial_state(servers: contract.Servers, tmp_path: Path, unique_name: str, apache_kafka: Any,
                       state: str) -> None:
    kafka_side, ours_side = contract._sides(servers, tmp_path, unique_name)
    name = f"{unique_name}-init"
    for side in (kafka_side, ours_side):
        apache_kafka.create_topic(side.topic, partitions=1)
        (side.directory / "in.txt").write_text("".join(line + "\n" for line in LINES))
        body = {**contract._source(name), "initial_state": state}
        side.call("POST", "/connectors", body)
        side.call("POST", "/connectors", body, label="POST again: 409")
        # Created PAUSED, a connector has no task until it is resumed (Kafka Connect's KIP-980 behaviour).
        side.wait_state(name, state, tasks=1 if state == "RUNNING" else None)
        side.call("GET", f"/connectors/{name}/status")
        side.call("GET", f"/connectors/{name}")
        side.call("GET", f"/connectors/{name}/tasks")
        side.call("GET", f"/connectors/{name}/offsets", shape=lambda d: sorted(d) if isinstance(d, dict) else d)
        if state == "PAUSED":
            side.call("PUT", f"/connectors/{name}/resume")
            side.wait_state(name, "RUNNING", tasks=1)
            side.call("GET", f"/connectors/{name}", label="info resumed")
        side.call("DELETE", f"/connectors/{name}")
    compare(kafka_side, ours_side)


def test_initial_state_errors(servers: contract.Servers, tmp_path: Path, unique_name: str) -> None:
    kafka_side, ours_side = contract._sides(servers, tmp_path, unique_name)
    name = f"{unique_name}-bad"
    for side in (kafka_side, ours_side):
        side.call("POST", "/connectors", {**contract._source(name), "initial_state": "paused"},
                  label="lower case state")
        side.call("GET", f"/connectors/{name}/status", label="lower case state status")
        side.call("DELETE", f"/connectors/{name}", label="delete lower case")
        side.call("POST", "/connectors", {**contract._source(name), "initial_state": "SLEEPING"},
                  label="unknown state", shape=_parser_message,
                  defect=400)
        side.call("GET", f"/connectors/{name}", label="not created")
    compare(kafka_side, ours_side)


def _logger_list(document: Any, wanted: str) -> Any:
    """A list of changed loggers: a list of names holding `wanted` (the others are each process's own)."""
    if not isinstance(document, list):
        return document
    return {"list of names": all(isinstance(n, str) for n in document), "holds": wanted in document}


def _logger(document: Any) -> Any:
    if isinstance(document, dict) and "last_modified" in document:
        modified = document["last_modified"]
        return {**document, "last_modified": "<time>" if isinstance(modified, int) else modified}
    return document


def _loggers(document: Any, names: tuple[str, ...]) -> Any:
    if not isinstance(document, dict):
        return document
    shaped = all(isinstance(v, dict) and set(v) == {"level", "last_modified"} for v in document.values())
    return {"shaped": shaped, **{n: _logger(document.get(n)) for n in names}}


def test_health_and_loggers(servers: contract.Servers, tmp_path: Path, unique_name: str) -> None:
    kafka_side, ours_side = contract._sides(servers, tmp_path)
    name = f"com.example.{unique_name}"
    for side in (kafka_side, ours_side):
        side.call("GET", "/health")
        side.call("GET", "/health/", label="GET /health/ (trailing slash)")
        side.call("GET", "/admin/loggers", shape=lambda d: _loggers(d, ("root",)))
        side.call("GET", "/admin/loggers/root", shape=_logger)
        side.call("GET", f"/admin/loggers/{name}", label="GET unknown logger")
        side.call("PUT", f"/admin/loggers/{name}", {"level": "DEBUG"}, shape=lambda d: _logger_list(d, name))
        side.call("GET", f"/admin/loggers/{name}", label="GET logger set", shape=_logger)
        side.call("GET", f"/admin/loggers/{name}.child", label="GET child of a logger set")
        side.call("GET", "/admin/loggers", label="GET loggers after set", shape=lambda d: _loggers(d, ("root", name)))
        side.call("PUT", f"/admin/loggers/{name}", {"level": "trace"}, label="PUT lower case level",
                  shape=lambda d: _logger_list(d, name))
        side.call("GET", f"/admin/loggers/{name}", label="GET logger trace", shape=_logger)
        side.call("PUT", f"/admin/loggers/{name}", {"level": "LOUD"}, label="PUT bad level")
        side.call("PUT", f"/admin/loggers/{name}", {"lvl": "DEBUG"}, label="PUT no level")
        side.call("PUT", f"/admin/loggers/{name}", raw=b'{"level": ', label="PUT malformed", shape=_parser_message,
                  defect=400)
        side.call("PUT", f"/admin/loggers/{name}?scope=cluster", {"level": "INFO"}, label="PUT cluster scope")
        side.call("PUT", f"/admin/loggers/{name}?scope=galaxy", {"level": "WARN"}, label="PUT unknown scope",
                  shape=lambda d: _logger_list(d, name))
        side.call("GET", f"/admin/loggers/{name}", label="GET logger after scopes", shape=_logger)
        side.call("DELETE", f"/admin/loggers/{name}", label="DELETE logger: not allowed")
    compare(kafka_side, ours_side)


def _wait_lines(side: Side, count: int) -> None:
    path = side.directory / "out.txt"
    assert wait_until(lambda: len(contract._lines(path)) >= count, 60), f"{side.label}: {contract._lines(path)}"


def _topics(side: Side, name: str, wanted: list[str]) -> None:
    """Until `GET …/topics` lists `wanted` (topic tracking is asynchronous in both workers)."""

    def listed() -> bool:
        response = side.client.get(f"/connectors/{name}/topics")
        return response.status_code == 200 and response.json().get(name, {}).get("topics") == side.fill(wanted)

    assert wait_until(listed, 30), f"{side.label}: {side.client.get(f'/connectors/{name}/topics').text}"


def test_topics_tracking(servers: contract.Servers, tmp_path: Path, unique_name: str, apache_kafka: Any) -> None:
    kafka_side, ours_side = contract._sides(servers, tmp_path, unique_name)
    source, routed, idle, sink = (f"{unique_name}-{n}" for n in ("src", "routed", "idle", "snk"))
    router = {"transforms": "route", "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
              "transforms.route.regex": "(.*)", "transforms.route.replacement": "$1-routed"}
    for side in (kafka_side, ours_side):
        apache_kafka.create_topic(side.topic, partitions=1)
        apache_kafka.create_topic(side.topic + "-routed", partitions=1)
        apache_kafka.create_topic(side.topic + "-unused", partitions=1)
        (side.directory / "in.txt").write_text("".join(line + "\n" for line in LINES))
        (side.directory / "empty.txt").write_text("")
        side.call("POST", "/connectors", contract._source(source))
        side.call("POST", "/connectors", {"name": routed, "config": {**_source_config(), **router}},
                  label="POST routed source")
        side.call("POST", "/connectors", {"name": idle, "config": {
            **_source_config(), "file": "@DIR@/empty.txt", "topic": "@TOPIC@-unused"}}, label="POST idle source")
        side.call("POST", "/connectors", contract._sink(sink, topics="@TOPIC@,@TOPIC@-unused"), label="POST sink")
        for name in (source, routed, idle, sink):
            side.wait_state(name, "RUNNING", tasks=1)
        _wait_lines(side, len(LINES))
        _topics(side, source, ["@TOPIC@"])
        _topics(side, routed, ["@TOPIC@-routed"])
        _topics(side, sink, ["@TOPIC@"])
        for name in (source, routed, idle, sink):
            side.call("GET", f"/connectors/{name}/topics")
        side.call("PUT", f"/connectors/{sink}/topics/reset", label="reset while running")
        side.call("GET", f"/connectors/{sink}/topics", label="topics after reset while running")
        side.call("PUT", f"/connectors/{sink}/stop")
        side.wait_state(sink, "STOPPED")
        side.call("GET", f"/connectors/{sink}/topics", label="topics of a stopped sink")
        side.call("PUT", f"/connectors/{sink}/topics/reset")
        side.call("GET", f"/connectors/{sink}/topics", label="topics after reset")
        side.call("PUT", f"/connectors/{source}/stop")
        side.wait_state(source, "STOPPED")
        side.call("PUT", f"/connectors/{source}/topics/reset", label="reset stopped source")
        side.call("GET", f"/connectors/{source}/topics", label="source topics after reset")
        side.call("PUT", "/connectors/nosuchconnector/topics/reset", label="reset unknown", defect=404)
        for name in (source, routed, idle, sink):
            side.call("DELETE", f"/connectors/{name}")
        side.call("GET", f"/connectors/{routed}/topics", label="topics of a deleted connector", defect=404)
        contract._delete_group(apache_kafka.bootstrap_servers, f"connect-{sink}")
    compare(kafka_side, ours_side)
