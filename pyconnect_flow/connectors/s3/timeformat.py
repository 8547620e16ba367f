"""Joda-Time `DateTimeFormat` patterns and time zones, for TimeBased partitions and the rotation schedule.

Confluent's TimeBasedPartitioner formats `path.format` with Joda-Time, in `timezone`
(a Joda zone id: `UTC`, `America/New_York`, `+05:30`) and `locale`. This module
formats epoch milliseconds the same way::

    JodaFormat("'year'=YYYY/'month'=MM/'day'=dd", zone("UTC")).format(0)   # 'year=1970/month=01/day=01'

Supported letters: G C Y y x w e E D M d a K h H k m s S z Z, quoted text ('...', '' for a quote).
Text fields (month and day names, AM/PM, era) are English whatever the locale.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pyconnect_flow.data.dateformat import quoted_text

__all__ = ["JodaFormat", "local_millis", "start_of_bucket", "next_scheduled_rotation", "zone"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_OFFSET = re.compile(r"([+-])(\d{1,2})(?::?(\d{2}))?")
DAY_MS = 86_400_000


@lru_cache(maxsize=64)
def zone(name: str) -> dt.tzinfo:
    """The time zone of a Joda zone id (`UTC`, `Europe/Paris`, `+02:00`); ValueError if unknown."""
    text = name.strip()
    if text.upper() in ("UTC", "Z", "GMT", "UT"):
        return dt.timezone.utc
    m = _OFFSET.fullmatch(text)
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        return dt.timezone(dt.timedelta(minutes=-minutes if m.group(1) == "-" else minutes))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _offset_ms(tz: dt.tzinfo, utc_ms: int) -> int:
    when = dt.datetime.fromtimestamp(utc_ms / 1000, dt.timezone.utc).astimezone(tz)
    offset = when.utcoffset()
    return int(offset.total_seconds() * 1000) if offset else 0


def local_millis(tz: dt.tzinfo, utc_ms: int) -> int:
    """Joda's `DateTimeZone.convertUTCToLocal`: the wall-clock time of an instant, as epoch millis."""
    return utc_ms + _offset_ms(tz, utc_ms)


def utc_millis(tz: dt.tzinfo, local_ms: int) -> int:
    """Joda's `convertLocalToUTC(local, false)`: the instant showing this wall-clock time."""
    guess = local_ms - _offset_ms(tz, local_ms)
    second = local_ms - _offset_ms(tz, guess)
    return second


def start_of_bucket(tz: dt.tzinfo, utc_ms: int, duration_ms: int) -> int:
    """The start (UTC millis) of the `duration_ms` bucket holding `utc_ms`, buckets aligned in local time."""
    if duration_ms <= 0:
        return utc_ms
    local = local_millis(tz, utc_ms)
    return utc_millis(tz, local // duration_ms * duration_ms)


def next_scheduled_rotation(tz: dt.tzinfo, now_ms: int, interval_ms: int) -> int:
    """Confluent's `DateTimeUtils.getNextTimeAdjustedByDay`: the next multiple of `interval_ms` after `now_ms`,
    counted from the start of the local day, and never later than the next local midnight."""
    start_local = local_millis(tz, now_ms) // DAY_MS * DAY_MS
    start_of_day = utc_millis(tz, start_local)
    next_time = start_of_day + ((now_ms - start_of_day) // interval_ms + 1) * interval_ms
    next_day = utc_millis(tz, start_local + DAY_MS)
    return min(next_time, next_day)


class JodaFormat:
    """A compiled Joda-Time pattern that formats epoch milliseconds in a time zone."""

    def __init__(self, pattern: str, tz: dt.tzinfo) -> None:
        self.pattern = pattern
        self.tz = tz
        self._parts = _compile(pattern)

    def format(self, utc_ms: int) -> str:
        """The text of the instant `utc_ms` (epoch milliseconds)."""
        when = dt.datetime.fromtimestamp(utc_ms // 1000, dt.timezone.utc).astimezone(self.tz)
        millis = utc_ms % 1000
        return "".join(part if isinstance(part, str) else _field(when, millis, *part) for part in self._parts)


def _compile(pattern: str) -> list[str | tuple[str, int]]:
    parts: list[str | tuple[str, int]] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "'":
            text, end = quoted_text(pattern, i)
            parts.append("'" if end == i + 1 else text)  # '' outside quotes: one quote
            i = end + 1
        elif c.isalpha():
            j = i
            while j < n and pattern[j] == c:
                j += 1
            if c not in "GCYyxweEDMdaKhHkmsSzZ":
                raise ValueError(f"Illegal pattern component: {c}")
            parts.append((c, j - i))
            i = j
        else:
            parts.append(c)
            i += 1
    return parts


def _num(value: int, count: int) -> str:
    return f"{value:0{count}d}" if value >= 0 else "-" + f"{-value:0{count}d}"


def _year(value: int, count: int) -> str:
    return f"{value % 100:02d}" if count == 2 else _num(value, count)


def _field(when: dt.datetime, millis: int, letter: str, count: int) -> str:
    if letter in "Yy":
        return _year(when.year, count)
    if letter == "x":
        return _year(when.isocalendar()[0], count)
    if letter == "M":
        if count >= 4:
            return _MONTHS[when.month - 1]
        return _MONTHS[when.month - 1][:3] if count == 3 else _num(when.month, count)
    if letter == "d":
        return _num(when.day, count)
    if letter == "H":
        return _num(when.hour, count)
    if letter == "k":
        return _num(when.hour or 24, count)
    if letter == "K":
        return _num(when.hour % 12, count)
    if letter == "h":
        return _num(when.hour % 12 or 12, count)
    if letter == "m":
        return _num(when.minute, count)
    if letter == "s":
        return _num(when.second, count)
    if letter == "S":
        return f"{millis:03d}"[:count].ljust(count, "0")
    if letter == "D":
        return _num(when.timetuple().tm_yday, count)
    if letter == "w":
        return _num(when.isocalendar()[1], count)
    if letter == "e":
        return _num(when.isoweekday(), count)
    if letter == "E":
        name = _DAYS[when.weekday()]
        return name if count >= 4 else name[:3]
    if letter == "a":
        return "AM" if when.hour < 12 else "PM"
    if letter == "G":
        return "AD" if when.year > 0 else "BC"
    if letter == "C":
        return _num(when.year // 100, count)
    offset = when.utcoffset() or dt.timedelta(0)
    if letter == "Z":
        total = int(offset.total_seconds() // 60)
        sign = "-" if total < 0 else "+"
        hours, minutes = divmod(abs(total), 60)
        return f"{sign}{hours:02d}:{minutes:02d}" if count == 2 else f"{sign}{hours:02d}{minutes:02d}"
    # z: zone name
    return when.tzname() or "UTC"
