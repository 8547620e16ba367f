"""File formats: how the records of one object become bytes (Confluent's `io.confluent.connect.s3.format`).

A `Format` (one per connector) opens a `RecordWriter` per object on an output
stream; the writer encodes records as they come (`write`) and `close()` writes
whatever ends the file (an Avro block, a Parquet footer, the gzip trailer).
Output is a pure function of the records, so a replay writes the same bytes.

- `json`: one JSON document per line, as Kafka's JsonConverter with `schemas.enable=false`
  writes the value (Confluent's JsonFormat); `.json`, or `.json.gz` with `s3.compression.type=gzip`.
- `bytearray`: the raw value bytes, each followed by `format.bytearray.separator`; `.bin` (`.bin.gz`).
- `avro`: an Avro object container file, schema from the Connect schema (see `avro_format`).
- `parquet`: a Parquet file, schema from the Connect schema (see `parquet_format`).
"""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from pyconnect_flow.connectors.s3.config import S3SinkSettings
from pyconnect_flow.converters.json_codec import escape_astral
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.schema import Type
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.record import Record

if TYPE_CHECKING:
    from pyconnect_flow.connectors.s3.rows import Rows


class Output(Protocol):
    """Where a writer puts bytes (an `S3OutputStream`, or a BytesIO in tests)."""

    def write(self, data: bytes) -> int: ...


class RecordWriter:
    """Encodes the records of one object onto an output."""

    def write(self, records: list[Record]) -> None:
        """Encode records (all with the same value schema) onto the output."""
        raise NotImplementedError

    def write_rows(self, rows: Rows) -> bool:
        """Encode decoded Kafka columns (`rows`: the file's value schema, no null value) without records,
        writing exactly what `write(rows.records())` writes; False, having written nothing, when these rows
        need the record path (the caller then writes their records)."""
        return False

    def close(self) -> None:
        """Write the end of the file; the output then holds the whole object."""


class Format:
    """A file format: its extension and a writer per object."""

    extension = ""

    def open(self, out: Output, key: str, schema: Any) -> RecordWriter:
        """A writer for the object `key` whose records have the value schema `schema` (None: schemaless)."""
        raise NotImplementedError

    def takes_rows(self, schema: Any) -> bool:
        """Whether writers of this format may take decoded columns of `schema` (`RecordWriter.write_rows`)
        and `open` accepts the schema; False keeps such batches on the record path."""
        return False


class GzipOutput:
    """Compresses into another output as one gzip member (mtime 0, so the bytes are reproducible)."""

    def __init__(self, out: Output, level: int) -> None:
        self.out = out
        self._z = zlib.compressobj(level, zlib.DEFLATED, 31)

    def write(self, data: bytes) -> int:
        chunk = self._z.compress(data)
        if chunk:
            self.out.write(chunk)
        return len(data)

    def finish(self) -> None:
        """Write the rest of the deflate stream and the gzip trailer."""
        self.out.write(self._z.flush())


class _LineWriter(RecordWriter):
    """Shared by JSON and ByteArray: encoded values joined by a separator, optionally gzipped."""

    def __init__(self, out: Output, separator: bytes, gzip_level: int | None) -> None:
        self._gzip = GzipOutput(out, gzip_level) if gzip_level is not None else None
        self.out: Output = self._gzip if self._gzip is not None else out
        self.separator = separator

    def encode(self, records: list[Record]) -> list[bytes]:
        raise NotImplementedError

    def encode_block(self, records: list[Record]) -> bytes:
        """The bytes of `records`, each followed by the separator."""
        sep = self.separator
        return sep.join(self.encode(records)) + sep

    def write(self, records: list[Record]) -> None:
        if records:
            self.out.write(self.encode_block(records))

    def close(self) -> None:
        if self._gzip is not None:
            self._gzip.finish()


_CTRL_ESCAPE = re.compile(rb"\\\\|\\u00([01][0-9a-f])")


def fix_control_escapes(block: bytes) -> bytes:
    """orjson writes control characters as `\\u001f`; Jackson (JsonConverter) as `\\u001F`."""
    return _CTRL_ESCAPE.sub(lambda m: m.group(0) if m.group(1) is None else b"\\u00" + m.group(1).upper(), block)


