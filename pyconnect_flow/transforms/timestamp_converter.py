"""TimestampConverter$Key / $Value: convert timestamps between strings, Unix time and Connect's Date/Time/Timestamp.

As Kafka's `org.apache.kafka.connect.transforms.TimestampConverter`. The whole
key/value (empty `field`) or one top-level field is converted to `target.type`:

| target.type | Python value | schema |
|---|---|---|
| `string` | text in the SimpleDateFormat `format` (UTC) | STRING |
| `unix` | int in `unix.precision` (seconds … nanoseconds) | INT64 |
| `Date` | `datetime.date` (time of day dropped) | Date |
| `Time` | `datetime.time` (date dropped) | Time |
| `Timestamp` | UTC `datetime.datetime` | Timestamp |

The input kind comes from the schema (Date/Time/Timestamp logical types,
STRING = text in `format`, INT64 = Unix time) or, schemaless, from the Python
type (datetime/date/time, int, str). Schemaless, only a Java `Long` is Unix time, as in Kafka: an int that
a Cast to int8/int16/int32 or InsertField's partition made a `Byte`/`Short`/`Integer`
(`data.java_ints`) is refused. Everything passes through epoch
milliseconds, as Kafka's `java.util.Date`: sub-millisecond precision is lost::

    TimestampConverter.value(field="ts", target_type="string", format="yyyy-MM-dd HH:mm:ss")
    TimestampConverter.key(target_type="Timestamp", unix_precision="seconds")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.definition import ConfigDef, ConfigIssue, ConfigKey, ConfigType
from pyconnect_flow.data import (
    INT64_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    ConnectException,
    DataException,
    Schema,
    Struct,
    Type,
    logical,
)
from pyconnect_flow.data.dateformat import DateFormatError, SimpleDateFormat
from pyconnect_flow.data.java_dates import temporal_to_millis
from pyconnect_flow.data.java_hashmap import java_copied
from pyconnect_flow.data.java_ints import JavaInt
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.util import (
    KeyValueTransform,
    SchemaCache,
    copy_schema_basics,
    require_map,
    require_struct_or_null,
    type_name,
)

__all__ = ["TRANSFORMS", "TimestampConverter", "TimestampConverterKey", "TimestampConverterValue"]

PURPOSE = "converting timestamp formats"
TYPES = ("string", "unix", "Date", "Time", "Timestamp")
PRECISIONS = ("nanoseconds", "microseconds", "milliseconds", "seconds")
_DAY = logical.MILLIS_PER_DAY
_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1

_TYPE_SCHEMAS: dict[str, tuple[Schema, Schema]] = {  # target type -> (required, optional) schema
    "string": (STRING_SCHEMA, OPTIONAL_STRING_SCHEMA),
    "unix": (INT64_SCHEMA, OPTIONAL_INT64_SCHEMA),
    "Date": (logical.DATE_SCHEMA, logical.OPTIONAL_DATE_SCHEMA),
    "Time": (logical.TIME_SCHEMA, logical.OPTIONAL_TIME_SCHEMA),
    "Timestamp": (logical.TIMESTAMP_SCHEMA, logical.OPTIONAL_TIMESTAMP_SCHEMA),
}
_LOGICAL_SOURCES = {logical.TIMESTAMP_NAME: "Timestamp", logical.DATE_NAME: "Date", logical.TIME_NAME: "Time"}
_EXPECTED = {"Date": "Date", "Time": "Time", "Timestamp": "Timestamp"}


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(value: Any) -> str | None:
        return None if value in choices else f"Invalid value {value}: String must be one of: {', '.join(choices)}"
    return check


def _saturate(n: int) -> int:
    return _LONG_MIN if n < _LONG_MIN else _LONG_MAX if n > _LONG_MAX else n


def _trunc_div(n: int, d: int) -> int:
    """Java's integer division (rounds toward zero), as TimeUnit conversions do."""
    q = abs(n) // d
    return -q if n < 0 else q


