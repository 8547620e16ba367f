"""RegexRouter: rename the topic with a Java regular expression and replacement.

As Kafka's `org.apache.kafka.connect.transforms.RegexRouter`: when `regex`
matches the WHOLE topic, the topic becomes `replaceFirst(replacement)`, with
Java's replacement syntax (`$1`, `${name}`, `\\$` for a literal dollar);
otherwise the record passes unchanged::

    RegexRouter(regex="(.*)-(\\d{8})", replacement="$1")   # "index-20160117" -> "index"

Java regexes are read with Python's `re` after a small translation
(`(?<name>...)` groups, `\\Q...\\E` quoting, `\\z`; `\\w`, `\\d`, `\\s` are
ASCII-only as in Java). Unlike Kafka, a replacement that names a group the
regex lacks is a config error, reported before any record flows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pyconnect_flow.config.definition import ConfigDef, ConfigIssue, ConfigKey, ConfigType
from pyconnect_flow.record import Record, with_topic
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.util import ConfiguredTransform, Memo

if TYPE_CHECKING:
    from pyconnect_flow.kafka_columns import DecodedColumns

__all__ = ["TRANSFORMS", "JavaReplacement", "RegexRouter", "compile_java_regex", "java_regex_error"]


def _translate(pattern: str) -> str:
    """Java regex syntax → Python `re` syntax, for the constructs the two spell differently."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2:] if end < 0 else pattern[i + 2:end]
                out.append(re.escape(literal))
                i = n if end < 0 else end + 2
                continue
            if nxt == "z":
                out.append("\\Z")
            elif nxt == "Z":
                out.append("(?=\\n?\\Z)")
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if pattern.startswith("(?<", i) and i + 3 < n and pattern[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        out.append(c)
        i += 1
    return "".join(out)


def compile_java_regex(pattern: str) -> re.Pattern[str]:
    """A Python pattern for a Java regex (raises `re.error` if it is invalid)."""
    return re.compile(_translate(pattern), re.ASCII)


def java_regex_error(value: Any) -> str | None:
    """Validator: Kafka's `RegexValidator` message for an invalid regex, else None."""
    try:
        compile_java_regex(value)
    except (re.error, TypeError) as exc:
        return f"Invalid regex: {exc}"
    return None


class JavaReplacement:
    """A Java `Matcher` replacement string (`$1`, `${name}`, `\\x`), checked against a pattern."""

    __slots__ = ("text", "_parts")

    def __init__(self, text: str, pattern: re.Pattern[str]) -> None:
        self.text = text
        self._parts = self._parse(text, pattern)

    @staticmethod
    def _parse(text: str, pattern: re.Pattern[str]) -> tuple[str | int, ...]:
        parts: list[str | int] = []
        literal: list[str] = []
        i, n = 0, len(text)
        groups = pattern.groups
        while i < n:
            c = text[i]
            if c == "\\":
                if i + 1 >= n:
                    raise ValueError("character to be escaped is missing")
                literal.append(text[i + 1])
                i += 2
            elif c == "$":
                if i + 1 >= n:
                    raise ValueError("Illegal group reference: group index is missing")
                if text[i + 1] == "{":
                    end = text.find("}", i + 2)
                    if end < 0:
                        raise ValueError("named capturing group is missing trailing '}'")
                    name = text[i + 2:end]
                    if not name or not (name[0].isalpha() and name.isalnum() and name.isascii()):
                        raise ValueError(f"named capturing group <{name}> has invalid name")
                    if name not in pattern.groupindex:
                        raise ValueError(f"No group with name {{{name}}}")
                    ref: int = pattern.groupindex[name]
                    i = end + 1
                else:
                    if not "0" <= text[i + 1] <= "9":
                        raise ValueError("Illegal group reference")
                    ref = int(text[i + 1])
                    i += 2
                    # Java takes more digits while the group number stays within the pattern's groups.
                    while i < n and "0" <= text[i] <= "9" and ref * 10 + int(text[i]) <= groups:
                        ref = ref * 10 + int(text[i])
                        i += 1
                    if ref > groups:
                        raise ValueError(f"No group {ref}")
                if literal:
                    parts.append("".join(literal))
                    literal = []
                parts.append(ref)
            else:
                literal.append(c)
                i += 1
        if literal:
            parts.append("".join(literal))
        return tuple(parts)

    def expand(self, match: re.Match[str]) -> str:
        """The replacement for one match (an unmatched group adds nothing)."""
        return "".join(p if isinstance(p, str) else (match.group(p) or "") for p in self._parts)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_replacement, (self.text, self._parts))


def _rebuild_replacement(text: str, parts: tuple[str | int, ...]) -> JavaReplacement:
    obj = JavaReplacement.__new__(JavaReplacement)
    obj.text, obj._parts = text, parts
    return obj


class RegexRouter(ConfiguredTransform):
    """Update the record topic using the configured regular expression and replacement string."""

    KAFKA_NAME = "RegexRouter"
    CONFIG = ConfigDef([
        ConfigKey("regex", ConfigType.STRING, doc="Regular expression to use for matching.",
                  validator=java_regex_error, importance="high"),
        ConfigKey("replacement", ConfigType.STRING, doc="Replacement string.", importance="high"),
    ])

    _regex_text: str
    _regex: re.Pattern[str]
    _replacement: JavaReplacement
    _routes: Memo[str | None, str | None]  # topic -> new topic, or None when the topic stays

    @classmethod
    def validate_values(cls, values: Mapping[str, Any]) -> list[ConfigIssue]:
        replacement = values.get("replacement")
        if replacement is None:
            return [ConfigIssue("replacement", "Invalid value null: must be a string")]
        try:
            JavaReplacement(replacement, compile_java_regex(values["regex"]))
        except ValueError as exc:
            return [ConfigIssue("replacement", f"Invalid replacement {replacement!r}: {exc}")]
        return []

    def _configure(self, values: Mapping[str, Any]) -> None:
        self._regex_text = values["regex"]
        self._regex = compile_java_regex(self._regex_text)
        self._replacement = JavaReplacement(values["replacement"], self._regex)
        self._routes = Memo()

    def route(self, topic: str | None) -> str | None:
        """The new topic, or None when `topic` does not match (the whole of it)."""
        regex = self._regex
        if topic is None or regex.fullmatch(topic) is None:
            return None
        # replaceFirst searches again from the start, exactly as Java's Matcher does.
        match = regex.search(topic)
        assert match is not None
        return topic[:match.start()] + self._replacement.expand(match) + topic[match.end():]

    def _routed(self, topic: str | None) -> str | None:
        routes = self._routes
        if topic in routes:
            return routes[topic]
        return routes.put(topic, self.route(topic))

    def transform_columns(self, columns: DecodedColumns) -> DecodedColumns | None:
        """The columnar form (`transforms.columns`): the batch's one topic, routed."""
        new_topic = self._routed(columns.topic)
        return columns if new_topic is None else columns.with_topic(new_topic)

    def route_topic(self, record: Record) -> str | None:
        """The topic this transform gives `record` (its own when the regex does not match)."""
        new_topic = self._routed(record[0])
        return record[0] if new_topic is None else new_topic

    def __call__(self, record: Record) -> Record:
        new_topic = self._routed(record[0])
        return record if new_topic is None else with_topic(record, new_topic)

    def __repr__(self) -> str:
        return f"RegexRouter(regex={self._regex_text!r}, replacement={self._replacement.text!r})"


TRANSFORMS: dict[str, type[Transform]] = {"RegexRouter": RegexRouter}