_FLAT_TYPES = {Type.INT8: int, Type.INT16: int, Type.INT32: int, Type.INT64: int, Type.BOOLEAN: bool,
               Type.STRING: str, Type.FLOAT64: float}


def flat_plan(schema: Any) -> tuple[tuple[str, ...], list[tuple[str, type, bool]]] | None:
    """For a STRUCT of plain INT/BOOLEAN/STRING/FLOAT64 fields without defaults or logical types: the field
    names and (name, Python type, optional) checks under which `orjson.dumps(struct values)` is exactly
    what JsonConverter writes. None for any other schema."""
    if schema is None or schema.type is not Type.STRUCT or not schema.fields:
        return None
    checks = []
    for f in schema.fields:
        fs = f.schema
        if fs.type not in _FLAT_TYPES or fs.name or fs.default is not None or fs.parameters:
            return None
        checks.append((f.name, _FLAT_TYPES[fs.type], fs.optional))
    return tuple(f.name for f in schema.fields), checks


def _java_plain(column: list[Any], floats: bool = False) -> bool:
    """True when every value is a float that Java's Double.toString and orjson print alike (plain notation);
    `floats`: the values are known to be floats."""
    import numpy as np

    if not floats and not all(type(x) is float for x in column):
        return False
    a = np.abs(np.fromiter(column, dtype=np.float64, count=len(column)))
    return bool((((a >= 1e-3) & (a < 1e7)) | (a == 0.0)).all())


def encode_flat(records: list[Record], schema: Any, plan: tuple[tuple[str, ...], list[tuple[str, type, bool]]]
                ) -> bytes | None:
    """JSON lines of flat structs straight from their values (no per-field encoders); None if any record
    falls outside the fast path (then JsonConverter encodes them, with its checks and error messages)."""
    names, _ = plan
    n = len(names)
    values = []
    for r in records:
        v = r.value
        if type(v) is not Struct or v.schema is not schema:
            return None
        d = v._values
        if len(d) != n or tuple(d) != names:
            return None
        values.append(d)
    return encode_field_maps(values, plan, [[d[name] for d in values] for name in names])


def encode_field_maps(values: list[dict[str, Any]], plan: tuple[tuple[str, ...], list[tuple[str, type, bool]]],
                      columns: list[list[Any]], typed: bool = False) -> bytes | None:
    """JSON lines of `values`, maps whose keys are exactly the plan's field names in order and whose field
    columns are `columns`; None when a column falls outside what `orjson` writes as JsonConverter does.
    `typed`: every column is known to hold values of its field's Python type, nulls only where optional
    (`JsonConverter.to_connect_columns` checked them), so only the floats' notation is checked."""
    for (_, kind, optional), column in zip(plan[1], columns):
        if typed and kind is not float:
            continue
        if None in column:
            if not optional:
                return None
            column = [x for x in column if x is not None]
        if not (_java_plain(column, typed) if kind is float else all(type(x) is kind for x in column)):
            return None
    try:
        block = orjson.dumps(values)
    except orjson.JSONEncodeError:  # a lone surrogate: JsonConverter writes it escaped
        return None
    if block.count(b"},{") == len(values) - 1:  # flat maps: every "},{" is a boundary between two of them
        block = block[1:-1].replace(b"},{", b"}\n{") + b"\n"
    else:
        block = b"\n".join(map(orjson.dumps, values)) + b"\n"
    if b"\\u00" in block:
        block = fix_control_escapes(block)
    return escape_astral(block)


def _payload_maps(rows: Rows, names: tuple[str, ...]) -> list[dict[str, Any]] | None:
    """The payload objects of a flat struct batch when each holds exactly the schema's fields in its order
    (so it is the map a `Struct` of it holds), or such maps built from the field columns of a transformed
    one; None otherwise."""
    nodes = rows.nodes()
    if nodes is None:
        columns = rows.field_columns()
        return None if columns is None else [dict(zip(names, row)) for row in zip(*columns)]
    if not all(map(names.__eq__, map(tuple, nodes))):
        return None
    return nodes


