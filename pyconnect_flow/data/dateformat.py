"""Java `SimpleDateFormat` patterns, always in UTC and the US English locale.

Kafka Connect's TimestampRouter, TimestampConverter and `Values` format and
parse timestamps with `java.text.SimpleDateFormat`, so connector configs carry
patterns such as ``yyyyMMdd`` or ``yyyy-MM-dd'T'HH:mm:ss.SSS'Z'``. This module
reads those patterns and works on epoch milliseconds, like `java.util.Date`::

    fmt = SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSS z")
    fmt.format(86_401_234)                  # '1970-01-02 00:00:01.234 UTC'
    fmt.parse("1970-01-02 00:00:01.234 UTC")  # 86401234

Supported letters: G y Y M L w W D d F E u a H k K h m s S z Z X (all of
SimpleDateFormat's). Quoted text ('...') and `''` work as in Java. Parsing is
lenient like Java's default (13th month rolls into the next year, trailing text
is ignored), leading spaces before a field are skipped, and two-digit years
(`yy`) resolve to the century that starts 80 years ago.

The calendar is Java's default `GregorianCalendar`: Julian before 1582-10-15, Gregorian from then on
(`java_dates.java_civil_from_days`).

Known differences from Java: time zone names are parsed only as UTC/GMT, their long forms, or numeric
offsets (as in Java, 'z'/'Z' reject "Z" and "UT"; only 'X' accepts "Z"); week-based fields (Y, w, W, F,
u, E) are formatted but ignored when parsing, and computed with Gregorian rules before 1582.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from typing import Any

from pyconnect_flow.data.java_dates import (
    DATETIME_MAX_DAYS,
    EPOCH_ORDINAL,
    GREGORIAN_CUTOVER_DAYS,
    days_from_civil,
    java_civil_from_days,
    java_days_from_civil,
    julian_days_from_civil,
)
from pyconnect_flow.data.logical import MILLIS_PER_DAY

__all__ = ["DateFormatError", "SimpleDateFormat", "quoted_text"]

_PATTERN_LETTERS = frozenset("GyMdkHmsSEDFwWahKzZYuXL")
_NUMERIC = frozenset("yYdkHmsSDFwWhKu")  # numeric for any count (M/L numeric when count <= 2)

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_MONTHS_SHORT = tuple(m[:3] for m in _MONTHS)
_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_DAYS_SHORT = tuple(d[:3] for d in _DAYS)
# Zone names 'z'/'Z' parse (Java's zone strings, English); Java rejects "Z" and "UT" there (only 'X' takes "Z").
_ZONE_NAMES = {"utc": 0, "gmt": 0, "coordinated universal time": 0, "greenwich mean time": 0}


class DateFormatError(ValueError):
    """An invalid pattern (Java: IllegalArgumentException) or unparseable text (ParseException)."""


def _dow(days: int) -> int:
    """Day of week, Sunday = 0 (1970-01-01 was a Thursday)."""
    return (days + 4) % 7


# pattern compilation -------------------------------------------------------

def quoted_text(pattern: str, start: int) -> tuple[str, int]:
    """The quoted text that opens at `pattern[start]` (a quote; `''` inside stands for one quote), and the
    index of its closing quote, or `len(pattern)` when it is not closed.

    Java's SimpleDateFormat and Joda-Time's DateTimeFormat quote literal text in patterns alike.
    """
    text: list[str] = []
    i, n = start + 1, len(pattern)
    while i < n:
        if pattern[i] == "'":
            if i + 1 < n and pattern[i + 1] == "'":
                text.append("'")
                i += 2
                continue
            break
        text.append(pattern[i])
        i += 1
    return "".join(text), i


def _compile(pattern: str) -> tuple[tuple[str, int | str], ...]:
    """Split a pattern into ("literal", text) and (letter, count) items."""
    items: list[tuple[str, int | str]] = []
    literal: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "'":
            if i + 1 < n and pattern[i + 1] == "'":
                literal.append("'")
                i += 2
                continue
            text, end = quoted_text(pattern, i)
            if end >= n:
                raise DateFormatError(f"Unterminated quote in pattern {pattern!r}")
            literal.append(text)
            i = end + 1
        elif ("a" <= c <= "z") or ("A" <= c <= "Z"):
            if c not in _PATTERN_LETTERS:
                raise DateFormatError(f"Illegal pattern character '{c}'")
            j = i
            while j < n and pattern[j] == c:
                j += 1
            if c == "X" and j - i > 3:
                raise DateFormatError(f"invalid ISO 8601 format: length={j - i}")
            if literal:
                items.append(("literal", "".join(literal)))
                literal = []
            items.append((c, j - i))
            i = j
        else:
            literal.append(c)
            i += 1
    if literal:
        items.append(("literal", "".join(literal)))
    return tuple(items)


def _is_numeric(letter: str, count: int) -> bool:
    return letter in _NUMERIC or (letter in "ML" and count <= 2)


class SimpleDateFormat:
    """A compiled Java date pattern that formats and parses epoch milliseconds in UTC."""

    __slots__ = ("pattern", "_items", "_day_only", "_cache_day", "_cache_text", "_template")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._items = _compile(pattern)
        # Patterns without time-of-day fields give the same text for a whole day: cache it.
        self._day_only = all(kind == "literal" or kind not in "aHkKhmsSzZX" for kind, _ in self._items)
        self._cache_day: int | None = None
        self._cache_text = ""
        self._template = _template(self._items)

    def __repr__(self) -> str:
        return f"SimpleDateFormat({self.pattern!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SimpleDateFormat) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __reduce__(self) -> tuple[type[SimpleDateFormat], tuple[str]]:
        return (SimpleDateFormat, (self.pattern,))

    # formatting ------------------------------------------------------------
    def format(self, millis: int) -> str:
        """The text of `millis` (epoch milliseconds, UTC)."""
        days, ms_of_day = divmod(millis, MILLIS_PER_DAY)
        if self._day_only:
            if days == self._cache_day:
                return self._cache_text
            text = self._format(days, ms_of_day)
            self._cache_day, self._cache_text = days, text
            return text
        return self._format(days, ms_of_day)

    def _format(self, days: int, ms_of_day: int) -> str:
        if self._template is not None and GREGORIAN_CUTOVER_DAYS <= days <= DATETIME_MAX_DAYS:
            date = _date_from_ordinal(EPOCH_ORDINAL + days)
            year = date.year
            seconds, milli = divmod(ms_of_day, 1000)
            minutes, second = divmod(seconds, 60)
            hour, minute = divmod(minutes, 60)
            template, pick = self._template
            return template % pick((year, year % 100, date.month, date.day, hour, minute, second, milli,
                                    hour % 12 or 12, hour or 24, hour % 12))
        year, month, day = java_civil_from_days(days)
        out: list[str] = []
        for kind, count in self._items:
            if isinstance(count, str):  # a ("literal", text) item
                out.append(count)
                continue
            out.append(_format_field(kind, count, days, ms_of_day, year, month, day))
        return "".join(out)

    # parsing ---------------------------------------------------------------
    def parse(self, text: str) -> int:
        """Epoch milliseconds of `text`; DateFormatError('Unparseable date: "..."') if it does not match."""
        result = self.parse_prefix(text)
        if result is None:
            raise DateFormatError(f'Unparseable date: "{text}"')
        return result[0]

    def parse_prefix(self, text: str, start: int = 0) -> tuple[int, int] | None:
        """(millis, end position) parsing from `start`, or None; text after the pattern is ignored."""
        fields: dict[str, int] = {}
        pos = start
        items = self._items
        for index, (kind, count) in enumerate(items):
            if kind == "literal":
                assert isinstance(count, str)
                if not text.startswith(count, pos):
                    return None
                pos += len(count)
                continue
            assert isinstance(count, int)
            field_limit = pos + count  # Java counts an abutting field's width from before the spaces it skips
            while pos < len(text) and text[pos] in " \t":
                pos += 1
            if pos >= len(text):
                return None
            nxt = items[index + 1] if index + 1 < len(items) else None
            abutting = nxt is not None and isinstance(nxt[1], int) and _is_numeric(nxt[0], nxt[1])
            parsed = _parse_field(kind, count, text, pos, field_limit if abutting and _is_numeric(kind, count) else None)
            if parsed is None:
                return None
            field_start = pos
            value, pos = parsed
            if kind == "y" and count <= 2 and pos - field_start == 2 and text[field_start:pos].isdigit():
                value = _resolve_two_digit_year(value)
            fields[kind] = value
        return _resolve(fields), pos


# Numeric fields of common patterns, by position in the argument list of `_template`'s format string.
_FAST_FIELDS = {"y": 0, "M": 2, "d": 3, "H": 4, "m": 5, "s": 6, "S": 7, "h": 8, "k": 9, "K": 10}
_date_from_ordinal = dt.date.fromordinal


def _template(items: tuple[tuple[str, int | str], ...]) -> tuple[str, Callable[[tuple[int, ...]], Any]] | None:
    """A %-format template and an argument picker for patterns of numeric fields only (the common ones)."""
    parts: list[str] = []
    order: list[int] = []
    for kind, count in items:
        if kind == "literal":
            assert isinstance(count, str)
            parts.append(count.replace("%", "%%"))
            continue
        assert isinstance(count, int)
        if kind not in _FAST_FIELDS or (kind == "M" and count > 2):
            return None
        two_digit_year = kind == "y" and count == 2
        order.append(1 if two_digit_year else _FAST_FIELDS[kind])
        parts.append(f"%0{2 if two_digit_year else count}d")
    if len(order) == 1:
        index = order[0]
        return "".join(parts), lambda values: (values[index],)
    return "".join(parts), operator.itemgetter(*order) if order else (lambda values: ())


def _resolve_two_digit_year(yy: int) -> int:
    start_year = dt.datetime.now(dt.timezone.utc).year - 80
    year = start_year // 100 * 100 + yy
    if year < start_year:
        year += 100
    return year


def _pad(value: int, count: int) -> str:
    text = str(abs(value)).zfill(count)
    return "-" + text if value < 0 else text


def _format_field(kind: str, count: int, days: int, ms: int, year: int, month: int, day: int) -> str:
    if kind == "y" or kind == "Y":
        if kind == "Y":
            year = _week_year_and_week(days, year)[0]
        yoe = year if year > 0 else 1 - year
        return _pad(yoe % 100, 2) if count == 2 else _pad(yoe, count)
    if kind == "M" or kind == "L":
        if count >= 4:
            return _MONTHS[month - 1]
        if count == 3:
            return _MONTHS_SHORT[month - 1]
        return _pad(month, count)
    if kind == "d":
        return _pad(day, count)
    hour = ms // 3_600_000
    if kind == "H":
        return _pad(hour, count)
    if kind == "m":
        return _pad(ms // 60_000 % 60, count)
    if kind == "s":
        return _pad(ms // 1000 % 60, count)
    if kind == "S":
        return _pad(ms % 1000, count)
    if kind == "k":
        return _pad(hour or 24, count)
    if kind == "K":
        return _pad(hour % 12, count)
    if kind == "h":
        return _pad(hour % 12 or 12, count)
    if kind == "a":
        return "AM" if hour < 12 else "PM"
    if kind == "E":
        return _DAYS[_dow(days)] if count >= 4 else _DAYS_SHORT[_dow(days)]
    if kind == "u":
        return _pad(_dow(days) or 7, count)
    if kind == "D":
        return _pad(days - java_days_from_civil(year, 1, 1) + 1, count)
    if kind == "F":
        return _pad((day - 1) // 7 + 1, count)
    if kind == "w":
        return _pad(_week_year_and_week(days, year)[1], count)
    if kind == "W":
        first = days - day + 1
        return _pad((day - 1 + _dow(first)) // 7 + 1, count)
    if kind == "G":
        if count >= 4:
            return "Anno Domini" if year > 0 else "Before Christ"
        return "AD" if year > 0 else "BC"
    if kind == "z":
        return "Coordinated Universal Time" if count >= 4 else "UTC"
    if kind == "Z":
        return "+0000"
    if kind == "X":
        return "Z"
    raise DateFormatError(f"Illegal pattern character '{kind}'")  # pragma: no cover - compile rejects it


def _week_year_and_week(days: int, year: int) -> tuple[int, int]:
    """US rules: weeks start on Sunday; week 1 is the week holding January 1st."""
    week_start = days - _dow(days)
    next_jan1 = days_from_civil(year + 1, 1, 1)
    if next_jan1 - week_start <= 6:
        return year + 1, 1
    jan1 = days_from_civil(year, 1, 1)
    return year, (days - jan1 + _dow(jan1)) // 7 + 1


def _parse_number(text: str, pos: int, field_limit: int | None) -> tuple[int, int] | None:
    # Java's subParse: a field abutting the next numeric one reads up to `field_limit` (a text ending before
    # it fails), parsed by a DecimalFormat, which takes a minus sign there too ("2023-11-14" as yyyyMMdd).
    if field_limit is not None and field_limit > len(text):
        return None
    end = pos
    limit = len(text) if field_limit is None else field_limit
    negative = False
    if end < limit and text[end] == "-":
        negative = True
        end += 1
    digits_start = end
    while end < limit and "0" <= text[end] <= "9":
        end += 1
    if end == digits_start:
        return None
    value = int(text[digits_start:end])
    value = -value if negative else value
    return ((value + (1 << 31)) & 0xFFFFFFFF) - (1 << 31), end  # Java keeps the field in an int


def _match_names(text: str, pos: int, names: tuple[str, ...]) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    lowered = text[pos:].lower()
    for index, name in enumerate(names):
        if lowered.startswith(name.lower()) and (best is None or len(name) > best[1] - pos):
            best = (index, pos + len(name))
    return best


def _parse_field(kind: str, count: int, text: str, pos: int, field_limit: int | None) -> tuple[int, int] | None:
    if kind in "ML" and count >= 3:
        found = _match_names(text, pos, _MONTHS + _MONTHS_SHORT)
        return None if found is None else (found[0] % 12 + 1, found[1])
    if kind == "E":
        found = _match_names(text, pos, _DAYS + _DAYS_SHORT)
        return None if found is None else (found[0] % 7, found[1])
    if kind == "a":
        return _match_names(text, pos, ("AM", "PM"))
    if kind == "G":
        found = _match_names(text, pos, ("BC", "AD", "Before Christ", "Anno Domini"))
        return None if found is None else (found[0] % 2, found[1])
    if kind == "X":
        return _parse_iso_zone(text, pos, count)
    if kind in "zZ":
        return _parse_zone(text, pos)
    return _parse_number(text, pos, field_limit)


def _parse_zone(text: str, pos: int) -> tuple[int, int] | None:
    """Offset in minutes of a zone name, `GMT[+h:mm]` or `+hhmm` (Java's 'z'/'Z' parsing); None if none."""
    c = text[pos]
    if c in "+-":
        return _numeric_zone(text, pos + 1, -1 if c == "-" else 1, 0, False)
    if text[pos:pos + 3].lower() == "gmt":
        end = pos + 3
        if end < len(text) and text[end] in "+-":
            return _numeric_zone(text, end + 1, -1 if text[end] == "-" else 1, 0, True)
        return 0, end
    lowered = text[pos:].lower()
    for name in sorted(_ZONE_NAMES, key=len, reverse=True):
        if lowered.startswith(name):
            return 0, pos + len(name)
    return None


def _parse_iso_zone(text: str, pos: int, count: int) -> tuple[int, int] | None:
    """'X': `Z`, or `±hh` (X), `±hhmm` (XX), `±hh:mm` (XXX)."""
    c = text[pos]
    if c == "Z":
        return 0, pos + 1
    if c not in "+-":
        return None
    return _numeric_zone(text, pos + 1, -1 if c == "-" else 1, count, count == 3)


def _numeric_zone(text: str, pos: int, sign: int, count: int, colon: bool) -> tuple[int, int] | None:
    """Java's subParseNumericZone: hours (one digit only with a colon form), then unless `count` is 1 the
    minutes, two digits after an optional colon (a required one when `colon`)."""
    def at(i: int) -> str:
        return text[i] if i < len(text) else ""

    i = pos
    if not at(i).isdigit() or not at(i).isascii():
        return None
    hours = int(at(i))
    i += 1
    if at(i).isdigit() and at(i).isascii():
        hours = hours * 10 + int(at(i))
        i += 1
    elif count > 0 or not colon or at(i) == "":
        return None
    if hours > 23:
        return None
    minutes = 0
    if count != 1:
        if colon:
            if at(i) != ":":
                return None
            i += 1
        if not (at(i).isdigit() and at(i).isascii() and at(i + 1).isdigit() and at(i + 1).isascii()):
            return None
        minutes = int(text[i:i + 2])
        i += 2
        if minutes > 59:
            return None
    return sign * (hours * 60 + minutes), i


def _calendar_days(year: int, month0: int, day: int, day_of_year: int | None) -> int:
    """Days since the epoch of lenient calendar fields as Java's GregorianCalendar.computeTime resolves them:
    in the Gregorian calendar from 1582-10-15 on, in the Julian calendar before (by the year field)."""
    def days_in(civil: Callable[[int, int, int], int]) -> int:
        y = year + month0 // 12
        if day_of_year is not None:
            return civil(y, 1, 1) + day_of_year - 1
        return civil(y, month0 % 12 + 1, 1) + day - 1

    gregorian = days_in(days_from_civil)
    if year > 1582 and gregorian >= GREGORIAN_CUTOVER_DAYS:
        return gregorian
    julian = days_in(julian_days_from_civil)
    if year < 1582:
        if julian < GREGORIAN_CUTOVER_DAYS:
            return julian
        gregorian = julian
    return gregorian if gregorian >= GREGORIAN_CUTOVER_DAYS else julian


def _resolve(fields: dict[str, int]) -> int:
    """Epoch millis of the parsed fields, with Java's lenient roll-over of out-of-range values."""
    year = fields.get("y", fields.get("Y", 1970))
    if fields.get("G") == 0:  # BC
        year = 1 - year
    if "D" in fields and "M" not in fields and "L" not in fields and "d" not in fields:
        days = _calendar_days(year, 0, 1, fields["D"])
    else:
        days = _calendar_days(year, fields.get("M", fields.get("L", 1)) - 1, fields.get("d", 1), None)
    if "H" in fields:
        hour = fields["H"]
    elif "k" in fields:
        hour = fields["k"] % 24
    elif "h" in fields or "K" in fields:
        hour = fields.get("h", fields.get("K", 0)) % 12 + 12 * fields.get("a", 0)
    else:
        hour = 12 * fields.get("a", 0) if "a" in fields else 0
    ms = ((hour * 60 + fields.get("m", 0)) * 60 + fields.get("s", 0)) * 1000 + fields.get("S", 0)
    offset = fields.get("z", fields.get("Z", fields.get("X", 0)))
    millis = days * MILLIS_PER_DAY + ms - offset * 60_000
    return ((millis + (1 << 63)) & 0xFFFFFFFFFFFFFFFF) - (1 << 63)  # Java's long arithmetic wraps
