"""ParquetFormat: Parquet files (pyarrow) whose schema comes from the Connect value schema.

Records are turned into Arrow columns batch by batch; a row group is written
when the buffered rows reach about `s3.part.size` bytes (an estimate that is a
pure function of the records, so row groups fall at the same rows on a replay)
or when the file is committed. Memory per open file stays near one part.
Extension: `parquet.codec` + `.parquet` (`.snappy.parquet` by default), as Confluent names them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pyconnect_flow.connectors.s3.config import S3SinkSettings
from pyconnect_flow.connectors.s3.formats import Format, Output, RecordWriter
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.logical import DATE_NAME, DECIMAL_NAME, TIME_NAME, TIMESTAMP_NAME, decimal_scale
from pyconnect_flow.data.schema import Schema, Type
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.record import Record

if TYPE_CHECKING:
    from pyconnect_flow.connectors.s3.rows import Rows

EXTENSIONS = {"none": ".parquet", "snappy": ".snappy.parquet", "gzip": ".gz.parquet", "zstd": ".zstd.parquet",
              "lz4": ".lz4.parquet", "brotli": ".br.parquet"}
_NESTED_ESTIMATE = 32


def arrow_type(schema: Schema) -> Any:
    """The Arrow type of a Connect schema."""
    import pyarrow as pa

    if schema.name == DECIMAL_NAME:
        precision = int((schema.parameters or {}).get("connect.decimal.precision", 38))
        scale = decimal_scale(schema)
        return pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)
    if schema.name == DATE_NAME:
        return pa.date32()
    if schema.name == TIME_NAME:
        return pa.time32("ms")
    if schema.name == TIMESTAMP_NAME:
        return pa.timestamp("ms", tz="UTC")
    simple = {Type.INT8: pa.int8(), Type.INT16: pa.int16(), Type.INT32: pa.int32(), Type.INT64: pa.int64(),
              Type.FLOAT32: pa.float32(), Type.FLOAT64: pa.float64(), Type.BOOLEAN: pa.bool_(),
              Type.STRING: pa.string(), Type.BYTES: pa.binary()}
    if schema.type in simple:
        return simple[schema.type]
    if schema.type is Type.ARRAY:
        assert schema.value_schema is not None
        return pa.list_(arrow_field("element", schema.value_schema))
    if schema.type is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        return pa.map_(arrow_type(schema.key_schema), arrow_field("value", schema.value_schema))
    return pa.struct([arrow_field(f.name, f.schema) for f in schema.fields or ()])


def arrow_field(name: str, schema: Schema) -> Any:
    """An Arrow field (nullable when the Connect schema is optional)."""
    import pyarrow as pa

    return pa.field(name, arrow_type(schema), nullable=schema.optional)


def arrow_schema(schema: Schema) -> Any:
    """The Arrow schema of a Connect STRUCT schema (its fields become columns)."""
    import pyarrow as pa

    if schema.type is not Type.STRUCT:
        raise DataException(f"ParquetFormat needs STRUCT values; the value schema is {schema.type.name}")
    return pa.schema([arrow_field(f.name, f.schema) for f in schema.fields or ()])


def _plain(schema: Schema, value: Any) -> Any:
    """A nested Connect value as pyarrow takes it."""
    if value is None:
        return schema.default
    t = schema.type
    if t is Type.STRUCT:
        return {f.name: _plain(f.schema, value.get(f)) for f in schema.fields or ()}
    if t is Type.ARRAY or t is Type.MAP:
        items = schema.value_schema
        assert items is not None
        if t is Type.ARRAY:
            return [_plain(items, v) for v in value]
        return [(k, _plain(items, v)) for k, v in value.items()]
    if schema.name == TIMESTAMP_NAME and isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


class _ParquetWriter(RecordWriter):
    def __init__(self, out: Output, schema: Schema, codec: str, row_group_bytes: int) -> None:
        import pyarrow.parquet as pq

        self.schema = schema
        self.arrow = arrow_schema(schema)
        self.fields = list(schema.fields or ())
        self.row_group_bytes = row_group_bytes
        self._writer = pq.ParquetWriter(out, self.arrow, compression=codec)
        self._pending: list[Any] = []
        self._pending_bytes = 0

    def _columns(self, records: list[Record]) -> list[Any]:
        schema = self.schema
        try:  # the writer only hands over records whose value schema is the file's
            values = [r.value._values for r in records]
        except AttributeError:
            values = []
        if len(values) != len(records) or any(type(r.value) is not Struct for r in records):
            bad = next(r for r in records if not isinstance(r.value, Struct) or r.value.schema != schema)
            raise DataException(f"ParquetFormat: the value at {bad.coordinates()} is not a Struct of the file's schema")
        return self._arrays(values)

    def _arrays(self, values: list[dict[str, Any]]) -> list[Any]:
        """One Arrow array per field of the file's schema, from the `Struct` maps of the values."""
        import pyarrow as pa

        columns = []
        for f, arrow_f in zip(self.fields, self.arrow):
            name = f.name
            col = [d.get(name) for d in values]
            fs = f.schema
            if fs.type in (Type.STRUCT, Type.ARRAY, Type.MAP) or fs.name == TIMESTAMP_NAME:
                col = [_plain(fs, v) for v in col]
            elif fs.default is not None:
                default = fs.default
                col = [default if v is None else v for v in col]
            columns.append(pa.array(col, type=arrow_f.type))
        return columns

    def write_rows(self, rows: Rows) -> bool:
        """Field columns of a flat struct batch become Arrow arrays directly (its fields have no defaults,
        nested or logical types, so they are the arrays `write` builds from the `Struct`s); other batches
        from their `Struct` values."""
        import pyarrow as pa

        if rows.schema != self.schema:
            return False
        try:
            columns = rows.field_columns()
            if columns is not None:
                arrays = [pa.array(c, type=f.type) for c, f in zip(columns, self.arrow)]
            else:
                values = rows.values()
                if not all(type(v) is Struct for v in values):
                    return False
                arrays = self._arrays([v._values for v in values])
        except Exception:  # noqa: BLE001 - the record path converts them again and reports the bad one
            return False
        self._write_arrays(arrays)
        return True

    def _sizes(self, columns: list[Any], n: int) -> Any:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        sizes = np.zeros(n, dtype=np.int64)
        for col in columns:
            t = col.type
            if pa.types.is_string(t) or pa.types.is_binary(t):
                sizes += pc.fill_null(pc.binary_length(col), 0).to_numpy(zero_copy_only=False) + 4
            elif pa.types.is_nested(t):
                sizes += _NESTED_ESTIMATE
            else:
                sizes += max(1, t.bit_width // 8)
        return sizes

    def write(self, records: list[Record]) -> None:
        if records:
            self._write_arrays(self._columns(records))

    def _write_arrays(self, arrays: list[Any]) -> None:
        """Buffer the rows of `arrays` (one per field); write a row group each time about
        `row_group_bytes` are buffered."""
        import numpy as np
        import pyarrow as pa

        batch = pa.RecordBatch.from_arrays(arrays, schema=self.arrow)
        if not batch.num_rows:
            return
        sizes = self._sizes(batch.columns, batch.num_rows)
        start = 0
        while start < batch.num_rows:
            cum = np.cumsum(sizes[start:]) + self._pending_bytes
            cut = int(np.searchsorted(cum, self.row_group_bytes))  # first row reaching the limit
            if cut >= len(cum):
                self._pending.append(batch.slice(start))
                self._pending_bytes = int(cum[-1])
                return
            self._pending.append(batch.slice(start, cut + 1))
            self._write_row_group()
            start += cut + 1

    def _write_row_group(self) -> None:
        import pyarrow as pa

        if self._pending:
            table = pa.Table.from_batches(self._pending, schema=self.arrow)
            self._writer.write_table(table, row_group_size=max(1, table.num_rows))
        self._pending = []
        self._pending_bytes = 0

    def close(self) -> None:
        self._write_row_group()
        self._writer.close()


class ParquetFormat(Format):
    """Parquet files, codec from `parquet.codec`, row groups of about `s3.part.size` bytes."""

    def __init__(self, settings: S3SinkSettings) -> None:
        self.codec = settings.parquet_codec
        self.extension = EXTENSIONS[self.codec]
        self.row_group_bytes = settings.part_size

    def open(self, out: Output, key: str, schema: Any) -> RecordWriter:
        if schema is None:
            raise DataException("ParquetFormat needs records with a value schema (a converter with schemas)")
        return _ParquetWriter(out, schema, self.codec, self.row_group_bytes)

    def takes_rows(self, schema: Any) -> bool:
        return schema is not None and schema.type is Type.STRUCT
