"""Random Connect schemas and values, as the JSON envelopes JsonConverter reads (``{"schema":…,"payload":…}``).

Every primitive type, Decimal (payload as base64 bytes or as a number), Date/Time/Timestamp, arrays, maps
with string and non-string keys, nested structs, optional fields, defaults and nulls; schemaless payloads
of any JSON (integers past 64 bits, doubles past their range, deep nesting). Strings hold the characters
Jackson writes in its own ways (escapes, surrogates, lone surrogates, U+2028). Numbers are written in the
many ways JSON allows (``1e5``, ``1.0E5``, ``-0.0``, ``100.00``), since the reader must take them all.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

DECIMAL = "org.apache.kafka.connect.data.Decimal"
DATE = "org.apache.kafka.connect.data.Date"
TIME = "org.apache.kafka.connect.data.Time"
TIMESTAMP = "org.apache.kafka.connect.data.Timestamp"

PRIMITIVES = ["int8", "int16", "int32", "int64", "float", "double", "boolean", "string", "bytes"]
LOGICAL = [DECIMAL, DATE, TIME, TIMESTAMP]

STRING_PIECES = ["a", "id", "x y", "é", "中", "\U0001F600", "\ud800", "\udfff", "\x00", "\x1f", "\x7f", "\u2028",
                 "\ufeff", '"', "\\", "/", "\n", "\t", "\u0085", "", "0", "true", "null", "Q", "{}", "[1]"]
FIELD_NAMES = ["id", "name", "amount", "ts", "when", "tags", "a", "b", "c", "nested", "n", "Key", "é", "x.y",
               "_", "value", "payload", "schema", "0", "ff", "emoji\U0001F600"]


class Raw:
    """JSON text to put in an envelope as it is (a number written one particular way)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def dumps(value: Any) -> str:
    """JSON text of ``value`` with :class:`Raw` numbers as given; strings escaped in ASCII, so lone
    surrogates survive (as ``\\ud800``)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dumps(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


#: Documented differences the generator avoids when False (``documented(False)``): lone surrogates in
#: object keys (Jackson cannot read them, we can) and dates outside years 1-9999 (we refuse them).
_DOCUMENTED = [True]


class documented:  # noqa: N801 - used as a context manager, like contextlib's
    """``with documented(False):`` generates no case of a documented difference."""

    def __init__(self, allowed: bool) -> None:
        self.allowed = allowed

    def __enter__(self) -> None:
        _DOCUMENTED.append(self.allowed)

    def __exit__(self, *exc: object) -> None:
        _DOCUMENTED.pop()


def random_string(rnd: random.Random, max_pieces: int = 5, key: bool = False) -> str:
    text = "".join(rnd.choice(STRING_PIECES) for _ in range(rnd.randint(0, max_pieces)))
    if key and not _DOCUMENTED[-1]:
        text = text.replace("\ud800", "?").replace("\udfff", "?")
    return text


def int_text(rnd: random.Random, bits: int) -> Raw:
    half = 1 << (bits - 1)
    roll = rnd.random()
    if roll < 0.15:
        n = rnd.choice((half - 1, -half, 0, -1, 1))
    elif roll < 0.2:  # out of range for the type: Jackson's intValue()/longValue() wraps or truncates
        n = rnd.choice((half, -half - 1, 1 << 64, -(1 << 70), half * 3))
    else:
        n = rnd.randint(-half, half - 1) >> rnd.randint(0, bits - 1)
    text = str(n)
    if rnd.random() < 0.05:
        text += rnd.choice((".0", "e0", ".5", "E2"))  # a decimal written where an integer is expected
    return Raw(text)


def double_text(rnd: random.Random, single: bool = False) -> Raw:
    roll = rnd.random()
    if roll < 0.1:
        return Raw(rnd.choice(("0", "0.0", "-0.0", "1", "-1", "1e0", "1E+2", "1.5e-3", "100.00", "2")))
    if roll < 0.5:
        mantissa = str(rnd.randint(1, 10 ** rnd.randint(1, 17)))
        exponent = rnd.randint(-330 if not single else -50, 310 if not single else 40)
        return Raw(f"{'-' if rnd.random() < 0.3 else ''}{mantissa}e{exponent}")
    if roll < 0.8:
        return Raw(repr(rnd.uniform(-1e7, 1e7) / 10 ** rnd.randint(0, 10)))
    if roll < 0.9:
        return Raw(repr(float(rnd.randint(-(2**63), 2**63))))
    return Raw(f"{rnd.randint(1, 999)}.{rnd.randint(0, 10**9)}e{rnd.randint(-20, 20)}")


def random_schema(rnd: random.Random, depth: int = 0) -> dict[str, Any]:
    """A schema in JsonConverter's JSON form."""
    roll = rnd.random()
    if depth < 3 and roll < 0.22:
        fields = []
        for name in rnd.sample(FIELD_NAMES, rnd.randint(0, 5)):
            fields.append({"field": name, **random_schema(rnd, depth + 1)})
        schema: dict[str, Any] = {"type": "struct", "fields": fields}
    elif depth < 3 and roll < 0.32:
        schema = {"type": "array", "items": random_schema(rnd, depth + 1)}
    elif depth < 3 and roll < 0.42:
        keys = {"type": "string"} if rnd.random() < 0.6 else random_schema(rnd, 3)
        while keys["type"] == "bytes" and keys.get("name") != DECIMAL:
            keys = random_schema(rnd, 3)  # a byte[] key hashes by identity: Kafka's order is random
        schema = {"type": "map", "keys": keys, "values": random_schema(rnd, depth + 1)}
    elif roll < 0.55:
        logical = rnd.choice(LOGICAL)
        if logical == DECIMAL:
            schema = {"type": "bytes", "name": DECIMAL, "version": 1,
                      "parameters": {"scale": str(rnd.randint(-3, 12))}}
            if rnd.random() < 0.3:
                schema["parameters"]["connect.decimal.precision"] = str(rnd.randint(1, 30))
        else:
            schema = {"type": "int32" if logical in (DATE, TIME) else "int64", "name": logical, "version": 1}
    else:
        schema = {"type": rnd.choice(PRIMITIVES)}
    if rnd.random() < 0.4:
        schema["optional"] = True
    elif rnd.random() < 0.5:
        schema["optional"] = False
    if rnd.random() < 0.08 and "name" not in schema:
        schema["name"] = rnd.choice(("com.example.Thing", "x", random_string(rnd, 2)))
        if rnd.random() < 0.5:
            schema["version"] = rnd.randint(0, 5)
    if rnd.random() < 0.08:
        schema["doc"] = random_string(rnd, 3)
    if rnd.random() < 0.05 and "parameters" not in schema:
        schema["parameters"] = {random_string(rnd, 2, key=True): random_string(rnd, 2)}
    if rnd.random() < 0.15 and schema["type"] not in ("struct",):
        default = random_payload(rnd, schema, allow_null=False)
        schema["default"] = default
    return schema


