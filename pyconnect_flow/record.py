"""`Record`: one message on its way from a source to a sink.

A record is immutable and cheap to copy with changes (`record.replace(value=...)`).
It is a `NamedTuple`, so it pickles compactly when Bytewax moves it between
processes. Fields follow Kafka Connect's `ConnectRecord`/`SourceRecord`/`SinkRecord`:

- `topic`, `partition` (Kafka partition, None = let the producer choose), `offset` (Kafka offset, sinks);
- `key`/`value` with their Connect schemas (`key_schema`/`value_schema`, None = schemaless);
  before decoding and after encoding they hold raw `bytes`;
- `headers`: a tuple of `(name, value)` pairs, names repeatable, order kept;
- `timestamp`: epoch milliseconds or None;
- `source_partition`/`source_offset`: where a source connector read the record
  (for example `{"filename": ...}` and `{"position": 1234}`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple

Header = tuple[str, Any]


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


new_record = partial(tuple.__new__, Record)
"""`new_record((topic, key, value, partition, offset, key_schema, value_schema, headers, timestamp,
source_partition, source_offset))`: a Record from a complete tuple of its fields, without the
per-call overhead of the keyword constructor (for hot loops)."""
