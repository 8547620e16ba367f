"""`pyconnect-flow distributed`: workers of one group share the connectors, on a real Apache Kafka broker.

Workers run as separate processes on loopback here (tests/distributed runs them on separate network
hosts). What is checked: any worker lists and operates every connector and writes reach the leader; the
connectors are spread over the workers; a killed worker's connectors run again elsewhere from their positions
in Kafka, nothing lost, the others untouched; a cluster restarted from nothing but its topics brings every
connector back in its target state; failed connectors restart by themselves only when asked to.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from pyconnect_flow.embedded.kafka import KafkaEndpoint
from pyconnect_flow.net import free_ports
from tests.integration.distributed_helpers import Cluster
from tests.integration.kafka_helpers import cli_env, read_topic


def _source(path: Path, topic: str, **extra: str) -> dict[str, str]:
    return {"connector.class": "FileStreamSource", "file": str(path), "topic": topic, "tasks.max": "1", **extra}


def _append(path: Path, start: int, count: int, prefix: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.writelines(f"{prefix}-{i}\n" for i in range(start, start + count))


def _values(bootstrap: str, topic: str, expected: int) -> list[str]:
    return [m.value.decode() for m in read_topic(bootstrap, topic, expected, timeout=10)]


def _statuses(bootstrap: str, group: str, connector: str) -> list[dict[str, Any]]:
    """The values of `status-connector-<connector>` in the cluster's status topic, oldest first."""
    key = f"status-connector-{connector}".encode()
    return [json.loads(m.value) for m in read_topic(bootstrap, f"{group}-status", timeout=10) if m.key == key]


@pytest.fixture
def cluster(tmp_path: Path, apache_kafka: KafkaEndpoint, unique_name: str):
    created: list[Cluster] = []

    def make(size: int, **keys: str) -> Cluster:
        c = Cluster(tmp_path, apache_kafka.bootstrap_servers, size, unique_name, keys=keys)
        created.append(c)
        return c

    yield make
    for c in created:
        c.close()


def test_any_worker_lists_and_operates_every_connector(cluster, tmp_path: Path, apache_kafka: KafkaEndpoint,
                                                      unique_name: str) -> None:
    c: Cluster = cluster(3)
    c.start_all()
    names = [f"{unique_name}-{i}" for i in range(3)]
    for i, name in enumerate(names):
        (tmp_path / f"{name}.txt").write_text("a\nb\n")
        # Created through each worker in turn: two of three requests are forwarded to the leader.
        response = c.clients[i].post("/connectors", json={"name": name,
                                                          "config": _source(tmp_path / f"{name}.txt", name)})
        assert response.status_code == 201, response.text
        assert response.headers["location"].endswith(f"/connectors/{name}")
        assert response.json()["tasks"] == [{"connector": name, "task": 0}]
    again = c.clients[2].post("/connectors", json={"name": names[0], "config": _source(tmp_path / "x", "x")})
    assert again.status_code == 409 and again.json()["message"] == f"Connector {names[0]} already exists"

    owners = {name: c.wait_for(f"{name} running", lambda name=name: c.running_on(name, via=1)) for name in names}
    assert sorted(owners.values()) == sorted(c.worker_id(i) for i in range(3)), "one connector per worker"
    for i in range(3):
        assert sorted(c.clients[i].get("/connectors").json()) == sorted(names)
        assert c.clients[i].get(f"/connectors/{names[1]}/config").json()["file"] == str(tmp_path / f"{names[1]}.txt")

    target = names[0]
    follower = next(i for i in range(3) if c.worker_id(i) != owners[target])
    patched = c.clients[follower].patch(f"/connectors/{names[1]}/config", json={"batch.size": "100"})
    assert patched.status_code == 200 and patched.json()["config"]["batch.size"] == "100", patched.text
    assert c.clients[2].get(f"/connectors/{names[1]}/config").json()["batch.size"] == "100"
    assert c.clients[follower].put(f"/connectors/{target}/pause").status_code == 202
    c.wait_for("paused", lambda: c.status(target, via=2)["connector"]["state"] == "PAUSED")
    assert c.clients[follower].put(f"/connectors/{target}/resume").status_code == 202
    c.wait_for("resumed", lambda: c.status(target, via=0)["connector"]["state"] == "RUNNING")
    assert c.clients[follower].put(f"/connectors/{target}/stop").status_code == 204
    stopped = c.status(target, via=1)
    assert stopped["connector"]["state"] == "STOPPED" and stopped["tasks"] == []
    assert c.clients[0].get(f"/connectors/{target}/tasks").json() == []

    # Offsets of a stopped source connector, read and written through any worker (the offsets topic).
    offsets = c.clients[2].get(f"/connectors/{target}/offsets").json()["offsets"]
    assert offsets == [{"partition": {"filename": str(tmp_path / f"{target}.txt")}, "offset": {"position": 4}}]
    body = {"offsets": [{"partition": {"filename": str(tmp_path / f"{target}.txt")}, "offset": {"position": 2}}]}
    altered = c.clients[follower].patch(f"/connectors/{target}/offsets", json=body)
    assert altered.status_code == 200, altered.text
    assert c.clients[0].get(f"/connectors/{target}/offsets").json()["offsets"][0]["offset"] == {"position": 2}
    assert c.clients[follower].put(f"/connectors/{target}/resume").status_code == 202
    c.wait_for("running again", lambda: c.running_on(target))
    # Resumed from byte 2: "b" is sent again, "a" is not.
    c.wait_for("b again", lambda: _values(apache_kafka.bootstrap_servers, target, 3) == ["a", "b", "b"])

    assert c.clients[follower].delete(f"/connectors/{names[2]}").status_code == 204
    c.wait_for("deleted everywhere",
               lambda: all(names[2] not in c.clients[i].get("/connectors").json() for i in range(3)))
    assert c.clients[0].get(f"/connectors/{names[2]}/status").status_code == 404


