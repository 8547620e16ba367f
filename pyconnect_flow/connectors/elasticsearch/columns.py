"""Bulk actions straight from a batch of decoded Kafka columns (`kafka_columns.DecodedColumns`), no records.

`ColumnDocuments.items(columns)` gives the same `BulkItem` bytes `DocumentBuilder.build` gives for the
records `columns.records()` would build, computed column by column:

- ids: `topic+partition+offset` from the offsets (keys ignored), or the keys' ids with the offsets as
  external versions;
- bodies: for flat struct columns (`DecodedColumns.flat`), each field column through the field's own
  document encoder where it is not its own encoding, then one orjson call per row (Jackson's escapes by
  remaking the batch with `dumps` when any body needs them); otherwise the values through
  `DocumentBuilder.value_body`; each body is freed once its line is made;
- lines: one `%` format per item where the ids are `topic+partition+offset`, items and rows made in C.

A batch the columns cannot write as the record path would gives None, and the writer takes the record path
for it: a null value (tombstones: delete, ignore or fail), `external.version.header`, or any value or key
that does not convert (the record path reports it, drops it or fails, record by record).

Items keep a `ColumnRow` instead of a record: the record and the message as read from Kafka are built only
when Elasticsearch rejects the document (the writer then reports it, as on the record path).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from itertools import repeat
from typing import Any

import orjson

from pyconnect_flow.connectors.elasticsearch.documents import (
    BulkItem,
    DocumentBuilder,
    encode_schemaless_body,
    key_document_id,
)
from pyconnect_flow.converters.json_codec import _ASTRAL, dumps
from pyconnect_flow.data import java_numbers
from pyconnect_flow.data.schema import Schema, Type
from pyconnect_flow.kafka_columns import DecodedColumns
from pyconnect_flow.record import Record, new_record


class ColumnRow(tuple[DecodedColumns, int]):
    """Row `position` of a batch of decoded columns: builds its record (and the raw one) only when asked.

    A tuple (made in C, `rows`), so a batch's rows cost no Python call each."""

    __slots__ = ()

    @property
    def columns(self) -> DecodedColumns:
        return self[0]

    @property
    def position(self) -> int:
        """The row's index in the batch."""
        return self[1]

    def record(self) -> Record:
        """The decoded record, as `DecodedColumns.records()` builds it."""
        columns, i = self
        raw = columns.raw
        ks, kv = columns.keys[i]
        vs, vv = columns.values[i]
        headers = raw.headers[i]
        return new_record((columns.topic, kv, vv, raw.partition, raw.offsets[i], ks, vs,
                           tuple(headers) if headers else (), raw.timestamps[i], None, None))

    def original(self) -> Record:
        """The record as read from Kafka (for dead letters)."""
        raw, i = self[0].raw, self[1]
        headers = raw.headers[i]
        return new_record((raw.topic, raw.keys[i], raw.values[i], raw.partition, raw.offsets[i], None, None,
                           tuple(headers) if headers else (), raw.timestamps[i], None, None))

    def coordinates(self) -> str:
        raw = self[0].raw
        return f"topic={raw.topic!r} partition={raw.partition} offset={raw.offsets[self[1]]}"


def rows(columns: DecodedColumns) -> Iterator[ColumnRow]:
    """The rows of `columns`, in order."""
    return map(_new_row, zip(repeat(columns), range(len(columns))))


_new_row = partial(tuple.__new__, ColumnRow)
_new_item = partial(tuple.__new__, BulkItem)
_IDENTITY_KINDS = frozenset((Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.STRING, Type.BOOLEAN))


def plain_doubles(column: list[Any]) -> bool:
    """Whether a FLOAT64 column of floats (and nulls) is written by orjson as the document encoder writes it:
    Java's `Double.toString` is Python's repr for 1e-3 <= |x| < 1e7, and so is orjson's float."""
    if java_numbers.legacy_to_string:
        return False
    present = [x for x in column if x is not None]
    if not present:
        return True
    magnitudes = list(map(abs, present))
    return min(magnitudes) >= 1e-3 and max(magnitudes) < 1e7


