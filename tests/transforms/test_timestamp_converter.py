"""TimestampConverter$Key / $Value, modelled on Kafka's `TimestampConverterTest`."""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.data import (
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    ConnectException,
    DataException,
    Schema,
    SchemaBuilder,
    Struct,
    logical,
)
from pyconnect_flow.record import Record
from pyconnect_flow.transforms import TimestampConverter
from pyconnect_flow.transforms.timestamp_converter import TRANSFORMS, TimestampConverterKey, TimestampConverterValue

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
TIME = dt.time(0, 0, 1, 234000)                      # 1234 ms after midnight
DATE = dt.date(1970, 1, 2)
DATE_PLUS_TIME = dt.datetime(1970, 1, 2, 0, 0, 1, 234000, tzinfo=UTC)
DATE_PLUS_TIME_UNIX = 86_401_234
DATE_PLUS_TIME_UNIX_MICROS = DATE_PLUS_TIME_UNIX * 1000 + 123
DATE_PLUS_TIME_UNIX_NANOS = DATE_PLUS_TIME_UNIX_MICROS * 1000 + 456
DATE_PLUS_TIME_UNIX_SECONDS = DATE_PLUS_TIME_UNIX // 1000
STRING_DATE_FMT = "yyyy MM dd HH mm ss SSS z"
DATE_PLUS_TIME_STRING = "1970 01 02 00 00 01 234 UTC"

OPTIONAL_DATE = logical.OPTIONAL_DATE_SCHEMA
OPTIONAL_TIME = logical.OPTIONAL_TIME_SCHEMA
OPTIONAL_TIMESTAMP = logical.OPTIONAL_TIMESTAMP_SCHEMA


def value_xform(**props: Any) -> TimestampConverter:
    return TimestampConverterValue.from_config({k.replace("_", "."): v for k, v in props.items()})


def record(schema: Schema | None, value: Any) -> Record:
    return Record("topic", partition=0, value=value, value_schema=schema)


# configuration -------------------------------------------------------------------

def test_config_no_target_type() -> None:
    with pytest.raises(ConfigException, match="target.type"):
        value_xform()


def test_config_invalid_target_type() -> None:
    with pytest.raises(ConfigException, match="String must be one of: string, unix, Date, Time, Timestamp"):
        value_xform(target_type="invalid")


def test_config_invalid_unix_precision() -> None:
    with pytest.raises(ConfigException, match="unix.precision"):
        value_xform(target_type="unix", unix_precision="invalid")


def test_config_valid_unix_precision() -> None:
    value_xform(target_type="unix", unix_precision="seconds")


def test_config_missing_format() -> None:
    with pytest.raises(ConfigException, match="requires format option to be specified when using string timestamps"):
        value_xform(target_type="string")


def test_config_invalid_format() -> None:
    with pytest.raises(ConfigException, match="SimpleDateFormat-compatible pattern for string timestamps: bad-format"):
        value_xform(target_type="string", format="bad-format")


def test_config_target_type_is_case_sensitive_and_reported_with_full_names() -> None:
    issues = TimestampConverterValue.check_config({"target.type": "timestamp"}, "transforms.ts.")
    assert [i.key for i in issues] == ["transforms.ts.target.type"]


# schemaless: Timestamp -> other types ------------------------------------------------

def test_schemaless_identity() -> None:
    transformed = value_xform(target_type="Timestamp")(record(None, DATE_PLUS_TIME))
    assert transformed.value_schema is None and transformed.value == DATE_PLUS_TIME


def test_schemaless_timestamp_to_date() -> None:
    assert value_xform(target_type="Date")(record(None, DATE_PLUS_TIME)).value == DATE


def test_schemaless_timestamp_to_time() -> None:
    assert value_xform(target_type="Time")(record(None, DATE_PLUS_TIME)).value == TIME


def test_schemaless_timestamp_to_unix() -> None:
    assert value_xform(target_type="unix")(record(None, DATE_PLUS_TIME)).value == DATE_PLUS_TIME_UNIX


def test_schemaless_timestamp_to_string() -> None:
    xform = value_xform(target_type="string", format=STRING_DATE_FMT)
    assert xform(record(None, DATE_PLUS_TIME)).value == DATE_PLUS_TIME_STRING


