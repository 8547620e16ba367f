"""`SimpleDateFormat`: Java date patterns in UTC (formatting and lenient parsing)."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

from pyconnect_flow.data.dateformat import DateFormatError, SimpleDateFormat
from pyconnect_flow.data.java_dates import civil_from_days, days_from_civil, java_civil_from_days

MILLIS = 1483425001864  # 2017-01-03T06:30:01.864Z, a Tuesday


@pytest.mark.parametrize(("pattern", "text"), [
    ("yyyyMMdd", "20170103"),
    ("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "2017-01-03T06:30:01.864Z"),
    ("yy/M/d H:m:s.S", "17/1/3 6:30:1.864"),
    ("yyy", "2017"),
    ("MMM MMMM", "Jan January"),
    ("EEE EEEE u", "Tue Tuesday 2"),
    ("D F w W", "3 1 1 1"),
    ("h:mm a k K", "6:30 AM 6 6"),
    ("G GGGG", "AD Anno Domini"),
    ("z zzzz Z X XXX", "UTC Coordinated Universal Time +0000 Z Z"),
    ("'o''clock' ''", "o'clock '"),
    ("SSSSS", "00864"),
])
def test_format(pattern: str, text: str) -> None:
    assert SimpleDateFormat(pattern).format(MILLIS) == text


def test_format_afternoon_and_midnight_hours() -> None:
    fmt = SimpleDateFormat("h a k K H")
    assert fmt.format(13 * 3_600_000) == "1 PM 13 1 13"
    assert fmt.format(0) == "12 AM 24 0 0"


def test_week_of_year_follows_us_rules() -> None:
    fmt = SimpleDateFormat("YYYY-ww")
    assert fmt.format(days_from_civil(2016, 12, 31) * 86_400_000) == "2016-53"
    assert fmt.format(days_from_civil(2017, 12, 31) * 86_400_000) == "2018-01"


def test_negative_millis_and_old_dates() -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSS")
    assert fmt.format(-1) == "1969-12-31 23:59:59.999"
    # before 1582-10-15 Java's calendar is Julian: (proleptic Gregorian) 0001-01-01 is 0001-01-03 there
    assert fmt.format(days_from_civil(1, 1, 1) * 86_400_000) == "0001-01-03 00:00:00.000"
    assert fmt.format(days_from_civil(1582, 10, 15) * 86_400_000 - 1) == "1582-10-04 23:59:59.999"
    assert fmt.parse("1582-10-10 00:00:00.000") == days_from_civil(1582, 10, 20) * 86_400_000  # lenient: the gap


@pytest.mark.parametrize("pattern", ["bad-format", "yyyy-MM-dd'T", "XXXX", "q"])
def test_invalid_patterns(pattern: str) -> None:
    with pytest.raises(DateFormatError):
        SimpleDateFormat(pattern)


@pytest.mark.parametrize(("pattern", "text", "millis"), [
    ("yyyy MM dd HH mm ss SSS z", "1970 01 02 00 00 01 234 UTC", 86_401_234),
    ("yyyyMMdd", "20170103", 1483401600000),
    ("yyyyMMddHHmmss", "20170103063001", 1483425001000),
    ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2017-01-03T06:30:01.864+0100", MILLIS - 3_600_000),
    ("yyyy-MM-dd'T'HH:mm:ssXXX", "2017-01-03T06:30:01-02:00", MILLIS - 864 + 7_200_000),
    ("yyyy-MM-dd HH:mm z", "2017-01-03 06:30 GMT+01:00", MILLIS - 1864 - 3_600_000),
    ("dd MMM yyyy", "03 jan 2017", 1483401600000),
    ("EEE, d MMMM yyyy h:mm a", "Tue, 3 January 2017 6:30 PM", 1483401600000 + 18 * 3_600_000 + 1_800_000),
    ("yyyy-MM-dd", "2017-13-01", days_from_civil(2018, 1, 1) * 86_400_000),  # lenient roll-over
    ("yyyy-MM-dd", "2017-01-03 and more", 1483401600000),  # trailing text ignored
    ("yyyy-MM-dd", "2017-01- 3", 1483401600000),  # spaces before a field skipped
    ("yyyy D", "2017 3", 1483401600000),
])
def test_parse(pattern: str, text: str, millis: int) -> None:
    assert SimpleDateFormat(pattern).parse(text) == millis


def test_two_digit_years_resolve_within_80_years_back_and_20_forward() -> None:
    now = dt.datetime.now(dt.timezone.utc).year
    fmt = SimpleDateFormat("yy")
    parsed_year = civil_from_days(fmt.parse(f"{(now + 5) % 100:02d}") // 86_400_000)[0]
    assert parsed_year == now + 5
    parsed_year = civil_from_days(fmt.parse(f"{(now - 70) % 100:02d}") // 86_400_000)[0]
    assert parsed_year == now - 70
    assert java_civil_from_days(fmt.parse("123") // 86_400_000) == (123, 1, 1)  # not two digits: literal


@pytest.mark.parametrize(("pattern", "text"), [
    ("yyyy-MM-dd", "2017/01/03"), ("yyyy-MM-dd", ""), ("HH:mm", "x"), ("MMM", "Foo"), ("z", "Mars time"),
])
def test_unparseable(pattern: str, text: str) -> None:
    with pytest.raises(DateFormatError, match="Unparseable date"):
        SimpleDateFormat(pattern).parse(text)


# What Java 17's SimpleDateFormat (UTC) gives for "2023-11-14T10:20:30.400" + zone text; None: ParseException.
_ZONE_TEXTS = ("Z", "+01:00", "+0100", "+01", "GMT+1", "GMT+01:00", "GMT", "UTC", "UT",
               "Coordinated Universal Time")
_UTC, _PLUS1 = 1699957230400, 1699953630400


@pytest.mark.parametrize(("letters", "expected"), [
    # 'z' and 'Z' parse zone names and RFC 822 offsets, not the ISO "Z" nor "UT".
    ("Z", (None, None, _PLUS1, None, None, _PLUS1, _UTC, _UTC, None, _UTC)),
    ("z", (None, None, _PLUS1, None, None, _PLUS1, _UTC, _UTC, None, _UTC)),
    ("X", (_UTC, _PLUS1, _PLUS1, _PLUS1, None, None, None, None, None, None)),
    ("XX", (_UTC, None, _PLUS1, None, None, None, None, None, None, None)),
    ("XXX", (_UTC, _PLUS1, None, None, None, None, None, None, None, None)),
])
def test_zone_letters_parse_as_java(letters: str, expected: tuple[int | None, ...]) -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS" + letters)
    for zone, millis in zip(_ZONE_TEXTS, expected):
        if millis is None:
            with pytest.raises(DateFormatError, match="Unparseable date"):
                fmt.parse("2023-11-14T10:20:30.400" + zone)
        else:
            assert fmt.parse("2023-11-14T10:20:30.400" + zone) == millis, zone


def test_format_parse_round_trip() -> None:
    fmt = SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS")
    for millis in (0, 1, MILLIS, -86_400_001, 253402300799999):
        assert fmt.parse(fmt.format(millis)) == millis


def test_pickles_and_compares_by_pattern() -> None:
    fmt = SimpleDateFormat("yyyyMMdd")
    fmt.format(MILLIS)
    copy = pickle.loads(pickle.dumps(fmt))
    assert copy == fmt and copy.format(MILLIS) == "20170103"
    assert repr(copy) == "SimpleDateFormat('yyyyMMdd')"
