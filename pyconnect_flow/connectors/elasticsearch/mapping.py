"""Elasticsearch index mappings from Connect schemas, as Confluent's `Mapping.buildMapping`.

    build_mapping(schema)  # {"properties": {"id": {"type": "long"}, "name": {"type": "text", ...}}}

Types: BOOLEAN boolean, INT8 byte, INT16 short, INT32 integer, INT64 long, FLOAT32 float,
FLOAT64 double, STRING text (+ a `keyword` sub-field, ignore_above 256), BYTES binary,
Decimal double, Date/Time/Timestamp date, ARRAY its element's mapping, STRUCT `properties`,
MAP `properties` {key, value} (whatever compact.map.entries says, as Confluent). A schema
default becomes `null_value` (not for text and binary, which Elasticsearch does not allow).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from pyconnect_flow.data import logical
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.schema import Schema, Type

_ES_TYPES = {
    Type.BOOLEAN: "boolean", Type.INT8: "byte", Type.INT16: "short", Type.INT32: "integer", Type.INT64: "long",
    Type.FLOAT32: "float", Type.FLOAT64: "double", Type.STRING: "text", Type.BYTES: "binary",
}
_DATE_NAMES = (logical.DATE_NAME, logical.TIME_NAME, logical.TIMESTAMP_NAME)


def build_mapping(schema: Schema | None) -> dict[str, Any]:
    """The mapping body (`PUT <index>/_mapping`) for values of `schema`."""
    if schema is None:
        raise DataException("Cannot infer mapping without schema.")
    if schema.name in _DATE_NAMES:
        return _primitive("date", _date_millis(schema.default))
    if schema.name == logical.DECIMAL_NAME:
        default = schema.default
        return _primitive("double", float(default) if isinstance(default, decimal.Decimal) else default)
    t = schema.type
    if t is Type.ARRAY:
        return build_mapping(schema.value_schema)
    if t is Type.MAP:
        return {"properties": {"key": build_mapping(schema.key_schema), "value": build_mapping(schema.value_schema)}}
    if t is Type.STRUCT:
        return {"properties": {f.name: build_mapping(f.schema) for f in schema.fields or ()}}
    return _primitive(_ES_TYPES[t], schema.default)


def _primitive(es_type: str, default: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": es_type}
    if es_type == "text":
        out["fields"] = {"keyword": {"type": "keyword", "ignore_above": 256}}
    if default is not None and es_type not in ("text", "binary"):
        out["null_value"] = default
    return out


def _date_millis(value: Any) -> int | None:
    """A Date/Time/Timestamp default as epoch milliseconds (Java's `Date.getTime()`)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return logical.timestamp_to_millis(value)
    if isinstance(value, dt.date):
        return logical.date_to_days(value) * logical.MILLIS_PER_DAY
    if isinstance(value, dt.time):
        return logical.time_to_millis(value)
    return int(value)


def is_empty_mapping(body: Any, index: str) -> bool:
    """Whether a `GET <index>/_mapping` answer holds no field mappings (Confluent's `hasMapping` false)."""
    if not isinstance(body, dict):
        return True
    entry = body.get(index)
    if entry is None and len(body) == 1:
        entry = next(iter(body.values()))  # an alias answers with the concrete index name
    return not (entry or {}).get("mappings")
