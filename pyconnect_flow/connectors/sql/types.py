"""Connect schemas ⇄ SQL column types (through SQLAlchemy), and Connect values → values to bind.

As Confluent's JDBC sink (GenericDatabaseDialect / PostgreSqlDatabaseDialect `getSqlType`):
INT8/INT16 → SMALLINT, INT32 → INTEGER, INT64 → BIGINT, FLOAT32 → REAL, FLOAT64 → DOUBLE PRECISION,
BOOLEAN → BOOLEAN, STRING → TEXT, BYTES → BYTEA/BLOB, Decimal → DECIMAL (no precision or scale),
Date → DATE, Time → TIME, Timestamp → TIMESTAMP, ARRAY of a primitive → `<element>[]` (PostgreSQL
only). MAP and STRUCT have no column type: such fields are refused (flatten them first with the
`Flatten` SMT), as Confluent refuses them.

Schemaless values (plain dicts from JSON without schemas) get a schema inferred per record
(`infer_value_schema`): integers BIGINT, floats DOUBLE PRECISION, strings TEXT, booleans,
bytes; every field optional, because a missing key means NULL.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

from pyconnect_flow.data import logical
from pyconnect_flow.data.exceptions import ConnectException, DataException
from pyconnect_flow.data.logical import (
    DATE_NAME,
    DECIMAL_NAME,
    TIME_NAME,
    TIMESTAMP_NAME,
    decimal_scale,
    decimal_schema,
)
from pyconnect_flow.data.schema import Schema, SchemaBuilder, Type
from pyconnect_flow.data.struct import Struct

Binder = Callable[[Any], Any]
"""Turns one Connect value into what the database driver binds."""


class UnsupportedSchema(ConnectException):
    """A field's schema has no SQL column type (Confluent: "doesn't have a mapping to the SQL database column type")."""


def sql_type(schema: Schema, dialect: str, column: str) -> Any:
    """The SQLAlchemy type of a column holding values of `schema` in `dialect` ("postgresql", "sqlite", …)."""
    import sqlalchemy as sa

    name = schema.name
    if name == DECIMAL_NAME:
        return sa.Numeric(asdecimal=True)
    if name == DATE_NAME:
        return sa.Date()
    if name == TIME_NAME:
        return sa.Time()
    if name == TIMESTAMP_NAME:
        return sa.DateTime()
    t = schema.type
    simple = {
        Type.INT8: sa.SmallInteger, Type.INT16: sa.SmallInteger, Type.INT32: sa.Integer, Type.INT64: sa.BigInteger,
        Type.FLOAT32: sa.REAL, Type.FLOAT64: sa.Double, Type.BOOLEAN: sa.Boolean, Type.STRING: sa.Text,
        Type.BYTES: sa.LargeBinary,
    }
    if t in simple:
        return simple[t]()
    if t is Type.ARRAY and dialect == "postgresql":
        element = schema.value_schema
        if element is not None and element.type.is_primitive and element.type is not Type.BYTES and not element.name:
            from sqlalchemy.dialects.postgresql import ARRAY

            return ARRAY(sql_type(element, dialect, column))
    raise UnsupportedSchema(
        f"{_describe(schema)} (field {column!r}) doesn't have a mapping to the SQL database column type "
        f"of {dialect}" + (": flatten nested values first, e.g. with the Flatten SMT"
                           if t in (Type.STRUCT, Type.MAP) else ""))


def default_sql(schema: Schema, dialect: Any, column: str) -> str | None:
    """The SQL literal of `schema`'s default for a column `DEFAULT`, or None when it has none.

    Confluent's sink writes `DEFAULT <value>` for every field whose schema has a default, on CREATE TABLE
    and on ALTER TABLE … ADD. Times bind in UTC here; a default SQL cannot spell (bytes on some
    dialects) is left out rather than guessed.
    """
    if schema.default is None:
        return None
    import sqlalchemy as sa
    from sqlalchemy.exc import CompileError

    convert = binder(schema, dt.timezone.utc)
    value = convert(schema.default) if convert is not None else schema.default
    try:
        return str(sa.literal(value, type_=sql_type(schema, dialect.name, column)).compile(
            dialect=dialect, compile_kwargs={"literal_binds": True}))
    except (CompileError, NotImplementedError, DataException):
        return None


def _describe(schema: Schema) -> str:
    return f"{schema.name} ({schema.type.name})" if schema.name else schema.type.name


def binder(schema: Schema, tz: dt.tzinfo) -> Binder | None:
    """A converter from the Connect value to the bound value, or None when the value binds as it is.

    Time and Timestamp values are written as wall-clock values in `tz` (`db.timezone`), into
    TIME/TIMESTAMP columns without a time zone, as Confluent's sink does.
    """
    name = schema.name
    if name == TIMESTAMP_NAME:
        def timestamp(value: Any) -> Any:
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                return value.astimezone(tz).replace(tzinfo=None)
            return value
        return timestamp
    if name == TIME_NAME:
        def time(value: Any) -> Any:
            if isinstance(value, dt.time) and value.tzinfo is not None:
                return value.replace(tzinfo=None)
            return value
        return time
    if name == DECIMAL_NAME:
        def dec(value: Any) -> Any:
            return value if value is None or isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
        return dec
    if schema.type is Type.BYTES:
        def raw(value: Any) -> Any:
            return bytes(value) if isinstance(value, (bytearray, memoryview)) else value
        return raw
    if schema.type in (Type.STRUCT, Type.MAP):
        def refuse(value: Any) -> Any:
            raise DataException("nested values cannot be written to a column")
        return refuse
    return None


