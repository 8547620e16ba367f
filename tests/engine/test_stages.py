"""The stages report a bad record at the stage and with the plugin that failed, as the exception it raised."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from pyconnect_flow.converters import create_converter
from pyconnect_flow.converters.string import StringConverter
from pyconnect_flow.data import DataException
from pyconnect_flow.engine.stages import Chunk, Decoder, Encoder, Transformer
from pyconnect_flow.errors import ConnectorTaskError, ErrorPolicy, ErrorReporter, RetriableError, Stage, StageError
from pyconnect_flow.record import Record
from pyconnect_flow.transforms import InsertField, chain


class OneByOne(StringConverter):
    """A converter whose batch methods convert item by item (so the failures below show in batches)."""

    def to_connect_batch(self, topic: Any, datas: Any) -> Any:
        return [self.to_connect(topic, d) for d in datas]

    def from_connect_batch(self, topic: Any, items: Any) -> Any:
        return [self.from_connect(topic, schema, value) for schema, value in items]


class PickyKeys(OneByOne):
    """Refuses the key "bad" both ways."""

    def to_connect(self, topic: str, data: bytes | None) -> Any:
        if data == b"bad":
            raise DataException("bad key bytes")
        return super().to_connect(topic, data)

    def from_connect(self, topic: str, schema: Any, value: Any) -> bytes | None:
        if value == "bad":
            raise DataException("bad key")
        return super().from_connect(topic, schema, value)


class FlakyValues(OneByOne):
    """Fails once with a retriable error, then works."""

    failures = 0

    def to_connect(self, topic: str, data: bytes | None) -> Any:
        if data == b"flaky" and FlakyValues.failures == 0:
            FlakyValues.failures += 1
            raise RetriableError("try again")
        return super().to_connect(topic, data)


def _errors(tolerance: str = "all", **policy: Any) -> ErrorReporter:
    return ErrorReporter("c", ErrorPolicy(tolerance=tolerance, dlq_topic="dlq" if tolerance == "all" else "", **policy))


def _converters(key: type[StringConverter] = PickyKeys, value: type[StringConverter] = StringConverter) -> tuple[Any, Any]:
    k, v = key(), value()
    k.configure({}, True)
    v.configure({}, False)
    return k, v


def test_a_key_the_decoder_cannot_read_fails_at_the_key_converter() -> None:
    key, value = _converters()
    raw = [Record("t", b"bad", b"v", 0, 0), Record("t", b"k", b"w", 0, 1)]
    chunk = Decoder(key, value, _errors())(Chunk("p", raw, None))
    assert [r.value for r in chunk.records] == ["w"]
    [failed] = chunk.failed
    assert failed.stage is Stage.KEY_CONVERTER
    assert failed.class_name.endswith("PickyKeys")
    assert type(failed.exception) is DataException and str(failed.exception) == "bad key bytes"
    assert failed.original.key == b"bad"


def test_a_key_the_encoder_cannot_write_fails_at_the_key_converter() -> None:
    key, value = _converters()
    records = [Record("t", "k", "v", 0, 0), Record("t", "bad", "w", 0, 1)]
    encoder = Encoder(key, value, _errors())
    chunk = encoder(Chunk("p", records, None))
    assert chunk.encoded == ([b"k"], [b"v"])
    [failed] = chunk.failed
    assert (failed.stage, type(failed.exception)) == (Stage.KEY_CONVERTER, DataException)
    with pytest.raises(StageError) as info:
        encoder.encode_one(records[1])
    assert (info.value.stage, info.value.plugin, type(info.value.cause)) == (Stage.KEY_CONVERTER, key, DataException)
    assert info.value.__cause__ is info.value.cause and str(info.value) == "bad key"


def test_a_value_converter_failure_stops_the_connector_with_the_original_exception() -> None:
    value = create_converter("JsonConverter", {"schemas.enable": "false"}, False)
    key = create_converter("StringConverter", {}, True)
    decoder = Decoder(key, value, _errors("none"))
    with pytest.raises(ConnectorTaskError) as info:
        decoder(Chunk("p", [Record("t", b"k", b"{not json", 0, 7)], None))
    message = str(info.value)
    assert "failed at stage VALUE_CONVERTER in pyconnect_flow.converters.json.JsonConverter" in message
    assert "offset=7" in message
    assert not isinstance(info.value.__cause__, StageError)
    assert isinstance(info.value.__cause__, DataException)


def test_retriable_failures_are_retried_in_the_stage() -> None:
    FlakyValues.failures = 0
    key, value = _converters(StringConverter, FlakyValues)
    errors = _errors("none", retry_timeout_ms=10_000, retry_delay_max_ms=1)
    chunk = Decoder(key, value, errors)(Chunk("p", [Record("t", b"k", b"flaky", 0, 0)], None))
    assert [r.value for r in chunk.records] == ["flaky"] and FlakyValues.failures == 1


def test_a_chain_failure_names_the_failing_transform() -> None:
    def boom(record: Record) -> Record:
        raise ValueError("no")

    insert = InsertField.value(static_field="s", static_value="v")
    records = [Record("t", None, {"a": 1}, 0, 0)]
    chunk = Transformer(chain(insert, boom), _errors())(Chunk("p", records, None))
    [failed] = chunk.failed
    assert failed.stage is Stage.TRANSFORMATION
    assert failed.class_name.endswith("boom")
    assert type(failed.exception) is ValueError
    # a plain callable (not a chain) is named itself
    chunk = Transformer(boom, _errors())(Chunk("p", records, None))
    assert chunk.failed[0].class_name.endswith("boom")


def test_stage_error_pickles() -> None:
    error = pickle.loads(pickle.dumps(StageError(Stage.VALUE_CONVERTER, "plugin", ValueError("x"))))
    assert (error.stage, error.plugin, str(error.cause), str(error)) == (Stage.VALUE_CONVERTER, "plugin", "x", "x")
