"""librdkafka client settings from Kafka Connect worker and connector configs, and admin checks.

Kafka Connect passes `producer.*`/`consumer.*`/`admin.*` worker keys and
`producer.override.*`/`consumer.override.*`/`admin.override.*` connector keys
to the Java clients. librdkafka understands most of them under the same names;
the few Java-only ones are dropped with a warning, and anything librdkafka
rejects is reported with the key that caused it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from pyconnect_flow.data.exceptions import ConnectException

log = logging.getLogger("pyconnect_flow.kafka")

DEFAULT_TIMEOUT_S = 15.0

_JAVA_ONLY = frozenset({
    "key.serializer", "value.serializer", "key.deserializer", "value.deserializer", "max.poll.records",
    "max.poll.interval.ms.override", "interceptor.classes", "metric.reporters", "metrics.sample.window.ms",
    "metrics.num.samples", "metrics.recording.level", "buffer.memory", "max.block.ms", "send.buffer.bytes",
    "receive.buffer.bytes", "delivery.timeout.ms", "retry.backoff.max.ms", "request.timeout.ms.override",
    "sasl.jaas.config", "ssl.endpoint.identification.algorithm", "partitioner.class",
    "default.api.timeout.ms", "exclude.internal.topics", "internal.leave.group.on.close",
})


class KafkaUnavailable(ConnectException):
    """The Kafka cluster could not be reached, or refused a request, within the time allowed."""


def client_config(worker: Mapping[str, str], role: str, overrides: Mapping[str, Any] | None = None,
                  bootstrap_servers: str | None = None) -> dict[str, Any]:
    """librdkafka settings for a `role` ("producer", "consumer" or "admin") client."""
    conf: dict[str, Any] = {"bootstrap.servers": bootstrap_servers or worker.get("bootstrap.servers", "localhost:9092")}
    for key in ("request.timeout.ms", "security.protocol", "sasl.mechanism", "sasl.username", "sasl.password", "ssl.ca.location",
                "ssl.certificate.location", "ssl.key.location", "ssl.key.password", "client.id"):
        if key in worker:
            conf[key] = worker[key]
    prefix = role + "."
    conf.update({k[len(prefix):]: v for k, v in worker.items() if k.startswith(prefix)})
    if overrides:
        conf.update(overrides)
    if bootstrap_servers:
        conf["bootstrap.servers"] = bootstrap_servers
    dropped = sorted(k for k in conf if k in _JAVA_ONLY)
    for key in dropped:
        log.warning("Ignoring Java-only Kafka client setting %r (librdkafka has no equivalent)", key)
        del conf[key]
    conf.setdefault("logger", log)
    return conf


READ_AHEAD_BYTES = 256 * 1024
"""Compressed bytes one fetch brings per source partition (each has its own consumer)."""

_READ_AHEAD: dict[str, Any] = {
    "queued.max.messages.kbytes": 1024,
    "queued.min.messages": 20000,
    "fetch.queue.backoff.ms": 10,
}


def with_read_ahead(conf: Mapping[str, Any]) -> dict[str, Any]:
    """A consumer config whose read-ahead is bounded, so memory does not depend on the data's compression.

    librdkafka fetches while its queue holds less than `queued.min.messages` and
    `queued.max.messages.kbytes`, and decompresses each fetch (up to `fetch.max.bytes` of
    compressed batches; brokers like Tansu ignore `max.partition.fetch.bytes`) at once. With
    librdkafka's defaults (64 MiB, or the 8 MiB set before), lz4 batches of JSON envelopes
    decompressed to well over 100 MB per partition: a 1M-record flow peaked at 450 MB, and the
    large buffers left the allocator's high-water mark growing with the input. A 256 KiB fetch
    holds about 5 MB decoded. `fetch.queue.backoff.ms` (librdkafka's default 1 s) is how long
    a partition waits once its queue is full: short, or it idles after draining a small fetch.
    `consumer.*` keys override each setting.
    """
    out = {**_READ_AHEAD, **conf}
    try:
        fetch = int(conf.get("fetch.max.bytes", 0))
        request_limit = int(conf.get("message.max.bytes", 0))
    except (TypeError, ValueError):
        return out  # librdkafka reports the bad value
    # librdkafka refuses fetch.max.bytes < message.max.bytes, the size limit of requests (a consumer
    # sends only small ones): one follows the other unless both are set.
    if not fetch:
        out["fetch.max.bytes"] = fetch = max(READ_AHEAD_BYTES, request_limit)
        out.setdefault("max.partition.fetch.bytes", fetch)
    if not request_limit:
        out["message.max.bytes"] = min(fetch, 1_000_000)
    return out


def describe(conf: Mapping[str, Any]) -> str:
    """The bootstrap servers of a client config, for messages (never credentials)."""
    return str(conf.get("bootstrap.servers"))


def admin_client(conf: Mapping[str, Any]) -> Any:
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    admin_conf = {k: v for k, v in conf.items() if k in _ADMIN_KEYS or k.startswith(("ssl.", "sasl."))}
    try:
        return AdminClient(admin_conf)
    except KafkaException as exc:
        raise ConnectException(f"Invalid Kafka client configuration: {exc.args[0].str()}") from None


_ADMIN_KEYS = frozenset({"bootstrap.servers", "security.protocol", "client.id", "logger", "socket.timeout.ms",
                         "broker.address.family", "metadata.max.age.ms"})


def request_timeout(conf: Mapping[str, Any]) -> float:
    """Seconds to wait for the cluster: `request.timeout.ms` of the client config, else 15 s."""
    try:
        return float(conf["request.timeout.ms"]) / 1000
    except (KeyError, TypeError, ValueError):
        return DEFAULT_TIMEOUT_S


def list_topics(conf: Mapping[str, Any], timeout: float | None = None) -> dict[str, int]:
    """Topic → partition count, or KafkaUnavailable within `timeout` seconds."""
    from confluent_kafka import KafkaException

    timeout = request_timeout(conf) if timeout is None else timeout
    admin = admin_client(conf)
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        raise KafkaUnavailable(
            f"Cannot reach Kafka at {describe(conf)} within {timeout:.0f}s: {exc.args[0].str()}") from None
    return {name: len(t.partitions) for name, t in metadata.topics.items() if t.error is None}


_created_lock = threading.Lock()


def ensure_topics(conf: Mapping[str, Any], topics: Iterable[str], *, create: bool, partitions: int = -1,
                  replication_factor: int = -1, timeout: float | None = None) -> None:
    """Make sure `topics` exist: create the missing ones when `create`, else raise a clear error."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewTopic

    timeout = request_timeout(conf) if timeout is None else timeout
    wanted = sorted(set(topics))
    existing = list_topics(conf, timeout)
    missing = [t for t in wanted if t not in existing]
    if not missing:
        return
    if not create:
        raise ConnectException(
            f"Topic(s) {', '.join(missing)} do not exist on {describe(conf)} and topic creation is disabled "
            "(topic.creation.enable=false)")
    with _created_lock:
        admin = admin_client(conf)
        futures = admin.create_topics(
            [NewTopic(t, num_partitions=partitions if partitions > 0 else 1,
                      replication_factor=replication_factor if replication_factor > 0 else 1) for t in missing],
            operation_timeout=timeout, request_timeout=timeout)
        for topic, future in futures.items():
            try:
                future.result(timeout)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise ConnectException(f"Cannot create topic {topic!r} on {describe(conf)}: {exc.args[0].str()}") from None
            else:
                log.info("Created topic %r", topic)
