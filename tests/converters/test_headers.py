"""Header converters: what SimpleHeaderConverter writes for a header value, and header.converter in the stages."""

from __future__ import annotations

import decimal
import struct

import pytest

from pyconnect_flow.converters import header_value_to_bytes
from pyconnect_flow.converters.headers import SimpleHeaderConverter, create_header_converter, header_schema
from pyconnect_flow.data import (
    FLOAT32_SCHEMA,
    INT32_SCHEMA,
    OPTIONAL_BYTES_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    STRING_SCHEMA,
    DataException,
    Type,
)
from pyconnect_flow.engine.stages import Chunk, Decoder, Encoder
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter, Stage
from pyconnect_flow.record import Record, SchemaHeader


def test_bytes_and_strings() -> None:
    assert header_value_to_bytes(None) is None
    assert header_value_to_bytes(b"\x00raw") == b"\x00raw"
    assert header_value_to_bytes(bytearray(b"ab")) == b"ab"
    assert header_value_to_bytes("héllo") == "héllo".encode()
    assert header_value_to_bytes("") == b""


def test_scalars_as_kafka_values_text() -> None:
    assert header_value_to_bytes(True) == b"true"
    assert header_value_to_bytes(False) == b"false"
    assert header_value_to_bytes(42) == b"42"
    assert header_value_to_bytes(-7) == b"-7"
    assert header_value_to_bytes(1.0) == b"1.0"
    assert header_value_to_bytes(1e10) == b"1.0E10"
    assert header_value_to_bytes(12.34, FLOAT32_SCHEMA) == b"12.34"
    assert header_value_to_bytes(decimal.Decimal("1.50")) == b"1.50"


# header.converter: the stages convert header values with the configured converter ---------------

JSON_HEADERS = "org.apache.kafka.connect.json.JsonConverter"


def _stages(header_converter: str | None, tolerance: str = "none") -> tuple[Encoder, Decoder, ErrorReporter]:
    from pyconnect_flow.converters import create_converter

    errors = ErrorReporter("c", ErrorPolicy(tolerance=tolerance, dlq_topic="dlq" if tolerance == "all" else ""))
    key = create_converter("StringConverter", {}, True)
    value = create_converter("StringConverter", {}, False)
    headers = create_header_converter(header_converter, {"schemas.enable": "false"} if header_converter else {})
    return Encoder(key, value, errors, headers), Decoder(key, value, errors, headers), errors


def test_default_header_converter_leaves_headers_to_the_kafka_sink() -> None:
    encoder, decoder, _ = _stages(None)
    assert isinstance(create_header_converter(None, {}), SimpleHeaderConverter)
    records = [Record("t", None, "v", headers=(("n", 1), ("s", "x")))]
    chunk = encoder(Chunk("p", records, None))
    assert chunk.records[0].headers == (("n", 1), ("s", "x"))  # written later by header_value_to_bytes
    raw = [Record("t", b"k", b"v", headers=(("h", b"1.50"),))]
    assert decoder(Chunk("p", raw, None)).records[0].headers == (("h", b"1.50"),)  # raw bytes kept


def test_json_header_converter_writes_and_reads_header_values() -> None:
    encoder, decoder, _ = _stages(JSON_HEADERS)
    records = [Record("t", None, "v", headers=(("n", 1), ("s", "x"), ("none", None))), Record("t", None, "w")]
    chunk = encoder(Chunk("p", records, None))
    assert chunk.encoded == ([None, None], [b"v", b"w"])
    assert [r.headers for r in chunk.records] == [(("n", b"1"), ("s", b'"x"'), ("none", None)), ()]
    assert encoder.encode_one(records[0]).headers == chunk.records[0].headers  # the record-by-record path
    raw = [Record("t", b"k", b"v", headers=(("n", b"1"), ("m", b'{"a":[true]}')))]
    assert decoder(Chunk("p", raw, None)).records[0].headers == (("n", 1), ("m", {"a": [True]}))