class ColumnDocuments:
    """Bulk items of batches of columns, for one connector's `DocumentBuilder`."""

    def __init__(self, builder: DocumentBuilder) -> None:
        self.builder = builder
        self.settings = builder.settings
        self._fields: dict[int, tuple[Schema, list[tuple[Type, Any]]]] = {}

    def first_row(self, columns: DecodedColumns) -> ColumnRow:
        """The row whose record creates a missing index (the first one: a batch here has no null value)."""
        return _new_row((columns, 0))

    def writable(self, columns: DecodedColumns) -> bool:
        """Whether `items` may write this batch (no null value, no version header to read)."""
        settings = self.settings
        if settings.external_version_header and not settings.ignore_key(columns.topic):
            return False
        if columns.flat is not None:
            return True  # payloads of one flat struct schema: every value is an object
        return None not in columns.raw.values and all(v is not None for _, v in columns.values)

    def items(self, columns: DecodedColumns, index: str) -> list[BulkItem] | None:
        """The bulk items of a `writable` batch going to `index`; None when a key or value does not convert
        (the record path then reports it)."""
        settings = self.settings
        raw = columns.raw
        topic = columns.topic  # after any router
        try:
            ids: list[str] | list[None]
            versions: list[int] | list[None]
            if settings.ignore_key(topic):
                ids = [f"{topic}+{raw.partition}+{o}" for o in raw.offsets]
                versions = [None] * len(ids)
            else:
                ids = [key_document_id(kv, ks) for ks, kv in columns.keys]
                versions = raw.offsets
            trees = self._flat_trees(columns, topic)
            if trees is None:
                return self._assemble(columns, index, ids, versions, self._bodies(columns, topic))
            # Bodies made lazily (each freed once its line is made: a batch of kept bodies costs more in
            # allocations than serializing them), by orjson alone; Jackson's escapes, where a batch needs any,
            # by making the batch again with `dumps`.
            items = self._assemble(columns, index, ids, versions, map(orjson.dumps, trees))
            blob = b"".join([item[1] for item in items])
            if b"\\u00" in blob or (not blob.isascii() and _ASTRAL.search(blob) is not None):
                trees = self._flat_trees(columns, topic)
                assert trees is not None
                items = self._assemble(columns, index, ids, versions, map(dumps, trees))
            return items
        except Exception:  # noqa: BLE001 - the record path meets it again, record by record, and reports it
            return None

    def _assemble(self, columns: DecodedColumns, index: str, ids: list[str] | list[None],
                  versions: list[int] | list[None], bodies: Iterable[bytes]) -> list[BulkItem]:
        """The items of the rows of `columns` from their ids, versions and bodies, as `DocumentBuilder.build`
        makes them."""
        settings, builder = self.settings, self.builder
        raw = columns.raw
        head = builder.head(index)
        if settings.upsert:
            update = builder.update_item
            return [update(row, head, doc_id, body) for row, doc_id, body in zip(rows(columns), ids, bodies)]  # type: ignore[arg-type]
        if settings.autogenerated_ids:
            line = b'{"index":' + head + b"}}\n%s\n"
            data = [line % body for body in bodies]
            return list(map(_new_item, zip(rows(columns), data, repeat("index"), repeat(None), repeat(False))))
        topic = columns.topic  # after any router
        if versions[0] is None and topic.isascii() and topic.isprintable() and '"' not in topic and "\\" not in topic:
            # topic+partition+offset ids whose JSON is the prefix's and the offset's digits, one `%` each.
            prefix = orjson.dumps(f"{topic}+{raw.partition}+")[:-1]
            line = b'{"index":' + head + b',"_id":' + prefix + b'%d"}}\n%s\n'
            data = [line % ob for ob in zip(raw.offsets, bodies)]
            return list(map(_new_item, zip(rows(columns), data, repeat("index"), ids, repeat(False))))
        index_item = builder.index_item
        return [index_item(row, head, doc_id, body, version)
                for row, doc_id, body, version in zip(rows(columns), ids, bodies, versions)]

    def _flat_trees(self, columns: DecodedColumns, topic: str) -> Iterator[dict[str, Any]] | None:
        """The document trees of flat struct columns (schema not ignored), made lazily; None otherwise.

        Each field column goes through its own encoder (the struct encoder's, as a Struct's fields would go);
        columns the encoder gives back as they are skip it (ints in range, strings, booleans:
        `column_is_plain` checked them; doubles orjson writes as Java does). One object per row, in the
        schema's field order."""
        flat = columns.flat
        if flat is None or self.settings.ignore_schema(topic):
            return None
        encoded = []
        for (kind, enc), column in zip(self._field_encoders(flat.schema), flat.columns):
            if kind in _IDENTITY_KINDS or (kind is Type.FLOAT64 and plain_doubles(column)):
                encoded.append(column)
            else:
                encoded.append(list(map(enc, column)))
        return map(dict, map(zip, repeat(flat.names), zip(*encoded)))

    def _bodies(self, columns: DecodedColumns, topic: str) -> Iterator[bytes]:
        """The bodies of values that are not flat struct columns, as `DocumentBuilder.value_body` makes them
        (lazily: see `items`)."""
        values = columns.values
        if all(schema is None for schema, _ in values):
            return map(encode_schemaless_body, [v for _, v in values])
        schemas, data = columns.value_columns()
        return map(self.builder.value_body, repeat(topic), schemas, data)

    def _field_encoders(self, schema: Schema) -> list[tuple[Type, Any]]:
        cached = self._fields.get(id(schema))
        if cached is None or cached[0] is not schema:
            encoder = self.builder.encoder
            # A flat schema's fields have no defaults: a null field goes to its encoder as the struct
            # encoder sends it (`default if x is None else x`).
            cached = (schema, [(f.schema.type, encoder(f.schema)) for f in schema.fields or ()])
            if len(self._fields) > 256:
                self._fields.clear()
            self._fields[id(schema)] = cached
        return cached[1]
