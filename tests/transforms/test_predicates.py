"""Predicates, modelled on Kafka's `TopicNameMatchesTest` and `HasHeaderKeyTest`."""

from __future__ import annotations

import pickle

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.record import Record
from pyconnect_flow.transforms import HasHeaderKey, RecordIsTombstone, TopicNameMatches
from pyconnect_flow.transforms.predicates import PREDICATES


def with_topic(topic: str | None) -> Record:
    return Record(topic)  # type: ignore[arg-type]


def with_headers(*names: str) -> Record:
    return Record("t", headers=tuple((n, None) for n in names))


# TopicNameMatches -------------------------------------------------------------

def test_pattern_required_in_config() -> None:
    issues = TopicNameMatches.check_config({})
    assert [i.key for i in issues] == ["pattern"] and "missing required key" in issues[0].message
    with pytest.raises(ConfigException, match="pattern"):
        TopicNameMatches.from_config({})


def test_pattern_may_not_be_empty() -> None:
    issues = TopicNameMatches.check_config({"pattern": ""})
    assert [(i.key, i.message) for i in issues] == [("pattern", "String must be non-empty")]


@pytest.mark.parametrize("pattern", ["[", "*"])
def test_pattern_is_valid_regex(pattern: str) -> None:
    issues = TopicNameMatches.check_config({"pattern": pattern})
    assert len(issues) == 1 and "Invalid regex" in issues[0].message
    with pytest.raises(ConfigException, match="Invalid regex"):
        TopicNameMatches(pattern=pattern)


def test_topic_name_matches() -> None:
    predicate = TopicNameMatches.from_config({"pattern": "my-prefix-.*"})
    assert predicate(with_topic("my-prefix-"))
    assert predicate(with_topic("my-prefix-foo"))
    assert not predicate(with_topic("x-my-prefix-"))
    assert not predicate(with_topic("x-my-prefix-foo"))
    assert not predicate(with_topic("your-prefix-"))
    assert not predicate(with_topic("your-prefix-foo"))
    assert not predicate(with_topic(None))


# HasHeaderKey ---------------------------------------------------------------------

def test_name_required_and_non_empty() -> None:
    assert "missing required key" in HasHeaderKey.check_config({})[0].message
    assert [(i.key, i.message) for i in HasHeaderKey.check_config({"name": ""})] == [
        ("name", "String must be non-empty")]
    assert HasHeaderKey.check_config({"name": "foo"}) == []


def test_has_header_key() -> None:
    predicate = HasHeaderKey.from_config({"name": "foo"})
    assert predicate(with_headers("foo"))
    assert predicate(with_headers("foo", "bar"))
    assert predicate(with_headers("bar", "foo", "bar", "foo"))
    assert not predicate(with_headers("bar"))
    assert not predicate(with_headers("bar", "bar"))
    assert not predicate(with_headers())


# RecordIsTombstone ------------------------------------------------------------------

def test_record_is_tombstone() -> None:
    predicate = RecordIsTombstone.from_config({})
    assert predicate(Record("t", key="k"))
    assert not predicate(Record("t", value=""))
    assert not predicate(Record("t", value=0))


# common -------------------------------------------------------------------------------

def test_python_constructors_reprs_and_pickling() -> None:
    for predicate, text in ((TopicNameMatches(pattern="a.*"), "TopicNameMatches(pattern='a.*')"),
                            (HasHeaderKey(name="h"), "HasHeaderKey(name='h')"),
                            (RecordIsTombstone(), "RecordIsTombstone()")):
        assert repr(predicate) == text
        copy = pickle.loads(pickle.dumps(predicate))
        assert repr(copy) == text
    assert pickle.loads(pickle.dumps(TopicNameMatches(pattern="a.*")))(Record("abc"))
    with pytest.raises(TypeError):
        HasHeaderKey(header="h")


def test_registered_under_kafka_names() -> None:
    assert PREDICATES == {"TopicNameMatches": TopicNameMatches, "HasHeaderKey": HasHeaderKey,
                          "RecordIsTombstone": RecordIsTombstone}
