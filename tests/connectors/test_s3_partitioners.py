"""Partitioners, timestamp extractors and Joda-Time path formats (no server needed)."""

from __future__ import annotations

import datetime as dt

import pytest

from pyconnect_flow.connectors.s3.config import CONFIG, S3SinkSettings
from pyconnect_flow.connectors.s3.partitioners import PartitionException, create_partitioner
from pyconnect_flow.connectors.s3.timeformat import JodaFormat, next_scheduled_rotation, start_of_bucket, zone
from pyconnect_flow.data.logical import TIMESTAMP_SCHEMA
from pyconnect_flow.data.schema import (
    BOOLEAN_SCHEMA,
    INT32_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
)
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.record import Record

TS = 1_714_568_400_123  # 2024-05-01T13:00:00.123Z


def settings(**extra: str) -> S3SinkSettings:
    raw = {"s3.bucket.name": "b", "format.class": "JsonFormat", "flush.size": "10",
           **{k.replace("_", "."): v for k, v in extra.items()}}
    values, issues = CONFIG.check(raw)
    assert not issues
    return S3SinkSettings.from_config(values)


ADDRESS = SchemaBuilder.struct().field("city", STRING_SCHEMA).build()
VALUE = (SchemaBuilder.struct().name("Order").field("country", STRING_SCHEMA).field("n", INT32_SCHEMA)
         .field("vip", BOOLEAN_SCHEMA).field("note", OPTIONAL_STRING_SCHEMA).field("address", ADDRESS)
         .field("at", TIMESTAMP_SCHEMA).build())


def order(**over: object) -> Record:
    values = {"country": "NL", "n": 7, "vip": True, "note": None, "address": Struct(ADDRESS, {"city": "Delft"}),
              "at": dt.datetime(2024, 5, 1, 13, 0, tzinfo=dt.timezone.utc)}
    values.update(over)
    return Record("orders", None, Struct(VALUE, values), 3, 42, None, VALUE, (), TS)


def test_default_partitioner() -> None:
    p = create_partitioner(settings())
    assert p.encode(order(), 0) == "partition=3"
    assert p.path("orders", "partition=3") == "orders/partition=3"


def test_field_partitioner_with_nested_null_and_boolean_fields() -> None:
    p = create_partitioner(settings(**{"partitioner.class": "FieldPartitioner",
                                       "partition.field.name": "country,address.city,vip,note,n"}))
    assert p.encode(order(), 0) == "country=NL/address.city=Delft/vip=true/note=null/n=7"


def test_field_partitioner_rejects_schemaless_values_and_unknown_fields() -> None:
    p = create_partitioner(settings(**{"partitioner.class": "FieldPartitioner", "partition.field.name": "missing"}))
    with pytest.raises(PartitionException):
        p.encode(order(), 0)
    with pytest.raises(PartitionException):
        p.encode(Record("orders", None, {"country": "NL"}, 0, 1), 0)


def test_hourly_and_daily_with_record_time() -> None:
    hourly = create_partitioner(settings(**{"partitioner.class": "HourlyPartitioner", "locale": "en-US",
                                            "timezone": "UTC", "timestamp.extractor": "Record"}))
    assert hourly.encode(order(), 0) == "year=2024/month=05/day=01/hour=13"
    daily = create_partitioner(settings(**{"partitioner.class": "DailyPartitioner", "locale": "en-US",
                                           "timezone": "America/New_York", "timestamp.extractor": "Record"}))
    assert daily.encode(order(), 0) == "year=2024/month=05/day=01"
    assert daily.encode(order()._replace(timestamp=TS - 14 * 3_600_000), 0) == "year=2024/month=04/day=30"


def test_time_based_with_record_field_duration_and_custom_format() -> None:
    p = create_partitioner(settings(**{
        "partitioner.class": "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
        "path.format": "'dt'=YYYY-MM-dd/'hm'=HHmm/", "partition.duration.ms": "900000", "locale": "en",
        "timezone": "Asia/Kolkata", "timestamp.extractor": "RecordField", "timestamp.field": "at"}))
    # 13:00Z is 18:30 in Kolkata; quarter-hour buckets in local time
    assert p.encode(order(), 0) == "dt=2024-05-01/hm=1830"
    assert p.encode(order(at=dt.datetime(2024, 5, 1, 13, 14, tzinfo=dt.timezone.utc)), 0) == "dt=2024-05-01/hm=1830"
    assert p.encode(order(at=dt.datetime(2024, 5, 1, 13, 15, tzinfo=dt.timezone.utc)), 0) == "dt=2024-05-01/hm=1845"


def test_record_field_extractor_accepts_numbers_strings_and_maps() -> None:
    p = create_partitioner(settings(**{"partitioner.class": "HourlyPartitioner", "locale": "en", "timezone": "UTC",
                                       "timestamp.extractor": "RecordField", "timestamp.field": "meta.ts"}))
    for value in (TS, str(TS), "2024-05-01T13:00:00.123Z"):
        rec = Record("t", None, {"meta": {"ts": value}}, 0, 0)
        assert p.encode(rec, 0) == "year=2024/month=05/day=01/hour=13"
    with pytest.raises(PartitionException):
        p.encode(Record("t", None, {"meta": {"ts": None}}, 0, 0), 0)


def test_record_extractor_without_timestamp_fails_and_wallclock_uses_now() -> None:
    record_ts = create_partitioner(settings(**{"partitioner.class": "HourlyPartitioner", "locale": "en",
                                               "timezone": "UTC", "timestamp.extractor": "Record"}))
    with pytest.raises(PartitionException):
        record_ts.encode(order()._replace(timestamp=None), 0)
    wall = create_partitioner(settings(**{"partitioner.class": "HourlyPartitioner", "locale": "en", "timezone": "UTC"}))
    assert wall.encode(order(), 0) == "year=1970/month=01/day=01/hour=00"
    assert not wall.deterministic and record_ts.deterministic


def test_joda_letters() -> None:
    fmt = JodaFormat("YYYY-MM-dd'T'HH:mm:ss.SSS Z EEE MMM D 'o''clock' yy hh a", zone("+05:30"))
    assert fmt.format(TS) == "2024-05-01T18:30:00.123 +0530 Wed May 122 o'clock 24 06 PM"


def test_buckets_and_schedule_follow_the_local_day() -> None:
    ny = zone("America/New_York")
    assert start_of_bucket(zone("UTC"), TS, 3_600_000) == TS - 123
    day_start = start_of_bucket(ny, TS, 86_400_000)
    assert dt.datetime.fromtimestamp(day_start / 1000, ny).hour == 0
    # every 7 hours from local midnight, but never past the next midnight
    nxt = next_scheduled_rotation(ny, TS, 7 * 3_600_000)
    assert dt.datetime.fromtimestamp(nxt / 1000, ny).hour == 14
    late = next_scheduled_rotation(ny, day_start + 22 * 3_600_000, 7 * 3_600_000)
    assert late == day_start + 24 * 3_600_000
