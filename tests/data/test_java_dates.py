"""Java's calendar arithmetic and date text: days since the epoch, `Values.dateFormatFor`, `Date.toString`."""

from __future__ import annotations

import datetime as dt

from pyconnect_flow.data.java_dates import (
    civil_from_days,
    date_format_for,
    date_to_string,
    days_from_civil,
    temporal_to_millis,
)
from pyconnect_flow.data.logical import MILLIS_PER_DAY

MILLIS_PER_HOUR = 3_600_000
UTC = dt.timezone.utc


def test_civil_days_agree_with_datetime() -> None:
    epoch = dt.date(1970, 1, 1)
    for days in range(-719_162, 2_932_896, 9973):
        date = epoch + dt.timedelta(days=days)
        assert civil_from_days(days) == (date.year, date.month, date.day)
        assert days_from_civil(date.year, date.month, date.day) == days


def test_date_format_for_picks_time_date_or_timestamp() -> None:
    # Under a day since the epoch (also before it): a time of day; whole days: a date; else a timestamp.
    assert date_format_for(MILLIS_PER_DAY + 1) == "1970-01-02T00:00:00.001Z"
    assert date_format_for(MILLIS_PER_HOUR) == "01:00:00.000Z"
    assert date_format_for(-MILLIS_PER_DAY * 719_163) == "00:00:00.000Z"
    assert date_format_for(days_from_civil(2019, 8, 23) * MILLIS_PER_DAY) == "2019-08-23"
    assert date_format_for(days_from_civil(12019, 8, 23) * MILLIS_PER_DAY + 5) == "12019-08-23T00:00:00.005Z"


def test_date_format_for_prints_any_instant_before_the_epoch_as_a_time_of_day() -> None:
    # Kafka tests `date.getTime() < MILLIS_PER_DAY`, which every earlier instant passes.
    assert date_format_for(days_from_civil(1969, 12, 31) * MILLIS_PER_DAY + 1000) == "00:00:01.000Z"
    assert date_format_for(days_from_civil(-1, 1, 1) * MILLIS_PER_DAY - 1) == "23:59:59.999Z"


def test_temporal_values_to_millis() -> None:
    assert temporal_to_millis(dt.date(1970, 1, 2)) == MILLIS_PER_DAY
    assert temporal_to_millis(dt.time(1, 0)) == MILLIS_PER_HOUR
    assert temporal_to_millis(dt.datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=UTC)) == 1
    assert temporal_to_millis(dt.datetime(1970, 1, 1, 1)) == MILLIS_PER_HOUR  # naive: UTC


def test_date_to_string_as_java_util_date() -> None:
    assert date_to_string(dt.datetime(1970, 1, 1, tzinfo=UTC)) == "Thu Jan 01 00:00:00 UTC 1970"
    assert date_to_string(dt.datetime(2024, 2, 29, 13, 5, 9)) == "Thu Feb 29 13:05:09 UTC 2024"
    assert date_to_string(dt.datetime(2024, 3, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))) == \
        "Thu Feb 29 23:00:00 UTC 2024"
