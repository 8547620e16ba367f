"""StringConverter: text in the configured encoding, `toString()` of non-strings."""

from __future__ import annotations

import decimal

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.converters import StringConverter
from pyconnect_flow.data import (
    FLOAT32_SCHEMA,
    INT32_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
    Struct,
)


def make(**config: str) -> StringConverter:
    c = StringConverter()
    c.configure({k.replace("_", "."): v for k, v in config.items()}, False)
    return c


def test_strings_both_ways() -> None:
    c = make()
    assert c.from_connect("t", STRING_SCHEMA, "héllo") == "héllo".encode()
    assert c.to_connect("t", "héllo".encode()) == (OPTIONAL_STRING_SCHEMA, "héllo")
    assert c.to_connect("t", b"") == (OPTIONAL_STRING_SCHEMA, "")


def test_nulls() -> None:
    c = make()
    assert c.from_connect("t", None, None) is None
    assert c.from_connect("t", STRING_SCHEMA, None) is None
    assert c.to_connect("t", None) == (OPTIONAL_STRING_SCHEMA, None)


def test_non_strings_use_java_to_string() -> None:
    c = make()
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()
    assert c.from_connect("t", None, True) == b"true"
    assert c.from_connect("t", INT32_SCHEMA, 42) == b"42"
    assert c.from_connect("t", None, 42.0) == b"42.0"
    assert c.from_connect("t", FLOAT32_SCHEMA, 12.34) == b"12.34"
    assert c.from_connect("t", None, 1e10) == b"1.0E10"
    assert c.from_connect("t", None, decimal.Decimal("1.50")) == b"1.50"
    assert c.from_connect("t", None, [1, 2]) == b"[1, 2]"
    assert c.from_connect("t", None, {"a": 1}) == b"{a=1}"
    assert c.from_connect("t", schema, Struct(schema).put("a", 1)) == b"Struct{a=1}"
    assert c.from_connect("t", None, b"\x00raw") == b"\x00raw"


def test_encodings() -> None:
    latin = make(converter_encoding="ISO-8859-1")
    assert latin.from_connect("t", None, "é") == b"\xe9"
    assert latin.to_connect("t", b"\xe9") == (OPTIONAL_STRING_SCHEMA, "é")
    ascii_ = make(converter_encoding="US-ASCII")
    assert ascii_.from_connect("t", None, "é!") == b"?!"  # unmappable → '?', as String.getBytes
    utf16 = make(converter_encoding="UTF-16")
    assert utf16.from_connect("t", None, "A") == b"\xfe\xff\x00A"  # Java writes a big-endian BOM
    assert utf16.to_connect("t", b"\xfe\xff\x00A")[1] == "A"
    assert utf16.to_connect("t", b"\xff\xfeA\x00")[1] == "A"
    assert utf16.to_connect("t", b"\x00A")[1] == "A"
    assert make().to_connect("t", b"a\xffb")[1] == "a\ufffdb"  # malformed → U+FFFD
    assert make().from_connect("t", None, "a\ud800") == b"a?"


def test_bad_encoding_is_a_config_error() -> None:
    with pytest.raises(ConfigException, match="converter.encoding"):
        make(converter_encoding="NOPE-8")


def test_batches_match_single_calls() -> None:
    for c in (make(), make(converter_encoding="UTF-16")):
        items = [(STRING_SCHEMA, "a"), (None, None), (INT32_SCHEMA, 3), (None, True), (STRING_SCHEMA, "x\ud800")]
        single = [c.from_connect("t", s, v) for s, v in items]
        assert c.from_connect_batch("t", items) == single
        assert c.to_connect_batch("t", single) == [c.to_connect("t", d) for d in single]


def test_config_declares_kafka_keys() -> None:
    assert StringConverter.CONFIG.names() == ["converter.type", "converter.encoding"]
    assert StringConverter.CONFIG["converter.encoding"].default == "UTF-8"


def test_pickles_with_its_settings() -> None:
    import pickle

    copy = pickle.loads(pickle.dumps(make(converter_encoding="ISO-8859-1")))
    assert copy.encoding == "ISO-8859-1" and copy.from_connect("t", None, "é") == b"\xe9"
