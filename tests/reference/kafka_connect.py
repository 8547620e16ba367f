"""Apache Kafka Connect's own standalone worker (``ConnectStandalone``) on a free loopback port, for the
REST contract tests (``tests/integration/test_rest_contract.py``)::

    with KafkaConnectStandalone({"bootstrap.servers": "127.0.0.1:9092", ...}) as connect:
        httpx.get(connect.url + "/connectors")

It runs from the jars of ``tests/reference/pom.xml`` (connect-runtime, connect-file, connect-json,
connect-transforms, connect-basic-auth-extension: the classpath is the plugin path, so no ``plugin.path``),
with no connector files;
``listeners`` is set to ``http://127.0.0.1:<free port>`` and ``offset.storage.file.filename`` to a file in
the service's working directory. Small heap, C1 only, serial GC: it starts in a few seconds next to the
broker and the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from pyconnect_flow.embedded import ServiceProcess
from tests.reference import maven
from tests.reference.kafka_broker import _LOG4J2

__all__ = ["KafkaConnectStandalone"]

_JVM_OPTIONS = (
    "-Xms64m",
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
    "-Dlog4j2.formatMsgNoLookups=true",
)


class KafkaConnectStandalone(ServiceProcess):
    """``org.apache.kafka.connect.cli.ConnectStandalone worker.properties`` on ``127.0.0.1:<free port>``.

    Args:
        worker: The worker file's entries; ``listeners`` and ``offset.storage.file.filename`` are set here.
        log_level: log4j2 level of its log (``<workdir>/kafka-connect.log``).
        jvm_options: more JVM options (e.g. ``-Djava.security.auth.login.config=…`` for basic authentication).
    """

    name = "kafka-connect"

    def __init__(self, worker: Mapping[str, Any], *, log_level: str = "WARN", start_timeout: float = 120.0,
                 stop_timeout: float = 20.0, jvm_options: tuple[str, ...] = (),
                 auth: tuple[str, str] | None = None) -> None:
        super().__init__(start_timeout=start_timeout, stop_timeout=stop_timeout)
        self.worker = dict(worker)
        self.jvm_options = jvm_options
        self.auth = auth
        self.log_level = log_level
        self._java = ""
        self._classpath = ""

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.ports[0]}"

    def worker_properties(self) -> dict[str, Any]:
        return {**self.worker, "listeners": self.url,
                "offset.storage.file.filename": str(self.workdir / "connect.offsets")}

    def _prepare(self) -> None:
        self._java = maven.java()
        self._classpath = maven.classpath()
        (self.workdir / "log4j2.properties").write_text(_LOG4J2.format(level=self.log_level))

    def _launch(self) -> None:
        path = self.workdir / "worker.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in self.worker_properties().items()))
        super()._launch()

    def _command(self) -> list[str]:
        log4j = self.workdir / "log4j2.properties"
        return [self._java, *_JVM_OPTIONS, *self.jvm_options, f"-Dlog4j2.configurationFile={log4j}", "-cp", self._classpath,
                "org.apache.kafka.connect.cli.ConnectStandalone", str(self.workdir / "worker.properties")]

    def _probe(self, timeout: float) -> None:
        response = httpx.get(self.url + "/connectors", timeout=timeout, auth=self.auth)
        response.raise_for_status()
