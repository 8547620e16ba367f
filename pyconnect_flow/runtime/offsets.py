"""Connectors' offsets as Kafka Connect presents them (KIP-875), read from and written to where they live.

- **Sink connectors** resume from the consumer group `connect-<name>` (the engine publishes a position there
  once the sink made it durable), presented as `{"partition": {"kafka_topic", "kafka_partition"},
  "offset": {"kafka_offset"}}`. Changing them alters the group's committed offsets with Kafka's admin API
  and forgets the positions the connector's recovery store holds for those partitions, so the next start
  reads the group's.
- **Source connectors** resume from their recovery store (Bytewax snapshots of step `pyconnect.<name>_source`).
  A file source's partition is `{"filename": path}` and its offset `{"position": bytes}`, as FileStreamSource's;
  other sources show `{"partition": key}` → `{"offset": position}`. Changing them forgets the stored positions
  of those partitions and writes the new ones to the connector's initial positions file
  (`engine.control`), which applies exactly where the store has no position.

Changes are only made while the connector is STOPPED: no process holds its store or its group then.
"""

from __future__ import annotations

import logging
import pickle
import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

from pyconnect_flow.connectors.kafka_clients import admin_client, client_config, request_timeout
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.engine.compile import FLOW_ID, step_name

log = logging.getLogger(__name__)

ALTERED = "The offsets for this connector have been altered successfully"
RESET = "The offsets for this connector have been reset successfully"


class OffsetsRequestError(ConnectException):
    """An offsets request that is not shaped as Kafka Connect accepts it (HTTP 400)."""


def source_step_id(connector: str) -> str:
    """The Bytewax step id whose snapshots hold a connector's source positions."""
    return f"{FLOW_ID}.{step_name(connector)}_source"


def _parts(recovery: Path) -> list[Path]:
    return sorted(recovery.glob("part-*.sqlite3")) if recovery.is_dir() else []


def stored_positions(recovery: Path, step_id: str) -> dict[str, Any]:
    """Partition key → the last position the recovery store holds for `step_id` (no entry: none stored)."""
    latest: dict[str, tuple[int, bytes | None]] = {}
    for part in _parts(recovery):
        uri = part.resolve().as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
            rows = conn.execute("SELECT state_key, snap_epoch, ser_change FROM snaps WHERE step_id = ?", (step_id,))
            for key, epoch, change in rows:
                if key not in latest or epoch > latest[key][0]:
                    latest[key] = (epoch, change)
    # The store is the connector's own, written by our processes only: its pickles are trusted.
    return {key: pickle.loads(change) for key, (_, change) in latest.items() if change is not None}


def forget_positions(recovery: Path, step_id: str, keys: Iterable[str] | None = None) -> None:
    """Remove the stored positions of `keys` (all of the step's when None) from a store no process uses."""
    wanted = None if keys is None else list(keys)
    for part in _parts(recovery):
        with closing(sqlite3.connect(part, timeout=10)) as conn:
            if wanted is None:
                conn.execute("DELETE FROM snaps WHERE step_id = ?", (step_id,))
            else:
                conn.executemany("DELETE FROM snaps WHERE step_id = ? AND state_key = ?",
                                 [(step_id, k) for k in wanted])
            conn.commit()


# presentation ------------------------------------------------------------------

def present_source(positions: Mapping[str, Any], file_source: bool) -> list[dict[str, Any]]:
    """Source positions as Connect's `{"partition", "offset"}` entries."""
    if file_source:
        return [{"partition": {"filename": k}, "offset": {"position": v}} for k, v in sorted(positions.items())]
    return [{"partition": {"partition": k}, "offset": {"offset": v}} for k, v in sorted(positions.items())]


def present_sink(offsets: Mapping[tuple[str, int], int]) -> list[dict[str, Any]]:
    """Consumer group offsets as Connect's sink connector entries."""
    return [{"partition": {"kafka_topic": t, "kafka_partition": p}, "offset": {"kafka_offset": o}}
            for (t, p), o in sorted(offsets.items())]


def request_entries(body: Any) -> list[tuple[Any, Any]]:
    """(partition, offset) pairs of a `PATCH /connectors/{name}/offsets` body."""
    entries = body.get("offsets") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        raise OffsetsRequestError("Partitions / offsets need to be provided for an alter offsets request")
    pairs = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("partition"), dict):
            raise OffsetsRequestError("Each entry of \"offsets\" needs a \"partition\" object and an \"offset\" "
                                      "object (or null)")
        offset = entry.get("offset")
        if offset is not None and not isinstance(offset, dict):
            raise OffsetsRequestError("The \"offset\" of an entry must be an object or null")
        pairs.append((entry["partition"], offset))
    return pairs


