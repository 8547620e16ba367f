"""RegexRouter, modelled on Kafka's `RegexRouterTest`."""

from __future__ import annotations

import pickle

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.record import Record
from pyconnect_flow.transforms import RegexRouter
from pyconnect_flow.transforms.regex_router import TRANSFORMS, compile_java_regex


def apply(regex: str, replacement: str, topic: str) -> str:
    router = RegexRouter.from_config({"regex": regex, "replacement": replacement})
    return router(Record(topic, partition=0, offset=0)).topic


def test_static_replacement() -> None:
    assert apply("foo", "bar", "foo") == "bar"


def test_doesnt_match() -> None:
    assert apply("foo", "bar", "orig") == "orig"


def test_identity() -> None:
    assert apply("(.*)", "$1", "orig") == "orig"


def test_add_prefix() -> None:
    assert apply("(.*)", "prefix-$1", "orig") == "prefix-orig"


def test_add_suffix() -> None:
    assert apply("(.*)", "$1-suffix", "orig") == "orig-suffix"


def test_slice() -> None:
    assert apply("(.*)-(\\d\\d\\d\\d\\d\\d\\d\\d)", "$1", "index-20160117") == "index"


def test_the_whole_topic_must_match() -> None:
    assert apply("foo", "bar", "foobar") == "foobar"
    assert apply("foo", "bar", "xfoo") == "xfoo"


def test_replace_first_searches_again_like_java() -> None:
    # matches() accepts "ab" via the 2nd alternative; replaceFirst then finds "a" first.
    assert apply("a|ab", "X", "ab") == "Xb"


def test_java_replacement_syntax() -> None:
    assert apply("(?<name>.*)-(\\d+)", "${name}_$2", "orders-42") == "orders_42"
    assert apply("(.*)", "\\$1 costs \\\\$1", "x") == "$1 costs \\x"
    assert apply("(a)(b)?", "[$2]", "a") == "[]"  # an unmatched group adds nothing
    # Java reads $12 as group 1 followed by "2" when there is no group 12
    assert apply("(.*)", "$12", "x") == "x2"


def test_java_regex_syntax() -> None:
    assert apply("\\Qa.b\\E-(.*)", "$1", "a.b-c") == "c"
    assert apply("\\Qa.b\\E-(.*)", "$1", "axb-c") == "axb-c"
    assert apply("(\\w+)", "w-$1", "caf\u00e9") == "caf\u00e9"  # \w is ASCII-only, as in Java
    assert compile_java_regex("a\\z").fullmatch("a")


def test_keeps_everything_but_the_topic() -> None:
    record = Record("orig", key="k", value={"v": 1}, partition=3, offset=7, headers=(("h", 1),), timestamp=5)
    routed = RegexRouter(regex="(.*)", replacement="$1-x")(record)
    assert routed == record.replace(topic="orig-x")


@pytest.mark.parametrize(("props", "key", "message"), [
    ({"replacement": "x"}, "regex", "missing required key"),
    ({"regex": "x"}, "replacement", "missing required key"),
    ({"regex": "[", "replacement": "x"}, "regex", "Invalid regex"),
    ({"regex": "(.*)", "replacement": "$2"}, "replacement", "No group 2"),
    ({"regex": "(.*)", "replacement": "${nope}"}, "replacement", "No group with name {nope}"),
    ({"regex": "(.*)", "replacement": "a$"}, "replacement", "group index is missing"),
    ({"regex": "(.*)", "replacement": "a\\"}, "replacement", "character to be escaped is missing"),
    ({"regex": "(.*)", "replacement": "$x"}, "replacement", "Illegal group reference"),
])
def test_config_errors(props: dict[str, str], key: str, message: str) -> None:
    issues = RegexRouter.check_config(props)
    assert [i.key for i in issues] == [key]
    assert message in issues[0].message
    with pytest.raises(ConfigException, match=message.replace("$", "\\$").replace("{", "\\{").replace("}", "\\}")):
        RegexRouter.from_config(props)


def test_python_constructor_and_repr() -> None:
    router = RegexRouter(regex="(.*)", replacement="$1-x")
    assert repr(router) == "RegexRouter(regex='(.*)', replacement='$1-x')"
    with pytest.raises(ConfigException):
        RegexRouter(regex="(", replacement="x")
    with pytest.raises(TypeError):
        RegexRouter(regexp="x", replacement="y")


def test_pickles() -> None:
    router = pickle.loads(pickle.dumps(RegexRouter(regex="(?<t>.*)", replacement="${t}-copy")))
    assert router(Record("a")).topic == "a-copy"


def test_registered_under_kafka_name() -> None:
    assert TRANSFORMS == {"RegexRouter": RegexRouter}
