"""Contract tests: the same REST calls against Kafka Connect's own REST server and against ours.

Apache Kafka Connect (``ConnectStandalone`` from connect-runtime, one JVM for the module) and a
pyconnect-flow worker run with the same worker file on the same real broker. Each scenario runs first
against Kafka Connect, then against ours (so that sink connectors of the same name never share their
consumer group at the same time), and every answer must be equal: status code, and JSON body once
normalized. What normalizing ignores, and why:

- ``worker_id``: each worker's own host:port;
- ``trace``: Java stack traces against our one-line messages (its presence is compared);
- ``version`` and ``commit`` (``GET /``, ``GET /connector-plugins``): each server's own version;
- the per-side temporary directory and topic name, replaced by ``@DIR@`` and ``@TOPIC@`` (each side reads
  its own files and writes its own topic, so the data of one never reaches the other);
- in plugin lists, entries one side has and the other has not (Kafka lists the connectors on its classpath,
  we list ours): the entries both have must be equal;
- in ``…/connector-plugins/{p}/config`` and ``…/config/validate`` answers, FileStreamSource keys of ours that
  Kafka's has not (``files``, ``file.poll.interval.ms``; and the ``errors.deadletterqueue.*`` keys of
  sources: ours have a dead letter queue, Kafka's sources have not), and each key's ``documentation``,
  ``display_name`` and ``width`` (each implementation's own text); in validate answers, error texts and
  ``error_count`` (Kafka reports ``tasks.max=zero`` twice: not a number, and null) — which keys have
  errors is compared; plugin versions (``*.plugin.version``);
- the text after "Connector configuration is invalid and contains the following" in a 400 for an
  invalid config (each validator's own words);
- the message of a 400 for malformed JSON (Jackson's parser text against ours).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.rest_helpers import RestWorker, wait_until

pytestmark = pytest.mark.timeout(600)

WORKER = {
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    "offset.flush.interval.ms": "200",
}


@dataclass
class Side:
    """One REST server under test and what its answers are normalized with."""

    label: str
    client: httpx.Client
    directory: Path
    topic: str = ""
    answers: list[tuple[str, int, Any]] = field(default_factory=list)
    defects: dict[str, int] = field(default_factory=dict)
    """Labels of calls where Kafka Connect's answer is a defect (docs/kafka-connect-differences.md): the
    status code ours gives instead."""

    def fill(self, value: Any) -> Any:
        """`value` with @DIR@ and @TOPIC@ replaced by this side's."""
        if isinstance(value, str):
            return value.replace("@DIR@", str(self.directory)).replace("@TOPIC@", self.topic)
        if isinstance(value, dict):
            return {self.fill(k): self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value

    def unfill(self, value: Any) -> Any:
        if isinstance(value, str):
            out = value.replace(str(self.directory), "@DIR@")
            return out.replace(self.topic, "@TOPIC@") if self.topic else out
        if isinstance(value, dict):
            return {self.unfill(k): self.unfill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.unfill(v) for v in value]
        return value

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
             label: str | None = None, shape: Callable[[Any], Any] | None = None,
             defect: int | None = None) -> tuple[int, Any]:
        """Send a request, record its normalized answer under `label` (default: method and path).

        `defect`: Kafka Connect's answer is a documented defect; ours must answer with this status."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if raw is not None:
            response = self.client.request(method, self.fill(path), content=raw, headers=headers)
        elif body is not None:
            response = self.client.request(method, self.fill(path), json=self.fill(body), headers=headers)
        else:
            response = self.client.request(method, self.fill(path), headers={"Accept": "application/json"})
        try:
            document = response.json() if response.content else None
        except ValueError:
            document = {"<not json>": response.text[:200]}
        normalized = normalize(self.unfill(document))
        if shape is not None:
            normalized = shape(normalized)
        location = response.headers.get("location")
        if location is not None:
            normalized = {"<location>": location.split("://", 1)[-1].split("/", 1)[-1], "<body>": normalized}
        label = label or f"{method} {path}"
        self.answers.append((label, response.status_code, normalized))
        if defect is not None:
            self.defects[label] = defect
        return response.status_code, document

    def status(self, name: str) -> dict[str, Any]:
        return self.client.get(f"/connectors/{name}/status").json()

    def wait_state(self, name: str, state: str, tasks: int | None = None, timeout: float = 90) -> None:
        """Until the connector (and its tasks, `tasks` of them) show `state`."""

        def reached() -> bool:
            response = self.client.get(f"/connectors/{name}/status")
            if response.status_code != 200:
                return False
            status = response.json()
            if status["connector"]["state"] != state:
                return False
            return tasks is None or [t["state"] for t in status["tasks"]] == [state] * tasks

        assert wait_until(reached, timeout), f"{self.label}: {name} did not reach {state}: {self.status(name)}"


INVALID_CONFIG = "Connector configuration is invalid and contains the following"


def normalize(value: Any) -> Any:
    """Drop what differs by nature between two workers (see the module docstring)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "worker_id":
                out[key] = "<worker>"
            elif key == "trace":
                out[key] = "<trace>"
            elif key in ("version", "commit"):
                out[key] = "<version>"
            elif key == "message" and isinstance(item, str) and item.startswith(INVALID_CONFIG):
                out[key] = INVALID_CONFIG + "…"
            else:
                out[key] = normalize(item)
        return out
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def compare(kafka: Side, ours: Side) -> None:
    """Every answer of ours equals Kafka Connect's; all differences are reported at once."""
    assert [a[0] for a in kafka.answers] == [a[0] for a in ours.answers]
    differences = []
    for (label, k_code, k_body), (_, o_code, o_body) in zip(kafka.answers, ours.answers, strict=True):
        if label in ours.defects:
            if o_code != ours.defects[label] or k_code == o_code:
                differences.append(f"{label} (a Kafka Connect defect, we answer {ours.defects[label]}):\n"
                                   f"  kafka: {k_code} {k_body}\n  ours:  {o_code} {o_body}")
            continue
        if (k_code, k_body) != (o_code, o_body):
            differences.append(f"{label}:\n  kafka: {k_code} {k_body}\n  ours:  {o_code} {o_body}")
    assert not differences, f"{len(differences)} difference(s):\n" + "\n".join(differences)