def _integer(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise OffsetsRequestError(f"Failed to parse the following Kafka {what} value in the provided offsets: "
                              f"'{value}'. Kafka {what} values for sink connectors need to be integers.")


def sink_changes(pairs: list[tuple[Any, Any]]) -> dict[tuple[str, int], int | None]:
    """(topic, partition) → new offset (None: reset) of a sink connector's offsets request."""
    changes: dict[tuple[str, int], int | None] = {}
    for partition, offset in pairs:
        topic = partition.get("kafka_topic")
        if not isinstance(topic, str) or not topic or "kafka_partition" not in partition:
            raise OffsetsRequestError("The partition for a sink connector offset must contain the keys "
                                      "'kafka_topic' and 'kafka_partition' (a topic name and a partition number)")
        number = _integer(partition["kafka_partition"], "partition")
        if number < 0:
            raise OffsetsRequestError(f"Kafka partitions must be non-negative, not {number}")
        if offset is None:
            changes[(topic, number)] = None
            continue
        if "kafka_offset" not in offset:
            raise OffsetsRequestError("The offset for a sink connector must contain the key 'kafka_offset'")
        value = _integer(offset["kafka_offset"], "offset")
        if value < 0:
            raise OffsetsRequestError(f"Kafka offsets must be non-negative, not {value}")
        changes[(topic, number)] = value
    return changes


def source_changes(pairs: list[tuple[Any, Any]], file_source: bool) -> dict[str, Any]:
    """Partition key → new position (None: reset) of a source connector's offsets request."""
    key_name, value_name = ("filename", "position") if file_source else ("partition", "offset")
    changes: dict[str, Any] = {}
    for partition, offset in pairs:
        key = partition.get(key_name)
        if not isinstance(key, str) or set(partition) != {key_name}:
            raise OffsetsRequestError(f"The partition of this connector's offsets is {{\"{key_name}\": <string>}}, "
                                      f"not {_short(partition)}")
        if offset is None:
            changes[key] = None
            continue
        if set(offset) != {value_name}:
            raise OffsetsRequestError(f"The offset of this connector's offsets is {{\"{value_name}\": <value>}}, "
                                      f"not {_short(offset)}")
        value = offset[value_name]
        if file_source:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise OffsetsRequestError(f"A file position is a byte offset, a non-negative integer, "
                                          f"not {_short(value)}")
        changes[key] = value
    return changes


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


# consumer groups -----------------------------------------------------------------

def _admin(worker: Mapping[str, str]) -> tuple[Any, float]:
    conf = client_config(worker, "admin")
    return admin_client(conf), request_timeout(conf)


def group_offsets(worker: Mapping[str, str], group: str) -> dict[tuple[str, int], int]:
    """(topic, partition) → committed offset of a consumer group (empty when the group has none)."""
    from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException

    admin, timeout = _admin(worker)
    futures = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)], request_timeout=timeout)
    try:
        result = futures[group].result(timeout=timeout + 5)
    except KafkaException as exc:
        if "GROUP_ID_NOT_FOUND" in str(exc):
            return {}
        raise ConnectException(f"Cannot read the offsets of consumer group {group!r}: {exc.args[0].str()}") from None
    return {(tp.topic, tp.partition): tp.offset for tp in result.topic_partitions or [] if tp.offset >= 0}


def _earliest(admin: Any, partitions: Iterable[tuple[str, int]], timeout: float) -> dict[tuple[str, int], int]:
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import OffsetSpec

    request = {TopicPartition(t, p): OffsetSpec.earliest() for t, p in partitions}
    if not request:
        return {}
    futures = admin.list_offsets(request, request_timeout=timeout)
    return {(tp.topic, tp.partition): f.result(timeout=timeout + 5).offset for tp, f in futures.items()}


def alter_group_offsets(worker: Mapping[str, str], group: str, changes: Mapping[tuple[str, int], int | None]) -> None:
    """Set the committed offsets of `group`; a None offset resets the partition to its earliest offset
    (what a sink reads from when the group has none: `auto.offset.reset=earliest`)."""
    from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition

    admin, timeout = _admin(worker)
    try:
        earliest = _earliest(admin, [tp for tp, o in changes.items() if o is None], timeout)
        offsets = [TopicPartition(t, p, earliest[(t, p)] if o is None else o) for (t, p), o in sorted(changes.items())]
        futures = admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, offsets)],
                                                     request_timeout=timeout)
        result = futures[group].result(timeout=timeout + 5)
    except KafkaException as exc:
        raise ConnectException(f"Cannot alter the offsets of consumer group {group!r}: {exc.args[0].str()}") from None
    failed = [f"{tp.topic}-{tp.partition}: {tp.error.str()}" for tp in result.topic_partitions or [] if tp.error]
    if failed:
        raise ConnectException(f"Cannot alter the offsets of consumer group {group!r}: {'; '.join(failed)}")


def delete_group(worker: Mapping[str, str], group: str) -> None:
    """Delete a consumer group and its committed offsets (nothing to do when it does not exist)."""
    from confluent_kafka import KafkaException

    admin, timeout = _admin(worker)
    futures = admin.delete_consumer_groups([group], request_timeout=timeout)
    try:
        futures[group].result(timeout=timeout + 5)
    except KafkaException as exc:
        if "GROUP_ID_NOT_FOUND" in str(exc):
            return
        raise ConnectException(f"Cannot delete consumer group {group!r}: {exc.args[0].str()}") from None
