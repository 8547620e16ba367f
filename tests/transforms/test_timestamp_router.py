"""TimestampRouter, modelled on Kafka's `TimestampRouterTest`."""

from __future__ import annotations

import pickle

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.data import DataException
from pyconnect_flow.record import Record
from pyconnect_flow.transforms import TimestampRouter
from pyconnect_flow.transforms.timestamp_router import TRANSFORMS

TS = 1483425001864  # 2017-01-03T06:30:01.864Z


def test_default_configuration() -> None:
    xform = TimestampRouter.from_config({})
    assert xform(Record("test", partition=0, timestamp=TS)).topic == "test-20170103"


def test_custom_formats() -> None:
    xform = TimestampRouter.from_config({"topic.format": "${timestamp}_${topic}_${timestamp}",
                                         "timestamp.format": "yyyy-MM-dd'T'HH"})
    assert xform(Record("logs", timestamp=TS)).topic == "2017-01-03T06_logs_2017-01-03T06"


def test_topic_placeholder_is_replaced_before_the_timestamp() -> None:
    assert TimestampRouter()(Record("a${timestamp}", timestamp=TS)).topic == "a20170103-20170103"


def test_one_format_per_day_many_records() -> None:
    xform = TimestampRouter(timestamp_format="yyyyMMdd")
    topics = [xform(Record("t", timestamp=TS + i * 3_600_000)).topic for i in range(30)]
    assert topics[:18] == ["t-20170103"] * 18
    assert topics[18:] == ["t-20170104"] * 12


def test_only_the_topic_changes() -> None:
    record = Record("t", key=1, value=2, partition=4, offset=5, headers=(("h", "v"),), timestamp=TS)
    assert TimestampRouter()(record) == record.replace(topic="t-20170103")


def test_missing_timestamp_fails() -> None:
    with pytest.raises(DataException, match="Timestamp missing on record: Record"):
        TimestampRouter()(Record("test"))


def test_invalid_timestamp_format_is_a_config_error() -> None:
    issues = TimestampRouter.check_config({"timestamp.format": "yyyy-bb"})
    assert [i.key for i in issues] == ["timestamp.format"]
    assert "Illegal pattern character 'b'" in issues[0].message
    with pytest.raises(ConfigException):
        TimestampRouter(timestamp_format="'unterminated")


def test_pickles_and_repr() -> None:
    xform = pickle.loads(pickle.dumps(TimestampRouter(topic_format="${topic}.${timestamp}")))
    assert xform(Record("a", timestamp=TS)).topic == "a.20170103"
    assert repr(xform) == "TimestampRouter(topic_format='${topic}.${timestamp}', timestamp_format='yyyyMMdd')"


def test_registered_under_kafka_name() -> None:
    assert TRANSFORMS == {"TimestampRouter": TimestampRouter}


def test_granularity_follows_the_pattern_and_caching_keeps_results_exact() -> None:
    from pyconnect_flow.record import Record
    from pyconnect_flow.transforms.timestamp_router import TimestampRouter, format_granularity_ms

    assert format_granularity_ms("yyyyMMdd") == 86_400_000
    assert format_granularity_ms("yyyy-MM-dd'T'HH") == 3_600_000
    assert format_granularity_ms("HH:mm") == 60_000
    assert format_granularity_ms("ss") == 1000
    assert format_granularity_ms("SSS") == 1
    assert format_granularity_ms("'day' yyyy") == 86_400_000
    router = TimestampRouter.from_config({"topic.format": "${topic}-${timestamp}", "timestamp.format": "yyyyMMdd-HH"})
    day_end = 1_700_006_399_999  # 2023-11-14T23:59:59.999Z
    topics = [router(Record("t", timestamp=ts)).topic for ts in (day_end - 1, day_end, day_end + 1, day_end - 3_600_000)]
    assert topics == ["t-20231114-23", "t-20231114-23", "t-20231115-00", "t-20231114-22"]
