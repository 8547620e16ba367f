"""The REST API end to end: a real worker process, real connectors in processes of their own, a real Kafka.

Every record is counted: a paused sink loses nothing, a rewound source or sink sends exactly the rewound
records again, a failed connector shows its message and restarts, and a restarted worker runs the same
connectors in the same target states.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from pyconnect_flow import __version__
from tests.integration.kafka_helpers import read_topic
from tests.integration.rest_helpers import RestWorker, wait_until

pytestmark = pytest.mark.timeout(400)


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _source(name: str, src: Path, topic: str, **extra: str) -> dict[str, Any]:
    return {"name": name, "config": {"connector.class": "FileStreamSource", "file": str(src), "topic": topic,
                                     "file.poll.interval.ms": "100", **extra}}


def _sink(name: str, topic: str, out: Path, **extra: str) -> dict[str, Any]:
    return {"name": name, "config": {"connector.class": "FileStreamSink", "topics": topic, "file": str(out),
                                     **extra}}


def _wait_lines(path: Path, count: int, timeout: float = 60) -> list[str]:
    assert wait_until(lambda: len(_lines(path)) >= count, timeout), f"{path}: {len(_lines(path))} of {count} lines"
    return _lines(path)


def test_pause_resume_stop_and_rewinding_offsets_deliver_every_record_exactly(kafka, tmp_path: Path,
                                                                               unique_name: str) -> None:
    topic = unique_name
    kafka.create_topic(topic, partitions=1)
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    first = [f"line {i}" for i in range(10)]
    src.write_text("".join(line + "\n" for line in first))
    source, sink = f"{topic}-source", f"{topic}-sink"

    with RestWorker(tmp_path, kafka.bootstrap_servers) as worker:
        api = worker.client
        created = api.post("/connectors", json=_source(source, src, topic))
        assert created.status_code == 201, created.text
        assert created.headers["location"] == f"/connectors/{source}"
        assert created.json() == {"name": source, "config": {**_source(source, src, topic)["config"], "name": source},
                                  "tasks": [{"connector": source, "task": 0}], "type": "source"}
        assert api.post("/connectors/", json=_sink(sink, topic, out)).status_code == 201
        assert sorted(api.get("/connectors").json()) == sorted([source, sink])

        worker.wait_state(sink, "RUNNING")
        expanded = api.get("/connectors?expand=status&expand=info").json()
        assert expanded[source]["status"]["connector"]["state"] == "RUNNING"
        assert expanded[sink]["status"]["tasks"] == [
            {"id": 0, "state": "RUNNING", "worker_id": f"127.0.0.1:{worker.port}", "version": __version__}]
        assert expanded[sink]["info"]["type"] == "sink"
        assert _wait_lines(out, 10) == first

        # Paused: the sink reads nothing while the source goes on; resumed, everything arrives once.
        assert api.put(f"/connectors/{sink}/pause").status_code == 202
        assert worker.wait_state(sink, "PAUSED")["tasks"][0]["state"] == "PAUSED"
        second = [f"line {i}" for i in range(10, 20)]
        with src.open("a") as f:
            f.write("".join(line + "\n" for line in second))
        assert len(read_topic(kafka.bootstrap_servers, topic, expected=20, timeout=60)) == 20
        time.sleep(2.0)
        assert _lines(out) == first
        assert api.put(f"/connectors/{sink}/resume").status_code == 202
        worker.wait_state(sink, "RUNNING")
        assert _wait_lines(out, 20) == first + second

        # Offsets can only change once stopped.
        refused = api.patch(f"/connectors/{source}/offsets",
                            json={"offsets": [{"partition": {"filename": str(src)}, "offset": {"position": 0}}]})
        assert refused.status_code == 400
        assert refused.json() == {"error_code": 400, "message": (
            "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the "
            f"specified connector by issuing a 'PUT' request to the '/connectors/{source}/stop' endpoint")}

        assert api.put(f"/connectors/{source}/stop").status_code == 204
        assert api.put(f"/connectors/{sink}/stop").status_code == 204
        for name in (source, sink):
            assert api.get(f"/connectors/{name}/status").json()["connector"]["state"] == "STOPPED"
            assert api.get(f"/connectors/{name}/status").json()["tasks"] == []
            assert api.get(f"/connectors/{name}").json()["tasks"] == []
        size = src.stat().st_size
        assert api.get(f"/connectors/{source}/offsets").json() == {
            "offsets": [{"partition": {"filename": str(src)}, "offset": {"position": size}}]}
        assert api.get(f"/connectors/{sink}/offsets").json() == {
            "offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 20}}]}

        # Rewind: the source to the start of its file, the sink to offset 15.
        altered = api.patch(f"/connectors/{source}/offsets",
                            json={"offsets": [{"partition": {"filename": str(src)}, "offset": {"position": 0}}]})
        assert altered.status_code == 200, altered.text
        assert altered.json() == {"message": "The offsets for this connector have been altered successfully"}
        assert api.get(f"/connectors/{source}/offsets").json()["offsets"][0]["offset"] == {"position": 0}
        sink_offsets = {"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0},
                                     "offset": {"kafka_offset": 15}}]}
        assert api.patch(f"/connectors/{sink}/offsets", json=sink_offsets).status_code == 200
        assert api.get(f"/connectors/{sink}/offsets").json() == sink_offsets

        # Resumed, exactly the rewound records flow again: the file's 20 lines to the topic, topic offsets
        # 15..39 to the sink file.
        assert api.put(f"/connectors/{source}/resume").status_code == 202
        assert [m.value.decode() for m in read_topic(kafka.bootstrap_servers, topic, expected=40, timeout=60)] == \
            (first + second) * 2
        assert api.put(f"/connectors/{sink}/resume").status_code == 202
        expected = first + second + (first + second)[15:] + first + second
        assert _wait_lines(out, len(expected)) == expected
        time.sleep(1.5)
        assert _lines(out) == expected
        assert len(read_topic(kafka.bootstrap_servers, topic, timeout=10)) == 40

        assert api.delete(f"/connectors/{sink}").status_code == 204
        assert api.get(f"/connectors/{sink}").status_code == 404
        code, log = worker.stop()
    assert code == 0, log
    assert "Traceback" not in log and "panicked" not in log, log


def test_a_failing_connector_shows_failed_with_its_message_and_restarts(kafka, tmp_path: Path,
                                                                       unique_name: str) -> None:
    topic = unique_name
    kafka.create_topic(topic, partitions=1)
    out = tmp_path / "not-yet" / "out.txt"  # its directory does not exist yet: the sink fails
    name = f"{topic}-sink"
    with RestWorker(tmp_path, kafka.bootstrap_servers) as worker:
        api = worker.client
        assert api.post("/connectors", json=_sink(name, topic, out)).status_code == 201
        status = worker.wait_state(name, "FAILED")
        trace = status["connector"]["trace"]
        assert f"Cannot write sink file '{out}': directory '{out.parent}' does not exist" in trace, trace
        assert "Traceback" not in trace and "panicked" not in trace
        assert status["tasks"][0]["state"] == "FAILED" and status["tasks"][0]["trace"] == trace
        assert api.get(f"/connectors/{name}/tasks/0/status").json()["state"] == "FAILED"

        out.parent.mkdir()
        from tests.integration.kafka_helpers import produce

        produce(kafka.bootstrap_servers, topic, [{"value": b"hello"}])
        restarted = api.post(f"/connectors/{name}/restart?includeTasks=true&onlyFailed=true")
        assert restarted.status_code == 202
        assert restarted.json()["connector"]["state"] == "RESTARTING"
        worker.wait_state(name, "RUNNING")
        assert _wait_lines(out, 1) == ["hello"]

        # Nothing failed: onlyFailed restarts nothing; a plain restart answers 204; a task restart too.
        again = api.post(f"/connectors/{name}/restart?includeTasks=true&onlyFailed=true")
        assert again.status_code == 202 and again.json()["connector"]["state"] == "RUNNING"
        assert api.post(f"/connectors/{name}/restart").status_code == 204
        worker.wait_state(name, "RUNNING")
        assert api.post(f"/connectors/{name}/tasks/0/restart").status_code == 204
        assert api.post(f"/connectors/{name}/tasks/3/restart").status_code == 404
        worker.wait_state(name, "RUNNING")
        produce(kafka.bootstrap_servers, topic, [{"value": b"again"}])
        assert _wait_lines(out, 2) == ["hello", "again"]


def test_a_sink_waits_for_its_topic_as_kafka_connect_does(kafka, tmp_path: Path, unique_name: str) -> None:
    topic, never = unique_name, f"{unique_name}-never"  # neither exists yet; the second never will
    out = tmp_path / "out.txt"
    name = f"{topic}-sink"
    with RestWorker(tmp_path, kafka.bootstrap_servers) as worker:
        api = worker.client
        assert api.post("/connectors", json=_sink(name, topic, out)).status_code == 201
        assert api.post("/connectors", json=_sink(f"{never}-sink", never, tmp_path / "never.txt")).status_code == 201
        worker.wait_state(name, "RUNNING")
        assert wait_until(lambda: f"Topic(s) {topic} do not exist" in worker.log.read_text(), 30), \
            worker.log.read_text()
        assert "waiting for them to be created" in worker.log.read_text()
        time.sleep(2)
        assert api.get(f"/connectors/{name}/status").json()["connector"]["state"] == "RUNNING"

        kafka.create_topic(topic, partitions=2)
        from tests.integration.kafka_helpers import produce

        produce(kafka.bootstrap_servers, topic, [{"value": b"a", "partition": 0}, {"value": b"b", "partition": 1}])
        assert sorted(_wait_lines(out, 2)) == ["a", "b"]
        started = time.monotonic()
        code, log = worker.stop()  # the connector still waiting for its topic stops too
    assert code == 0, log
    assert time.monotonic() - started < 30, log
    assert "Traceback" not in log and "panicked" not in log, log


def test_errors_have_connects_codes_and_bodies(kafka, tmp_path: Path, unique_name: str) -> None:
    with RestWorker(tmp_path, kafka.bootstrap_servers) as worker:
        api = worker.client
        assert api.get("/connectors/nope").json() == {"error_code": 404, "message": "Connector nope not found"}
        assert api.get("/connectors/nope/status/").status_code == 404
        assert api.put("/connectors/nope/pause").status_code == 404
        assert api.delete("/connectors/nope").status_code == 404
        assert api.get("/no/such/path").json() == {"error_code": 404, "message": "HTTP 404 Not Found"}
        bad = api.post("/connectors", content=b"{not json", headers={"Content-Type": "application/json"})
        assert bad.status_code == 400 and bad.json()["error_code"] == 400
        invalid = api.post("/connectors", json={"name": "x", "config": {"connector.class": "FileStreamSink"}})
        assert invalid.status_code == 400
        assert invalid.json()["message"].startswith(
            "Connector configuration is invalid and contains the following 1 error(s):\ntopics:")
        huge = api.post("/connectors", content=b"{" + b" " * (2 << 20) + b"}")
        assert huge.status_code == 413 and huge.json()["error_code"] == 413

        config = {"connector.class": "FileStreamSink", "topics": unique_name, "file": str(tmp_path / "o.txt"),
                  "consumer.override.sasl.password": "s3cret"}
        created = api.post("/connectors", json={"name": "s", "config": config, "initial_state": "STOPPED"})
        assert created.status_code == 201, created.text
        assert created.json()["config"]["consumer.override.sasl.password"] == "[hidden]"
        assert api.get("/connectors/s/status").json()["connector"]["state"] == "STOPPED"
        assert api.post("/connectors", json={"name": "s", "config": config}).json() == {
            "error_code": 409, "message": "Connector s already exists"}
        mismatch = api.put("/connectors/s/config", json={**config, "name": "other"})
        assert mismatch.status_code == 400
        assert mismatch.json()["message"] == ("Connector name configuration (other) doesn't match connector name "
                                              "in the URL (s)")
        shown = api.get("/connectors/s/config").json()
        assert shown["consumer.override.sasl.password"] == "[hidden]"
        assert "s3cret" not in api.get("/connectors?expand=info").text
        # A config sent back as shown keeps the secret.
        assert api.put("/connectors/s/config", json={**shown, "file": str(tmp_path / "p.txt")}).status_code == 200
        stored = json.loads(next((tmp_path / "offsets" / "connectors").glob("s/connector.json")).read_text())
        assert stored["config"]["consumer.override.sasl.password"] == "s3cret"
        assert stored["config"]["file"] == str(tmp_path / "p.txt")
        patched = api.patch("/connectors/s/config", json={"consumer.override.sasl.password": None})
        assert patched.status_code == 200 and "consumer.override.sasl.password" not in patched.json()["config"]
        assert api.get("/connectors/s/tasks/0/status").status_code == 404

        validated = api.put("/connector-plugins/FileStreamSink/config/validate",
                            json={"connector.class": "FileStreamSink", "name": "v", "topics": "t",
                                  "consumer.override.sasl.password": "s3cret", "tasks.max": "zero"})
        assert validated.status_code == 200
        body = validated.json()
        assert body["error_count"] == 1 and "s3cret" not in validated.text
        errors = {c["value"]["name"]: c["value"]["errors"] for c in body["configs"] if c["value"]["errors"]}
        assert list(errors) == ["tasks.max"]
        assert api.put("/connector-plugins/FileStreamSink/config/validate",
                       json={"connector.class": "FileStreamSource"}).status_code == 400
        keys = api.get("/connector-plugins/FileStreamSink/config").json()
        assert {"name": "file", "type": "STRING", "required": False}.items() <= keys[-1].items()
        assert [p["class"] for p in api.get("/connector-plugins/").json()][:2] == [
            "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "org.apache.kafka.connect.file.FileStreamSinkConnector"]
        assert any(p["type"] == "transformation" for p in api.get("/connector-plugins?connectorsOnly=false").json())


def test_a_restarted_worker_runs_the_same_connectors_in_their_target_states(kafka, tmp_path: Path,
                                                                           unique_name: str) -> None:
    topic = unique_name
    kafka.create_topic(topic, partitions=1)
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("".join(f"a{i}\n" for i in range(5)))
    env = {"REST_TEST_TOPIC": topic}
    source = _source("src", src, "${env:REST_TEST_TOPIC}")
    with RestWorker(tmp_path, kafka.bootstrap_servers, env=env) as worker:
        api = worker.client
        assert api.post("/connectors", json=source).status_code == 201
        assert api.post("/connectors", json=_sink("sink", topic, out)).status_code == 201
        assert api.post("/connectors", json={**_sink("idle", topic, tmp_path / "idle.txt"),
                                             "initial_state": "STOPPED"}).status_code == 201
        assert _wait_lines(out, 5) == [f"a{i}" for i in range(5)]
        assert api.put("/connectors/sink/pause").status_code == 202
        code, log = worker.stop()
        assert code == 0, log
        # Each connector stopped cleanly: one SIGTERM (a second one would abort its last epoch).
        assert "KeyboardInterrupt" not in log and "while stopping" not in log, log
        assert "Completed shutdown for connector src" in log and "Completed shutdown for connector sink" in log

    with src.open("a") as f:
        f.write("".join(f"b{i}\n" for i in range(5)))
    with RestWorker(tmp_path, kafka.bootstrap_servers, env=env) as worker:
        api = worker.client
        assert api.get("/connectors").json() == ["idle", "sink", "src"]
        assert api.get("/connectors/src/config").json()["topic"] == "${env:REST_TEST_TOPIC}"
        worker.wait_state("src", "RUNNING")
        worker.wait_state("sink", "PAUSED")
        assert api.get("/connectors/idle/status").json()["connector"]["state"] == "STOPPED"
        assert len(read_topic(kafka.bootstrap_servers, topic, expected=10, timeout=60)) == 10  # nothing twice
        time.sleep(1.0)
        assert len(_lines(out)) == 5
        assert api.put("/connectors/sink/resume").status_code == 202
        assert _wait_lines(out, 10) == [f"a{i}" for i in range(5)] + [f"b{i}" for i in range(5)]
        assert len(read_topic(kafka.bootstrap_servers, topic, timeout=10)) == 10


def test_the_rest_worker_continues_from_positions_stored_without_it(kafka, tmp_path: Path, unique_name: str) -> None:
    from tests.integration.kafka_helpers import run_cli, write_properties

    topic = unique_name
    kafka.create_topic(topic, partitions=1)
    src = tmp_path / "in.txt"
    src.write_text("".join(f"a{i}\n" for i in range(5)))
    worker = RestWorker(tmp_path, kafka.bootstrap_servers)
    conn = write_properties(tmp_path / "src.properties", {"name": "src", **_source("src", src, topic)["config"]})
    done = run_cli(["standalone", str(worker.worker_file), str(conn), "--stop-at-end"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(read_topic(kafka.bootstrap_servers, topic, expected=5)) == 5
    with src.open("a") as f:
        f.write("b0\n")
    worker.connectors = [str(conn)]  # an upgrade: the same worker and connector files, now with the REST API
    with worker:
        worker.wait_state("src", "RUNNING")
        values = [m.value for m in read_topic(kafka.bootstrap_servers, topic, expected=6, timeout=60)]
        time.sleep(1.5)
        values = [m.value for m in read_topic(kafka.bootstrap_servers, topic)]
    assert values == [f"a{i}".encode() for i in range(5)] + [b"b0"]  # nothing sent twice
