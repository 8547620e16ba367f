"""`Record`: one message on its way from a source to a sink.

A record is immutable and cheap to copy with changes (`record.replace(value=...)`).
It is a `NamedTuple`, so it pickles compactly when Bytewax moves it between
processes. Fields follow Kafka Connect's `ConnectRecord`/`SourceRecord`/`SinkRecord`:

- `topic`, `partition` (Kafka partition, None = let the producer choose), `offset` (Kafka offset, sinks);
- `key`/`value` with their Connect schemas (`key_schema`/`value_schema`, None = schemaless);
  before decoding and after encoding they hold raw `bytes`;
- `headers`: a tuple of `(name, value)` pairs, names repeatable, order kept; a `SchemaHeader` pair
  also carries the Connect schema Kafka attaches to the header (`HeaderFrom` sets the field's schema);
- `timestamp`: epoch milliseconds or None;
- `source_partition`/`source_offset`: where a source connector read the record
  (for example `{"filename": ...}` and `{"position": 1234}`).

Records are built here and nowhere else:

- `Record(topic, key=..., value=...)` and `record.replace(**changes)`: by field name, for code that runs once
  per batch or less (and for users);
- `new_record(fields)`: from a complete tuple of the fields, for loops over many records;
- `with_topic`, `with_headers`, `with_key`, `with_value`, `with_part`, `with_data`: a copy with some fields
  changed, for the per-record paths (SMTs, the stages). `NamedTuple._replace` costs about 2 µs (keyword dict,
  `map`, `_make`); these build the tuple directly in a few hundred ns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from types import MethodType
from typing import Any, NamedTuple

Header = tuple[str, Any]


class SchemaHeader(tuple[str, Any]):
    """A `(name, value)` header pair that also carries its Connect schema (None: a null schema).

    It unpacks, indexes and compares as the plain pair, so code that only reads names and values is
    unchanged; header converters give `schema` to the converter as Kafka's `fromConnectHeader` does
    (a plain pair's schema is inferred from its value, see `converters.headers.header_schema`).

    Example::

        h = SchemaHeader("h0", None, OPTIONAL_INT32_SCHEMA)
        name, value = h  # ("h0", None)
    """

    schema: Any

    def __new__(cls, name: str, value: Any, schema: Any) -> SchemaHeader:
        self = super().__new__(cls, (name, value))
        self.schema = schema
        return self

    def __reduce__(self) -> tuple[type[SchemaHeader], tuple[str, Any, Any]]:
        return SchemaHeader, (self[0], self[1], self.schema)

    def __repr__(self) -> str:
        return f"SchemaHeader({self[0]!r}, {self[1]!r}, {self.schema!r})"


class Record(NamedTuple):
    """One message: key, value, their schemas, headers and where it came from."""

    topic: str
    key: Any = None
    value: Any = None
    partition: int | None = None
    offset: int | None = None
    key_schema: Any = None
    value_schema: Any = None
    headers: Sequence[Header] = ()
    timestamp: int | None = None
    source_partition: Mapping[str, Any] | None = None
    source_offset: Mapping[str, Any] | None = None

    def replace(self, **changes: Any) -> Record:
        """A copy with the given fields changed."""
        return self._replace(**changes)

    def header(self, name: str) -> Any:
        """The value of the last header called `name`, or None."""
        for key, value in reversed(tuple(self.headers)):
            if key == name:
                return value
        return None

    def coordinates(self) -> str:
        """`topic/partition/offset` (or the source position) for error messages."""
        if self.offset is not None:
            return f"topic={self.topic!r} partition={self.partition} offset={self.offset}"
        if self.source_offset is not None:
            return f"topic={self.topic!r} source partition={dict(self.source_partition or {})} source offset={dict(self.source_offset)}"
        return f"topic={self.topic!r} partition={self.partition}"


Headers = tuple[Header, ...]

_new = tuple.__new__

# A bound method, not a `partial`: calling it costs what `tuple.__new__(Record, fields)` costs (~30 ns less).
new_record: Callable[[tuple[Any, ...]], Record] = MethodType(_new, Record)
"""`new_record((topic, key, value, partition, offset, key_schema, value_schema, headers, timestamp,
source_partition, source_offset))`: a Record from a complete tuple of its fields, without the
per-call overhead of the keyword constructor (for hot loops)."""


key_part: Callable[[Record], tuple[Any, Any]] = itemgetter(1, 5)
"""`(key, key_schema)` of a record (one C call)."""

value_part: Callable[[Record], tuple[Any, Any]] = itemgetter(2, 6)
"""`(value, value_schema)` of a record (one C call)."""


def with_topic(record: Record, topic: str) -> Record:
    """`record` with another topic."""
    return _new(Record, (topic,) + record[1:])


def with_headers(record: Record, headers: Sequence[Header]) -> Record:
    """`record` with other headers."""
    r = record
    return _new(Record, (r[0], r[1], r[2], r[3], r[4], r[5], r[6], headers, r[8], r[9], r[10]))


def with_key(record: Record, key: Any, key_schema: Any) -> Record:
    """`record` with another key and key schema."""
    r = record
    return _new(Record, (r[0], key, r[2], r[3], r[4], key_schema, r[6], r[7], r[8], r[9], r[10]))


def with_value(record: Record, value: Any, value_schema: Any) -> Record:
    """`record` with another value and value schema."""
    r = record
    return _new(Record, (r[0], r[1], value, r[3], r[4], r[5], value_schema, r[7], r[8], r[9], r[10]))


def with_part(record: Record, is_key: bool, data: Any, schema: Any, headers: Sequence[Header] | None = None) -> Record:
    """`record` with its key (`is_key`) or its value, and that part's schema, replaced (and its headers, if given)."""
    r = record
    h = r[7] if headers is None else headers
    if is_key:
        return _new(Record, (r[0], data, r[2], r[3], r[4], schema, r[6], h, r[8], r[9], r[10]))
    return _new(Record, (r[0], r[1], data, r[3], r[4], r[5], schema, h, r[8], r[9], r[10]))


def with_data(record: Record, key: Any, value: Any, key_schema: Any, value_schema: Any) -> Record:
    """`record` with another key and value and their schemas (what converters change)."""
    r = record
    return _new(Record, (r[0], key, value, r[3], r[4], key_schema, value_schema, r[7], r[8], r[9], r[10]))


__all__ = ["Header", "Headers", "Record", "SchemaHeader", "key_part", "new_record", "value_part", "with_data", "with_headers",
           "with_key", "with_part", "with_topic", "with_value"]
