"""JsonConverter against Kafka Connect's own (Jackson's bytes), run in a JVM once for all cases.

Strings that Jackson writes in its own way: characters outside the BMP (escaped surrogate pairs),
lone surrogates (escaped), control characters (``\\u001F``), DEL, U+2028/2029, BOM and noncharacters
(raw UTF-8). Each goes into every place a string can be written: a value with and without schema,
a map key, a struct's field name, schema name, doc, parameters and default. Cases are read and
written as a worker does (``toConnectData`` then ``fromConnectData``), and values built directly
are written, on our side one by one and through the batch paths. Last, InsertHeader's headers
written with ``header.converter=JsonConverter``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from pyconnect_flow.converters import JsonConverter
from pyconnect_flow.converters.headers import create_header_converter
from pyconnect_flow.data import STRING_SCHEMA, DataException, SchemaBuilder, Struct
from pyconnect_flow.data.text import parse_string
from tests.reference.jackson import Built, Header, KafkaError, ReadWrite, kafka_read_write

STRINGS = [
    "plain ascii",
    "é € 中",  # BMP: raw UTF-8
    "emoji \U0001F600 end",  # outside the BMP: \uD83D\uDE00
    "\U0001D11E\U0010FFFF\U00010000",
    "\ud800",  # lone surrogates: escaped
    "a\udc00b",
    "\udc00\ud800",
    "\x00\x01\x1f\x7f",  # control characters escaped, DEL raw
    "\u2028\u2029",
    "\ufeff\ufffe\uffff",
    "\u0080\u009f\u00a0",
    'q"b\\s/',
    "\t\n\r\b\f",
]

_SURROGATE = re.compile(r"\\ud[89a-f]")

ENABLED = {"schemas.enable": "true"}
DISABLED = {"schemas.enable": "false"}


def _read_write_cases() -> list[tuple[str, ReadWrite]]:
    cases = []
    for s in STRINGS:
        j = json.dumps(s)  # ASCII with \u escapes: lone surrogates survive the trip to Java
        string = '{"schema":{"type":"string"},"payload":' + j + "}"
        struct = ('{"schema":{"type":"struct","name":' + j + ',"doc":' + j + ',"parameters":{"p":' + j + '},'
                  '"fields":[{"field":"f","type":"string","default":' + j + '}]},"payload":{"f":' + j + "}}")
        keyed = '{"schema":null,"payload":{' + j + ":[" + j + "]}}"
        cases += [
            (f"string, schemaless {s!r}", ReadWrite(string, write=DISABLED)),
            (f"string with schema {s!r}", ReadWrite(string)),
            (f"struct names {s!r}", ReadWrite(struct)),
            (f"map key {s!r}", ReadWrite(keyed)),
            (f"map key, schemaless {s!r}", ReadWrite(keyed, write=DISABLED)),
        ]
    return cases


def _built_cases() -> list[tuple[str, Built]]:
    return [(f"built {shape} {s!r}", Built(shape, s, ENABLED if shape == "struct" else DISABLED))
            for s in STRINGS for shape in ("string", "map", "struct")]


READ_WRITE = _read_write_cases()
BUILT = _built_cases()


@pytest.fixture(scope="module")
def kafka_bytes() -> dict[str, Any]:
    """What Kafka's JsonConverter writes for every case, by case id (one JVM for all)."""
    cases = READ_WRITE + BUILT
    return dict(zip([name for name, _ in cases], kafka_read_write([case for _, case in cases])))


def _converter(settings: dict[str, str]) -> JsonConverter:
    converter = JsonConverter()
    converter.configure(settings, is_key=False)
    return converter


def _ours_read_write(case: ReadWrite) -> bytes | None | DataException:
    try:
        schema, value = _converter(dict(case.read)).to_connect("topic", case.data.encode("utf-8", "surrogatepass"))
        return _converter(dict(case.write)).from_connect("topic", schema, value)
    except DataException as exc:
        return exc