def test_a_killed_workers_connectors_move_and_nothing_is_lost(cluster, tmp_path: Path, apache_kafka: KafkaEndpoint,
                                                              unique_name: str) -> None:
    c: Cluster = cluster(3)
    c.start_all()
    names = [f"{unique_name}-{i}" for i in range(3)]
    files = {name: tmp_path / f"{name}.txt" for name in names}
    for name in names:
        _append(files[name], 0, 2000, name)
        assert c.clients[0].post("/connectors", json={"name": name, "config": _source(files[name], name)}).status_code == 201
    owners = {name: c.wait_for(f"{name} running", lambda name=name: c.running_on(name)) for name in names}
    for name in names:
        c.wait_for(f"{name} read", lambda name=name: len(_values(apache_kafka.bootstrap_servers, name, 2000)) >= 2000)
    victim_name = names[1]
    victim = c.index_of(owners[victim_name])
    survivor = (victim + 1) % 3
    _append(files[victim_name], 2000, 1000, victim_name)  # arrives while its worker dies

    c.kill(victim)
    killed = time.monotonic()
    new_owner = c.wait_for("failover", lambda: (o := c.running_on(victim_name, via=survivor)) and o != owners[victim_name]
                           and o, timeout=60)
    failover_s = time.monotonic() - killed
    print(f"failover of {victim_name} from {owners[victim_name]} to {new_owner}: {failover_s:.1f} s")
    assert failover_s <= 30
    for name in names:
        _append(files[name], 3000 if name == victim_name else 2000, 500, name)
    expected = {name: 3500 if name == victim_name else 2500 for name in names}
    for name in names:
        c.wait_for(f"{name} complete", lambda name=name: len(set(_values(apache_kafka.bootstrap_servers, name,
                                                                          expected[name]))) >= expected[name],
                   timeout=60)
        values = _values(apache_kafka.bootstrap_servers, name, expected[name])
        assert set(values) == {f"{name}-{i}" for i in range(expected[name])}
        duplicates = sum(n - 1 for n in Counter(values).values())
        assert duplicates <= (1000 if name == victim_name else 0), f"{name}: {duplicates} duplicates"
    # The status topic tells the move: UNASSIGNED on the lost worker (written by the leader), then RUNNING on the new.
    states = [(v["state"], v["worker_id"]) for v in _statuses(apache_kafka.bootstrap_servers, unique_name, victim_name)]
    moved_at = states.index(("UNASSIGNED", owners[victim_name]))
    assert ("RUNNING", new_owner) in states[moved_at:], states
    # The connectors on healthy workers never restarted.
    for name in names:
        if name == victim_name:
            continue
        log = c.log(c.index_of(owners[name])).read_text()
        assert log.count(f"Creating connector {name} ") == 1
        assert c.running_on(name, via=survivor) == owners[name]


