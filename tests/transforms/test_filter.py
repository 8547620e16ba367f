"""Filter: drops every record, usually behind a predicate."""

from __future__ import annotations

import pickle

from pyconnect_flow.record import Record
from pyconnect_flow.transforms import Filter, RecordIsTombstone, TopicNameMatches, chain, from_config, when
from pyconnect_flow.transforms.filter import TRANSFORMS


def test_drops_every_record() -> None:
    xform = Filter.from_config({})
    assert xform(Record("t", value=1)) is None
    assert xform(Record("t")) is None


def test_with_a_predicate_drops_only_matching_records() -> None:
    drop_tombstones = when(RecordIsTombstone(), Filter())
    assert drop_tombstones(Record("t")) is None
    assert drop_tombstones(Record("t", value=1)) == Record("t", value=1)
    keep_only_orders = when(TopicNameMatches(pattern="orders"), Filter(), negate=True)
    assert keep_only_orders(Record("orders")) == Record("orders")
    assert keep_only_orders(Record("other")) is None


def test_from_kafka_config_with_predicate() -> None:
    xform = from_config({
        "transforms": "dropTombstones",
        "transforms.dropTombstones.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.dropTombstones.predicate": "isTombstone",
        "predicates": "isTombstone",
        "predicates.isTombstone.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
    })
    assert xform(Record("t")) is None
    assert xform(Record("t", value="v")) == Record("t", value="v")


def test_filter_stops_the_chain() -> None:
    seen: list[Record] = []
    assert chain(Filter(), seen.append)(Record("t")) is None
    assert seen == []


def test_takes_no_configuration() -> None:
    issues = Filter.check_config({"x": "1"})
    assert issues == []  # unknown keys are reported by from_config/check_config of the connector


def test_pickles() -> None:
    assert pickle.loads(pickle.dumps(Filter()))(Record("t")) is None
    assert repr(Filter()) == "Filter()"
    assert TRANSFORMS == {"Filter": Filter}
