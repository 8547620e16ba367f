"""Generated JsonConverter envelopes for the JDBC sink's columnar path against its record path.

Struct keys `{id}` (each id in one partition, repeated across batches), flat struct values of every plain
type with optional fields set and null, strings that need COPY escapes, floats that single precision rounds,
a schema change mid-stream (a wider value schema from `WIDER_FROM` on), then from `DIRTY_FROM` on tombstones
and poison values: not JSON (the converter fails), and a NUL character in a string (PostgreSQL refuses it:
the sink reports it), each on an id of its own so that which rows collapse with it does not depend on how
batches are chunked. The messages before `DIRTY_FROM` decode into columns (the columnar path), batches with
a tombstone or a poison value do not (the record path).
"""

from __future__ import annotations

import json
from typing import Any

PARTITIONS = 2
MESSAGES = 5000
IDS = 400  # ids repeat: the same key in many batches
WIDER_FROM = 2400
DIRTY_FROM = 3600

KEY = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int64", "optional": False}]}
FIELDS = [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "i8", "type": "int8", "optional": True},
    {"field": "i16", "type": "int16", "optional": False},
    {"field": "i32", "type": "int32", "optional": True},
    {"field": "f32", "type": "float", "optional": True},
    {"field": "f64", "type": "double", "optional": True},
    {"field": "flag", "type": "boolean", "optional": True},
    {"field": "text", "type": "string", "optional": True},
]
NARROW = {"type": "struct", "name": "com.example.Row", "optional": False, "fields": FIELDS}
WIDER = {"type": "struct", "name": "com.example.Row", "optional": False,
         "fields": [*FIELDS, {"field": "note", "type": "string", "optional": True}]}
TEXTS = ["plain", "tab\there", "new\nline", "cr\rhere", "back\\slash", "\\.", "\\N", "quote \" ' é \U0001f600", ""]


def _envelope(schema: Any, payload: Any) -> bytes:
    return json.dumps({"schema": schema, "payload": payload}, separators=(",", ":")).encode()


def poison(i: int) -> str | None:
    """What is wrong with message i, if anything."""
    if i < DIRTY_FROM:
        return None
    if i % 173 == 91:
        return "not json"
    if i % 211 == 47:
        return "nul"
    return None


def row_id(i: int) -> int:
    # ids keep their partition (i % 2 == id % 2); a poison message's id is its own
    return 100_000 + i if poison(i) else i % IDS


def value(i: int) -> dict[str, Any]:
    null = i % 9 == 4
    payload: dict[str, Any] = {
        "id": row_id(i), "i8": None if null else i % 250 - 125, "i16": i % 30000 - 15000,
        "i32": None if null else -i * 7919, "f32": None if null else i / 3 + 0.1, "f64": None if null else i * 1.1 + 1e-9,
        "flag": None if null else i % 2 == 0, "text": None if null else f"{TEXTS[i % len(TEXTS)]}-{i}",
    }
    if poison(i) == "nul":
        payload["text"] = f"bad\u0000{i}"
    if i >= WIDER_FROM:
        payload["note"] = None if i % 4 == 0 else f"n{i}"
    return payload


def message(i: int) -> dict[str, Any]:
    """Message i (see the module docstring)."""
    key = _envelope(KEY, {"id": row_id(i)})
    data: bytes | None
    if poison(i) == "not json":
        data = b"{not json"
    elif i >= DIRTY_FROM and i % 37 == 5:
        data = None  # a tombstone: deletes the id
    else:
        data = _envelope(WIDER if i >= WIDER_FROM else NARROW, value(i))
    return {"key": key, "value": data, "partition": i % PARTITIONS}


def messages() -> list[dict[str, Any]]:
    return [message(i) for i in range(MESSAGES)]


def poison_count() -> int:
    return sum(1 for i in range(MESSAGES) if poison(i))