class _JsonWriter(_LineWriter):
    def __init__(self, out: Output, converter: Any, gzip_level: int | None, schema: Any) -> None:
        super().__init__(out, b"\n", gzip_level)
        self.converter = converter
        self.schema = schema
        self.plan = flat_plan(schema)

    def encode_block(self, records: list[Record]) -> bytes:
        if self.plan is not None:
            fast = encode_flat(records, self.schema, self.plan)
            if fast is not None:
                return fast
        return super().encode_block(records)

    def encode(self, records: list[Record]) -> list[bytes]:
        return self._encode_pairs(records[0].topic, [(r.value_schema, r.value) for r in records])

    def _encode_pairs(self, topic: str, pairs: list[tuple[Any, Any]]) -> list[bytes]:
        encoded = self.converter.from_connect_batch(topic, pairs)
        return [b"null" if e is None else e for e in encoded]

    def write_rows(self, rows: Rows) -> bool:
        """Flat struct payloads in the schema's field order are re-serialized as they were parsed (the maps
        their `Struct`s would hold); any other rows go through JsonConverter from their decoded values."""
        if not len(rows):
            return True
        block = None
        if self.plan is not None and rows.schema == self.schema:
            maps = _payload_maps(rows, self.plan[0])
            columns = rows.field_columns() if maps is not None else None
            if maps is not None and columns is not None:
                block = encode_field_maps(maps, self.plan, columns, typed=True)
        if block is None:
            try:
                block = self.separator.join(self._encode_pairs(rows.topic, rows.pairs())) + self.separator
            except Exception:  # noqa: BLE001 - the record path encodes them again and reports the bad one
                return False
        self.out.write(block)
        return True


class JsonFormat(Format):
    """JSON lines, as Confluent's JsonFormat (JsonConverter, `schemas.enable=false`)."""

    def __init__(self, settings: S3SinkSettings) -> None:
        from pyconnect_flow.converters.json import JsonConverter

        self.converter = JsonConverter()
        self.converter.configure({"schemas.enable": "false", "decimal.format": settings.json_decimal_format},
                                 is_key=False)
        self.gzip_level = settings.compression_level if settings.compression == "gzip" else None
        self.extension = ".json" + (".gz" if self.gzip_level is not None else "")

    def open(self, out: Output, key: str, schema: Any) -> RecordWriter:
        return _JsonWriter(out, self.converter, self.gzip_level, schema)

    def takes_rows(self, schema: Any) -> bool:
        return True


class _BytesWriter(_LineWriter):
    def encode(self, records: list[Record]) -> list[bytes]:
        out = []
        for r in records:
            value = r.value
            if not isinstance(value, (bytes, bytearray)):
                raise DataException(f"ByteArrayFormat needs bytes values (ByteArrayConverter); got "
                                    f"{type(value).__name__} at {r.coordinates()}")
            out.append(bytes(value))
        return out

    def write_rows(self, rows: Rows) -> bool:
        values = rows.values()
        if not all(type(v) is bytes for v in values):
            return False  # the record path says which value is not bytes
        if values:
            sep = self.separator
            self.out.write(sep.join(values) + sep)
        return True


class ByteArrayFormat(Format):
    """Raw value bytes, each followed by `format.bytearray.separator`."""

    def __init__(self, settings: S3SinkSettings) -> None:
        self.separator = settings.bytearray_separator
        self.gzip_level = settings.compression_level if settings.compression == "gzip" else None
        self.extension = settings.bytearray_extension + (".gz" if self.gzip_level is not None else "")

    def open(self, out: Output, key: str, schema: Any) -> RecordWriter:
        return _BytesWriter(out, self.separator, self.gzip_level)

    def takes_rows(self, schema: Any) -> bool:
        return True


def create_format(settings: S3SinkSettings) -> Format:
    """The format named by `format.class`."""
    if settings.format == "avro":
        from pyconnect_flow.connectors.s3.avro_format import AvroFormat

        return AvroFormat(settings)
    if settings.format == "parquet":
        from pyconnect_flow.connectors.s3.parquet_format import ParquetFormat

        return ParquetFormat(settings)
    if settings.format == "bytearray":
        return ByteArrayFormat(settings)
    return JsonFormat(settings)
