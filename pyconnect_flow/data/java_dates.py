"""Java's calendar arithmetic and date text, in UTC: the one implementation every part uses.

- `days_from_civil` / `civil_from_days`: proleptic Gregorian dates and days since 1970-01-01, any year.
- `temporal_to_millis`: the `java.util.Date` a Connect Date, Time or Timestamp value stands for.
- `date_format_for`: Kafka's `Values.dateFormatFor(date).format(date)`, the text `Values.convertToString`
  and the Cast SMT give a Date, Time or Timestamp: `14:34:54.346Z`, `2019-08-23`, `2019-08-23T14:34:54.346Z`.
- `date_to_string`: `java.util.Date.toString()`, what StringConverter writes: `Thu Jan 01 00:00:00 UTC 1970`.
- `java_civil_from_days`: the (year, month, day) Java's calendars give a day: Julian before the Gregorian
  cutover of 1582-10-15 (`GregorianCalendar`'s default, which `Date.toString` and `SimpleDateFormat` use),
  Gregorian from then on.

`SimpleDateFormat` patterns (`yyyyMMdd`, ...) are in `dateformat`, which counts days with these functions.
"""

from __future__ import annotations

import datetime as dt

from pyconnect_flow.data import logical
from pyconnect_flow.data.logical import MILLIS_PER_DAY

__all__ = [
    "DATETIME_MAX_DAYS", "DATETIME_MIN_DAYS", "EPOCH_ORDINAL", "civil_from_days", "date_format_for",
    "date_to_string", "days_from_civil", "java_civil_from_days", "java_days_from_civil", "julian_days_from_civil",
    "julian_from_days", "temporal_to_millis",
]

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
"""`date.toordinal()` of 1970-01-01: a day count since the epoch plus this is a proleptic Gregorian ordinal."""
DATETIME_MIN_DAYS = dt.date(1, 1, 1).toordinal() - EPOCH_ORDINAL
DATETIME_MAX_DAYS = dt.date(9999, 12, 31).toordinal() - EPOCH_ORDINAL
"""Days since the epoch that Python's `datetime.date` can hold (years 1 to 9999), where it is the fast way."""

_date_from_ordinal = dt.date.fromordinal

GREGORIAN_CUTOVER_DAYS = dt.date(1582, 10, 15).toordinal() - EPOCH_ORDINAL
"""The first day of the Gregorian calendar in Java's `GregorianCalendar` (the day before is 1582-10-04, Julian)."""
_JULIAN_DAY_OF_EPOCH = 2_440_588


def julian_from_days(days: int) -> tuple[int, int, int]:
    """(year, month, day) in the Julian calendar of a count of days since 1970-01-01."""
    c = days + _JULIAN_DAY_OF_EPOCH + 32_082
    d = (4 * c + 3) // 1461
    e = c - (1461 * d) // 4
    m = (5 * e + 2) // 153
    return d - 4800 + m // 10, m + 3 - 12 * (m // 10), e - (153 * m + 2) // 5 + 1


def julian_days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a Julian calendar date (month 1-12)."""
    a = (14 - month) // 12
    y = year + 4800 - a
    m = month + 12 * a - 3
    return day + (153 * m + 2) // 5 + 365 * y + y // 4 - 32_083 - _JULIAN_DAY_OF_EPOCH


def java_days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a date as Java's calendars name it (Julian before 1582-10-15)."""
    gregorian = days_from_civil(year, month, day)
    return gregorian if gregorian >= GREGORIAN_CUTOVER_DAYS else julian_days_from_civil(year, month, day)


def java_civil_from_days(days: int) -> tuple[int, int, int]:
    """(year, month, day) of a day as `java.util.Date` and `SimpleDateFormat` name it: Julian before
    1582-10-15, Gregorian from then on."""
    if days < GREGORIAN_CUTOVER_DAYS:
        return julian_from_days(days)
    return civil_from_days(days)


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year, month 1-12)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """(year, month, day) of a count of days since 1970-01-01 (any year; year 0 is 1 BC)."""
    days += 719_468
    era = days // 146_097
    doe = days - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, day


def temporal_to_millis(value: dt.date | dt.time) -> int:
    """Epoch millis of a datetime (naive = UTC) or date, or millis since midnight of a time."""
    if isinstance(value, dt.datetime):
        return logical.timestamp_to_millis(value)
    if isinstance(value, dt.date):
        return logical.date_to_days(value) * MILLIS_PER_DAY
    return logical.time_to_millis(value)


def date_format_for(millis: int) -> str:
    """The `java.util.Date` of `millis` as `Values.dateFormatFor` formats it (in UTC).

    Under a day since the epoch (also any time before it): `HH:mm:ss.SSS'Z'`; whole days:
    `yyyy-MM-dd`; otherwise `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`.
    """
    # %-formatting: twice as fast as f-strings with format specs here.
    days, ms = divmod(millis, MILLIS_PER_DAY)
    seconds, milli = divmod(ms, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    if millis < MILLIS_PER_DAY:
        return "%02d:%02d:%02d.%03dZ" % (hour, minute, second, milli)  # noqa: UP031
    if GREGORIAN_CUTOVER_DAYS <= days <= DATETIME_MAX_DAYS:
        date = _date_from_ordinal(EPOCH_ORDINAL + days)
        year, month, day = date.year, date.month, date.day
    else:  # before the Gregorian calendar, or after the year 9999
        year, month, day = java_civil_from_days(days)
    if ms == 0:
        return "%04d-%02d-%02d" % (year, month, day)  # noqa: UP031
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (year, month, day, hour, minute, second, milli)  # noqa: UP031


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_to_string(value: dt.datetime) -> str:
    """`java.util.Date.toString()` in UTC: `Thu Jan 01 00:00:00 UTC 1970` (a naive datetime is UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc)
    year, month, day = value.year, value.month, value.day
    if value.toordinal() - EPOCH_ORDINAL < GREGORIAN_CUTOVER_DAYS:
        year, month, day = julian_from_days(value.toordinal() - EPOCH_ORDINAL)
    return (f"{_DAY_NAMES[value.weekday()]} {_MONTH_NAMES[month - 1]} {day:02d} "
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d} UTC {year}")