def test_restarted_cluster_brings_every_connector_back_in_its_target_state(cluster, tmp_path: Path,
                                                                          apache_kafka: KafkaEndpoint,
                                                                          unique_name: str) -> None:
    c: Cluster = cluster(2)
    c.start_all()
    states = {"RUNNING": None, "PAUSED": "pause", "STOPPED": "stop"}
    names = {state: f"{unique_name}-{state.lower()}" for state in states}
    for name in names.values():
        _append(tmp_path / f"{name}.txt", 0, 100, name)
        assert c.clients[1].post("/connectors", json={"name": name, "config": _source(tmp_path / f"{name}.txt", name)}
                                 ).status_code == 201
        c.wait_for(f"{name} running", lambda name=name: c.running_on(name))
    running = names["RUNNING"]
    c.wait_for("first lines", lambda: len(_values(apache_kafka.bootstrap_servers, running, 100)) >= 100)
    for state, action in states.items():
        if action:
            assert c.clients[0].put(f"/connectors/{names[state]}/{action}").status_code in (202, 204)
    c.wait_for("paused", lambda: c.status(names["PAUSED"])["connector"]["state"] == "PAUSED")

    c.stop_all()
    _append(tmp_path / f"{running}.txt", 100, 50, running)
    c.start_all()
    for state, name in names.items():
        c.wait_for(f"{name} {state}", lambda name=name, state=state: c.status(name, via=1)["connector"]["state"] == state)
    c.wait_for("the rest", lambda: len(_values(apache_kafka.bootstrap_servers, running, 150)) >= 150)
    time.sleep(1)
    values = _values(apache_kafka.bootstrap_servers, running, 150)
    assert sorted(values) == sorted(f"{running}-{i}" for i in range(150)), "resumed exactly where it stopped"


@pytest.mark.parametrize("restart", [True, False], ids=["restart-on-failure", "stays-failed"])
def test_failed_connectors_restart_by_themselves_only_when_asked(cluster, tmp_path: Path, unique_name: str,
                                                                 restart: bool) -> None:
    c: Cluster = cluster(1, **{"pyconnect.restart.on.failure": str(restart).lower()})
    c.start_all()
    missing = tmp_path / "not-yet" / "out.txt"
    config = {"connector.class": "FileStreamSink", "topics": unique_name, "file": str(missing), "tasks.max": "1"}
    assert c.clients[0].post("/connectors", json={"name": unique_name, "config": config}).status_code == 201
    failed = c.wait_for("failed", lambda: (s := c.status(unique_name))["connector"]["state"] == "FAILED" and s)
    assert "not-yet" in failed["connector"]["trace"]
    missing.parent.mkdir()
    if restart:
        c.wait_for("restarted by itself", lambda: c.running_on(unique_name), timeout=30)
        assert "restarting it in" in c.log(0).read_text()
    else:
        time.sleep(5)
        assert c.status(unique_name)["connector"]["state"] == "FAILED"
        assert c.clients[0].post(f"/connectors/{unique_name}/restart").status_code == 204
        c.wait_for("restarted on request", lambda: c.running_on(unique_name), timeout=30)


def test_a_kafka_connect_cluster_migrates_to_pyconnect_flow_workers(cluster, tmp_path: Path,
                                                                     apache_kafka: KafkaEndpoint,
                                                                     unique_name: str) -> None:
    """Kafka Connect's own distributed worker runs connectors; it stops, ours start on the same topics and
    group: every connector comes back in its target state, the file source continues at Kafka Connect's offset."""
    from tests.reference.connect_distributed import KafkaConnectDistributed

    source = tmp_path / "in.txt"
    source.write_text("a\nb\nc\n")
    group = unique_name
    topics = (f"{group}-configs", f"{group}-offsets", f"{group}-status")
    strings = {"key.converter": "org.apache.kafka.connect.storage.StringConverter",
               "value.converter": "org.apache.kafka.connect.storage.StringConverter"}
    moved, paused = f"{unique_name}-src", f"{unique_name}-paused"
    with KafkaConnectDistributed(apache_kafka.bootstrap_servers, group_id=group, topics=topics, worker=strings,
                                 offset_partitions=5) as connect:
        assert connect.request("POST", "/connectors", {"name": moved, "config": _source(source, moved)})[0] == 201
        assert connect.request("POST", "/connectors", {"name": paused, "config": _source(source, paused)})[0] == 201
        c0 = time.monotonic()
        while connect.offsets(moved) != [{"partition": {"filename": str(source)}, "offset": {"position": 6}}]:
            assert time.monotonic() - c0 < 60, "Kafka Connect did not read the file"
            time.sleep(0.2)
        assert connect.request("PUT", f"/connectors/{paused}/pause")[0] == 202
        while connect.status(paused).get("connector", {}).get("state") != "PAUSED":
            assert time.monotonic() - c0 < 90, "Kafka Connect did not pause"
            time.sleep(0.2)
    _append(source, 0, 2, "new")

    c: Cluster = cluster(2)
    c.start_all()
    assert sorted(c.clients[1].get("/connectors").json()) == sorted([moved, paused])
    c.wait_for("running on ours", lambda: c.running_on(moved) in (c.worker_id(0), c.worker_id(1)))
    c.wait_for("paused on ours", lambda: (s := c.status(paused))["connector"]["state"] == "PAUSED"
               and s["connector"]["worker_id"] in (c.worker_id(0), c.worker_id(1)))
    c.wait_for("new lines", lambda: len(_values(apache_kafka.bootstrap_servers, moved, 5)) >= 5)
    time.sleep(1)
    assert _values(apache_kafka.bootstrap_servers, moved, 5) == ["a", "b", "c", "new-0", "new-1"]