class TimestampConverter(KeyValueTransform):
    """Convert timestamps between Unix epoch, strings, and Connect Date/Time/Timestamp types."""

    KAFKA_NAME = "TimestampConverter"
    CONFIG = ConfigDef([
        ConfigKey("field", ConfigType.STRING, "",
                  "The field containing the timestamp, or empty if the entire value is a timestamp", importance="high"),
        ConfigKey("target.type", ConfigType.STRING, doc="The desired timestamp representation: string, unix, Date, "
                  "Time, or Timestamp", validator=_one_of(TYPES), importance="high"),
        ConfigKey("format", ConfigType.STRING, "", "A SimpleDateFormat-compatible format for the timestamp. Used to "
                  "generate the output when type=string or used to parse the input if the input is a string."),
        ConfigKey("unix.precision", ConfigType.STRING, "milliseconds",
                  "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. "
                  "Used to generate the output when type=unix or used to parse the input if the input is a Long.",
                  validator=_one_of(PRECISIONS), importance="low"),
        ConfigKey("replace.null.with.default", ConfigType.BOOLEAN, True,
                  "Whether to replace fields that have a default value and that are null to the default value. "
                  "When set to true, the default value is used, otherwise null is used."),
    ])

    _field: str
    _target: str
    _format: SimpleDateFormat | None
    _precision: str
    _replace_null: bool
    _schemas: SchemaCache

    @classmethod
    def validate_values(cls, values: Mapping[str, Any]) -> list[ConfigIssue]:
        pattern = (values.get("format") or "").strip()
        if values["target.type"] == "string" and not pattern:
            return [ConfigIssue("format", "TimestampConverter requires format option to be specified when using "
                                "string timestamps")]
        if pattern:
            try:
                SimpleDateFormat(pattern)
            except DateFormatError as exc:
                return [ConfigIssue("format", "TimestampConverter requires a SimpleDateFormat-compatible pattern for "
                                    f"string timestamps: {pattern} ({exc})")]
        return []

    def _configure(self, values: Mapping[str, Any]) -> None:
        self._field = values["field"] or ""
        self._target = values["target.type"]
        pattern = (values["format"] or "").strip()
        self._format = SimpleDateFormat(pattern) if pattern else None
        self._precision = values["unix.precision"]
        self._replace_null = values["replace.null.with.default"]
        self._schemas = SchemaCache()

    # record ---------------------------------------------------------------
    def __call__(self, record: Record) -> Record:
        value, schema = self._operating(record)
        if schema is None:
            new_schema, new_value = None, self._schemaless(value)
        elif not self._field:
            new_schema = _TYPE_SCHEMAS[self._target][1 if schema.optional else 0]
            new_value = self.convert(value, self._source_type(schema))
        else:
            struct = require_struct_or_null(value, PURPOSE)
            new_schema = self._schemas.get_or_build(schema, self._updated_schema)
            new_value = self._convert_struct(struct, new_schema)
        return self._with_part(record, new_value, new_schema)

    def _schemaless(self, value: Any) -> Any:
        if value is None or not self._field:
            return self.convert(value)
        original = require_map(value, PURPOSE)
        data = dict(original)
        data[self._field] = self.convert(data.get(self._field))
        return java_copied(tuple(original), data)

    def _updated_schema(self, schema: Schema) -> Schema:
        builder = copy_schema_basics(schema)
        for f in schema.fields or ():
            if f.name == self._field:
                builder.field(f.name, _TYPE_SCHEMAS[self._target][1 if f.schema.optional else 0])
            else:
                builder.field(f.name, f.schema)
        if schema.optional:
            builder.optional()
        updated = builder.build()
        if schema.default is not None:
            # The converted default is a struct of the schema without default (as Kafka's, whose default
            # is a struct of the builder): a struct of `updated` itself would make schema equality recurse.
            default = self._convert_struct(schema.default, builder.build())
            object.__setattr__(updated, "default", default)
        return updated

    def _convert_struct(self, struct: Struct | None, schema: Schema) -> Struct | None:
        if struct is None:
            return None
        out = Struct(schema)
        for f in struct.schema.fields or ():
            value = struct.get(f) if self._replace_null else struct.get_without_default(f.name)
            if f.name == self._field:
                value = self.convert(value, self._source_type(f.schema))
            out.put(f.name, value)
        return out

    # conversion -----------------------------------------------------------
    @staticmethod
    def _source_type(schema: Schema) -> str:
        """The input kind a schema stands for (Kafka: `timestampTypeFromSchema`)."""
        kind = _LOGICAL_SOURCES.get(schema.name or "")
        if kind is not None:
            return kind
        if schema.type is Type.STRING:
            return "string"
        if schema.type is Type.INT64:
            return "unix"
        raise ConnectException(f"Schema {schema!r} does not correspond to a known timestamp type format")

    def convert(self, value: Any, source_type: str | None = None) -> Any:
        """`value` (of `source_type`, or inferred from its Python type) as the target type; None stays None."""
        if value is None:
            return None
        if source_type is None:
            source_type = _infer_type(value)
        return self._to_type(self._to_millis(value, source_type))

    def _to_millis(self, value: Any, source_type: str) -> int:
        if source_type == "string":
            if not isinstance(value, str):
                raise DataException(f"Expected string timestamp to be a String, but found {type_name(value)}")
            if self._format is None:
                raise DataException("TimestampConverter requires format option to be specified to parse "
                                    "string timestamps")
            try:
                return self._format.parse(value)
            except DateFormatError:
                raise DataException(f"Could not parse timestamp: value ({value}) does not match pattern "
                                    f"({self._format.pattern})") from None
        if source_type == "unix":
            if not isinstance(value, int) or isinstance(value, bool):
                raise DataException(f"Expected Unix timestamp to be a Long, but found {type_name(value)}")
            precision = self._precision
            if precision == "seconds":
                return _saturate(value * 1000)
            if precision == "microseconds":
                return _trunc_div(value, 1000)
            if precision == "nanoseconds":
                return _trunc_div(value, 1_000_000)
            return value
        if not isinstance(value, (dt.date, dt.time)):
            raise DataException(f"Expected {_EXPECTED[source_type]} to be a java.util.Date, but found "
                                f"{type_name(value)}")
        return temporal_to_millis(value)

    def _to_type(self, millis: int) -> Any:
        target = self._target
        try:
            if target == "Timestamp":
                return logical.timestamp_from_millis(millis)
            if target == "unix":
                precision = self._precision
                if precision == "seconds":
                    return _trunc_div(millis, 1000)
                if precision == "microseconds":
                    return _saturate(millis * 1000)
                if precision == "nanoseconds":
                    return _saturate(millis * 1_000_000)
                return millis
            if target == "string":
                assert self._format is not None
                return self._format.format(millis)
            if target == "Date":
                return logical.date_from_days(millis // _DAY)
            return logical.time_from_millis(millis % _DAY)
        except OverflowError:
            raise DataException(f"Timestamp {millis} ms is out of the range of {target} values") from None

    def __repr__(self) -> str:
        parts = [f"target_type={self._target!r}"]
        if self._field:
            parts.append(f"field={self._field!r}")
        if self._format is not None:
            parts.append(f"format={self._format.pattern!r}")
        if self._precision != "milliseconds":
            parts.append(f"unix_precision={self._precision!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _infer_type(value: Any) -> str:
    """The input kind of a schemaless value (Kafka: `inferTimestampType`)."""
    if isinstance(value, (dt.date, dt.time)):
        return "Timestamp"
    if isinstance(value, int) and not isinstance(value, (bool, JavaInt)):  # a Long: a Short or Integer is not
        return "unix"
    if isinstance(value, str):
        return "string"
    kind = f"class {value.JAVA_CLASS}" if isinstance(value, JavaInt) else type_name(value)
    raise DataException(f"TimestampConverter does not support {kind} objects as timestamps")


class TimestampConverterKey(TimestampConverter):
    """TimestampConverter$Key: converts the record key (or one of its fields)."""

    TARGET = "key"
    KAFKA_NAME = "TimestampConverter$Key"


class TimestampConverterValue(TimestampConverter):
    """TimestampConverter$Value: converts the record value (or one of its fields)."""

    TARGET = "value"
    KAFKA_NAME = "TimestampConverter$Value"


TimestampConverter.Key = TimestampConverterKey
TimestampConverter.Value = TimestampConverterValue

TRANSFORMS: dict[str, type[Transform]] = {
    "TimestampConverter$Key": TimestampConverterKey,
    "TimestampConverter$Value": TimestampConverterValue,
}
