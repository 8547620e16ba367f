"""Kafka Connect itself (``org.apache.kafka.connect.cli.ConnectStandalone``), for differential tests.

The jars are those of ``tests/reference/pom.xml`` (connect-runtime, connect-file, connect-json and
connect-transforms on one classpath, so no ``plugin.path`` is needed). Kafka Connect has no "stop at
end of input": :class:`KafkaConnect` runs the worker with its REST API on a free loopback port, and
:meth:`KafkaConnect.run` adds connectors, waits until each has consumed its input (the source offsets or
sink consumer offsets it has committed, read back through ``GET /connectors/<name>/offsets``), deletes
them and returns. One JVM serves many connectors, at once or one batch after another::

    with KafkaConnect(broker.bootstrap_servers) as connect:
        outcomes = connect.run({"src": {"connector.class": "FileStreamSource", "file": path, "topic": "t"}},
                               {"src": source_done({path: java_length(path)})})

:func:`run_standalone` runs ``ConnectStandalone worker.properties connector.properties…`` as a user would,
until a condition holds (e.g. the output file has all its lines, unchanged for a moment), then stops
the JVM with SIGTERM and waits for it.

The JVM runs in UTC with an English locale (``Date.toString()``), C1 only, a serial collector and a
256 MB heap: it starts in a few seconds and stays small next to the tests.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyconnect_flow.embedded import ServiceError, ServiceProcess
from tests.reference import maven

__all__ = [
    "ConnectorOutcome", "KafkaConnect", "java_consumed_length", "run_standalone", "sink_done", "source_done",
]

JVM_OPTIONS = (
    "-Xms32m",
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",  # C1 only: half the start-up time, plenty for test traffic
    "-Xshare:auto",
    "-Duser.timezone=UTC",  # Date.toString() in FileStreamSink lines; pyconnect-flow prints UTC
    "-Duser.language=en",
    "-Duser.country=US",
    "-Djava.awt.headless=true",
    "-Dlog4j2.formatMsgNoLookups=true",
)

_LOG4J2 = """\
status = warn
rootLogger.level = {level}
rootLogger.appenderRef.stdout.ref = STDOUT
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
logger.reflections.name = org.reflections
logger.reflections.level = ERROR
"""

#: What ``bin/connect-standalone.sh`` runs the worker with (``kafka-run-class.sh``: KAFKA_HEAP_OPTS of
#: connect-standalone.sh, KAFKA_JVM_PERFORMANCE_OPTS), for benchmarks.
DISTRIBUTION_JVM_OPTIONS = (
    "-Xms256M", "-Xmx2G", "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent", "-Djava.awt.headless=true",
    "-Duser.timezone=UTC",
)

#: Worker settings every reference worker gets (a test's own settings win): offsets committed often, so
#: that "consumed" is seen soon; plugins found through their ServiceLoader manifests (faster start).
WORKER_DEFAULTS: dict[str, Any] = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "offset.flush.interval.ms": 100,
    "plugin.discovery": "service_load",
    "task.shutdown.graceful.timeout.ms": 2000,
}


def java_consumed_length(data: bytes) -> int:
    """How far (in UTF-16 code units) FileStreamSourceTask's position gets in a file holding ``data``.

    The task decodes the file as UTF-8 (invalid bytes become U+FFFD, grouped as Java's decoder groups
    them: pyconnect-flow's ``decode_like_java``), counts positions in chars, and emits a line only once
    its terminator is read: a last line without one, or ending in a CR that may still be followed by LF,
    is not consumed. Should this count be wrong, :meth:`KafkaConnect.run` still stops once the offsets
    stop moving (outcome "idle").
    """
    from pyconnect_flow.connectors.file import decode_like_java

    text = decode_like_java(data)
    end = max(text.rfind("\n") + 1, text.rfind("\r", 0, len(text) - 1) + 1)
    return len(text[:end].encode("utf-16-le", "surrogatepass")) // 2


Done = Callable[[list[dict[str, Any]]], bool]


def source_done(positions: Mapping[str | Path, int]) -> Done:
    """A FileStreamSource connector is done once every file's committed position is the one given."""
    wanted = {str(path): position for path, position in positions.items()}

    def done(offsets: list[dict[str, Any]]) -> bool:
        got = {o["partition"].get("filename"): o["offset"].get("position") for o in offsets}
        return all(got.get(path) == position for path, position in wanted.items())

    return done


def sink_done(ends: Mapping[tuple[str, int], int]) -> Done:
    """A sink connector is done once its committed offset of every (topic, partition) is its end offset."""

    def done(offsets: list[dict[str, Any]]) -> bool:
        got = {(o["partition"]["kafka_topic"], o["partition"]["kafka_partition"]): o["offset"]["kafka_offset"]
               for o in offsets}
        return all(end == 0 or got.get(tp) == end for tp, end in ends.items())

    return done


@dataclass
class ConnectorOutcome:
    """How a connector ended in :meth:`KafkaConnect.run`: consumed its input, failed, or was refused."""

    name: str
    #: "done"; "idle" (its offsets stopped short of done and did not move for ``idle`` seconds); "failed" (a task
    #: or the connector failed); "refused" (invalid config); "timeout"
    state: str
    error: str = ""
    offsets: list[dict[str, Any]] = field(default_factory=list)


class KafkaConnect(ServiceProcess):
    """A Kafka Connect standalone worker (the Kafka version of ``pom.xml``) with its REST API on loopback.

    Args:
        bootstrap_servers: The Kafka cluster of the worker.
        worker: ``connect-standalone.properties`` entries over :data:`WORKER_DEFAULTS` (``listeners``,
            ``bootstrap.servers`` and ``offset.storage.file.filename`` are set here).
        connector_files: Connector files (``.properties`` or REST JSON) given on the command line.
        java_home: The JDK to run on (default: see :func:`tests.reference.maven.java`).
        log_level: log4j2 level of the worker's log (``<workdir>/kafka-connect.log``).
        jvm_options: JVM options instead of :data:`JVM_OPTIONS` (benchmarks use those of ``kafka-run-class.sh``).
    """

    name = "kafka-connect"

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        worker: Mapping[str, Any] | None = None,
        connector_files: Sequence[Path] = (),
        java_home: str | None = None,
        log_level: str = "WARN",
        jvm_options: Sequence[str] | None = None,
        start_timeout: float = 120.0,
        stop_timeout: float = 30.0,
    ) -> None:
        super().__init__(start_timeout=start_timeout, stop_timeout=stop_timeout)
        self.bootstrap_servers = bootstrap_servers
        self.worker = dict(worker or {})
        self.connector_files = [Path(f) for f in connector_files]
        self.java_home = java_home
        self.log_level = log_level
        self.jvm_options = tuple(JVM_OPTIONS if jvm_options is None else jvm_options)
        self._java = ""
        self._classpath = ""

    @property
    def rest_url(self) -> str:
        """``http://127.0.0.1:<port>`` of the REST API."""
        return f"http://{self.host}:{self.ports[0]}"

    @property
    def java_version(self) -> int:
        """The feature version of the JDK the worker runs on (17, 21, 25, …)."""
        return maven.java_version(maven.java(self.java_home))

    def worker_properties(self) -> dict[str, Any]:
        """The worker's configuration for the current port."""
        properties = {**WORKER_DEFAULTS, "offset.storage.file.filename": str(self.workdir / "connect.offsets")}
        properties.update(self.worker)
        properties["bootstrap.servers"] = self.bootstrap_servers
        properties["listeners"] = f"http://{self.host}:{self.ports[0]}"
        return properties

    # -- REST ------------------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, timeout: float = 60.0) -> tuple[int, Any]:
        """One REST call: its HTTP status and decoded JSON answer (None when empty)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.rest_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as answer:
                status, text = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read()
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text.decode("utf-8", "replace")

    def put_connector(self, name: str, config: Mapping[str, Any]) -> str | None:
        """Create (or reconfigure) connector ``name``; the refusal message if Kafka Connect refuses it."""
        quoted = urllib.parse.quote(name, safe="")
        status, answer = self.request("PUT", f"/connectors/{quoted}/config",
                                      {k: str(v) for k, v in config.items()})
        if status in (200, 201):
            return None
        return answer.get("message", str(answer)) if isinstance(answer, dict) else str(answer)

    def validate(self, config: Mapping[str, Any]) -> list[str]:
        """Kafka Connect's verdict on a connector config without creating it
        (``PUT /connector-plugins/<class>/config/validate``): the error messages, empty when valid."""
        plugin = urllib.parse.quote(str(config["connector.class"]).rsplit(".", 1)[-1], safe="")
        status, answer = self.request("PUT", f"/connector-plugins/{plugin}/config/validate",
                                      {k: str(v) for k, v in config.items()})
        if status != 200 or not isinstance(answer, dict):
            return [f"HTTP {status}: {answer}"]
        return [f"{c['value']['name']}: {error}" for c in answer.get("configs", [])
                for error in c["value"].get("errors", [])]

    def status(self, name: str) -> dict[str, Any]:
        """``GET /connectors/<name>/status`` (empty when the connector is not known yet)."""
        status, answer = self.request("GET", f"/connectors/{urllib.parse.quote(name, safe='')}/status")
        return answer if status == 200 and isinstance(answer, dict) else {}

    def offsets(self, name: str) -> list[dict[str, Any]]:
        """The offsets connector ``name`` has committed (``GET /connectors/<name>/offsets``)."""
        status, answer = self.request("GET", f"/connectors/{urllib.parse.quote(name, safe='')}/offsets")
        return list(answer.get("offsets", [])) if status == 200 and isinstance(answer, dict) else []

    def delete_connector(self, name: str) -> None:
        """Stop and remove connector ``name`` (its offsets stay in the worker's offset file)."""
        self.request("DELETE", f"/connectors/{urllib.parse.quote(name, safe='')}")

    def run(self, connectors: Mapping[str, Mapping[str, Any]], done: Mapping[str, Done], *,
            timeout: float = 120.0, idle: float = 4.0, poll: float = 0.1) -> dict[str, ConnectorOutcome]:
        """Add ``connectors`` (name → config), wait until each is ``done`` (given its committed offsets), has
        failed, or has a running task whose committed offsets did not move for ``idle`` seconds, then delete
        them all. (A source task commits no offset for records its transforms drop, so a chain that drops
        every record never looks done.) Nothing here raises for a connector's own failure: each outcome says
        what happened, with Kafka Connect's message or stack trace.
        """
        outcomes: dict[str, ConnectorOutcome] = {}
        for name, config in connectors.items():
            refused = self.put_connector(name, {**config, "name": name})
            if refused is not None:
                outcomes[name] = ConnectorOutcome(name, "refused", refused)
        waiting = [name for name in connectors if name not in outcomes]
        deadline = time.monotonic() + timeout
        last: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        try:
            while waiting:
                if not self.running:
                    raise ServiceError(f"{self.name} exited while connectors ran\n{self.log_tail()}")
                for name in list(waiting):
                    offsets = self.offsets(name)
                    if done[name](offsets):
                        outcomes[name] = ConnectorOutcome(name, "done", offsets=offsets)
                        waiting.remove(name)
                        continue
                    status = self.status(name)
                    failure = _failure(status)
                    if failure is not None:
                        outcomes[name] = ConnectorOutcome(name, "failed", failure, offsets)
                        waiting.remove(name)
                        continue
                    running = bool(status.get("tasks")) and all(t.get("state") == "RUNNING" for t in status["tasks"])
                    if name not in last or offsets != last[name][1] or not running:
                        last[name] = (time.monotonic(), offsets)
                    elif time.monotonic() - last[name][0] > idle:
                        outcomes[name] = ConnectorOutcome(name, "idle", "offsets stopped short of done", offsets)
                        waiting.remove(name)
                if waiting and time.monotonic() > deadline:
                    for name in waiting:
                        outcomes[name] = ConnectorOutcome(name, "timeout", json.dumps(self.status(name)),
                                                          self.offsets(name))
                    break
                if waiting:
                    time.sleep(poll)
        finally:
            for name in connectors:
                if name in outcomes and outcomes[name].state == "refused":
                    continue
                self.delete_connector(name)
        return outcomes

    # -- ServiceProcess ------------------------------------------------------------------------

    def _prepare(self) -> None:
        self._java = maven.java(self.java_home)
        self._classpath = maven.classpath()
        (self.workdir / "log4j2.properties").write_text(_LOG4J2.format(level=self.log_level))

    def _launch(self) -> None:
        properties = self.worker_properties()
        (self.workdir / "worker.properties").write_text(
            "".join(f"{key}={_escape(value)}\n" for key, value in properties.items()))
        super()._launch()

    def _command(self) -> list[str]:
        log4j = self.workdir / "log4j2.properties"
        return [self._java, *self.jvm_options, f"-Dlog4j2.configurationFile={log4j}", "-cp", self._classpath,
                "org.apache.kafka.connect.cli.ConnectStandalone", str(self.workdir / "worker.properties"),
                *map(str, self.connector_files)]

    def _probe(self, timeout: float) -> None:
        # The REST server answers 404 on "/" while the herder starts; "/connectors" once it is ready.
        with urllib.request.urlopen(self.rest_url + "/connectors", timeout=timeout) as answer:
            if answer.status != 200:
                raise ServiceError(f"GET /connectors answered {answer.status}")


def _escape(value: Any) -> str:
    """A .properties value: backslashes doubled, so Java reads Windows-free paths and regexes back as given."""
    return str(value).replace("\\", "\\\\")


def _failure(status: Mapping[str, Any]) -> str | None:
    """The trace of a failed connector or task in a ``/status`` answer, else None."""
    parts = [status.get("connector", {}), *status.get("tasks", [])]
    for part in parts:
        if part.get("state") == "FAILED":
            return str(part.get("trace") or "FAILED")
    return None


def run_standalone(
    bootstrap_servers: str,
    connector_files: Sequence[Path],
    until: Callable[[], bool],
    *,
    worker: Mapping[str, Any] | None = None,
    java_home: str | None = None,
    timeout: float = 120.0,
    settle: float = 1.0,
) -> None:
    """Run ``ConnectStandalone worker.properties connector_files…`` until ``until()`` has held for
    ``settle`` seconds (e.g. the output has its expected count and stays so), then stop it (SIGTERM, wait).

    Raises :class:`ServiceError` with the tail of the worker's log if ``until()`` does not hold within
    ``timeout`` seconds.
    """
    connect = KafkaConnect(bootstrap_servers, worker=worker, connector_files=connector_files, java_home=java_home)
    with connect:
        deadline = time.monotonic() + timeout
        held_since: float | None = None
        while True:
            now = time.monotonic()
            if until():
                held_since = held_since if held_since is not None else now
                if now - held_since >= settle:
                    return
            else:
                held_since = None
            if now > deadline:
                raise ServiceError(f"{connect.name}: output not complete after {timeout:g} s\n{connect.log_tail()}")
            if not connect.running:
                raise ServiceError(f"{connect.name} exited before its output was complete\n{connect.log_tail()}")
            time.sleep(0.1)