# schemaless: core types -> Timestamp ----------------------------------------------------

def test_schemaless_date_to_timestamp() -> None:
    assert value_xform(target_type="Timestamp")(record(None, DATE)).value == dt.datetime(1970, 1, 2, tzinfo=UTC)


def test_schemaless_time_to_timestamp() -> None:
    assert value_xform(target_type="Timestamp")(record(None, TIME)).value == EPOCH + dt.timedelta(milliseconds=1234)


def test_schemaless_unix_to_timestamp() -> None:
    assert value_xform(target_type="Timestamp")(record(None, DATE_PLUS_TIME_UNIX)).value == DATE_PLUS_TIME


def test_schemaless_string_to_timestamp() -> None:
    xform = value_xform(target_type="Timestamp", format=STRING_DATE_FMT)
    assert xform(record(None, DATE_PLUS_TIME_STRING)).value == DATE_PLUS_TIME


def test_schemaless_naive_datetime_counts_as_utc_and_loses_microseconds() -> None:
    xform = value_xform(target_type="unix")
    assert xform(record(None, dt.datetime(1970, 1, 2, 0, 0, 1, 234567))).value == DATE_PLUS_TIME_UNIX


# with schema: Timestamp -> other types -------------------------------------------------

@pytest.mark.parametrize(("target", "schema", "value"), [
    ("Timestamp", logical.TIMESTAMP_SCHEMA, DATE_PLUS_TIME),
    ("Date", logical.DATE_SCHEMA, DATE),
    ("Time", logical.TIME_SCHEMA, TIME),
    ("unix", INT64_SCHEMA, DATE_PLUS_TIME_UNIX),
    ("string", STRING_SCHEMA, DATE_PLUS_TIME_STRING),
])
def test_with_schema_timestamp_to(target: str, schema: Schema, value: Any) -> None:
    xform = value_xform(target_type=target, format=STRING_DATE_FMT)
    transformed = xform(record(logical.TIMESTAMP_SCHEMA, DATE_PLUS_TIME))
    assert transformed.value_schema == schema
    assert transformed.value == value


# with schema: core types -> Timestamp -------------------------------------------------

@pytest.mark.parametrize(("schema", "value", "expected"), [
    (logical.DATE_SCHEMA, DATE, dt.datetime(1970, 1, 2, tzinfo=UTC)),
    (logical.TIME_SCHEMA, TIME, EPOCH + dt.timedelta(milliseconds=1234)),
    (INT64_SCHEMA, DATE_PLUS_TIME_UNIX, DATE_PLUS_TIME),
    (STRING_SCHEMA, DATE_PLUS_TIME_STRING, DATE_PLUS_TIME),
])
def test_with_schema_to_timestamp(schema: Schema, value: Any, expected: dt.datetime) -> None:
    transformed = value_xform(target_type="Timestamp", format=STRING_DATE_FMT)(record(schema, value))
    assert transformed.value_schema == logical.TIMESTAMP_SCHEMA
    assert transformed.value == expected


# null values ------------------------------------------------------------------------

TARGETS = {"Timestamp": OPTIONAL_TIMESTAMP, "unix": OPTIONAL_INT64_SCHEMA, "Time": OPTIONAL_TIME,
           "Date": OPTIONAL_DATE, "string": OPTIONAL_STRING_SCHEMA}
ORIGINALS = [OPTIONAL_INT64_SCHEMA, OPTIONAL_TIME, OPTIONAL_DATE, OPTIONAL_STRING_SCHEMA, OPTIONAL_TIMESTAMP]


@pytest.mark.parametrize("target", list(TARGETS))
def test_schemaless_null_value_and_field(target: str) -> None:
    for field in ("", "ts"):
        transformed = value_xform(target_type=target, format=STRING_DATE_FMT, field=field)(record(None, None))
        assert transformed.value_schema is None and transformed.value is None


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("original", ORIGINALS)
def test_with_schema_null_value(target: str, original: Schema) -> None:
    transformed = value_xform(target_type=target, format=STRING_DATE_FMT)(record(original, None))
    assert transformed.value_schema == TARGETS[target]
    assert transformed.value is None


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("original", ORIGINALS)
def test_with_schema_null_field(target: str, original: Schema) -> None:
    xform = value_xform(target_type=target, format=STRING_DATE_FMT, field="ts")
    struct_schema = SchemaBuilder.struct().field("ts", original).field("other", STRING_SCHEMA)
    expected_schema = SchemaBuilder.struct().field("ts", TARGETS[target]).field("other", STRING_SCHEMA)
    original_value = Struct(struct_schema.build()).put("ts", None).put("other", "test")

    transformed = xform(record(struct_schema.build(), original_value))
    assert transformed.value_schema == expected_schema.build()
    assert transformed.value.get("ts") is None

    transformed = xform(record(struct_schema.optional().build(), None))
    assert transformed.value_schema == expected_schema.optional().build()
    assert transformed.value is None