def infer_value_schema(value: Any, topic: str) -> Schema:
    """A STRUCT schema for a schemaless value (a JSON object), every field optional.

    DataException when the value is not an object, or a field is nested (an object or a list),
    or null in every record seen so far is fine (it has no column until a typed value arrives).
    """
    if not isinstance(value, dict):
        raise DataException(
            f"Sink connector for topic {topic!r} needs record values that are structs (JSON with schemas) or "
            f"JSON objects; got {type(value).__name__}. Use a converter with schemas, e.g. "
            "value.converter.schemas.enable=true")
    builder = SchemaBuilder.struct()
    for name, item in value.items():
        schema = _infer_field(item)
        if schema is None:
            if item is None:
                continue
            raise DataException(f"Field {name!r} of a schemaless value is {type(item).__name__}: nested values "
                                "cannot be written to a column (flatten them first, e.g. with the Flatten SMT)")
        builder.field(str(name), schema)
    return builder.build()


def _infer_field(value: Any) -> Schema | None:
    b = SchemaBuilder
    if isinstance(value, bool):
        return b.bool().optional().build()
    if isinstance(value, int):
        return b.int64().optional().build()
    if isinstance(value, float):
        return b.float64().optional().build()
    if isinstance(value, str):
        return b.string().optional().build()
    if isinstance(value, (bytes, bytearray)):
        return b.bytes().optional().build()
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent
        return decimal_schema(-exponent if isinstance(exponent, int) and exponent < 0 else 0, optional=True)
    return None


def infer_key_schema(key: Any) -> Schema:
    """The schema of a schemaless key: a primitive's, or a STRUCT for a JSON object."""
    if isinstance(key, dict):
        return infer_value_schema(key, "key")
    if isinstance(key, Struct):
        return key.schema
    schema = _infer_field(key)
    if schema is None:
        raise DataException(f"record key of type {type(key).__name__} cannot be a primary key")
    return schema


def as_struct(value: Any, schema: Schema) -> Struct:
    """A Struct of `schema` holding a schemaless dict's values."""
    return Struct.unchecked(schema, {f.name: value.get(f.name) for f in schema.fields or ()})


# source side ----------------------------------------------------------------

def connect_schema(sql: Any, optional: bool) -> Schema:
    """The Connect schema of a column of SQLAlchemy type `sql` (what Confluent's source gives)."""
    import sqlalchemy as sa


    def opt(builder: SchemaBuilder) -> Schema:
        return (builder.optional() if optional else builder).build()

    if isinstance(sql, sa.Boolean):
        return opt(SchemaBuilder.bool())
    if isinstance(sql, sa.SmallInteger):
        return opt(SchemaBuilder.int16())
    if isinstance(sql, sa.BigInteger):
        return opt(SchemaBuilder.int64())
    if isinstance(sql, sa.Integer):
        return opt(SchemaBuilder.int32())
    if isinstance(sql, sa.Float):
        return opt(SchemaBuilder.float32() if isinstance(sql, sa.REAL) else SchemaBuilder.float64())
    if isinstance(sql, sa.Numeric):
        scale = getattr(sql, "scale", None)
        if scale is None:
            return opt(SchemaBuilder.float64())
        return opt(logical.decimal_builder(int(scale)))
    if isinstance(sql, sa.DateTime):
        return opt(logical.timestamp_builder())
    if isinstance(sql, sa.Date):
        return opt(logical.date_builder())
    if isinstance(sql, sa.Time):
        return opt(logical.time_builder())
    if isinstance(sql, sa.types._Binary):
        return opt(SchemaBuilder.bytes())
    return opt(SchemaBuilder.string())


def source_value(value: Any, schema: Schema, tz: dt.tzinfo) -> Any:
    """A column value as the Connect value of `schema`."""
    if value is None:
        return None
    name = schema.name
    if name == TIMESTAMP_NAME:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=tz)
            return value.astimezone(dt.timezone.utc)
        return value
    if name == DATE_NAME and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if name == TIME_NAME and isinstance(value, str):
        return dt.time.fromisoformat(value)
    if name == DECIMAL_NAME:
        return decimal.Decimal(value).quantize(decimal.Decimal(1).scaleb(-decimal_scale(schema)))
    t = schema.type
    if t is Type.FLOAT64 or t is Type.FLOAT32:
        return float(value)
    if t is Type.STRING and not isinstance(value, str):
        return str(value)
    if t is Type.BYTES and isinstance(value, memoryview):
        return bytes(value)
    return value
