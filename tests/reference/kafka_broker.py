"""A real Apache Kafka 4 broker (KRaft, broker and controller in one JVM) on free loopback ports.

For tests and benchmarks: the jars come from ``tests/reference/pom.xml`` (see :mod:`tests.reference.maven`)::

    with ApacheKafka() as broker:
        broker.endpoint.create_topic("orders", partitions=3)
        print(broker.bootstrap_servers)  # 127.0.0.1:<free port>

Each start formats a fresh log directory in the service's temporary working directory
(``kafka.tools.StorageTool format``, as ``kafka-storage.sh format`` does) and runs ``kafka.Kafka`` with a
small heap; ``stop()`` removes everything. Settings differ from a stock broker only where one node needs
it (replication factors 1) or where tests would otherwise wait or lose data:

- ``group.initial.rebalance.delay.ms=0``: a consumer group's first join is not held 3 s;
- ``log.retention.ms=-1``: tests produce records with fixed timestamps from the past, which the
  default retention (7 days, enforced on record timestamps) would delete on the next check;
- 3 partitions for ``__consumer_offsets`` and ``__transaction_state`` (50 by default), which
  the broker creates on the first group or transaction: fewer make that first use faster.
"""

from __future__ import annotations

import base64
import logging
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

from pyconnect_flow.embedded import ServiceError, ServiceProcess
from pyconnect_flow.embedded.kafka import KafkaEndpoint, kafka_answers
from tests.reference import maven

__all__ = ["ApacheKafka"]

_log = logging.getLogger("tests.reference.kafka_broker.librdkafka")

_JVM_OPTIONS = (
    "-Xms64m",
    "-Xmx512m",
    "-XX:+UseSerialGC",  # one node, small heap: the least start-up and the least CPU next to the tests
    "-XX:TieredStopAtLevel=1",  # C1 only: starts in about half the time; plenty for test traffic
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
logger.kafka.name = kafka
logger.kafka.level = {level}
logger.state.name = state.change.logger
logger.state.level = WARN
"""


def _cluster_id() -> str:
    """A random cluster id, as ``kafka-storage.sh random-uuid`` prints it (base64url of 16 bytes).

    It may start with '-', so it is passed as ``--cluster-id=<id>``: a separate argument would be read as
    an option (it was, one start in 64)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")


class ApacheKafka(ServiceProcess):
    """Apache Kafka (the version ``pom.xml`` names) in KRaft mode: node 1, broker and controller.

    Args:
        java_home: A JDK to run the broker on (default: see :func:`tests.reference.maven.java`).
        log_level: log4j2 level of the broker's log (``<workdir>/apache-kafka.log``).
        overrides: ``server.properties`` entries that win over the defaults.
        start_timeout: Seconds ``start()`` waits for the broker to answer (formatting included).
        stop_timeout: Seconds ``stop()`` waits after SIGTERM before it kills.
    """

    name = "apache-kafka"

    def __init__(
        self,
        *,
        java_home: str | None = None,
        log_level: str = "INFO",
        overrides: dict[str, Any] | None = None,
        start_timeout: float = 60.0,
        stop_timeout: float = 10.0,
    ) -> None:
        super().__init__(start_timeout=start_timeout, stop_timeout=stop_timeout)
        self.java_home = java_home
        self.log_level = log_level
        self.overrides = dict(overrides or {})
        self.cluster_id = _cluster_id()
        self._java = ""
        self._classpath = ""

    @property
    def bootstrap_servers(self) -> str:
        """``127.0.0.1:<port>`` of the PLAINTEXT listener."""
        return f"{self.host}:{self.ports[0]}"

    @property
    def controller_port(self) -> int:
        """The port of the CONTROLLER listener (KRaft quorum)."""
        return self.ports[1]

    @property
    def endpoint(self) -> KafkaEndpoint:
        """Connection information: consumers keep librdkafka's defaults, as with any real Kafka."""
        return KafkaEndpoint(self.bootstrap_servers, name="apache")

    def server_properties(self) -> dict[str, Any]:
        """The broker's configuration for the current ports."""
        data = self.workdir / "data"
        properties: dict[str, Any] = {
            "process.roles": "broker,controller",
            "node.id": 1,
            "controller.quorum.voters": f"1@{self.host}:{self.controller_port}",
            "listeners": f"PLAINTEXT://{self.host}:{self.ports[0]},CONTROLLER://{self.host}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{self.bootstrap_servers}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(data),
            "num.partitions": 1,
            "offsets.topic.replication.factor": 1,
            "offsets.topic.num.partitions": 3,
            "transaction.state.log.replication.factor": 1,
            "transaction.state.log.min.isr": 1,
            "transaction.state.log.num.partitions": 3,
            "share.coordinator.state.topic.replication.factor": 1,
            "share.coordinator.state.topic.min.isr": 1,
            "group.initial.rebalance.delay.ms": 0,
            "log.retention.ms": -1,
        }
        properties.update(self.overrides)
        return properties

    # -- ServiceProcess ----------------------------------------------------------------------

    def _port_count(self) -> int:
        return 2

    def _prepare(self) -> None:
        # Fails here, before any launch, when the JDK, Maven or the jars are missing.
        self._java = maven.java(self.java_home)
        self._classpath = maven.classpath()
        (self.workdir / "log4j2.properties").write_text(_LOG4J2.format(level=self.log_level))

    def _launch(self) -> None:
        # A fresh log directory per attempt: a retry after a lost port race starts from scratch.
        properties = self.workdir / "server.properties"
        properties.write_text("".join(f"{key}={value}\n" for key, value in self.server_properties().items()))
        shutil.rmtree(self.workdir / "data", ignore_errors=True)
        self._format(properties)
        super()._launch()

    def _format(self, properties: Path) -> None:
        command = [*self._java_command(), "kafka.tools.StorageTool", "format", f"--cluster-id={self.cluster_id}",
                   "--config", str(properties), "--ignore-formatted"]
        try:
            done = subprocess.run(command, cwd=self.workdir, capture_output=True, text=True, timeout=60,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise ServiceError(f"{self.name}: formatting the log directory took over 60 s") from exc
        if done.returncode != 0:
            raise ServiceError(f"{self.name}: kafka.tools.StorageTool format exited with {done.returncode}\n"
                               f"{(done.stdout + done.stderr).strip()[-3000:]}")

    def _java_command(self) -> list[str]:
        log4j = self.workdir / "log4j2.properties"
        return [self._java, *_JVM_OPTIONS, f"-Dlog4j2.configurationFile={log4j}", "-cp", self._classpath]

    def _command(self) -> list[str]:
        return [*self._java_command(), "kafka.Kafka", str(self.workdir / "server.properties")]

    def _probe(self, timeout: float) -> None:
        kafka_answers(self.bootstrap_servers, timeout)

    def _on_ready(self) -> None:
        # The first consumer group makes the broker create and load __consumer_offsets (about 3 s):
        # done here, so that the first test using a group takes as long as any other.
        import time

        from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

        consumer = Consumer({"bootstrap.servers": self.bootstrap_servers, "group.id": "pyconnect-flow-warm-up",
                             "logger": _log})
        deadline = time.monotonic() + 60
        try:
            while True:
                try:
                    consumer.committed([TopicPartition("__pyconnect_flow_warm_up", 0)], timeout=30)
                    return
                except KafkaException as exc:
                    # NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS while __consumer_offsets is being loaded
                    error = exc.args[0]
                    waiting = error.retriable() or error.code() in (
                        KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                        KafkaError.COORDINATOR_NOT_AVAILABLE)
                    if not waiting or time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        finally:
            consumer.close()