def _built(case: Built) -> tuple[Any, Any]:
    s = case.text
    if case.shape == "string":
        return STRING_SCHEMA, s
    if case.shape == "map":
        return None, {s: [s]}
    schema = SchemaBuilder.struct().name(s).doc(s).parameter(s, s).field(s, SchemaBuilder.string().default_value(s)).build()
    return schema, Struct(schema).put(s, s)


@pytest.mark.parametrize("name", [name for name, _ in READ_WRITE])
def test_read_then_write_gives_kafkas_bytes(kafka_bytes: dict[str, Any], name: str) -> None:
    case = dict(READ_WRITE)[name]
    expected, ours = kafka_bytes[name], _ours_read_write(case)
    if isinstance(expected, KafkaError):
        # Jackson cannot read a lone surrogate escaped in a field name; we can, and write it as Jackson
        # writes it (docs/kafka-connect-differences.md). No other case may fail in Kafka.
        assert name.startswith("map key") and _SURROGATE.search(case.data), expected
        text = json.loads(case.data)["payload"]
        written = kafka_bytes[f"built map {next(iter(text))!r}"]  # the same map, built in Java
        assert ours == (written if case.write == DISABLED else b'{"schema":null,"payload":' + written + b"}")
    else:
        assert ours == expected


@pytest.mark.parametrize("name", [name for name, _ in BUILT])
def test_written_values_give_kafkas_bytes(kafka_bytes: dict[str, Any], name: str) -> None:
    case = dict(BUILT)[name]
    expected = kafka_bytes[name]
    assert isinstance(expected, bytes), expected
    schema, value = _built(case)
    converter = _converter(dict(case.write))
    assert converter.from_connect("topic", schema, value) == expected
    # the batch paths: one schema for many values, and flat schemaless maps written by one orjson call
    assert converter.from_connect_values("topic", schema, [value, value]) == [expected, expected]
    assert converter.from_connect_batch("topic", [(schema, value), (schema, value)]) == [expected, expected]
    if case.shape == "map":
        flat = {case.text: case.text}
        one = converter.from_connect("topic", None, flat)
        assert converter.from_connect_batch("topic", [(None, flat), (None, {"k": 1}), (None, flat)]) == [
            one, b'{"k":1}', one]


def test_flat_map_batch_matches_kafka(kafka_bytes: dict[str, Any]) -> None:
    # from_connect_batch writes flat maps with one orjson.dumps of the list, then cuts it apart
    for s in STRINGS:
        expected = kafka_bytes[f"built map {s!r}"]
        assert isinstance(expected, bytes)
        ours = _converter(DISABLED).from_connect_batch("topic", [(None, {s: [s]})] * 3)
        assert ours == [expected] * 3


HEADER_LITERALS = ["1", "300", "-129", "12345678901", "1.50", "1e300", "true", "x y", '"quoted"', "[1,300]",
                   '[1,"a"]', '{"a":1.5}', "2024-01-02", "12:34:56.789", "2024-01-02T03:04:05.006Z", "emoji \U0001F600"]


@pytest.fixture(scope="module")
def kafka_headers() -> dict[str, Any]:
    """What Kafka writes for InsertHeader's header of each literal with header.converter=JsonConverter."""
    cases = [Header(literal, write) for write in (ENABLED, DISABLED) for literal in HEADER_LITERALS]
    return dict(zip([(c.literal, c.write["schemas.enable"]) for c in cases], kafka_read_write(cases)))


@pytest.mark.parametrize("schemas", ["true", "false"])
@pytest.mark.parametrize("literal", HEADER_LITERALS)
def test_header_converter_writes_kafkas_bytes(kafka_headers: dict[str, Any], literal: str, schemas: str) -> None:
    expected = kafka_headers[(literal, schemas)]
    headers = create_header_converter("org.apache.kafka.connect.json.JsonConverter", {"schemas.enable": schemas})
    # what InsertHeader puts in a record, without its schema: the converter infers the same one
    value = parse_string(literal)[1]
    assert headers.from_connect_header("topic", "h", value) == expected
