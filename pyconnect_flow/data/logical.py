"""Kafka Connect's logical types: Decimal, Date, Time and Timestamp.

Their schemas are ordinary schemas with a well-known `name`; their Python
values are `decimal.Decimal`, `datetime.date`, `datetime.time` and
timezone-aware `datetime.datetime` (UTC). The helpers convert to and from the
wire forms Kafka Connect uses (unscaled big-endian bytes, days, millis).
"""

from __future__ import annotations

import datetime as dt
import decimal

from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.schema import Schema, SchemaBuilder, Type

DECIMAL_NAME = "org.apache.kafka.connect.data.Decimal"
DECIMAL_SCALE = "scale"
DATE_NAME = "org.apache.kafka.connect.data.Date"
TIME_NAME = "org.apache.kafka.connect.data.Time"
TIMESTAMP_NAME = "org.apache.kafka.connect.data.Timestamp"
LOGICAL_NAMES = frozenset({DECIMAL_NAME, DATE_NAME, TIME_NAME, TIMESTAMP_NAME})

EPOCH_DATE = dt.date(1970, 1, 1)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
MILLIS_PER_DAY = 86_400_000


def decimal_builder(scale: int) -> SchemaBuilder:
    """A builder of the Decimal logical schema with `scale` digits after the point."""
    return SchemaBuilder.bytes().name(DECIMAL_NAME).parameter(DECIMAL_SCALE, str(scale)).version(1)


def decimal_schema(scale: int, optional: bool = False) -> Schema:
    """The Decimal logical schema."""
    return decimal_builder(scale).optional(optional).build()


def date_builder() -> SchemaBuilder:
    return SchemaBuilder.int32().name(DATE_NAME).version(1)


def time_builder() -> SchemaBuilder:
    return SchemaBuilder.int32().name(TIME_NAME).version(1)


def timestamp_builder() -> SchemaBuilder:
    return SchemaBuilder.int64().name(TIMESTAMP_NAME).version(1)


DATE_SCHEMA = date_builder().build()
TIME_SCHEMA = time_builder().build()
TIMESTAMP_SCHEMA = timestamp_builder().build()
OPTIONAL_DATE_SCHEMA = date_builder().optional().build()
OPTIONAL_TIME_SCHEMA = time_builder().optional().build()
OPTIONAL_TIMESTAMP_SCHEMA = timestamp_builder().optional().build()


def decimal_scale(schema: Schema) -> int:
    """The scale parameter of a Decimal schema."""
    params = schema.parameters or {}
    if DECIMAL_SCALE not in params:
        raise DataException("Invalid Decimal schema: scale parameter not found.")
    return int(params[DECIMAL_SCALE])


def decimal_to_bytes(schema: Schema, value: decimal.Decimal) -> bytes:
    """Unscaled value as big-endian two's complement, as `Decimal.fromLogical`."""
    scale = decimal_scale(schema)
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or -exponent != scale:
        raise DataException("Decimal value has mismatching scale for given Decimal schema")
    unscaled = int("".join(map(str, digits)) or "0")
    if sign:
        unscaled = -unscaled
    # Minimal two's complement, as BigInteger.toByteArray (-128 is one byte: 0x80).
    length = (unscaled.bit_length() if unscaled >= 0 else (~unscaled).bit_length()) // 8 + 1
    return unscaled.to_bytes(length, "big", signed=True)


def decimal_from_bytes(schema: Schema, data: bytes) -> decimal.Decimal:
    """The inverse of `decimal_to_bytes`."""
    scale = decimal_scale(schema)
    unscaled = int.from_bytes(data, "big", signed=True)
    # Built from its digits: exact at any precision (scaleb would round to the context's 28 digits).
    return decimal.Decimal((int(unscaled < 0), tuple(map(int, str(abs(unscaled)))), -scale))


def date_to_days(value: dt.date) -> int:
    """Days since 1970-01-01, as `Date.fromLogical`."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        if value.time() != dt.time(0):
            raise DataException("Kafka Connect Date type should not have any time fields set to non-zero values.")
        value = value.date()
    return (value - EPOCH_DATE).days


def date_from_days(days: int) -> dt.date:
    return EPOCH_DATE + dt.timedelta(days=days)


def time_to_millis(value: dt.time | dt.datetime) -> int:
    """Milliseconds since midnight, as `Time.fromLogical`."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        if value.date() != EPOCH_DATE:
            raise DataException("Kafka Connect Time type should not have any date fields set to non-zero values.")
        value = value.time()
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000


def time_from_millis(millis: int) -> dt.time:
    if not 0 <= millis < MILLIS_PER_DAY:
        raise DataException("Time values must use number of milliseconds greater than 0 and less than 86400000")
    seconds, ms = divmod(millis, 1000)
    minutes, s = divmod(seconds, 60)
    h, m = divmod(minutes, 60)
    return dt.time(h, m, s, ms * 1000)


def timestamp_to_millis(value: dt.datetime) -> int:
    """Milliseconds since the epoch; a naive datetime counts as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def timestamp_from_millis(millis: int) -> dt.datetime:
    return EPOCH + dt.timedelta(milliseconds=millis)


def is_logical(schema: Schema | None, name: str) -> bool:
    return schema is not None and schema.name == name


__all__ = [
    "DATE_NAME", "DATE_SCHEMA", "DECIMAL_NAME", "DECIMAL_SCALE", "LOGICAL_NAMES",
    "OPTIONAL_DATE_SCHEMA", "OPTIONAL_TIMESTAMP_SCHEMA", "OPTIONAL_TIME_SCHEMA",
    "TIMESTAMP_NAME", "TIMESTAMP_SCHEMA", "TIME_NAME", "TIME_SCHEMA", "Type",
    "date_builder", "date_from_days", "date_to_days", "decimal_builder", "decimal_from_bytes",
    "decimal_scale", "decimal_schema", "decimal_to_bytes", "is_logical", "time_builder",
    "time_from_millis", "time_to_millis", "timestamp_builder", "timestamp_from_millis",
    "timestamp_to_millis",
]
