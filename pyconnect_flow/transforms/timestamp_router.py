"""TimestampRouter: put the record timestamp into the topic name.

As Kafka's `org.apache.kafka.connect.transforms.TimestampRouter`: the topic
becomes `topic.format` with `${topic}` replaced by the topic and then
`${timestamp}` by the record timestamp formatted with the Java
`SimpleDateFormat` pattern `timestamp.format`, in UTC::

    TimestampRouter()  # "test" at 1483425001864 -> "test-20170103"
    TimestampRouter(topic_format="${topic}_${timestamp}", timestamp_format="yyyy-MM")

A record without a timestamp fails with DataException("Timestamp missing on
record: ..."). Unlike Kafka, an invalid `timestamp.format` is reported when the
transform is configured, not on the first record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pyconnect_flow.config.definition import ConfigDef, ConfigKey, ConfigType
from pyconnect_flow.data.dateformat import DateFormatError, SimpleDateFormat
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.record import Record, with_topic
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.util import ConfiguredTransform

if TYPE_CHECKING:
    from pyconnect_flow.kafka_columns import DecodedColumns

__all__ = ["TRANSFORMS", "TimestampRouter", "date_format_error"]


def date_format_error(value: Any) -> str | None:
    """Validator: a message if `value` is not a valid SimpleDateFormat pattern."""
    try:
        SimpleDateFormat(value)
    except (DateFormatError, TypeError) as exc:
        return f"Invalid SimpleDateFormat pattern: {exc}"
    return None


class TimestampRouter(ConfiguredTransform):
    """Update the record's topic as a function of the original topic and the record timestamp.

    Mainly useful for sinks, where the topic often names the destination table or index.
    """

    KAFKA_NAME = "TimestampRouter"
    CONFIG = ConfigDef([
        ConfigKey("topic.format", ConfigType.STRING, "${topic}-${timestamp}",
                  "Format string which can contain ${topic} and ${timestamp} as placeholders for the topic "
                  "and timestamp, respectively.", importance="high"),
        ConfigKey("timestamp.format", ConfigType.STRING, "yyyyMMdd",
                  "Format string for the timestamp that is compatible with java.text.SimpleDateFormat.",
                  validator=date_format_error, importance="high"),
    ])

    _topic_format: str
    _format: SimpleDateFormat

    def _configure(self, values: Mapping[str, Any]) -> None:
        self._topic_format = values["topic.format"]
        self._format = SimpleDateFormat(values["timestamp.format"])
        self._granularity = format_granularity_ms(values["timestamp.format"])
        self._last_bucket: int | None = None  # the last record's time bucket, topic and routed topic
        self._last_topic: str | None = None
        self._last_routed = ""

    def route_topic(self, record: Record) -> str:
        """The topic this transform gives `record`."""
        timestamp = record[8]
        if timestamp is None:
            raise DataException(f"Timestamp missing on record: {record!r}")
        bucket = timestamp // self._granularity
        topic = record[0]
        if bucket != self._last_bucket or topic != self._last_topic:
            formatted = self._format.format(timestamp)
            self._last_routed = self._topic_format.replace("${topic}", topic).replace("${timestamp}", formatted)
            self._last_bucket, self._last_topic = bucket, topic
        return self._last_routed

    def __call__(self, record: Record) -> Record:
        return with_topic(record, self.route_topic(record))

    def transform_columns(self, columns: DecodedColumns) -> DecodedColumns | None:
        """The columnar form (`transforms.columns`): a batch whose timestamps all fall in one bucket of the
        format goes to that bucket's topic; None (the record path) for a batch spanning buckets or with a
        missing timestamp."""
        stamps = columns.raw.timestamps
        if not stamps or None in stamps:
            return None  # the record path says which record has none
        known = [t for t in stamps if t is not None]
        first, last = min(known), max(known)
        if first // self._granularity != last // self._granularity:
            return None
        formatted = self._format.format(first)
        return columns.with_topic(self._topic_format.replace("${topic}", columns.topic).replace("${timestamp}",
                                                                                              formatted))

    def __repr__(self) -> str:
        return f"TimestampRouter(topic_format={self._topic_format!r}, timestamp_format={self._format.pattern!r})"


def format_granularity_ms(pattern: str) -> int:
    """The span of time within which a SimpleDateFormat pattern prints the same text (in UTC).

    Records of one stream mostly share the bucket, so the router formats once per bucket.
    Quoted text is literal; an unknown letter makes the granularity one millisecond.
    """
    letters: set[str] = set()
    quoted = False
    for ch in pattern:
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch.isalpha():
            letters.add(ch)
    if letters - set("GyYMLwWDdFEuaHkKhmsSzZX"):
        return 1
    if "S" in letters:
        return 1
    if "s" in letters:
        return 1000
    if "m" in letters:
        return 60_000
    if letters & set("aHkKh"):
        return 3_600_000
    return 86_400_000


TRANSFORMS: dict[str, type[Transform]] = {"TimestampRouter": TimestampRouter}
