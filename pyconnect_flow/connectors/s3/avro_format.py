"""AvroFormat: Avro object container files whose schema comes from the Connect schema, as Confluent's AvroData.

The Avro schema follows AvroData's mapping (INT8/INT16 as `int` with `connect.type`,
Decimal/Date/Time/Timestamp as Avro logical types, optional as a union with
`null`, maps with non-string keys as arrays of `MapEntry` records, unnamed
structs as `io.confluent.connect.avro.ConnectDefault`). The sync marker is
derived from the object's file name, so a replay writes identical bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from pyconnect_flow.connectors.s3.config import S3SinkSettings
from pyconnect_flow.connectors.s3.formats import Format, Output, RecordWriter
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.logical import DATE_NAME, DECIMAL_NAME, TIME_NAME, TIMESTAMP_NAME, decimal_scale
from pyconnect_flow.data.schema import Schema, Type
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.record import Record

NAMESPACE = "io.confluent.connect.avro"
DEFAULT_NAME = "ConnectDefault"
_PRIMITIVES = {Type.INT32: "int", Type.INT64: "long", Type.FLOAT32: "float", Type.FLOAT64: "double",
               Type.BOOLEAN: "boolean", Type.STRING: "string", Type.BYTES: "bytes"}


class _Names:
    def __init__(self) -> None:
        self.unnamed = 0

    def next_default(self) -> str:
        self.unnamed += 1
        return DEFAULT_NAME if self.unnamed == 1 else f"{DEFAULT_NAME}{self.unnamed}"


def avro_schema(schema: Schema) -> Any:
    """The Avro schema (JSON-like Python data) of a Connect schema."""
    return _schema(schema, _Names(), top=True)


def _schema(schema: Schema, names: _Names, top: bool = False) -> Any:
    avro = _non_null(schema, names)
    return ["null", avro] if schema.optional else avro


def _non_null(schema: Schema, names: _Names) -> Any:
    t = schema.type
    if schema.name == DECIMAL_NAME:
        scale = decimal_scale(schema)
        precision = int((schema.parameters or {}).get("connect.decimal.precision", 64))
        return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale,
                "connect.name": DECIMAL_NAME, "connect.version": 1,
                "connect.parameters": {"scale": str(scale)}}
    if schema.name == DATE_NAME:
        return {"type": "int", "logicalType": "date", "connect.name": DATE_NAME, "connect.version": 1}
    if schema.name == TIME_NAME:
        return {"type": "int", "logicalType": "time-millis", "connect.name": TIME_NAME, "connect.version": 1}
    if schema.name == TIMESTAMP_NAME:
        return {"type": "long", "logicalType": "timestamp-millis", "connect.name": TIMESTAMP_NAME,
                "connect.version": 1}
    if t in (Type.INT8, Type.INT16):
        return {"type": "int", "connect.type": t.value}
    if t in _PRIMITIVES:
        return _PRIMITIVES[t]
    if t is Type.ARRAY:
        assert schema.value_schema is not None
        return {"type": "array", "items": _schema(schema.value_schema, names)}
    if t is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        if schema.key_schema.type is Type.STRING and not schema.key_schema.optional:
            return {"type": "map", "values": _schema(schema.value_schema, names)}
        return {"type": "array", "items": {
            "type": "record", "name": "MapEntry", "namespace": NAMESPACE,
            "fields": [{"name": "key", "type": _schema(schema.key_schema, names)},
                       {"name": "value", "type": _schema(schema.value_schema, names)}]}}
    # STRUCT
    if schema.name:
        namespace, _, name = schema.name.rpartition(".")
    else:
        namespace, name = NAMESPACE, names.next_default()
    record: dict[str, Any] = {"type": "record", "name": name, "fields": []}
    if namespace:
        record["namespace"] = namespace
    if schema.name:
        record["connect.name"] = schema.name
    if schema.doc:
        record["doc"] = schema.doc
    if schema.version is not None:
        record["connect.version"] = schema.version
    for f in schema.fields or ():
        entry: dict[str, Any] = {"name": f.name, "type": _schema(f.schema, names)}
        if f.schema.optional and f.schema.default is None:
            entry["default"] = None
        record["fields"].append(entry)
    return record


def avro_value(schema: Schema | None, value: Any) -> Any:
    """A Connect value as fastavro takes it (structs as dicts, non-string maps as entry lists)."""
    if value is None or schema is None:
        return value
    t = schema.type
    if t is Type.STRUCT:
        if not isinstance(value, Struct):
            raise DataException(f"expected a Struct for {schema!r}, got {type(value).__name__}")
        return {f.name: avro_value(f.schema, value.get(f)) for f in schema.fields or ()}
    if t is Type.ARRAY:
        return [avro_value(schema.value_schema, v) for v in value]
    if t is Type.MAP:
        ks, vs = schema.key_schema, schema.value_schema
        assert ks is not None
        if ks.type is Type.STRING and not ks.optional:
            return {k: avro_value(vs, v) for k, v in value.items()}
        return [{"key": avro_value(ks, k), "value": avro_value(vs, v)} for k, v in value.items()]
    if schema.name == TIMESTAMP_NAME and isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


class _AvroWriter(RecordWriter):
    def __init__(self, out: Output, key: str, schema: Schema, codec: str) -> None:
        from fastavro import parse_schema
        from fastavro.write import Writer

        self.schema = schema
        self.parsed = parse_schema(avro_schema(schema))
        # Derived from the file name (topic, partition, start offset), so a replay writes the same bytes.
        marker = hashlib.md5(key.rsplit("/", 1)[-1].encode(), usedforsecurity=False).digest()
        # fastavro's annotation asks for typing.IO; it calls only write, flush, seekable and tell, which
        # S3OutputStream (and BytesIO) have.
        self._writer = Writer(out, self.parsed, codec=codec, sync_marker=marker)  # type: ignore[arg-type]

    def write(self, records: list[Record]) -> None:
        from fastavro.validation import validate

        schema = self.schema
        data = [avro_value(schema, r.value) for r in records]
        for datum in data:  # all or nothing: fastavro leaves a half-written record behind on failure
            validate(datum, self.parsed, raise_errors=True)
        write = self._writer.write
        for datum in data:
            write(datum)

    def close(self) -> None:
        self._writer.flush()


class AvroFormat(Format):
    """Avro container files (`.avro`), codec from `avro.codec`."""

    extension = ".avro"

    def __init__(self, settings: S3SinkSettings) -> None:
        self.codec = settings.avro_codec

    def open(self, out: Output, key: str, schema: Any) -> RecordWriter:
        if schema is None:
            raise DataException("AvroFormat needs records with a value schema (a converter with schemas)")
        return _AvroWriter(out, key, schema, self.codec)
