"""Generated JsonConverter envelopes for the tests of the columnar path against the record path.

Every Connect type (a struct with logical, nested, array and map fields, and a flat struct of the plain
types), optional fields set and null, tombstones, a schema change in the middle of a batch, headers, null and
non-null keys, and poison values (not JSON; an unknown schema type) from message `POISON_FROM` on, so the
first batches are clean and take the columnar path.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.integration.kafka_helpers import produce

PARTITIONS = 2
MESSAGES = 1200
POISON_FROM = 700  # the first batches are clean (they take the columnar path), later ones are not

DECIMAL = {"type": "bytes", "optional": True, "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
           "parameters": {"scale": "2"}}
SCHEMA_A = {"type": "struct", "name": "com.example.All", "optional": False, "fields": [
    {"field": "i8", "type": "int8", "optional": False},
    {"field": "i16", "type": "int16", "optional": True},
    {"field": "i32", "type": "int32", "optional": False},
    {"field": "i64", "type": "int64", "optional": True},
    {"field": "f32", "type": "float", "optional": True},
    {"field": "f64", "type": "double", "optional": False},
    {"field": "flag", "type": "boolean", "optional": True},
    {"field": "text", "type": "string", "optional": True},
    {"field": "blob", "type": "bytes", "optional": True},
    {"field": "price", **DECIMAL},
    {"field": "day", "type": "int32", "optional": True, "name": "org.apache.kafka.connect.data.Date", "version": 1},
    {"field": "clock", "type": "int32", "optional": True, "name": "org.apache.kafka.connect.data.Time",
     "version": 1},
    {"field": "at", "type": "int64", "optional": True, "name": "org.apache.kafka.connect.data.Timestamp",
     "version": 1},
    {"field": "tags", "type": "array", "items": {"type": "string", "optional": True}, "optional": True},
    {"field": "counts", "type": "map", "keys": {"type": "string", "optional": False},
     "values": {"type": "int64", "optional": True}, "optional": True},
    {"field": "inner", "type": "struct", "optional": True, "fields": [
        {"field": "a", "type": "int32", "optional": True}, {"field": "b", "type": "string", "optional": True}]},
]}
SCHEMA_B = {"type": "struct", "name": "com.example.Other", "optional": True, "fields": [
    {"field": "id", "type": "int64", "optional": False}, {"field": "note", "type": "string", "optional": True}]}

SCHEMA_C = {"type": "struct", "name": "com.example.Flat", "optional": False, "fields": [
    {"field": "i8", "type": "int8", "optional": False},
    {"field": "i16", "type": "int16", "optional": True},
    {"field": "i32", "type": "int32", "optional": True},
    {"field": "i64", "type": "int64", "optional": False},
    {"field": "f32", "type": "float", "optional": True},
    {"field": "f64", "type": "double", "optional": True},
    {"field": "flag", "type": "boolean", "optional": True},
    {"field": "text", "type": "string", "optional": True}]}
"""A flat schema: its batches decode into field columns without a Struct per value."""


def _value_c(i: int) -> dict[str, Any]:
    null = i % 6 == 0
    return {"i8": i % 200 - 100, "i16": None if null else i, "i32": None if null else -i * 1000, "i64": i * 10**14,
            "f32": None if null else i / 16 + 0.5, "f64": None if null else i * 1e5 + 0.5,
            "flag": None if null else i % 2 == 1, "text": None if null else f"c\u00e9-{i} \"q\" \U0001f600"}


def flat_message(i: int) -> dict[str, Any]:
    # Compact envelopes (as Kafka Connect writes them): the same-schema batch reader takes those.
    envelope = {"schema": SCHEMA_C, "payload": _value_c(i)}
    return {"key": None, "value": json.dumps(envelope, separators=(",", ":")).encode(),
            "partition": i % PARTITIONS}


def _value_a(i: int) -> dict[str, Any]:
    null = i % 7 == 0  # every optional field null
    return {
        "i8": (i % 256) - 128, "i16": None if null else -i, "i32": i * 1000, "i64": None if null else i * 10**12,
        "f32": None if null else i / 8, "f64": i * 0.1 + 1e-7 * (i % 3), "flag": None if null else i % 2 == 0,
        "text": None if null else f"t\u00e9xt-{i}\t\"quoted\" \U0001f600",
        "blob": None if null else base64.b64encode(bytes([i % 256, 0, 255])).decode(),
        "price": None if null else base64.b64encode((i * 12345).to_bytes(4, "big", signed=True)).decode(),
        "day": None if null else 19000 + i, "clock": None if null else i * 1000,
        "at": None if null else 1_714_570_200_000 + i,
        "tags": None if null else ["x", None, str(i)], "counts": None if null else {"k": i, "n": None},
        "inner": None if null else {"a": i, "b": None},
    }


def poison(i: int) -> bool:
    return i >= POISON_FROM and (i % 97 == 13 or i % 89 == 17)


def message(i: int, with_poison: bool = True) -> dict[str, Any]:
    """Message i: mostly schema A, a run of schema B mid-batch, tombstones, poison values."""
    key: bytes | None = None if i % 3 == 0 else json.dumps({"schema": {"type": "string", "optional": False},
                                                           "payload": f"k{i}"}).encode()
    headers = [("trace", f"h{i}".encode())] if i % 5 == 0 else None
    value: bytes | None
    if with_poison and poison(i) and i % 97 == 13:
        value = b"{not json"  # poison: not JSON at all
    elif with_poison and poison(i):  # poison: an unknown schema type
        value = json.dumps({"schema": {"type": "int128", "optional": False}, "payload": i}).encode()
    elif i % 11 == 0:
        value = None  # tombstone
    elif 200 <= i % 300 < 240:
        value = json.dumps({"schema": SCHEMA_B, "payload": None if i % 4 == 0 else {"id": i, "note": f"n{i}"}}).encode()
    else:
        value = json.dumps({"schema": SCHEMA_A, "payload": _value_a(i)}).encode()
    return {"key": key, "value": value, "headers": headers, "partition": i % PARTITIONS}


def fill(kafka: Any, topic: str) -> None:
    """`topic` with poison values, `topic`-clean with none (its batches always take the columnar path)."""
    kafka.create_topic(topic, partitions=PARTITIONS)
    produce(kafka.bootstrap_servers, topic, [message(i) for i in range(MESSAGES)])
    kafka.create_topic(f"{topic}-clean", partitions=PARTITIONS)
    produce(kafka.bootstrap_servers, f"{topic}-clean", [message(i, with_poison=False) for i in range(MESSAGES)])
    kafka.create_topic(f"{topic}-flat", partitions=PARTITIONS)
    produce(kafka.bootstrap_servers, f"{topic}-flat", [flat_message(i) for i in range(MESSAGES)])


def poison_count() -> int:
    return sum(map(poison, range(MESSAGES)))