def test_header_schemas_reach_the_header_converter_as_in_kafka() -> None:
    # Kafka's JsonConverter.fromConnectHeader gives no bytes only for a null value with a null schema;
    # a null with a schema (HeaderFrom of a null optional field) is an envelope, and a null schema
    # (HeaderFrom of schemaless data) is written as "schema":null, not as an inferred one.
    from pyconnect_flow.converters import create_converter

    string = create_converter("StringConverter", {}, False)
    encoder = Encoder(string, string, ErrorReporter("c", ErrorPolicy()),
                      create_header_converter(JSON_HEADERS, {"schemas.enable": "true"}))
    headers = (SchemaHeader("h0", None, OPTIONAL_INT32_SCHEMA), SchemaHeader("h1", 5, None),
               SchemaHeader("h2", None, None), SchemaHeader("h3", 5, INT32_SCHEMA), ("h4", None))
    expected = (("h0", b'{"schema":{"type":"int32","optional":true},"payload":null}'),
                ("h1", b'{"schema":null,"payload":5}'), ("h2", None),
                ("h3", b'{"schema":{"type":"int32","optional":false},"payload":5}'), ("h4", None))
    records = [Record("t", None, "v", headers=headers)]
    assert encoder(Chunk("p", records, None)).records[0].headers == expected
    assert encoder.encode_one(records[0]).headers == expected
    # String and Simple header converters: a null value is no bytes whatever its schema; ByteArrayConverter
    # checks the schema first (a BYTES one, or none), as its fromConnectData does.
    string_headers = create_header_converter("org.apache.kafka.connect.storage.StringConverter", {})
    assert string_headers.from_connect_header("t", "h", None, OPTIONAL_INT32_SCHEMA) is None
    assert SimpleHeaderConverter().from_connect_header("t", "h", None, OPTIONAL_INT32_SCHEMA) is None
    byte_headers = create_header_converter("org.apache.kafka.connect.converters.ByteArrayConverter", {})
    assert byte_headers.from_connect_header("t", "h", None, OPTIONAL_BYTES_SCHEMA) is None
    with pytest.raises(DataException, match="^Invalid schema type for ByteArrayConverter: INT32$"):
        byte_headers.from_connect_header("t", "h", None, OPTIONAL_INT32_SCHEMA)


def test_kafka_sink_writes_a_schema_header_with_its_schema() -> None:
    # SimpleHeaderConverter.fromConnectHeader is Values.convertToString(schema, value): a FLOAT32 field's
    # value (a float32 held in a Python float) is written as Java's Float.toString.
    from pyconnect_flow.connectors.kafka import _header_bytes

    float32 = struct.unpack("<f", struct.pack("<f", 0.1))[0]
    assert _header_bytes(SchemaHeader("h", float32, FLOAT32_SCHEMA)) == b"0.1"
    assert _header_bytes(("h", float32)) == b"0.10000000149011612"
    assert _header_bytes(SchemaHeader("h", None, FLOAT32_SCHEMA)) is None


def test_string_header_converter() -> None:
    headers = create_header_converter("StringConverter", {})
    assert headers.from_connect_header("t", "h", 1.5) == b"1.5"
    assert headers.to_connect_header("t", "h", b"1.5") == "1.5"


def test_a_header_the_converter_cannot_read_fails_at_the_header_converter_stage() -> None:
    _, decoder, errors = _stages(JSON_HEADERS, tolerance="all")
    raw = [Record("t", b"k", b"v", partition=0, offset=0, headers=(("h", b"not json"),)),
           Record("t", b"k", b"w", partition=0, offset=1, headers=(("h", b"2"),))]
    chunk = decoder(Chunk("p", raw, None))
    assert [r.value for r in chunk.records] == ["w"]
    assert [(f.stage, f.class_name) for f in chunk.failed] == [
        (Stage.HEADER_CONVERTER, "pyconnect_flow.converters.json.JsonConverter")]


def test_header_schema_is_what_parse_string_gives_insert_header() -> None:
    assert header_schema("1") == STRING_SCHEMA
    assert header_schema(1).type is Type.INT8 and header_schema(300).type is Type.INT16
    assert header_schema(b"x").type is Type.BYTES and header_schema(None) is None