# -- the two servers --------------------------------------------------------------------------------------


@dataclass
class Servers:
    kafka: httpx.Client
    ours: httpx.Client
    bootstrap: str


@pytest.fixture(scope="module")
def servers(apache_kafka: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Kafka Connect's standalone worker and ours, with the same worker file on the same broker."""
    with both_servers(apache_kafka, tmp_path_factory) as pair:
        yield pair


@contextmanager
def both_servers(apache_kafka: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Kafka Connect's standalone worker and ours (the `servers` fixture of each contract test module)."""
    from tests.reference.kafka_connect import KafkaConnectStandalone

    bootstrap = apache_kafka.bootstrap_servers
    worker = {"bootstrap.servers": bootstrap, **WORKER}
    tmp = tmp_path_factory.mktemp("ours")
    # INFO: the root level both workers start with by default (Kafka's connect-log4j2.properties, ours)
    with KafkaConnectStandalone(worker, log_level="INFO") as connect, \
            RestWorker(tmp, bootstrap, **{k.replace(".", "_"): v for k, v in WORKER.items()}) as ours:
        with httpx.Client(base_url=connect.url, timeout=90) as client:
            yield Servers(client, ours.client, bootstrap)


def _sides(servers: Servers, tmp_path: Path, topic: str = "") -> tuple[Side, Side]:
    sides = []
    for label, client in (("kafka", servers.kafka), ("ours", servers.ours)):
        directory = tmp_path / label
        directory.mkdir()
        sides.append(Side(label, client, directory, f"{topic}-{label}" if topic else ""))
    return sides[0], sides[1]


def _source(name: str, **extra: str) -> dict[str, Any]:
    return {"name": name, "config": {"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
                                     "file": "@DIR@/in.txt", "topic": "@TOPIC@", "tasks.max": "1", **extra}}


def _sink(name: str, **extra: str) -> dict[str, Any]:
    return {"name": name, "config": {"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                                     "file": "@DIR@/out.txt", "topics": "@TOPIC@", "tasks.max": "1", **extra}}


LINES = [f"line {i}" for i in range(10)]


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


# -- scenarios --------------------------------------------------------------------------------------------


def test_lifecycle_of_a_source_and_a_sink(servers: Servers, tmp_path: Path, unique_name: str, apache_kafka: Any) -> None:
    kafka_side, ours_side = _sides(servers, tmp_path, unique_name)
    source, sink = f"{unique_name}-src", f"{unique_name}-snk"
    for side in (kafka_side, ours_side):
        apache_kafka.create_topic(side.topic, partitions=1)
        (side.directory / "in.txt").write_text("".join(line + "\n" for line in LINES))
        side.call("POST", "/connectors", _source(source))
        side.call("POST", "/connectors", _source(source), label="POST /connectors again")
        side.call("POST", "/connectors/", _sink(sink), label="POST /connectors/ (trailing slash)")
        side.wait_state(source, "RUNNING", tasks=1)
        side.wait_state(sink, "RUNNING", tasks=1)
        assert wait_until(lambda s=side: _lines(s.directory / "out.txt") == LINES, 60), side.label
        side.call("GET", "/connectors?expand=status&expand=info", label="GET expanded",
                  shape=lambda d, names=(source, sink): {n: d.get(n) for n in names})
        side.call("GET", "/connectors", shape=lambda d, names=(source, sink): sorted(n for n in d if n in names))
        side.call("GET", "/connectors/", label="GET /connectors/ (trailing slash)",
                  shape=lambda d, names=(source, sink): sorted(n for n in d if n in names))
        for name in (source, sink):
            side.call("GET", f"/connectors/{name}")
            side.call("GET", f"/connectors/{name}/config")
            side.call("GET", f"/connectors/{name}/status")
            side.call("GET", f"/connectors/{name}/tasks")
            side.call("GET", f"/connectors/{name}/tasks/0/status")
            side.call("GET", f"/connectors/{name}/tasks/3/status")
            side.call("GET", f"/connectors/{name}/topics")

        # pause (twice: idempotent), resume
        side.call("PUT", f"/connectors/{sink}/pause")
        side.wait_state(sink, "PAUSED", tasks=1)
        side.call("PUT", f"/connectors/{sink}/pause", label="pause again")
        side.call("GET", f"/connectors/{sink}/status", label="status paused")
        side.call("PUT", f"/connectors/{sink}/resume")
        side.wait_state(sink, "RUNNING", tasks=1)
        side.call("GET", f"/connectors/{sink}/status", label="status resumed")

        # offsets only change while stopped
        side.call("PATCH", f"/connectors/{source}/offsets",
                  {"offsets": [{"partition": {"filename": "@DIR@/in.txt"}, "offset": {"position": 7}}]},
                  label="PATCH offsets while running")
        side.call("DELETE", f"/connectors/{source}/offsets", label="DELETE offsets while running")
        side.call("PUT", f"/connectors/{source}/stop")
        side.wait_state(source, "STOPPED")
        side.call("GET", f"/connectors/{source}/status", label="status stopped")
        side.call("GET", f"/connectors/{source}", label="info stopped")
        side.call("GET", f"/connectors/{source}/tasks", label="tasks stopped")
        side.call("GET", f"/connectors/{source}/offsets")
        side.call("PATCH", f"/connectors/{source}/offsets",
                  {"offsets": [{"partition": {"filename": "@DIR@/in.txt"}, "offset": {"position": 7}}]})
        side.call("GET", f"/connectors/{source}/offsets", label="offsets patched")
        side.call("DELETE", f"/connectors/{source}/offsets")
        side.call("GET", f"/connectors/{source}/offsets", label="offsets deleted")
        side.call("PUT", f"/connectors/{sink}/stop")
        side.wait_state(sink, "STOPPED")
        side.call("GET", f"/connectors/{sink}/offsets")
        side.call("PATCH", f"/connectors/{sink}/offsets", {"offsets": [
            {"partition": {"kafka_topic": "@TOPIC@", "kafka_partition": 0}, "offset": {"kafka_offset": 4}}]})
        side.call("GET", f"/connectors/{sink}/offsets", label="sink offsets patched")
        side.call("DELETE", f"/connectors/{sink}/offsets")
        side.call("GET", f"/connectors/{sink}/offsets", label="sink offsets deleted")
        side.call("PUT", f"/connectors/{source}/resume", label="resume stopped")
        side.wait_state(source, "RUNNING", tasks=1)
        side.call("PUT", f"/connectors/{sink}/resume", label="resume stopped sink")
        side.wait_state(sink, "RUNNING", tasks=1)

        # restarts
        side.call("POST", f"/connectors/{source}/restart")
        side.wait_state(source, "RUNNING", tasks=1)
        side.call("POST", f"/connectors/{source}/restart?includeTasks=true&onlyFailed=true",
                  label="restart onlyFailed")
        side.call("POST", f"/connectors/{source}/restart?includeTasks=true", label="restart includeTasks")
        side.wait_state(source, "RUNNING", tasks=1)
        side.call("POST", f"/connectors/{source}/tasks/0/restart")
        side.wait_state(source, "RUNNING", tasks=1)
        side.call("POST", f"/connectors/{source}/tasks/4/restart")

        for name in (source, sink):
            side.call("DELETE", f"/connectors/{name}")
            side.call("GET", f"/connectors/{name}", label="GET deleted")
            side.call("DELETE", f"/connectors/{name}", label="DELETE deleted")
        # The sink's consumer group outlives it: the next side's sink of the same name starts without it.
        _delete_group(apache_kafka.bootstrap_servers, f"connect-{sink}")
    compare(kafka_side, ours_side)


def _delete_group(bootstrap: str, group: str) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})

    def deleted() -> bool:
        try:
            admin.delete_consumer_groups([group], request_timeout=10)[group].result()
        except Exception as exc:  # noqa: BLE001 - not empty yet (members leaving): retried
            return "GROUP_ID_NOT_FOUND" in str(exc)
        return True

    assert wait_until(deleted, 60), f"cannot delete the consumer group {group}"


def test_errors_and_plugins(servers: Servers, tmp_path: Path, unique_name: str) -> None:
    kafka_side, ours_side = _sides(servers, tmp_path)
    name = unique_name
    for side in (kafka_side, ours_side):
        for path in ("status", "config", "tasks", "offsets", "tasks/0/status"):
            side.call("GET", f"/connectors/{name}/{path}")
        side.call("GET", f"/connectors/{name}/topics", defect=404)
        side.call("GET", f"/connectors/{name}")
        for verb in ("pause", "resume"):
            side.call("PUT", f"/connectors/{name}/{verb}")
        side.call("PUT", f"/connectors/{name}/stop", defect=404)
        side.call("POST", f"/connectors/{name}/restart", defect=404)
        side.call("DELETE", f"/connectors/{name}")
        side.call("PATCH", f"/connectors/{name}/config", {"file": "x"})
        side.call("POST", "/connectors", raw=b'{"name": "x", "config": {', label="malformed JSON", defect=400,
                  shape=lambda d: {**d, "message": "<parser>"} if isinstance(d, dict) else d)
        side.call("POST", "/connectors", {"config": {"connector.class": "FileStreamSink"}}, label="no name")
        side.call("POST", "/connectors", {"name": name}, label="no config", defect=400)
        side.call("PUT", f"/connectors/{name}/config", {"name": "other", "connector.class": "FileStreamSink",
                                                        "topics": "t"}, label="name mismatch")
        side.call("GET", "/nothing-here")
        side.call("DELETE", "/connectors", label="method not allowed")
        side.call("GET", "/", shape=lambda d: {k: v for k, v in d.items() if k != "kafka_cluster_id"})
        for path in ("/connector-plugins", "/connector-plugins/", "/connector-plugins?connectorsOnly=false"):
            side.call("GET", path, shape=_common_plugins)
        side.call("GET", "/connector-plugins/FileStreamSink/config", shape=_keys_by_name)
        side.call("GET", "/connector-plugins/FileStreamSource/config",
                  shape=lambda d: _keys_by_name(d, extra=SOURCE_DLQ_KEYS))
        side.call("GET", "/connector-plugins/NoSuchConnector/config")
        side.call("PUT", "/connector-plugins/FileStreamSinkConnector/config/validate",
                  {"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "name": "x",
                   "tasks.max": "zero", "topics": "t"}, label="validate bad", shape=_validation)
        side.call("PUT", "/connector-plugins/FileStreamSinkConnector/config/validate",
                  {"connector.class": "FileStreamSource", "name": "x"}, label="validate class mismatch")
    compare(kafka_side, ours_side)


COMMON_PLUGINS = {
    "org.apache.kafka.connect.file.FileStreamSinkConnector",
    "org.apache.kafka.connect.file.FileStreamSourceConnector",
    "org.apache.kafka.connect.json.JsonConverter",
    "org.apache.kafka.connect.storage.StringConverter",
    "org.apache.kafka.connect.converters.ByteArrayConverter",
    "org.apache.kafka.connect.transforms.InsertField$Value",
    "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    "org.apache.kafka.connect.storage.SimpleHeaderConverter",
}


def _common_plugins(document: Any) -> Any:
    if not isinstance(document, list):
        return document
    return sorted((p for p in document if p.get("class") in COMMON_PLUGINS), key=lambda p: (p["class"], p["type"]))


OUR_EXTRA_KEYS = {"files", "file.poll.interval.ms", "pyconnect.restart.on.failure"}
"""Keys of pyconnect-flow's own: FileStreamSource's (several files; how often a tailed file is polled), and every
connector's restart on failure (distributed mode)."""


SOURCE_DLQ_KEYS = {"errors.deadletterqueue.topic.name", "errors.deadletterqueue.topic.replication.factor",
                   "errors.deadletterqueue.context.headers.enable"}
"""Our sources have a dead letter queue too (Kafka Connect's only sinks)."""


def _keys_by_name(document: Any, extra: set[str] = frozenset()) -> Any:  # type: ignore[assignment]
    """ConfigKeyInfos by key; documentation, display names and widths are each implementation's own text."""
    if not isinstance(document, list):
        return document
    return {k["name"]: {f: "<version>" if f == "default_value" and k["name"].endswith("plugin.version") and k[f]
                        else k[f] for f in ("type", "required", "default_value", "importance", "group",
                                            "order_in_group", "dependents")}
            for k in document if k["name"] not in OUR_EXTRA_KEYS | extra}


def _validation(document: Any) -> Any:
    if not isinstance(document, dict) or "configs" not in document:
        return document
    values = {c["value"]["name"]: ("<version>" if c["value"]["name"].endswith("plugin.version") else c["value"]["value"],
                                   bool(c["value"]["errors"])) for c in document["configs"]
              if c["value"]["name"] not in OUR_EXTRA_KEYS}
    return {"name": document["name"], "groups": document["groups"], "values": values,
            "with errors": sorted(k for k, (_v, bad) in values.items() if bad)}



