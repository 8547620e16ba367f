"""Routing, header and time SMTs, predicates and predicate stages against the shared Kafka vectors.

Every transform vector runs twice: on the class built from its config, and through
`from_config` with the Kafka keys a connector config would hold
(`transforms.t.type=org.apache.kafka.connect.transforms.<name>`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from vectors import assert_record, decode_record, expected_error, load, vectors_for

from pyconnect_flow.record import Record
from pyconnect_flow.transforms import TopicNameMatches, from_config, when
from pyconnect_flow.transforms.registry import KAFKA_PREDICATES_PACKAGE, KAFKA_TRANSFORMS_PACKAGE, resolve_transform

PREFIXES = ("RegexRouter", "TimestampRouter", "TimestampConverter", "DropHeaders", "InsertHeader", "HeaderFrom",
            "Filter")
VECTORS = vectors_for(PREFIXES)
PREDICATE_VECTORS = [v for v in load() if v["transform"].startswith("predicate:")]
STAGE_VECTORS = [v for v in load() if v["transform"].startswith("stage:")]


def expected_record(vector: dict[str, Any]) -> Record:
    """The vector's expected record; java.util.Date values of schemaless Date/Time targets read as date/time."""
    expected = decode_record(vector["expected_record"])
    target = vector["config"].get("target.type")
    if vector["transform"].startswith("TimestampConverter") and target in ("Date", "Time"):
        def as_target(value: Any) -> Any:
            if isinstance(value, dt.datetime):
                return value.date() if target == "Date" else value.time()
            if isinstance(value, dict):
                return {k: as_target(v) for k, v in value.items()}
            return value
        if expected.value_schema is None:
            expected = expected.replace(value=as_target(expected.value))
        if expected.key_schema is None:
            expected = expected.replace(key=as_target(expected.key))
    return expected


def kafka_config(vector: dict[str, Any]) -> dict[str, str]:
    config = {"transforms": "t", "transforms.t.type": KAFKA_TRANSFORMS_PACKAGE + vector["transform"]}
    config.update({f"transforms.t.{k}": v for k, v in vector["config"].items()})
    return config


def test_vectors_cover_every_routing_and_header_smt_in_the_sample() -> None:
    assert {v["transform"].split("$")[0] for v in VECTORS} == {
        "RegexRouter", "TimestampRouter", "TimestampConverter", "InsertHeader", "HeaderFrom"}
    assert len(VECTORS) == 12 and PREDICATE_VECTORS and STAGE_VECTORS


@pytest.mark.parametrize("via", ["class", "from_config"])
@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector(vector: dict[str, Any], via: str) -> None:
    if via == "class":
        transform = resolve_transform(vector["transform"]).from_config(vector["config"])
    else:
        transform = from_config(kafka_config(vector))
    record = decode_record(vector["input_record"])
    error = expected_error(vector["expected_record"])
    if error is not None:
        exc_type, message = error
        with pytest.raises(exc_type) as info:
            transform(record)
        if message is not None:
            assert str(info.value) == message
        return
    assert_record(transform(record), expected_record(vector))


@pytest.mark.parametrize("vector", PREDICATE_VECTORS, ids=[v["name"] for v in PREDICATE_VECTORS])
def test_predicate_vector(vector: dict[str, Any]) -> None:
    name = vector["transform"].split(":", 1)[1]
    config = {"transforms": "t", "transforms.t.type": "Filter", "transforms.t.predicate": "p",
              "transforms.t.negate": "true", "predicates": "p",
              "predicates.p.type": KAFKA_PREDICATES_PACKAGE + name}
    config.update({f"predicates.p.{k}": v for k, v in vector["config"].items()})
    keep_matching = from_config(config)  # Filter negated: drops the records the predicate rejects
    predicate = TopicNameMatches.from_config(vector["config"]) if name == "TopicNameMatches" else None
    for topic, expected in vector["input_record"]["cases"]:
        record = Record(topic)
        if predicate is not None:
            assert predicate(record) is expected, topic
        assert (keep_matching(record) is record) is expected, topic


@pytest.mark.parametrize("vector", STAGE_VECTORS, ids=[v["name"] for v in STAGE_VECTORS])
def test_stage_vector(vector: dict[str, Any]) -> None:
    initial, transformed = Record("initial"), Record("transformed")
    for matches, negate, which in vector["input_record"]["cases"]:
        stage = when(lambda r, m=matches: m, lambda r: transformed, negate=negate)
        assert stage(initial) is (transformed if which == "transformed" else initial)
