"""`JsonConverter.to_connect_columns` with msgspec (`converters.json_typed`): flat struct payloads decoded
against their field types give exactly the values `to_connect_batch` gives (types included); every batch
msgspec would read otherwise than JsonConverter (zeros, unknown fields, tokens JSON lacks, bad UTF-8, lone
surrogates, duplicate keys, a second document) is left to the orjson path, which decodes or refuses it as
always."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from pyconnect_flow.converters import create_converter

FIELDS = [{"field": "i8", "type": "int8", "optional": False},
          {"field": "i16", "type": "int16", "optional": True},
          {"field": "i32", "type": "int32", "optional": True},
          {"field": "n", "type": "int64", "optional": True},
          {"field": "f", "type": "double", "optional": True},
          {"field": "s", "type": "string", "optional": True},
          {"field": "b", "type": "boolean", "optional": True}]
SCHEMA_TEXT = json.dumps({"type": "struct", "optional": True, "fields": FIELDS}, separators=(",", ":"))


def envelope(payload_text: bytes) -> bytes:
    return b'{"schema":' + SCHEMA_TEXT.encode() + b',"payload":' + payload_text + b"}"


def text(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def converter() -> Any:
    return create_converter("org.apache.kafka.connect.json.JsonConverter", {}, False)


def typed(values: list[tuple[Any, Any]]) -> list[Any]:
    """Each value's fields with their Python types: 1, 1.0 and True compare equal, but are not the same."""
    out = []
    for _, v in values:
        if v is None:
            out.append(None)
            continue
        out.append([(type(x), x) for x in (v.get_without_default(f["field"]) for f in FIELDS)])
    return out


def good_payload(rng: random.Random) -> dict[str, Any]:
    p: dict[str, Any] = {"i8": rng.randint(-128, 127)}
    if rng.random() < 0.8:
        p["i16"] = rng.randint(-32768, 32767)
    if rng.random() < 0.8:
        p["i32"] = rng.randint(-2**31, 2**31 - 1)
    if rng.random() < 0.8:
        p["n"] = rng.choice([rng.randint(-2**63, 2**63 - 1), None])
    if rng.random() < 0.8:
        p["f"] = rng.choice([rng.uniform(-1e9, 1e9), rng.uniform(-1, 1) * 10 ** rng.randint(-30, 30), None, 1.5])
    if rng.random() < 0.8:
        p["s"] = rng.choice(["plain", "é ü 中文", "😀 astral", 'quote " back \\ slash', "tab\there", "", None])
    if rng.random() < 0.8:
        p["b"] = rng.choice([True, False, None])
    return p


POISON: list[bytes] = [
    b'{"i8":1}null',  # a second, null document on the line
    b'{"i8":1}{"i8":2}',  # two documents
    b'{"i8":1,"x":NaN}',  # NaN where no field reads it (JSON has none)
    b'{"i8":1,"f":Infinity}',
    b'{"i8":1,"x":"\xff"}',  # invalid UTF-8 where no field reads it
    b'{"i8":1,"s":"\xed\xa0\x80"}',  # a UTF-8-encoded surrogate
    b'{"i8":1,"s":"\\ud800"}',  # a lone surrogate escape
    b'{"i8":1,"i8":2}',  # a duplicate key (Jackson and orjson keep the last)
    b'{"i8":1,"f":0.0}',
    b'{"i8":1,"f":-0.0}',
    b'{"i8":1,"f":1e-400}',  # underflows to zero
    b'{"i8":1,"f":1.7976931348623157e309}',  # overflows to infinity
    b'{"i8":1,"n":1.0}',
    b'{"i8":1,"n":"7"}',
    b'{"i8":1,"n":9223372036854775808}',
    b'{"i8":300}',
    b'{"i16":1}',  # a required field missing
    b'{"i8":null}',
    b'{"i8":1,"b":1}',
    b'{"i8":1,"s":{"a":1}}',
    b'{"i8":1,"s":"a\x01b"}',  # a raw control character in a string
    b'{"i8":1,\n"n":2}',  # a newline inside the payload
    b' {"i8":1}',
    b'{"i8":1} ',
    b'{"i8":1,}',
    b"null",
    b"[1]",
    b'{"i8":1,"x":[1,{"y":NaN}]}',
    b'{"i8":1,"x":1}',  # a field the schema does not name (msgspec would skip it unchecked)
    b'{"i8":1,"x":"\\q"}',  # an invalid escape where no field reads it
]


@pytest.mark.parametrize("seed", range(12))
def test_typed_columns_are_the_struct_path_values_or_none(seed: int) -> None:
    rng = random.Random(seed)
    conv, reference = converter(), converter()
    typed_batches = 0
    for _ in range(40):
        payloads = [text(good_payload(rng)) for _ in range(rng.randint(1, 30))]
        if rng.random() < 0.5:
            payloads[rng.randrange(len(payloads))] = rng.choice(POISON)
        datas = [envelope(p) for p in payloads]
        try:
            expected: list[tuple[Any, Any]] | None = reference.to_connect_batch("t", datas)
        except Exception:  # noqa: BLE001 - a batch the record path refuses (it then reports the bad record)
            expected = None
        got = conv.to_connect_columns(datas)
        if got is None:
            continue
        assert expected is not None, payloads
        assert typed(got.values()) == typed(expected), payloads
        typed_batches += got.nodes is None  # decoded by msgspec (the orjson path keeps the nodes)
    assert typed_batches >= 10


@pytest.mark.parametrize("poison", POISON)
def test_a_doubtful_payload_gives_the_struct_path_values_or_none(poison: bytes) -> None:
    datas = [envelope(b'{"i8":5,"s":"x"}'), envelope(poison)]
    got = converter().to_connect_columns(datas)
    try:
        expected = converter().to_connect_batch("t", datas)
    except Exception:  # noqa: BLE001 - refused by the record path: the columns must not take it either
        assert got is None
        return
    assert got is None or typed(got.values()) == typed(expected)


@pytest.mark.parametrize("payload", [b'{"i8":1,"f":3}', b'{"i8":1,"f":12345678901234567890}', b'{"i8":-0}',
                                     b'{"i8":1,"f":1E2}', b'{"i8":1,"s":"\\u0000 \\ud83d\\ude00"}'])
def test_what_msgspec_reads_the_struct_path_reads_alike(payload: bytes) -> None:
    """An int for a double is converted by both; escapes decode alike."""
    datas = [envelope(b'{"i8":5,"s":"x"}'), envelope(payload)]
    got = converter().to_connect_columns(datas)
    assert got is not None and got.nodes is None
    assert typed(got.values()) == typed(converter().to_connect_batch("t", datas))


def test_any_field_order_and_names_decode_alike() -> None:
    """Optional fields before required ones, names that are keywords or not identifiers, or the decoder's
    own attribute names."""
    fields = [{"field": "class", "type": "string", "optional": True},
              {"field": "a-b c", "type": "int32", "optional": False},
              {"field": "f0", "type": "boolean", "optional": True},
              {"field": "é", "type": "double", "optional": False}]
    schema = json.dumps({"type": "struct", "optional": False, "fields": fields}, separators=(",", ":")).encode()
    datas = [b'{"schema":' + schema + b',"payload":' + text(p) + b"}"
             for p in ({"a-b c": 1, "é": 2.5}, {"class": "x", "a-b c": -7, "f0": True, "é": 1e-5})]
    got = converter().to_connect_columns(datas)
    assert got is not None and got.nodes is None
    assert got.values() == converter().to_connect_batch("t", datas)
    assert got.columns == [[None, "x"], [1, -7], [None, True], [2.5, 1e-5]]