STOCK = Path(__file__).resolve().parents[1] / "data" / "kafka-config"


def test_kafkas_stock_distributed_worker_file_runs_the_file_quickstart(tmp_path: Path, apache_kafka: KafkaEndpoint,
                                                                      unique_name: str) -> None:
    """Kafka's own config/connect-distributed.properties: the broker address, and (the session's broker being
    shared) its own group, topics and a free port; every other key as shipped (JsonConverter with schemas,
    replication factor 1, the default partition counts)."""
    text = (STOCK / "connect-distributed.properties").read_text()
    text = text.replace("bootstrap.servers=localhost:9092", f"bootstrap.servers={apache_kafka.bootstrap_servers}")
    text = text.replace("group.id=connect-cluster", f"group.id={unique_name}")
    for topic in ("connect-offsets", "connect-configs", "connect-status"):
        text = text.replace(f"={topic}\n", f"={unique_name}-{topic}\n")
    port = free_ports(1)[0]
    worker = tmp_path / "connect-distributed.properties"
    worker.write_text(text + f"\nlisteners=http://127.0.0.1:{port}\n")
    (tmp_path / "test.txt").write_text("foo\nbar\n")
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "pyconnect_flow", "distributed", str(worker)], cwd=tmp_path,
                               env=cli_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, (tmp_path / "worker.log").read_text()
                try:
                    if client.get("/").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
                time.sleep(0.2)
            topic = f"{unique_name}-connect-test"
            created = client.post("/connectors", json={"name": "local-file-source", "config": {
                "connector.class": "FileStreamSource", "tasks.max": "1", "file": str(tmp_path / "test.txt"),
                "topic": topic}})
            assert created.status_code == 201, created.text
            deadline = time.monotonic() + 60  # the topic exists once the connector's processes made it
            while len(values := [m.value for m in read_topic(apache_kafka.bootstrap_servers, topic, 2,
                                                             timeout=5)]) < 2 and time.monotonic() < deadline:
                time.sleep(0.5)
            assert values == [b'{"schema":{"type":"string","optional":false},"payload":"foo"}',
                              b'{"schema":{"type":"string","optional":false},"payload":"bar"}']
            assert client.get("/connectors/local-file-source/status").json()["connector"]["worker_id"] == \
                f"127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(90) == 0, (tmp_path / "worker.log").read_text()
    # A clean stop: the connector's processes got one SIGTERM and ended their last epoch (no abort).
    assert "KeyboardInterrupt" not in (tmp_path / "worker.log").read_text()
    assert "Completed shutdown for connector local-file-source" in (tmp_path / "worker.log").read_text()


def test_a_bad_distributed_worker_file_is_refused_listing_every_key(tmp_path: Path) -> None:
    worker = tmp_path / "worker.properties"
    worker.write_text("bootstrap.servers=localhost:1\nconfig.storage.topic=c\noffset.storage.topic=o\n"
                      "status.storage.topic=s\nsession.timeout.ms=ten\noffset.flush.intervall.ms=5\n")
    done = subprocess.run([sys.executable, "-m", "pyconnect_flow", "distributed", str(worker)], env=cli_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    for key in ("group.id", "session.timeout.ms", "offset.flush.intervall.ms"):
        assert key in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
