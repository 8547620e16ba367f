"""Partitioners: where in the bucket a record goes (Confluent's `io.confluent.connect.storage.partitioner`).

A partitioner turns a record into its *encoded partition* (`partition=3`,
`country=NL/city=Delft`, `year=2024/month=05/day=01`); the object key is then
`<topics.dir>/<topic>/<encoded partition>/<topic>+<kafka partition>+<start offset>.<ext>`.
Timestamp extractors give TimeBased partitioners a record's time: `Record`
(the Kafka timestamp), `RecordField` (a value field) or `Wallclock` (now; not
deterministic, so not exactly-once on replay).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from pyconnect_flow.connectors.s3.config import S3SinkSettings
from pyconnect_flow.connectors.s3.timeformat import JodaFormat, start_of_bucket, zone
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.logical import TIMESTAMP_NAME
from pyconnect_flow.data.schema import Type
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.record import Record

DAILY_FORMAT = "'year'=YYYY/'month'=MM/'day'=dd"
HOURLY_FORMAT = "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH"
_LONG_TEXT = re.compile(r"-?[0-9]{1,19}")


class PartitionException(DataException):
    """A record cannot be placed (missing field, wrong type, no timestamp)."""


class Partitioner:
    """Base: `encode(record, now_ms)` gives the encoded partition; `path(topic, encoded)` the directory."""

    deterministic = True
    """True when the encoded partition depends only on the record (replays land in the same place)."""

    def __init__(self, settings: S3SinkSettings) -> None:
        self.delim = settings.directory_delim

    def encode(self, record: Record, now_ms: int) -> str:
        """The encoded partition of `record`."""
        raise NotImplementedError

    def path(self, topic: str, encoded: str) -> str:
        """`<topic><delim><encoded partition>`, as `generatePartitionedPath`."""
        return f"{topic}{self.delim}{encoded}"

    def timestamp(self, record: Record, now_ms: int) -> int | None:
        """The record time used for rotate.interval.ms (None: not a time-based partitioner)."""
        return None


class DefaultPartitioner(Partitioner):
    """`partition=<kafka partition>`."""

    def encode(self, record: Record, now_ms: int) -> str:
        return f"partition={record.partition}"


class FieldPartitioner(Partitioner):
    """`<field>=<value>` for each of `partition.field.name` (dotted names reach into nested structs)."""

    def __init__(self, settings: S3SinkSettings) -> None:
        super().__init__(settings)
        self.fields = [(name, name.split(".")) for name in settings.partition_fields]

    def encode(self, record: Record, now_ms: int) -> str:
        value = record.value
        if not isinstance(value, Struct):
            raise PartitionException("Error encoding partition: the value of " + record.coordinates()
                                     + " is not a Struct (FieldPartitioner needs a value with a schema)")
        parts = []
        for name, path in self.fields:
            parts.append(f"{name}={_field_text(value, name, path)}")
        return self.delim.join(parts)


def _field_text(value: Struct, name: str, path: list[str]) -> str:
    current: Any = value
    schema = value.schema
    for step in path:
        field = current.schema.field(step) if isinstance(current, Struct) else None
        if field is None:
            raise PartitionException(f"Error extracting field {name!r}: no such field in the record value")
        schema = field.schema
        current = current.get(step)
    if current is None:
        return "null"
    if schema.type in (Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.STRING):
        return str(current)
    if schema.type is Type.BOOLEAN:
        return "true" if current else "false"
    raise PartitionException(f"Error encoding partition: field {name!r} has type {schema.type.name}, "
                             "not one of INT8, INT16, INT32, INT64, STRING, BOOLEAN")


class TimestampExtractor:
    """A record's time in epoch milliseconds, as Confluent's `TimestampExtractor`s."""

    deterministic = True

    def extract(self, record: Record, now_ms: int) -> int | None:
        raise NotImplementedError


class WallclockExtractor(TimestampExtractor):
    """The time the sink writes the batch (not deterministic)."""

    deterministic = False

    def extract(self, record: Record, now_ms: int) -> int | None:
        return now_ms


class RecordExtractor(TimestampExtractor):
    """The Kafka record timestamp."""

    def extract(self, record: Record, now_ms: int) -> int | None:
        return record.timestamp


class RecordFieldExtractor(TimestampExtractor):
    """A field of the value: Timestamp, INT32/INT64 millis, a numeric or ISO-8601 string; maps too."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.path = field.split(".")

    def extract(self, record: Record, now_ms: int) -> int | None:
        current: Any = record.value
        schema = None
        for step in self.path:
            if isinstance(current, Struct):
                f = current.schema.field(step)
                if f is None:
                    raise PartitionException(f"Unable to find field {self.field!r} in the value of "
                                             + record.coordinates())
                schema = f.schema
                current = current.get(step)
            elif isinstance(current, Mapping):
                schema = None
                current = current.get(step)
            else:
                raise PartitionException(f"Unable to extract timestamp field {self.field!r} from "
                                         + record.coordinates())
        return _timestamp_of(current, schema, self.field)


