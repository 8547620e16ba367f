"""Source positions written to Kafka Connect's offsets topic once they are durable (distributed mode).

In a distributed cluster a source connector may resume on any worker, so its positions must live where
every worker reads them: the offsets topic (`offset.storage.topic`), under Connect's key
`["<connector>", {partition}]` with the value `{offset}`. `OffsetsTopicPublisher` is called by
`engine.positions.Deliveries` with each position its sink made durable (never earlier), turns it into
Connect's partition and offset maps (a file source's `{"filename": …}` → `{"position": …}`, as
FileStreamSource's) and writes it. Each write waits for Kafka's acknowledgement, a few milliseconds once per
epoch per partition; a failed write is logged and superseded by the next epoch's position (the position
only lags: records are read again, never lost).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from pyconnect_flow.connectors.kafka_clients import client_config, request_timeout
from pyconnect_flow.data.java_hashmap import java_ordered

log = logging.getLogger(__name__)

_ACK_TIMEOUT_S = 10.0


def compact_json(document: Any) -> bytes:
    """JSON as Jackson writes it for Connect's internal converter: no spaces, non-ASCII as UTF-8."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def connect_map(value: Any) -> Any:
    """`value` with its maps in the order of a `java.util.HashMap` filled in sorted key order: one order for
    equal maps however given, so a partition's key bytes are always the same (Java's order also depends on
    the insertion order of keys that share a bucket, which only the connector that built the map knows)."""
    return java_ordered(_sorted_maps(value))


def _sorted_maps(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _sorted_maps(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_maps(v) for v in value]
    return value


def offset_record(connector: str, partition: Mapping[str, Any], offset: Mapping[str, Any] | None) -> tuple[bytes, bytes | None]:
    """The key and value bytes of one offsets-topic record (value None: forget the partition)."""
    key = compact_json([connector, connect_map(partition)])
    return key, None if offset is None else compact_json(connect_map(offset))


def is_file_source(connector: type) -> bool:
    """Whether a connector class is (or stands for) Kafka's FileStreamSourceConnector."""
    return any(str(n).endswith("FileStreamSourceConnector") for n in getattr(connector, "CLASS_NAMES", ()))


def connect_position(key: str, position: Any, file_source: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """A source partition key and position as Connect's partition and offset maps."""
    if file_source:
        return {"filename": key}, {"position": position}
    return {"partition": key}, {"offset": position}


class OffsetsTopicPublisher:
    """Writes one connector's durable source positions to the offsets topic (see the module).

    Args:
        worker: The worker's config (clients' settings; `offset.storage.topic`).
        connector: The connector's name (the key's namespace).
        file_source: Whether the connector is a FileStreamSource (its maps are Connect's FileStreamSource's).
    """

    def __init__(self, worker: Mapping[str, str], connector: str, file_source: bool) -> None:
        from confluent_kafka import Producer

        self.topic = str(worker["offset.storage.topic"])
        self.connector = connector
        self.file_source = file_source
        conf = client_config(worker, "producer")
        conf.update({"acks": "all", "enable.idempotence": True, "partitioner": "murmur2_random", "linger.ms": 0})
        self._timeout = min(request_timeout(conf), _ACK_TIMEOUT_S)
        self._producer = Producer(conf)

    def __call__(self, key: str, position: Any) -> None:
        """Write the durable `position` of source partition `key`."""
        partition, offset = connect_position(key, position, self.file_source)
        record_key, value = offset_record(self.connector, partition, offset)
        failures: list[str] = []

        def delivered(err: Any, message: Any) -> None:
            if err is not None:
                failures.append(err.str())

        try:
            self._producer.produce(self.topic, key=record_key, value=value, on_delivery=delivered)
            remaining = self._producer.flush(self._timeout)
        except Exception as exc:  # noqa: BLE001 - the next epoch's position supersedes this one
            failures.append(str(exc))
            remaining = 0
        if failures or remaining:
            log.error("Connector %s: the position of source partition %r could not be written to the offsets "
                      "topic %r (%s); it will be written with the next one", self.connector, key, self.topic,
                      "; ".join(failures) or "not acknowledged in time")