# field conversion -------------------------------------------------------------------

def test_schemaless_field_conversion() -> None:
    xform = value_xform(target_type="Date", field="ts")
    assert xform(record(None, {"ts": DATE_PLUS_TIME})).value == {"ts": DATE}


def test_schemaless_field_conversion_adds_a_missing_field_as_null() -> None:
    xform = value_xform(target_type="Date", field="ts")
    assert xform(record(None, {"other": 1})).value == {"other": 1, "ts": None}


def test_with_schema_field_conversion() -> None:
    xform = value_xform(target_type="Timestamp", field="ts")
    schema = SchemaBuilder.struct().field("ts", INT64_SCHEMA).field("other", STRING_SCHEMA).build()
    transformed = xform(record(schema, Struct(schema).put("ts", DATE_PLUS_TIME_UNIX).put("other", "test")))
    expected = SchemaBuilder.struct().field("ts", logical.TIMESTAMP_SCHEMA).field("other", STRING_SCHEMA).build()
    assert transformed.value_schema == expected
    assert transformed.value.get("ts") == DATE_PLUS_TIME
    assert transformed.value.get("other") == "test"
    assert xform(record(schema, Struct(schema).put("ts", 0).put("other", "x"))).value_schema is transformed.value_schema


@pytest.mark.parametrize(("replace_null", "expected"), [(False, None), (True, EPOCH)])
def test_with_schema_null_field_with_default(replace_null: bool, expected: Any) -> None:
    xform = value_xform(target_type="Timestamp", field="ts", replace_null_with_default=str(replace_null).lower())
    schema = (SchemaBuilder.struct().field("ts", SchemaBuilder.int64().optional().default_value(0).build())
              .field("other", STRING_SCHEMA).build())
    transformed = xform(record(schema, Struct(schema).put("ts", None).put("other", "test")))
    expected_schema = (SchemaBuilder.struct().field("ts", logical.timestamp_builder().optional().build())
                       .field("other", STRING_SCHEMA).build())
    assert transformed.value_schema == expected_schema
    assert transformed.value.get("ts") == expected
    assert transformed.value.get("other") == "test"


def test_struct_schema_default_is_converted_too() -> None:
    base = SchemaBuilder.struct().field("ts", INT64_SCHEMA).optional().build()
    default = Struct(base).put("ts", 86_400_000)
    schema = SchemaBuilder.struct().field("ts", INT64_SCHEMA).optional().default_value(default).build()
    transformed = value_xform(target_type="Date", field="ts")(record(schema, None))
    assert transformed.value is None
    assert transformed.value_schema.optional
    assert transformed.value_schema.default.get("ts") == DATE


@pytest.mark.parametrize(("precision", "value"), [
    ("microseconds", DATE_PLUS_TIME_UNIX_MICROS), ("nanoseconds", DATE_PLUS_TIME_UNIX_NANOS),
])
def test_with_schema_field_conversion_sub_millis(precision: str, value: int) -> None:
    xform = value_xform(target_type="Timestamp", field="ts", unix_precision=precision)
    schema = SchemaBuilder.struct().field("ts", INT64_SCHEMA).build()
    transformed = xform(record(schema, Struct(schema).put("ts", value)))
    assert transformed.value_schema == SchemaBuilder.struct().field("ts", logical.TIMESTAMP_SCHEMA).build()
    assert transformed.value.get("ts") == DATE_PLUS_TIME


