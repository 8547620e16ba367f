"""Bulk actions straight from a batch of decoded Kafka columns (`kafka_columns.DecodedColumns`), no records.

`ColumnDocuments.items(columns)` gives the same `BulkItem` bytes `DocumentBuilder.build` gives for the
records `columns.records()` would build, computed column by column:

- ids: `topic+partition+offset` from the offsets (keys ignored), or the keys' ids with the offsets as
  external versions;
- bodies: for flat struct columns (`DecodedColumns.flat`), each field column through the field's own
  document encoder, then one `dumps` per row; otherwise the values through `DocumentBuilder.value_body`.

A batch the columns cannot write as the record path would gives None, and the writer takes the record path
for it: a null value (tombstones: delete, ignore or fail), `external.version.header`, or any value or key
that does not convert (the record path reports it, drops it or fails, record by record).

Items keep a `ColumnRow` instead of a record: the record and the message as read from Kafka are built only
when Elasticsearch rejects the document (the writer then reports it, as on the record path).
"""

from __future__ import annotations

from itertools import repeat
from typing import Any

from pyconnect_flow.connectors.elasticsearch.documents import BulkItem, DocumentBuilder, key_document_id
from pyconnect_flow.converters.json_codec import dumps
from pyconnect_flow.data.schema import Schema
from pyconnect_flow.kafka_columns import DecodedColumns
from pyconnect_flow.record import Record, new_record


class ColumnRow:
    """Row `index` of a batch of decoded columns: builds its record (and the raw one) only when asked."""

    __slots__ = ("columns", "index")

    def __init__(self, columns: DecodedColumns, index: int) -> None:
        self.columns = columns
        self.index = index

    def record(self) -> Record:
        """The decoded record, as `DecodedColumns.records()` builds it."""
        columns, i = self.columns, self.index
        raw = columns.raw
        ks, kv = columns.keys[i]
        vs, vv = columns.values[i]
        headers = raw.headers[i]
        return new_record((raw.topic, kv, vv, raw.partition, raw.offsets[i], ks, vs,
                           tuple(headers) if headers else (), raw.timestamps[i], None, None))

    def original(self) -> Record:
        """The record as read from Kafka (for dead letters)."""
        raw, i = self.columns.raw, self.index
        headers = raw.headers[i]
        return new_record((raw.topic, raw.keys[i], raw.values[i], raw.partition, raw.offsets[i], None, None,
                           tuple(headers) if headers else (), raw.timestamps[i], None, None))

    def coordinates(self) -> str:
        raw = self.columns.raw
        return f"topic={raw.topic!r} partition={raw.partition} offset={raw.offsets[self.index]}"


class ColumnDocuments:
    """Bulk items of batches of columns, for one connector's `DocumentBuilder`."""

    def __init__(self, builder: DocumentBuilder) -> None:
        self.builder = builder
        self.settings = builder.settings
        self._fields: dict[int, tuple[Schema, list[Any]]] = {}

    def first_row(self, columns: DecodedColumns) -> ColumnRow:
        """The row whose record creates a missing index (the first one: a batch here has no null value)."""
        return ColumnRow(columns, 0)

    def writable(self, columns: DecodedColumns) -> bool:
        """Whether `items` may write this batch (no null value, no version header to read)."""
        settings = self.settings
        if settings.external_version_header and not settings.ignore_key(columns.raw.topic):
            return False
        if columns.flat is not None:
            return True  # payloads of one flat struct schema: every value is an object
        return None not in columns.raw.values and all(v is not None for _, v in columns.values)

    def items(self, columns: DecodedColumns, index: str) -> list[BulkItem] | None:
        """The bulk items of a `writable` batch going to `index`; None when a key or value does not convert
        (the record path then reports it)."""
        settings, builder = self.settings, self.builder
        raw = columns.raw
        topic = raw.topic
        try:
            bodies = self._bodies(columns, topic)
            ids: list[str] | list[None]
            versions: list[int] | list[None]
            if settings.ignore_key(topic):
                prefix = f"{topic}+{raw.partition}+"
                ids = [prefix + str(o) for o in raw.offsets]
                versions = [None] * len(ids)
            else:
                ids = [key_document_id(kv, ks) for ks, kv in columns.keys]
                versions = raw.offsets
        except Exception:  # noqa: BLE001 - the record path meets it again, record by record, and reports it
            return None
        head = builder.head(index)
        rows = map(ColumnRow, repeat(columns), range(len(bodies)))
        if settings.upsert:
            update = builder.update_item
            return [update(row, head, doc_id, body) for row, doc_id, body in zip(rows, ids, bodies)]
        if settings.autogenerated_ids:
            ids = [None] * len(bodies)
        index_item = builder.index_item
        return [index_item(row, head, doc_id, body, version)
                for row, doc_id, body, version in zip(rows, ids, bodies, versions)]

    def _bodies(self, columns: DecodedColumns, topic: str) -> list[bytes]:
        flat = columns.flat
        if flat is not None and not self.settings.ignore_schema(topic):
            # Each field column through its own encoder (the struct encoder's, as a Struct's fields would
            # go), then one object per row in the schema's field order.
            encoders = self._field_encoders(flat.schema)
            encoded = [list(map(enc, column)) for enc, column in zip(encoders, flat.columns)]
            names = flat.names
            return [dumps(dict(zip(names, row))) for row in zip(*encoded)]
        body = self.builder.value_body
        return [body(topic, schema, value) for schema, value in columns.values]

    def _field_encoders(self, schema: Schema) -> list[Any]:
        cached = self._fields.get(id(schema))
        if cached is None or cached[0] is not schema:
            encoder = self.builder.encoder
            # A flat schema's fields have no defaults: a null field goes to its encoder as the struct
            # encoder sends it (`default if x is None else x`).
            cached = (schema, [encoder(f.schema) for f in schema.fields or ()])
            if len(self._fields) > 256:
                self._fields.clear()
            self._fields[id(schema)] = cached
        return cached[1]
