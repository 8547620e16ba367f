"""Typed config declarations: parsing of every type, defaults, validators, issues, secrets."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest

from pyconnect_flow.config import (
    REQUIRED,
    ConfigDef,
    ConfigException,
    ConfigIssue,
    ConfigKey,
    ConfigType,
    ParsedConfig,
    Password,
)
from pyconnect_flow.config.definition import (
    at_least,
    between,
    java_trim,
    non_empty,
    non_empty_string_without_control_chars,
    one_of,
    parse_value,
    secret_text,
    setting,
    settings_from,
    unknown_key_message,
    valid_regex,
)
from pyconnect_flow.data.exceptions import ConnectException

SECRET = "hunter2-Secret"


def parse(type_: ConfigType, raw: Any) -> Any:
    return parse_value(ConfigKey("k", type_), raw)


# parsing, type by type ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("type_", "raw", "expected"),
    [
        (ConfigType.STRING, "abc", "abc"),
        (ConfigType.STRING, "  padded \t", "padded"),  # Kafka trims every string
        (ConfigType.STRING, "", ""),
        (ConfigType.STRING, "\u00a0nbsp\u00a0", "\u00a0nbsp\u00a0"),  # Java's trim() keeps U+00A0
        (ConfigType.INT, "42", 42),
        (ConfigType.INT, " -7 ", -7),
        (ConfigType.INT, "+3", 3),
        (ConfigType.INT, 5, 5),
        (ConfigType.INT, "2147483647", 2**31 - 1),
        (ConfigType.INT, "-2147483648", -(2**31)),
        (ConfigType.SHORT, "32767", 32767),
        (ConfigType.SHORT, "-32768", -32768),
        (ConfigType.LONG, "9223372036854775807", 2**63 - 1),
        (ConfigType.LONG, "-9223372036854775808", -(2**63)),
        (ConfigType.DOUBLE, "1.5", 1.5),
        (ConfigType.DOUBLE, " 2 ", 2.0),
        (ConfigType.DOUBLE, "1e3", 1000.0),
        (ConfigType.DOUBLE, "-.5", -0.5),
        (ConfigType.DOUBLE, "3.", 3.0),
        (ConfigType.DOUBLE, "2.5d", 2.5),
        (ConfigType.DOUBLE, "Infinity", float("inf")),
        (ConfigType.DOUBLE, "-Infinity", float("-inf")),
        (ConfigType.DOUBLE, 7, 7.0),
        (ConfigType.DOUBLE, 0.25, 0.25),
        (ConfigType.BOOLEAN, "true", True),
        (ConfigType.BOOLEAN, "TRUE", True),
        (ConfigType.BOOLEAN, " False ", False),
        (ConfigType.BOOLEAN, True, True),
        (ConfigType.BOOLEAN, False, False),
        (ConfigType.LIST, "a,b,c", ["a", "b", "c"]),
        (ConfigType.LIST, " a , b ,c ", ["a", "b", "c"]),
        (ConfigType.LIST, "", []),
        (ConfigType.LIST, "   ", []),
        (ConfigType.LIST, "a,,b", ["a", "", "b"]),
        (ConfigType.LIST, "single", ["single"]),
        (ConfigType.LIST, ["x ", " y"], ["x", "y"]),
        (ConfigType.LIST, ("x",), ["x"]),
        (ConfigType.CLASS, " org.apache.kafka.connect.json.JsonConverter ", "org.apache.kafka.connect.json.JsonConverter"),
        (ConfigType.CLASS, dict, dict),
    ],
)
def test_parse_value(type_: ConfigType, raw: Any, expected: Any) -> None:
    value = parse(type_, raw)
    assert value == expected
    assert type(value) is type(expected)


def test_parse_nan_and_none() -> None:
    nan = parse(ConfigType.DOUBLE, "NaN")
    assert nan != nan
    assert all(parse(t, None) is None for t in ConfigType)


def test_parse_password() -> None:
    value = parse(ConfigType.PASSWORD, f"  {SECRET} ")
    assert isinstance(value, Password) and value.value == SECRET
    given = Password("x")
    assert parse(ConfigType.PASSWORD, given) is given


@pytest.mark.parametrize(
    ("type_", "raw", "message"),
    [
        (ConfigType.STRING, 5, "expected a string, got 5"),
        (ConfigType.INT, "4.0", "expected an integer, got '4.0'"),
        (ConfigType.INT, "", "expected an integer, got ''"),
        (ConfigType.INT, "1_000", "expected an integer, got '1_000'"),
        (ConfigType.INT, "0x10", "expected an integer, got '0x10'"),
        (ConfigType.INT, True, "expected an integer, got True"),
        (ConfigType.INT, 4.0, "expected an integer, got 4.0"),
        (ConfigType.INT, "2147483648", "2147483648 does not fit a int"),
        (ConfigType.INT, "-2147483649", "-2147483649 does not fit a int"),
        (ConfigType.SHORT, "32768", "32768 does not fit a short"),
        (ConfigType.LONG, "9223372036854775808", "9223372036854775808 does not fit a long"),
        (ConfigType.DOUBLE, "abc", "expected a number, got 'abc'"),
        (ConfigType.DOUBLE, "1_000.5", "expected a number, got '1_000.5'"),
        (ConfigType.DOUBLE, "inf", "expected a number, got 'inf'"),
        (ConfigType.DOUBLE, "nan", "expected a number, got 'nan'"),
        (ConfigType.DOUBLE, "", "expected a number, got ''"),
        (ConfigType.DOUBLE, False, "expected a number, got False"),
        (ConfigType.DOUBLE, [1], "expected a number, got [1]"),
        (ConfigType.BOOLEAN, "yes", "expected true or false, got 'yes'"),
        (ConfigType.BOOLEAN, "1", "expected true or false, got '1'"),
        (ConfigType.BOOLEAN, "", "expected true or false, got ''"),
    ],
)
def test_parse_value_errors(type_: ConfigType, raw: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse(type_, raw)
    assert str(info.value) == message


def test_java_trim() -> None:
    assert java_trim("\x00\t a b \r\n\x1f") == "a b"
    assert java_trim("\u2003x\u2003") == "\u2003x\u2003"


# declarations and defaults -----------------------------------------------------------------------

def test_config_key_basics() -> None:
    key = ConfigKey("batch.size", ConfigType.INT, doc="Rows per batch.")
    assert key.required and key.default is REQUIRED and not key.is_secret
    assert ConfigKey("p", ConfigType.PASSWORD).is_secret
    assert ConfigKey("s", ConfigType.STRING, default=None, secret=True).is_secret
    assert not ConfigKey("o", ConfigType.STRING, default=None).required
    assert repr(REQUIRED) == "REQUIRED"


@pytest.mark.parametrize(
    ("type_", "default", "parsed"),
    [
        (ConfigType.LIST, "a, b", ["a", "b"]),
        (ConfigType.LIST, "", []),
        (ConfigType.INT, "100", 100),
        (ConfigType.DOUBLE, 1, 1.0),
        (ConfigType.BOOLEAN, "true", True),
        (ConfigType.STRING, "x", "x"),
        (ConfigType.STRING, None, None),
    ],
)
def test_defaults_are_parsed_to_the_type_at_declaration(type_: ConfigType, default: Any, parsed: Any) -> None:
    key = ConfigKey("k", type_, default=default)
    assert key.default == parsed and type(key.default) is type(parsed)
    values, issues = ConfigDef([key]).check({})
    assert values == {"k": parsed} and issues == []


def test_password_default_becomes_a_password() -> None:
    key = ConfigKey("p", ConfigType.PASSWORD, default="")
    assert isinstance(key.default, Password)
    parsed = ConfigDef([key]).parse({}, connector="c")
    assert parsed.secret("p") == "" and parsed.masked() == {"p": "[hidden]"}


def test_a_default_that_does_not_fit_its_type_is_a_declaration_error() -> None:
    with pytest.raises(ValueError, match="default of config key 'k': expected an integer, got 1.5"):
        ConfigKey("k", ConfigType.INT, default=1.5)


def test_required_marker_survives_copy_and_pickle() -> None:
    key = ConfigKey("k", ConfigType.INT)
    for clone in (copy.copy(key), copy.deepcopy(key), pickle.loads(pickle.dumps(key))):
        assert clone.default is REQUIRED and clone.required
    definition = pickle.loads(pickle.dumps(ConfigDef([key])))
    assert definition.check({})[1] == [ConfigIssue("k", "missing required key")]


def test_config_def_declaration_api() -> None:
    definition = ConfigDef().define("a", ConfigType.STRING, default="x", doc="A.").define("b", ConfigType.INT)
    assert definition.names() == ["a", "b"]
    assert "a" in definition and "c" not in definition
    assert definition["b"].type is ConfigType.INT
    assert [k.name for k in definition] == ["a", "b"]
    with pytest.raises(ValueError, match="config key 'a' declared twice"):
        definition.add(ConfigKey("a", ConfigType.STRING))


def test_merged_keeps_the_first_declaration() -> None:
    first = ConfigDef([ConfigKey("a", ConfigType.STRING, default="first")])
    second = ConfigDef([ConfigKey("a", ConfigType.STRING, default="second"), ConfigKey("b", ConfigType.INT, default=1)])
    merged = first.merged(second)
    assert merged.names() == ["a", "b"] and merged["a"].default == "first"
    assert first.names() == ["a"]  # the originals are untouched


# checking a config -------------------------------------------------------------------------------

CONNECTOR = ConfigDef([
    ConfigKey("file", ConfigType.STRING, default=None, doc="Source filename."),
    ConfigKey("topic", ConfigType.STRING, doc="The topic to publish data to.", validator=non_empty),
    ConfigKey("batch.size", ConfigType.INT, default=2000, validator=at_least(1)),
    ConfigKey("ratio", ConfigType.DOUBLE, default=0.5, validator=between(0, 1)),
    ConfigKey("mode", ConfigType.STRING, default="append", validator=one_of("append", "upsert")),
    ConfigKey("regex", ConfigType.STRING, default=None, validator=valid_regex),
    ConfigKey("enabled", ConfigType.BOOLEAN, default=True),
    ConfigKey("fields", ConfigType.LIST, default=""),
    ConfigKey("connection.password", ConfigType.PASSWORD, default=None, validator=non_empty),
    ConfigKey("api.code", ConfigType.STRING, default=None, secret=True, validator=one_of("a", "b")),
    ConfigKey("retries", ConfigType.INT, default=3, aliases=("max.retries",)),
])


def test_a_valid_config() -> None:
    parsed = CONNECTOR.parse({"topic": "t", "batch.size": "10", "fields": "a,b", "max.retries": "5",
                              "connection.password": SECRET}, connector="src")
    assert dict(parsed) == {
        "file": None, "topic": "t", "batch.size": 10, "ratio": 0.5, "mode": "append", "regex": None,
        "enabled": True, "fields": ["a", "b"], "connection.password": Password(SECRET), "api.code": None,
        "retries": 5,
    }
    assert parsed["batch.size"] == 10 and len(parsed) == 11
    assert parsed.secret("connection.password") == SECRET
    assert parsed.secret("topic") == "t"


def test_missing_required_key_names_its_doc() -> None:
    _, issues = CONNECTOR.check({})
    assert issues == [ConfigIssue("topic", "missing required key (The topic to publish data to.)")]


def test_none_counts_as_missing() -> None:
    values, issues = CONNECTOR.check({"topic": None, "batch.size": None})
    assert issues == [ConfigIssue("topic", "missing required key (The topic to publish data to.)")]
    assert values["batch.size"] == 2000


@pytest.mark.parametrize(
    ("raw", "issue"),
    [
        ({"batch.size": "0"}, ConfigIssue("batch.size", "value 0 must be at least 1")),
        ({"ratio": "1.5"}, ConfigIssue("ratio", "value 1.5 must be between 0 and 1")),
        ({"mode": "merge"}, ConfigIssue("mode", "invalid value 'merge'; must be one of append, upsert")),
        ({"topic": "  "}, ConfigIssue("topic", "must not be empty")),
        ({"batch.size": "ten"}, ConfigIssue("batch.size", "expected an integer, got 'ten'")),
    ],
)
def test_validators(raw: dict[str, str], issue: ConfigIssue) -> None:
    _, issues = CONNECTOR.check({"topic": "t", **raw})
    assert issues == [issue]


def test_one_of_is_case_insensitive_unless_asked() -> None:
    assert one_of("append", "upsert")("UPSERT") is None
    assert one_of("append", case_sensitive=True)("APPEND") == "invalid value 'APPEND'; must be one of append"


def test_regex_validator() -> None:
    _, issues = CONNECTOR.check({"topic": "t", "regex": "(unclosed"})
    assert len(issues) == 1 and issues[0].key == "regex"
    assert issues[0].message.startswith("invalid regular expression '(unclosed': ")
    assert valid_regex(r"a.*\.v1") is None


def test_non_empty_validator() -> None:
    assert non_empty("") == non_empty([]) == non_empty(Password("")) == "must not be empty"
    assert non_empty("x") is None and non_empty(["x"]) is None and non_empty(Password("x")) is None


def test_non_empty_string_without_control_chars() -> None:
    assert non_empty_string_without_control_chars("") == "must not be empty"
    assert non_empty_string_without_control_chars("a\tb") == "must not contain control characters"
    assert non_empty_string_without_control_chars("a\x7fb") == "must not contain control characters"
    assert non_empty_string_without_control_chars("fine") is None


def test_validators_do_not_judge_defaults() -> None:
    definition = ConfigDef([ConfigKey("n", ConfigType.INT, default=0, validator=at_least(1))])
    assert definition.check({}) == ({"n": 0}, [])
    assert definition.check({"n": "0"})[1] == [ConfigIssue("n", "value 0 must be at least 1")]


def test_a_validator_that_raises_is_reported_and_checking_goes_on() -> None:
    def broken(value: Any) -> str | None:
        raise TypeError("cannot compare")

    definition = ConfigDef([ConfigKey("a", ConfigType.STRING, validator=broken), ConfigKey("b", ConfigType.INT)])
    _, issues = definition.check({"a": "x"})
    assert issues == [ConfigIssue("a", "invalid value: TypeError: cannot compare"),
                      ConfigIssue("b", "missing required key")]


def test_unknown_keys_with_did_you_mean() -> None:
    _, issues = CONNECTOR.check({"topic": "t", "batch.szie": "5", "zzz": "1"})
    assert issues == [
        ConfigIssue("batch.szie", "unknown key; did you mean 'batch.size'?"),
        ConfigIssue("zzz", "unknown key"),
    ]
    assert unknown_key_message("topik", ["topic", "topics", "tasks.max"]) == \
        "unknown key; did you mean 'topic' or 'topics'?"


def test_unknown_keys_can_be_allowed() -> None:
    raw = {"topic": "t", "producer.override.acks": "all", "other": "x"}
    assert CONNECTOR.check(raw, allowed_prefixes=["producer.override."])[1] == [ConfigIssue("other", "unknown key")]
    assert CONNECTOR.check(raw, ignore_unknown=True)[1] == []


def test_prefixed_check() -> None:
    definition = ConfigDef([ConfigKey("field", ConfigType.STRING), ConfigKey("n", ConfigType.INT, default=1)])
    raw = {"transforms.x.field": "f", "transforms.x.nn": "2", "topic": "t"}
    values, issues = definition.check(raw, prefix="transforms.x.")
    assert values == {"field": "f", "n": 1}
    assert issues == [ConfigIssue("transforms.x.nn", "unknown key; did you mean 'transforms.x.n'?")]
    assert definition.check({}, prefix="transforms.x.")[1] == [ConfigIssue("transforms.x.field", "missing required key")]


def test_several_issues_in_one_exception_message() -> None:
    with pytest.raises(ConfigException) as info:
        CONNECTOR.parse({"batch.size": "0", "enabled": "maybe", "mode": "merge", "topc": "t"}, connector="my-source")
    exc = info.value
    assert isinstance(exc, ConnectException) and isinstance(exc, ConfigException)
    assert exc.connector == "my-source" and len(exc.issues) == 5
    assert str(exc) == (
        "Invalid configuration for connector 'my-source' (5 problems):\n"
        "  - topic: missing required key (The topic to publish data to.)\n"
        "  - batch.size: value 0 must be at least 1\n"
        "  - mode: invalid value 'merge'; must be one of append, upsert\n"
        "  - enabled: expected true or false, got 'maybe'\n"
        "  - topc: unknown key; did you mean 'topic'?"
    )


def test_exception_wording_for_one_problem_and_other_kinds() -> None:
    exc = ConfigException("Cast$Value", [ConfigIssue("spec", "missing required key")], what="transform")
    assert str(exc) == "Invalid configuration for transform 'Cast$Value' (1 problem):\n  - spec: missing required key"
    assert str(ConfigIssue("a", "b")) == "a: b"


# secrets -----------------------------------------------------------------------------------------

def test_password_object_never_prints_its_value() -> None:
    password = Password(SECRET)
    assert str(password) == repr(password) == "[hidden]"
    assert SECRET not in f"{password} {password!r} {[password]} {({'p': password})}"
    assert password == Password(SECRET) and password != Password("other") and password != SECRET
    assert hash(password) == hash(Password(SECRET))


def test_secrets_never_appear_in_exception_messages() -> None:
    def rejects(value: Any) -> str:
        return f"bad value {value}"  # a careless validator that quotes its value

    def trips(value: Any) -> str | None:
        raise ValueError(f"cannot handle {value}")

    definition = ConfigDef([
        ConfigKey("connection.password", ConfigType.PASSWORD, validator=lambda v: f"too short: {v.value}"),
        ConfigKey("api.code", ConfigType.STRING, secret=True, validator=rejects),
        ConfigKey("pin", ConfigType.INT, secret=True),
        ConfigKey("token", ConfigType.STRING, secret=True, validator=trips),
    ])
    with pytest.raises(ConfigException) as info:
        definition.parse({"connection.password": SECRET, "api.code": SECRET, "pin": SECRET, "token": SECRET},
                         connector="c")
    message = str(info.value)
    assert SECRET not in message and SECRET not in repr(info.value)
    assert [i.key for i in info.value.issues] == ["connection.password", "api.code", "pin", "token"]
    assert "pin: invalid value [hidden] for a int" in message
    assert "connection.password: invalid value [hidden]" in message


def test_secrets_never_appear_in_parsed_config_repr() -> None:
    parsed = CONNECTOR.parse({"topic": "t", "connection.password": SECRET, "api.code": "a"}, connector="c")
    assert SECRET not in repr(parsed) and SECRET not in str(parsed)
    assert parsed.masked()["connection.password"] == "[hidden]"
    assert parsed.masked()["api.code"] == "[hidden]"  # declared secret=True, even though a plain string
    assert parsed["api.code"] == "a"
    assert repr(parsed).startswith("ParsedConfig({'file': None, 'topic': 't'")


def test_parsed_config_with_prefix_and_without_definition() -> None:
    raw = {"topic": "t", "producer.override.acks": "all", "producer.override.linger.ms": "5"}
    parsed = CONNECTOR.parse(raw, connector="c", allowed_prefixes=["producer.override."])
    assert parsed.with_prefix("producer.override.") == {"acks": "all", "linger.ms": "5"}
    assert parsed.with_prefix("producer.override.", strip=False) == {
        "producer.override.acks": "all", "producer.override.linger.ms": "5"}
    bare = ParsedConfig({"a": 1, "p": Password(SECRET)})
    assert bare.masked() == {"a": 1, "p": "[hidden]"} and list(bare) == ["a", "p"]


def test_parsed_config_is_a_full_mapping() -> None:
    parsed = ParsedConfig({"a": 1, "p": Password(SECRET)}, {"a": "1"})
    assert list(parsed.keys()) == ["a", "p"]
    assert list(parsed.values()) == [1, Password(SECRET)]
    assert dict(parsed.items()) == {"a": 1, "p": Password(SECRET)}
    assert parsed == {"a": 1, "p": Password(SECRET)} and parsed.get("zzz") is None and "a" in parsed
    assert parsed.originals == {"a": "1"} and parsed.definition is None
    assert ParsedConfig({}).originals == {}


# settings objects derived from a declaration -------------------------------------------------------

SETTINGS_CONFIG = ConfigDef([
    ConfigKey("file", ConfigType.STRING, doc="Target file."),
    ConfigKey("batch.size", ConfigType.INT, 2000),
    ConfigKey("topics", ConfigType.LIST, "a,b"),
    ConfigKey("mode", ConfigType.STRING, "UPSERT"),
    ConfigKey("fields", ConfigType.LIST, []),
    ConfigKey("password", ConfigType.PASSWORD, None),
])


@dataclasses.dataclass(frozen=True, kw_only=True)
class FileSettings:
    path: str = setting(SETTINGS_CONFIG, "file")
    batch_size: int = setting(SETTINGS_CONFIG, "batch.size")
    topics: frozenset[str] = setting(SETTINGS_CONFIG, "topics", frozenset)
    mode: str = setting(SETTINGS_CONFIG, "mode", str.lower)
    fields: list[str] = setting(SETTINGS_CONFIG, "fields")
    secret: str | None = setting(SETTINGS_CONFIG, "password", secret_text, repr=False)
    name: str = "unnamed"


def test_a_settings_dataclass_takes_its_defaults_from_the_declaration() -> None:
    s = FileSettings(path="/x")
    assert (s.batch_size, s.topics, s.mode, s.fields, s.secret) == (2000, frozenset({"a", "b"}), "upsert", [], None)
    assert FileSettings(path="/y").fields is not s.fields  # a mutable default is copied
    with pytest.raises(TypeError):
        FileSettings()  # type: ignore[call-arg]  # "file" is required


def test_settings_from_parsed_values_converts_and_takes_the_others() -> None:
    parsed = SETTINGS_CONFIG.parse({"file": "/data", "topics": "c", "mode": "INSERT", "password": "pw"},
                                   connector="c")
    s = settings_from(FileSettings, parsed, name="sink-1")
    assert (s.path, s.batch_size, s.topics, s.mode, s.secret, s.name) == (
        "/data", 2000, frozenset({"c"}), "insert", "pw", "sink-1")
    assert "pw" not in repr(s)
    assert settings_from(FileSettings, {"file": "/d"}).topics == frozenset({"a", "b"})  # absent: the default
    assert settings_from(FileSettings, {"file": "/d"}, batch_size=7).batch_size == 7
    with pytest.raises(ValueError, match="'file'"):
        settings_from(FileSettings, {})


def test_a_setting_for_an_undeclared_key_fails_when_the_class_is_defined() -> None:
    with pytest.raises(KeyError):
        setting(SETTINGS_CONFIG, "no.such.key")
    assert secret_text(Password("")) is None and secret_text(None) is None and secret_text("t") == "t"
