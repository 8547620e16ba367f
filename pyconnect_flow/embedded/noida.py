"""noida-db, one process serving the Kafka protocol and the Elasticsearch 8 REST API.

:class:`NoidaDb` runs it on free loopback ports; :class:`ElasticsearchEndpoint` says where an
Elasticsearch answers (noida-db's or someone else's)::

    with NoidaDb() as noida:
        noida.create_topic("orders", partitions=3)
        es = noida.elasticsearch.client()
        es.index(index="orders", id="1", document={"total": 3})

Known deviations of noida-db 0.2.3 from Apache Kafka, found by the smoke tests:

- It enforces ``retention.ms`` (7 days by default) on record timestamps within seconds, even in
  the active segment: records produced with a fixed timestamp from the past vanish, and
  consumers at their offsets are reset to the end. :meth:`NoidaDb.create_topic` and the
  ``kafka`` endpoint's ``create_topic`` therefore set ``retention.ms=-1`` unless told otherwise;
  topics created any other way (auto-creation, the connectors' own admin calls) keep the default.
- When a consumer sends several ``ListOffsets`` requests at once, as librdkafka does when it
  resets the offsets of a fresh group (``auto.offset.reset=earliest``), the answer for the
  earliest offset is sometimes the latest one, so the consumer skips what is already there.
  Give a group explicit start offsets (``assign`` with offsets, or commit them first).
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyconnect_flow.embedded import ServiceError, ServiceProcess, tcp_port_open
from pyconnect_flow.embedded.kafka import KafkaEndpoint, kafka_answers

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = ["ElasticsearchEndpoint", "NoidaDb", "noida_binary"]

#: Environment variable naming a noida-db executable to use instead of the wheel's.
NOIDA_BIN_ENV = "PYCONNECT_NOIDA_BIN"


@dataclass(frozen=True)
class ElasticsearchEndpoint:
    """Where an Elasticsearch REST API answers.

    Attributes:
        url: Base URL, e.g. ``http://127.0.0.1:9200``.
        name: Which server this is ("noida", "external"), for messages and test ids.
    """

    url: str
    name: str = "external"

    def client(self, **kwargs: Any) -> Elasticsearch:
        """An official ``elasticsearch.Elasticsearch`` client for :attr:`url`; ``kwargs`` go to it."""
        from elasticsearch import Elasticsearch

        return Elasticsearch(self.url, **kwargs)

    def info(self, timeout: float = 5.0) -> dict[str, Any]:
        """``GET /``: the cluster's name and version; raises if it does not answer."""
        with urllib.request.urlopen(self.url.rstrip("/") + "/", timeout=timeout) as response:
            body: dict[str, Any] = json.load(response)
        if "version" not in body:
            raise RuntimeError(f"{self.url} answered GET / without a version: {body}")
        return body


def noida_binary() -> str:
    """The noida-db executable: ``$PYCONNECT_NOIDA_BIN``, else the one in the ``noida-db`` wheel.

    The ``noida-db`` on PATH is a Python wrapper that starts this binary as its own child; we run
    the binary itself so that stopping (and the parent-death signal) reaches the real server.
    """
    override = os.environ.get(NOIDA_BIN_ENV)
    if override:
        return override
    import noida_db

    binary = Path(noida_db.__file__).with_name("noida-db.exe" if os.name == "nt" else "noida-db")
    if binary.is_file() and not os.access(binary, os.X_OK):
        binary.chmod(0o755)  # what noida-db's own wrapper does: wheels may drop the exec bit
    if not binary.is_file():
        raise ServiceError(f"noida-db: no binary at {binary}; is the noida-db wheel installed?")
    return str(binary)


class NoidaDb(ServiceProcess):
    """noida-db on free loopback ports, with the services you choose.

    Args:
        services: Which of :attr:`SERVICES` to run; one process serves them all.
        start_timeout: Seconds ``start()`` waits until every service answers.
        stop_timeout: Seconds ``stop()`` waits after SIGTERM before it kills.

    Data lives in the working directory and is gone after ``stop()``. The GLIBC "weak version"
    warning noida-db prints at start is harmless and lands in the log.
    """

    name = "noida-db"
    #: The services this class knows how to reach and to probe.
    SERVICES: tuple[str, ...] = ("kafka", "elasticsearch")

    def __init__(
        self,
        services: Iterable[str] = SERVICES,
        *,
        start_timeout: float = 30.0,
        stop_timeout: float = 10.0,
    ) -> None:
        super().__init__(start_timeout=start_timeout, stop_timeout=stop_timeout)
        self.services = tuple(dict.fromkeys(services))
        unknown = set(self.services) - set(self.SERVICES)
        if unknown or not self.services:
            raise ValueError(f"services must be a non-empty subset of {self.SERVICES}, got {services!r}")

    def port(self, service: str) -> int:
        """The loopback port of ``service``; raises if it was not enabled."""
        if service not in self.services:
            raise RuntimeError(f"noida-db runs {self.services}, not {service!r}")
        return self.ports[self.services.index(service)]

    @property
    def bootstrap_servers(self) -> str:
        """``127.0.0.1:<port>`` of the Kafka service."""
        return f"{self.host}:{self.port('kafka')}"

    @property
    def elasticsearch_url(self) -> str:
        """``http://127.0.0.1:<port>`` of the Elasticsearch service."""
        return f"http://{self.host}:{self.port('elasticsearch')}"

    @property
    def kafka(self) -> KafkaEndpoint:
        """Connection information for the Kafka service.

        Unlike Tansu, noida-db answers JoinGroup at once, and like Kafka it rejects session
        timeouts below 6 s, so consumers keep librdkafka's default.
        """
        return KafkaEndpoint(self.bootstrap_servers, name="noida", keep_records=True)

    @property
    def elasticsearch(self) -> ElasticsearchEndpoint:
        """Connection information for the Elasticsearch service."""
        return ElasticsearchEndpoint(self.elasticsearch_url, name="noida")

    def create_topic(self, name: str, partitions: int = 1, **kwargs: Any) -> None:
        """Create a topic; see :meth:`KafkaEndpoint.create_topic`."""
        self.kafka.create_topic(name, partitions, **kwargs)

    def consumer_config(self, group_id: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Consumer settings for the Kafka service; see :meth:`KafkaEndpoint.consumer_config`."""
        return self.kafka.consumer_config(group_id, overrides)

    def _port_count(self) -> int:
        return len(self.services)

    def _command(self) -> list[str]:
        command = [noida_binary(), "start", "--data-dir", str(self.workdir / "data"), "--host", self.host]
        command += ["--only", ",".join(self.services)]
        for service, port in zip(self.services, self.ports):
            command += [f"--{service}-port", str(port)]
        return command

    def _probe(self, timeout: float) -> None:
        if "kafka" in self.services:
            kafka_answers(self.bootstrap_servers, timeout)
        if "elasticsearch" in self.services:
            if not tcp_port_open(self.host, self.port("elasticsearch"), timeout=min(timeout, 0.5)):
                raise ConnectionRefusedError(self.elasticsearch_url)
            self.elasticsearch.info(timeout)
