"""Kafka Connect's predicates: TopicNameMatches, HasHeaderKey, RecordIsTombstone.

As `org.apache.kafka.connect.transforms.predicates.*`. A predicate decides
whether a transform applies to a record (`transforms.<alias>.predicate`, or
`when(predicate, transform)` in code)::

    TopicNameMatches(pattern="orders-.*")   # the WHOLE topic must match
    HasHeaderKey(name="trace-id")
    RecordIsTombstone()                     # value is None

On a batch of decoded Kafka columns (`transforms.columns`), `test_columns` gives the same answers without a
record per message: one for the whole batch where all its messages get the same one (a batch has one topic),
else one per message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pyconnect_flow.config.definition import ConfigDef, ConfigException, ConfigKey, ConfigType
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.base import Predicate
from pyconnect_flow.transforms.regex_router import compile_java_regex, java_regex_error
from pyconnect_flow.transforms.util import Memo, kwargs_to_props, non_empty_string

if TYPE_CHECKING:
    from pyconnect_flow.kafka_columns import DecodedColumns

__all__ = ["PREDICATES", "ConfiguredPredicate", "HasHeaderKey", "RecordIsTombstone", "TopicNameMatches"]

P = TypeVar("P", bound="ConfiguredPredicate")


def _non_empty_regex(value: Any) -> str | None:
    return non_empty_string(value) or java_regex_error(value)


class ConfiguredPredicate(Predicate):
    """A Kafka predicate built from keyword arguments or from its Kafka config (`from_config`)."""

    KAFKA_NAME: ClassVar[str] = ""

    def __init__(self, **kwargs: Any) -> None:
        props = kwargs_to_props(self.CONFIG, kwargs, type(self).__name__)
        issues = type(self).check_config(props)
        if issues:
            raise ConfigException(self.KAFKA_NAME, issues, what="predicate")
        values, _ = self.CONFIG.check(props, ignore_unknown=True)
        self._configure(values)

    @classmethod
    def _from_values(cls: type[P], values: Mapping[str, Any]) -> P:
        obj = cls.__new__(cls)
        obj._configure(values)
        return obj

    def _configure(self, values: Mapping[str, Any]) -> None:
        """Set up from typed values (keys as Kafka names them)."""


class TopicNameMatches(ConfiguredPredicate):
    """True for records with a topic name that matches the configured regular expression (the whole name)."""

    KAFKA_NAME = "TopicNameMatches"
    CONFIG = ConfigDef([
        ConfigKey("pattern", ConfigType.STRING,
                  doc="A Java regular expression for matching against the name of a record's topic.",
                  validator=_non_empty_regex),
    ])

    _pattern_text: str
    _pattern: re.Pattern[str]
    _results: Memo[str | None, bool]  # topic -> whether it matches

    def _configure(self, values: Mapping[str, Any]) -> None:
        self._pattern_text = values["pattern"]
        self._pattern = compile_java_regex(self._pattern_text)
        self._results = Memo()

    def __call__(self, record: Record) -> bool:
        return self._matches(record.topic)

    def _matches(self, topic: str | None) -> bool:
        result = self._results.get(topic)
        if result is None:
            result = self._results.put(topic, topic is not None and self._pattern.fullmatch(topic) is not None)
        return result

    def test_columns(self, columns: DecodedColumns) -> bool:
        """Whether the batch's topic (after any router) matches: one answer for all its messages."""
        return self._matches(columns.topic)

    def __repr__(self) -> str:
        return f"TopicNameMatches(pattern={self._pattern_text!r})"


class HasHeaderKey(ConfiguredPredicate):
    """True for records with at least one header with the configured name."""

    KAFKA_NAME = "HasHeaderKey"
    CONFIG = ConfigDef([
        ConfigKey("name", ConfigType.STRING, doc="The header name.", validator=non_empty_string),
    ])

    _name: str

    def _configure(self, values: Mapping[str, Any]) -> None:
        self._name = values["name"]

    def __call__(self, record: Record) -> bool:
        name = self._name
        for header in record.headers:
            if header[0] == name:
                return True
        return False

    def test_columns(self, columns: DecodedColumns) -> bool | list[bool]:
        """Whether each message has the header (the raw headers: a batch with headers to convert is never
        decoded into columns, and no columnar SMT changes headers); False for all when none has headers."""
        headers = columns.raw.headers
        if not any(headers):
            return False
        name = self._name
        matched = [False] * len(headers)
        for i, h in enumerate(headers):
            if h:
                for header in h:
                    if header[0] == name:
                        matched[i] = True
                        break
        return matched

    def __repr__(self) -> str:
        return f"HasHeaderKey(name={self._name!r})"


class RecordIsTombstone(ConfiguredPredicate):
    """True for records which are tombstones (their value is None)."""

    KAFKA_NAME = "RecordIsTombstone"
    CONFIG = ConfigDef()

    def __call__(self, record: Record) -> bool:
        return record.value is None

    def test_columns(self, columns: DecodedColumns) -> bool | list[bool]:
        """Whether each value is null; False for all in a batch of flat struct columns (values are objects)."""
        if columns.flat is not None:
            return False
        return [value is None for _, value in columns.values]

    def __repr__(self) -> str:
        return "RecordIsTombstone()"


PREDICATES: dict[str, type[Predicate]] = {
    "TopicNameMatches": TopicNameMatches,
    "HasHeaderKey": HasHeaderKey,
    "RecordIsTombstone": RecordIsTombstone,
}
