"""The switch of the columnar path (`PYCONNECT_FLOW_COLUMNAR`, `Decoder(columnar=...)`) and what each side gives."""

from __future__ import annotations

import pytest

from pyconnect_flow.converters import create_converter
from pyconnect_flow.engine.compile import columnar_default
from pyconnect_flow.engine.stages import Chunk, Decoder
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
from pyconnect_flow.kafka_columns import DecodedColumns, KafkaColumns

ENVELOPE = b'{"schema":{"type":"int32","optional":true},"payload":%d}'


def columns() -> KafkaColumns:
    n = 5
    return KafkaColumns("t", 2, list(range(10, 10 + n)), [None] * n,
                        [ENVELOPE % i if i != 3 else None for i in range(n)], [1000 + i for i in range(n)],
                        [None, [("h", b"v")], None, None, None])


def decoder(columnar: bool) -> Decoder:
    json = "org.apache.kafka.connect.json.JsonConverter"
    return Decoder(create_converter(json, {}, True), create_converter(json, {}, False),
                   ErrorReporter("c", ErrorPolicy()), columnar=columnar)


@pytest.mark.parametrize(("value", "on"), [(None, True), ("1", True), ("0", False), ("false", False), ("OFF", False)])
def test_the_environment_switch(monkeypatch: pytest.MonkeyPatch, value: str | None, on: bool) -> None:
    if value is None:
        monkeypatch.delenv("PYCONNECT_FLOW_COLUMNAR", raising=False)
    else:
        monkeypatch.setenv("PYCONNECT_FLOW_COLUMNAR", value)
    assert columnar_default() is on


def test_both_sides_give_the_same_records() -> None:
    on = decoder(True)(Chunk("t-2", columns(), None))
    off = decoder(False)(Chunk("t-2", columns(), None))
    assert isinstance(on.unbuilt_columns, DecodedColumns) and on.columns is not None
    assert off.unbuilt_columns is None and off.columns is None
    assert len(on) == len(off) == 5
    assert on.records == off.records
    assert on.originals == off.originals == columns().records()
    assert [r.value for r in on.records] == [0, 1, 2, None, 4]
    assert on.records[1].headers == (("h", b"v"),) and on.records[4].offset == 14
    assert on.records[0].timestamp == 1000 and on.records[0].partition == 2


def test_a_value_that_does_not_decode_sends_the_batch_down_the_record_path() -> None:
    raw = columns()
    raw.values[2] = b"{not json"
    reporter = ErrorReporter("c", ErrorPolicy.from_values({"errors.tolerance": "all",
                                                            "errors.deadletterqueue.topic.name": "dlq"}))
    json = "org.apache.kafka.connect.json.JsonConverter"
    stage = Decoder(create_converter(json, {}, True), create_converter(json, {}, False), reporter)
    chunk = stage(Chunk("t-2", raw, None))
    assert chunk.unbuilt_columns is None
    assert [r.offset for r in chunk.records] == [10, 11, 13, 14]
    assert [(f.original.offset, f.original.value) for f in chunk.failed] == [(12, b"{not json")]