def test_with_schema_field_conversion_seconds() -> None:
    xform = value_xform(target_type="Timestamp", field="ts", unix_precision="seconds")
    schema = SchemaBuilder.struct().field("ts", INT64_SCHEMA).build()
    transformed = xform(record(schema, Struct(schema).put("ts", DATE_PLUS_TIME_UNIX_SECONDS)))
    assert transformed.value.get("ts") == dt.datetime(1970, 1, 2, 0, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize(("precision", "expected"), [
    ("microseconds", 86_401_234_000), ("nanoseconds", 86_401_234_000_000), ("seconds", DATE_PLUS_TIME_UNIX_SECONDS),
    ("milliseconds", DATE_PLUS_TIME_UNIX),
])
def test_schemaless_string_to_unix(precision: str, expected: int) -> None:
    xform = value_xform(target_type="unix", unix_precision=precision, format=STRING_DATE_FMT)
    assert xform(record(None, DATE_PLUS_TIME_STRING)).value == expected


def test_unix_conversions_truncate_toward_zero_like_java() -> None:
    before_epoch = EPOCH - dt.timedelta(milliseconds=1500)
    assert value_xform(target_type="unix", unix_precision="seconds")(record(None, before_epoch)).value == -1
    to_ts = value_xform(target_type="Timestamp", unix_precision="microseconds")
    assert to_ts(record(None, -1500)).value == EPOCH - dt.timedelta(milliseconds=1)


def test_key() -> None:
    xform = TimestampConverterKey.from_config({"target.type": "Timestamp"})
    transformed = xform(Record("topic", partition=0, key=DATE_PLUS_TIME))
    assert transformed.key_schema is None and transformed.key == DATE_PLUS_TIME
    assert TimestampConverter.key(target_type="unix")(Record("t", key=DATE_PLUS_TIME, value="v")) == Record(
        "t", key=DATE_PLUS_TIME_UNIX, value="v")


# errors ------------------------------------------------------------------------------

def test_unsupported_values_and_schemas() -> None:
    xform = value_xform(target_type="unix")
    with pytest.raises(DataException, match="TimestampConverter does not support float objects as timestamps"):
        xform(record(None, 1.5))
    with pytest.raises(ConnectException, match="does not correspond to a known timestamp type format"):
        xform(record(INT32_SCHEMA, 5))
    with pytest.raises(DataException, match="Expected Timestamp to be a java.util.Date, but found int"):
        xform(record(logical.TIMESTAMP_SCHEMA, 5))
    with pytest.raises(DataException, match="Expected Unix timestamp to be a Long, but found str"):
        xform(record(INT64_SCHEMA, "5"))
    with pytest.raises(DataException, match=r"Only Map objects supported in absence of schema for "
                                            r"\[converting timestamp formats\], found: str"):
        value_xform(target_type="unix", field="ts")(record(None, "x"))
    with pytest.raises(DataException, match=r"Only Struct objects supported for \[converting timestamp formats\]"):
        value_xform(target_type="unix", field="ts")(record(SchemaBuilder.struct().build(), {"ts": 1}))


def test_unparseable_string() -> None:
    xform = value_xform(target_type="unix", format="yyyy-MM-dd")
    with pytest.raises(DataException, match=r"Could not parse timestamp: value \(yesterday\) does not match pattern "
                                            r"\(yyyy-MM-dd\)"):
        xform(record(None, "yesterday"))
    with pytest.raises(DataException, match="format option"):
        value_xform(target_type="unix")(record(None, "2020-01-01"))


def test_out_of_range_for_python_datetime() -> None:
    with pytest.raises(DataException, match="out of the range"):
        value_xform(target_type="Timestamp")(record(None, 10**17))


def test_pickles_and_names() -> None:
    xform = pickle.loads(pickle.dumps(TimestampConverter.value(target_type="string", format="yyyy", field="ts")))
    assert xform(record(None, {"ts": DATE_PLUS_TIME})).value == {"ts": "1970"}
    assert repr(xform) == "TimestampConverterValue(target_type='string', field='ts', format='yyyy')"
    assert TRANSFORMS == {"TimestampConverter$Key": TimestampConverterKey,
                          "TimestampConverter$Value": TimestampConverterValue}
    with pytest.raises(TypeError):
        TimestampConverter(target_type="Date")


# Schemaless, Kafka reads only a java.lang.Long as Unix time (`inferTimestampType`): the Byte/Short/Integer
# a Cast to int8/int16/int32 (or InsertField's partition) puts into a map is refused (checked by running
# Kafka Connect 4.3.1's transforms: "TimestampConverter does not support class java.lang.Short objects as
# timestamps"), and the record is dropped under errors.tolerance=all.

_T = "org.apache.kafka.connect.transforms."


@pytest.mark.parametrize(("width", "java_class"), [("int8", "Byte"), ("int16", "Short"), ("int32", "Integer"),
                                                   ("int64", None)])
@pytest.mark.parametrize("fused", [True, False])
def test_schemaless_narrow_cast_ints_are_not_unix_timestamps(width: str, java_class: str | None, fused: bool) -> None:
    from pyconnect_flow.transforms import from_config
    from pyconnect_flow.transforms.fused import FusedMapStages
    config = {"transforms": "i,c,t", "transforms.i.type": _T + "InsertField$Value", "transforms.i.static.field": "s",
              "transforms.i.static.value": "x", "transforms.c.type": _T + "Cast$Value", "transforms.c.spec": f"ts:{width}",
              "transforms.t.type": _T + "TimestampConverter$Value", "transforms.t.field": "ts",
              "transforms.t.target.type": "unix"}
    record = Record("t", value={"ts": 1700000000000, "n": 300}, partition=0, offset=0)
    chain = from_config(config)
    if fused:  # InsertField and Cast on a map: one compiled function
        assert isinstance(chain._run[0], FusedMapStages)
        stages: Any = [chain._run[0].function, chain.stages[2]]
    else:
        stages = list(chain.stages)
    if java_class is None:  # a Long: Unix time (1700000000000 as a long, unchanged)
        out = record
        for stage in stages:
            out = stage(out)
        assert out.value == {"ts": 1700000000000, "n": 300, "s": "x"}
        return
    with pytest.raises(DataException, match=rf"^TimestampConverter does not support class java\.lang\.{java_class} "
                                            r"objects as timestamps$"):
        out = record
        for stage in stages:
            out = stage(out)


def test_sink_chain_with_a_short_key_field_drops_keyed_records_only() -> None:
    """The differential case s56: ReplaceField$Key id:topic, Cast$Key topic:int16, ExtractField$Value when,
    TimestampConverter$Key field=topic. Kafka fails every keyed record (the key's `topic` is a Short) and
    passes the null-key ones (a null key is returned as it is)."""
    from pyconnect_flow.transforms import from_config
    chain = from_config({
        "transforms": "t0,t1,t2,t3", "predicates": "p0",
        "transforms.t0.type": _T + "ReplaceField$Key", "transforms.t0.renames": "id:topic",
        "transforms.t1.type": _T + "Cast$Key", "transforms.t1.spec": "topic:int16",
        "transforms.t2.type": _T + "ExtractField$Value", "transforms.t2.field": "when",
        "transforms.t2.predicate": "p0", "predicates.p0.type": _T + "predicates.TopicNameMatches",
        "predicates.p0.pattern": ".*",
        "transforms.t3.type": _T + "TimestampConverter$Key", "transforms.t3.target.type": "Timestamp",
        "transforms.t3.field": "topic", "transforms.t3.format": "yyyy-MM-dd"})
    with pytest.raises(DataException, match=r"class java\.lang\.Short objects"):
        chain(Record("t", key={"id": 0}, value={"when": True}, partition=0, offset=0))
    out = chain(Record("t", key=None, value={"when": True}, partition=0, offset=0))
    assert out is not None and out.key is None and out.value is True


def test_schemaless_partition_field_is_an_integer_not_a_unix_timestamp() -> None:
    """InsertField puts `kafkaPartition()`, an Integer, into a map: TimestampConverter refuses it (Kafka 4.3.1)."""
    from pyconnect_flow.transforms import from_config
    chain = from_config({"transforms": "i,t", "transforms.i.type": _T + "InsertField$Value",
                         "transforms.i.partition.field": "p", "transforms.t.type": _T + "TimestampConverter$Value",
                         "transforms.t.field": "p", "transforms.t.target.type": "unix"})
    with pytest.raises(DataException, match=r"class java\.lang\.Integer objects"):
        chain(Record("t", value={"n": 1}, partition=3, offset=7))
