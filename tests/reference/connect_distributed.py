"""Kafka Connect's own distributed worker (``org.apache.kafka.connect.cli.ConnectDistributed``), for tests of
the internal topics (``pyconnect_flow.runtime.kafka_store``).

It runs from the jars of ``tests/reference/pom.xml``, as :class:`tests.reference.connect_standalone.KafkaConnect`
does, with its REST API on a free loopback port and the config, offsets and status topics named by the
caller (replication factor 1: the test broker has one node)::

    with KafkaConnectDistributed(broker.bootstrap_servers, group_id="g", topics=("c", "o", "s")) as connect:
        connect.request("GET", "/connectors")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.reference.connect_standalone import KafkaConnect

__all__ = ["KafkaConnectDistributed"]


class KafkaConnectDistributed(KafkaConnect):
    """One ``ConnectDistributed`` worker of group ``group_id`` over the topics ``(config, offsets, status)``."""

    name = "kafka-connect-distributed"

    def __init__(self, bootstrap_servers: str, *, group_id: str, topics: tuple[str, str, str],
                 worker: Mapping[str, Any] | None = None, offset_partitions: int = 5, status_partitions: int = 3,
                 log_level: str = "WARN", start_timeout: float = 120.0) -> None:
        config, offsets, status = topics
        settings: dict[str, Any] = {
            "group.id": group_id,
            "config.storage.topic": config,
            "offset.storage.topic": offsets,
            "status.storage.topic": status,
            "config.storage.replication.factor": 1,
            "offset.storage.replication.factor": 1,
            "status.storage.replication.factor": 1,
            "offset.storage.partitions": offset_partitions,
            "status.storage.partitions": status_partitions,
            "scheduled.rebalance.max.delay.ms": 0,
        }
        settings.update(worker or {})
        super().__init__(bootstrap_servers, worker=settings, log_level=log_level, start_timeout=start_timeout)

    def worker_properties(self) -> dict[str, Any]:
        """The worker's configuration for the current port (no offsets file: offsets live in the topic)."""
        properties = super().worker_properties()
        properties.pop("offset.storage.file.filename", None)
        return properties

    def _command(self) -> list[str]:
        command = super()._command()
        main = command.index("org.apache.kafka.connect.cli.ConnectStandalone")
        return [*command[:main], "org.apache.kafka.connect.cli.ConnectDistributed", str(self.workdir / "worker.properties")]
