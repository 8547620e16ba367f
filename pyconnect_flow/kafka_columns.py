"""Columnar batches of Kafka messages: one topic-partition's read, kept as columns instead of records.

A Kafka source reads thousands of messages per batch. Building a `Record` per message (and a second one
when the value is decoded) costs more than the rest of a simple pipeline, so a Kafka reader may hand over
`KafkaColumns` (the message fields as parallel lists) and the decode stage may turn them into
`DecodedColumns` (the converters' results beside them). Sinks that accept columns
(`RecordSink.accepts_columns`) read the lists directly; every other stage or sink calls `records()` and gets
exactly the records the record path builds (the raw ones from `KafkaColumns`, the decoded ones from
`DecodedColumns`, whose `originals()` are the raw ones, for dead letters).
"""

from __future__ import annotations

from typing import Any

from pyconnect_flow.converters.json_columns import FlatColumns
from pyconnect_flow.record import Record, new_record

SchemaAndValue = tuple[Any, Any]


def _header_tuple(headers: Any) -> tuple[tuple[str, Any], ...]:
    return tuple(headers) if headers else ()


class KafkaColumns:
    """The messages of one read of one topic-partition: `offsets[i]`, `keys[i]`, `values[i]` (bytes or None),
    `timestamps[i]` (epoch ms or None) and `headers[i]` (librdkafka's list of pairs, or None)."""

    __slots__ = ("topic", "partition", "offsets", "keys", "values", "timestamps", "headers")

    def __init__(self, topic: str, partition: int, offsets: list[int], keys: list[bytes | None],
                 values: list[bytes | None], timestamps: list[int | None], headers: list[Any]) -> None:
        self.topic = topic
        self.partition = partition
        self.offsets = offsets
        self.keys = keys
        self.values = values
        self.timestamps = timestamps
        self.headers = headers

    def __len__(self) -> int:
        return len(self.offsets)

    def has_headers(self) -> bool:
        """True when any message carries headers."""
        return any(self.headers)

    def records(self) -> list[Record]:
        """The raw records (bytes), as `KafkaReader` builds them on the record path."""
        topic, partition = self.topic, self.partition
        return [new_record((topic, k, v, partition, o, None, None, _header_tuple(h), ts, None, None))
                for o, k, v, ts, h in zip(self.offsets, self.keys, self.values, self.timestamps, self.headers)]

    def take(self, rows: list[int]) -> KafkaColumns:
        """Messages `rows` (ascending indices) alone, every column cut alike (a columnar Filter's result)."""
        return KafkaColumns(self.topic, self.partition, list(map(self.offsets.__getitem__, rows)),
                            list(map(self.keys.__getitem__, rows)), list(map(self.values.__getitem__, rows)),
                            list(map(self.timestamps.__getitem__, rows)), list(map(self.headers.__getitem__, rows)))


class DecodedColumns:
    """`raw` decoded: `keys[i]` and `values[i]` are the converters' (schema, value) pairs of message i.

    `flat`, when the value converter gave its values as columns (`JsonConverter.to_connect_columns`):
    the field columns of one flat struct schema; `values` is then built from it only when asked for.
    `key_flat`, the same for the keys (struct keys of one flat schema): `keys` is then built from it only
    when asked for."""

    __slots__ = ("raw", "_keys", "key_flat", "_values", "flat", "_topic")

    def __init__(self, raw: KafkaColumns, keys: list[SchemaAndValue] | None, values: list[SchemaAndValue] | None,
                 flat: FlatColumns | None = None, topic: str | None = None,
                 key_flat: FlatColumns | None = None) -> None:
        self.raw = raw
        self._keys = keys
        self.key_flat = key_flat
        self._values = values
        self.flat = flat
        self._topic = topic

    @property
    def topic(self) -> str:
        """The messages' topic now: the one they were read from, unless a router changed it."""
        return self._topic if self._topic is not None else self.raw.topic

    @property
    def keys(self) -> list[SchemaAndValue]:
        """The (schema, key) pair of each message."""
        if self._keys is None:
            assert self.key_flat is not None
            self._keys = self.key_flat.values()
        return self._keys

    @property
    def values(self) -> list[SchemaAndValue]:
        """The (schema, value) pair of each message."""
        if self._values is None:
            assert self.flat is not None
            self._values = self.flat.values()
        return self._values

    def __len__(self) -> int:
        return len(self.raw)

    def value_columns(self) -> tuple[list[Any], list[Any]]:
        """The value schemas and the values, as two lists."""
        if not self.values:
            return [], []
        schemas, values = zip(*self.values)
        return list(schemas), list(values)

    def record(self, i: int) -> Record:
        """Decoded record i alone (its key and value built from the columns when they are flat)."""
        raw = self.raw
        if self._values is not None or self.flat is None:
            vs, vv = self.values[i]
        else:
            vs, vv = self.flat.schema, self.flat.value(i)
        if self._keys is not None or self.key_flat is None:
            ks, kv = self.keys[i]
        else:
            ks, kv = self.key_flat.schema, self.key_flat.value(i)
        return new_record((self.topic, kv, vv, raw.partition, raw.offsets[i], ks, vs, _header_tuple(raw.headers[i]),
                           raw.timestamps[i], None, None))

    def with_flat(self, flat: FlatColumns) -> DecodedColumns:
        """The same messages with these values instead (a columnar transform's result)."""
        return DecodedColumns(self.raw, self._keys, None, flat, self._topic, self.key_flat)

    def with_topic(self, topic: str) -> DecodedColumns:
        """The same messages routed to `topic` (a columnar router's result)."""
        return DecodedColumns(self.raw, self._keys, self._values, self.flat, topic, self.key_flat)

    def records(self) -> list[Record]:
        """The decoded records, as the decode stage builds them on the record path."""
        raw = self.raw
        topic, partition = self.topic, raw.partition
        return [new_record((topic, kv, vv, partition, o, ks, vs, _header_tuple(h), ts, None, None))
                for o, (ks, kv), (vs, vv), ts, h in zip(raw.offsets, self.keys, self.values, raw.timestamps,
                                                         raw.headers)]

    def originals(self) -> list[Record]:
        """The records as read from Kafka, one per decoded record (for dead letters)."""
        return self.raw.records()

    def take(self, rows: list[int]) -> DecodedColumns:
        """Messages `rows` (ascending indices) alone, with their raw messages, keys, values or field columns
        (a columnar Filter's result)."""
        values = None if self._values is None else list(map(self._values.__getitem__, rows))
        flat = None if self.flat is None else self.flat.take(rows)
        return DecodedColumns(self.raw.take(rows), list(map(self.keys.__getitem__, rows)), values, flat, self._topic)