def random_payload(rnd: random.Random, schema: dict[str, Any] | None, allow_null: bool = True) -> Any:
    """A payload for ``schema`` (a schemaless JSON value for None); now and then a null or a mismatch."""
    if schema is None:
        return random_json(rnd)
    if allow_null and rnd.random() < (0.25 if schema.get("optional") or "default" in schema else 0.02):
        return None
    if rnd.random() < 0.01:
        return random_json(rnd, 1)  # the wrong kind of value: both sides must refuse it alike
    kind, name = schema["type"], schema.get("name")
    if name == DECIMAL:
        scale = int(schema["parameters"]["scale"])
        unscaled = rnd.randint(-(10 ** rnd.randint(0, 25)), 10 ** rnd.randint(0, 25))
        if rnd.random() < 0.6:
            length = max(1, (unscaled.bit_length() + 8) // 8)
            return base64.b64encode(unscaled.to_bytes(length, "big", signed=True)).decode()
        text = str(unscaled)
        if scale > 0:
            text = text.rjust(scale + 1 + (text[0] == "-"), "0")
            text = text[:-scale] + "." + text[-scale:]
        return Raw(text)
    # Dates outside years 1-9999 only now and then: pyconnect-flow refuses them (Python's datetime range)
    wide = rnd.random() < 0.03 and _DOCUMENTED[-1]
    if name == DATE:
        return Raw(str(rnd.randint(-(2**31), 2**31 - 1) if wide else rnd.randint(-719_162, 2_932_896)))
    if name == TIME:
        return Raw(str(rnd.randint(0, 86_399_999)))
    if name == TIMESTAMP:
        return Raw(str(rnd.randint(-(2**63), 2**63 - 1) if wide else rnd.randint(-62_135_596_800_000,
                                                                                  253_402_300_799_999)))
    if kind in ("int8", "int16", "int32", "int64"):
        return int_text(rnd, int(kind[3:]))
    if kind in ("float", "double"):
        if rnd.random() < 0.03:
            return rnd.choice(("NaN", "Infinity", "-Infinity"))  # Jackson writes these as strings
        return double_text(rnd, kind == "float")
    if kind == "boolean":
        return rnd.random() < 0.5
    if kind == "string":
        return random_string(rnd)
    if kind == "bytes":
        return base64.b64encode(rnd.randbytes(rnd.randint(0, 12))).decode()
    if kind == "array":
        return [random_payload(rnd, schema["items"]) for _ in range(rnd.randint(0, 4))]
    if kind == "map":
        entries = [(random_payload(rnd, schema["keys"], allow_null=False), random_payload(rnd, schema["values"]))
                   for _ in range(rnd.randint(0, 4))]
        if schema["keys"]["type"] == "string":
            return {(k if isinstance(k, str) else dumps(k)) if _DOCUMENTED[-1] else random_string(rnd, 3, key=True): v
                    for k, v in entries}
        return [[k, v] for k, v in entries]
    if kind == "struct":
        return {f["field"]: random_payload(rnd, f) for f in schema["fields"] if rnd.random() < 0.95}
    raise AssertionError(kind)


def random_json(rnd: random.Random, depth: int = 0) -> Any:
    """Any JSON value, as a schemaless payload."""
    roll = rnd.random()
    if depth < 4 and roll < 0.25:
        return {rnd.choice(FIELD_NAMES) + (random_string(rnd, 1, key=True) if rnd.random() < 0.3 else ""):
                random_json(rnd, depth + 1) for _ in range(rnd.randint(0, 6))}
    if depth < 4 and roll < 0.4:
        return [random_json(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
    if roll < 0.55:
        return int_text(rnd, 64)
    if roll < 0.7:
        return double_text(rnd)
    if roll < 0.8:
        return rnd.choice((True, False, None))
    return random_string(rnd)


def random_envelope(rnd: random.Random) -> tuple[str, bool]:
    """A JsonConverter envelope (JSON text) and whether it has a schema."""
    if rnd.random() < 0.25:
        return '{"schema":null,"payload":' + dumps(random_json(rnd)) + "}", False
    schema = random_schema(rnd)
    return '{"schema":' + dumps(schema) + ',"payload":' + dumps(random_payload(rnd, schema)) + "}", True
