"""Converter lookup by Kafka class name, short name or import path; creation and validation."""

from __future__ import annotations

import pytest

from pyconnect_flow.config.definition import ConfigException, ConfigIssue
from pyconnect_flow.converters import (
    ByteArrayConverter,
    JsonConverter,
    StringConverter,
    check_converter,
    converter_class,
    create_converter,
)
from pyconnect_flow.data import STRING_SCHEMA


@pytest.mark.parametrize(("name", "cls"), [
    ("org.apache.kafka.connect.json.JsonConverter", JsonConverter),
    ("org.apache.kafka.connect.storage.StringConverter", StringConverter),
    ("org.apache.kafka.connect.converters.ByteArrayConverter", ByteArrayConverter),
    ("JsonConverter", JsonConverter),
    ("StringConverter", StringConverter),
    (" ByteArrayConverter ", ByteArrayConverter),
    ("pyconnect_flow.converters.json:JsonConverter", JsonConverter),
    ("pyconnect_flow.converters.string.StringConverter", StringConverter),
])
def test_converter_class(name: str, cls: type) -> None:
    assert converter_class(name) is cls


@pytest.mark.parametrize("name", [
    "com.example.NoSuchConverter", "NoSuchConverter", "pyconnect_flow.converters.json:Nope",
    "pyconnect_flow.data.schema:Schema", "", "json:",
])
def test_unknown_converter(name: str) -> None:
    with pytest.raises(ValueError) as info:
        converter_class(name)
    message = str(info.value)
    assert "org.apache.kafka.connect.json.JsonConverter" in message and "ByteArrayConverter" in message


def test_create_converter() -> None:
    c = create_converter("JsonConverter", {"schemas.enable": "false"}, is_key=True)
    assert isinstance(c, JsonConverter) and c.is_key and not c.schemas_enabled
    assert c.from_connect("t", STRING_SCHEMA, "x") == b'"x"'
    s = create_converter("org.apache.kafka.connect.storage.StringConverter", {"converter.encoding": "UTF-16"}, False)
    assert isinstance(s, StringConverter) and s.encoding == "UTF-16" and not s.is_key


def test_create_converter_rejects_bad_values() -> None:
    with pytest.raises(ConfigException) as info:
        create_converter("JsonConverter", {"decimal.format": "HEX", "schemas.enable": "maybe"}, is_key=False)
    assert {i.key for i in info.value.issues} == {"decimal.format", "schemas.enable"}
    with pytest.raises(ValueError):
        create_converter("Nope", {}, is_key=False)


def test_unknown_keys_are_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    c = create_converter("JsonConverter", {"schemas.enabled": "false"}, is_key=False)
    assert c.schemas_enabled  # Kafka ignores keys it does not know
    assert "did you mean 'schemas.enable'" in caplog.text


def test_check_converter() -> None:
    assert check_converter("JsonConverter", {"schemas.enable": "false"}, "value.converter.") == []
    issues = check_converter("JsonConverter", {"decimal.format": "HEX", "schemas.cache.size": "x", "typo.key": "1"},
                             "value.converter.")
    assert sorted(i.key for i in issues) == ["value.converter.decimal.format", "value.converter.schemas.cache.size"]
    issues = check_converter("JsonConverter", {"schemas.enabled": "x"}, "key.converter", report_unknown=True)
    assert issues == [ConfigIssue("key.converter.schemas.enabled",
                                  "unknown key; did you mean 'schemas.enable' or 'schemas.cache.size'?")]
    unknown = check_converter("com.example.NoSuchConverter", {}, "value.converter.")
    assert len(unknown) == 1 and unknown[0].key == "value.converter"
    assert "available" in unknown[0].message
    assert check_converter("StringConverter", {"converter.encoding": "NOPE"}, "header.converter.")[0].key == \
        "header.converter.converter.encoding"