def _timestamp_of(value: Any, schema: Any, name: str) -> int:
    if value is None:
        raise PartitionException(f"Timestamp field {name!r} is null")
    if schema is not None and schema.name == TIMESTAMP_NAME or isinstance(value, dt.datetime):
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=dt.timezone.utc)
            return int(value.timestamp() * 1000)
    if isinstance(value, bool):
        raise PartitionException(f"Timestamp field {name!r} is a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if _LONG_TEXT.fullmatch(value):
            return int(value)
        return _parse_iso(value, name)
    if isinstance(value, dt.date):
        return int(dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc).timestamp() * 1000)
    raise PartitionException(f"Timestamp field {name!r} has an unsupported type {type(value).__name__}")


def _parse_iso(text: str, name: str) -> int:
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PartitionException(f"Timestamp field {name!r}: cannot parse {text!r} as ISO-8601") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return int(when.timestamp() * 1000)


def timestamp_extractor(settings: S3SinkSettings) -> TimestampExtractor:
    """The extractor named by `timestamp.extractor`."""
    kind = settings.timestamp_extractor
    if kind == "Record":
        return RecordExtractor()
    if kind == "RecordField":
        return RecordFieldExtractor(settings.timestamp_field)
    return WallclockExtractor()


class TimeBasedPartitioner(Partitioner):
    """`path.format` of the start of the record's `partition.duration.ms` bucket, in `timezone`."""

    def __init__(self, settings: S3SinkSettings, path_format: str | None = None, duration_ms: int | None = None) -> None:
        super().__init__(settings)
        fmt = settings.path_format if path_format is None else path_format
        if fmt.endswith(self.delim):
            fmt = fmt[: -len(self.delim)]
        if self.delim != "/":
            fmt = fmt.replace("/", self.delim) if path_format is not None else fmt
        self.tz = zone(settings.timezone or "UTC")
        self.format = JodaFormat(fmt, self.tz)
        self.duration_ms = settings.partition_duration_ms if duration_ms is None else duration_ms
        self.extractor = timestamp_extractor(settings)
        self.deterministic = self.extractor.deterministic

    def timestamp(self, record: Record, now_ms: int) -> int:
        ts = self.extractor.extract(record, now_ms)
        if ts is None:
            raise PartitionException("Unable to determine timestamp using timestamp.extractor "
                                     f"{type(self.extractor).__name__} for " + record.coordinates())
        return ts

    def encode(self, record: Record, now_ms: int) -> str:
        return self.encode_time(self.timestamp(record, now_ms))

    def encode_time(self, ts: int) -> str:
        """The encoded partition of an instant (epoch millis)."""
        return self.format.format(start_of_bucket(self.tz, ts, self.duration_ms))


def create_partitioner(settings: S3SinkSettings) -> Partitioner:
    """The partitioner named by `partitioner.class`."""
    kind = settings.partitioner
    if kind == "field":
        return FieldPartitioner(settings)
    if kind == "time":
        return TimeBasedPartitioner(settings)
    if kind == "daily":
        return TimeBasedPartitioner(settings, DAILY_FORMAT, 86_400_000)
    if kind == "hourly":
        return TimeBasedPartitioner(settings, HOURLY_FORMAT, 3_600_000)
    return DefaultPartitioner(settings)
