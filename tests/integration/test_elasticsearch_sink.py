"""The Elasticsearch sink against a real Elasticsearch API: ids, versions, upserts, deletes, mappings, bad documents."""

from __future__ import annotations

import decimal
from pathlib import Path

import pytest

from pyconnect_flow.connectors.elasticsearch.mapping import build_mapping
from pyconnect_flow.connectors.elasticsearch.sink import ElasticsearchSinkError
from pyconnect_flow.data import logical
from pyconnect_flow.data.schema import (
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
)
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.errors import ConnectorTaskError
from pyconnect_flow.record import Record
from tests.integration.es_helpers import (
    CollectingDeadLetters,
    count,
    documents,
    es_get,
    make_sink,
    write_all,
)
from tests.integration.kafka_helpers import produce, run_cli, worker_file, write_properties

USER = (SchemaBuilder.struct().name("com.example.User")
        .field("id", INT64_SCHEMA)
        .field("name", STRING_SCHEMA)
        .field("email", OPTIONAL_STRING_SCHEMA)
        .field("balance", logical.decimal_schema(2, optional=True))
        .field("born", logical.OPTIONAL_DATE_SCHEMA)
        .field("tags", SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).optional().build())
        .build())


def user(i: int, name: str | None = None, **extra: object) -> Struct:
    s = Struct(USER).put("id", i).put("name", name or f"user-{i}")
    for k, v in extra.items():
        s.put(k, v)
    return s


def rec(topic: str, key: object, value: object, offset: int, *, partition: int = 0, schema: object = USER,
        key_schema: object = STRING_SCHEMA) -> Record:
    return Record(topic, key, value, partition, offset, key_schema if key is not None else None,
                  schema if value is not None else None)


def test_key_ids_external_versions_and_replays(elasticsearch, unique_name: str) -> None:
    url = elasticsearch.url
    sink = make_sink(unique_name, {"connection.url": url})
    records = [rec(unique_name, f"u{i}", user(i), offset=i) for i in range(50)]
    writer = write_all(sink, records)
    assert writer.written == 50
    docs = documents(url, unique_name)
    assert docs["u7"] == {"id": 7, "name": "user-7", "email": None, "balance": None, "born": None, "tags": None}
    # A replay (after a crash) rewrites the same ids; an older offset never overwrites a newer document.
    write_all(sink, records[:10] + [rec(unique_name, "u3", user(3, "stale"), offset=1)])
    write_all(sink, [rec(unique_name, "u3", user(3, "newer"), offset=100)])
    assert count(url, unique_name) == 50
    assert es_get(url, f"/{unique_name}/_doc/u3")[1]["_source"]["name"] == "newer"
    assert es_get(url, f"/{unique_name}/_doc/u3")[1]["_version"] == 100


def test_key_ignore_ids_are_topic_partition_offset(elasticsearch, unique_name: str) -> None:
    url = elasticsearch.url
    sink = make_sink(unique_name, {"connection.url": url, "key.ignore": "true", "schema.ignore": "true"})
    records = [rec(unique_name, None, {"n": i}, offset=10 + i, partition=2, schema=None) for i in range(5)]
    write_all(sink, records, partition=f"{unique_name}-2")
    write_all(sink, records, partition=f"{unique_name}-2")  # replayed: same ids, nothing new
    assert documents(url, unique_name) == {f"{unique_name}+2+{10 + i}": {"n": i} for i in range(5)}


def test_index_is_the_lowercased_record_topic(elasticsearch, unique_name: str) -> None:
    url = elasticsearch.url
    sink = make_sink(unique_name, {"connection.url": url, "schema.ignore": "true", "key.ignore": "true"})
    routed = "_Routed-" + unique_name.upper()  # e.g. after RegexRouter
    write_all(sink, [rec(routed, None, {"a": 1}, offset=0, schema=None)])
    assert count(url, "routed-" + unique_name) == 1


def test_upsert_merges_fields_and_replays_are_harmless(elasticsearch, unique_name: str) -> None:
    url = elasticsearch.url
    sink = make_sink(unique_name, {"connection.url": url, "write.method": "upsert", "schema.ignore": "true"})
    first = [rec(unique_name, "k1", {"a": 1, "b": 1}, 0, schema=None), rec(unique_name, "k2", {"a": 2}, 1, schema=None)]
    second = [rec(unique_name, "k1", {"b": 2, "c": 3}, 2, schema=None), rec(unique_name, "k1", {"d": 4}, 3, schema=None)]
    write_all(sink, first + second)
    write_all(sink, second)  # replay
    assert documents(url, unique_name) == {"k1": {"a": 1, "b": 2, "c": 3, "d": 4}, "k2": {"a": 2}}


@pytest.mark.parametrize("behavior", ["delete", "ignore", "fail"])
def test_tombstones_follow_behavior_on_null_values(elasticsearch, unique_name: str, behavior: str) -> None:
    url = elasticsearch.url
    sink = make_sink(unique_name, {"connection.url": url, "behavior.on.null.values": behavior})
    write_all(sink, [rec(unique_name, "a", user(1), 0), rec(unique_name, "b", user(2), 1)])
    tombstones = [rec(unique_name, "a", None, 2), rec(unique_name, None, None, 3)]
    if behavior == "fail":
        with pytest.raises(ConnectorTaskError, match="null value"):
            write_all(sink, tombstones)
        return
    writer = write_all(sink, tombstones)
    expected = {"b"} if behavior == "delete" else {"a", "b"}
    assert set(documents(url, unique_name)) == expected
    assert writer.written == (1 if behavior == "delete" else 0)
    if behavior == "delete":
        # A later record re-creates a deleted document (its offset is a higher external version).
        write_all(sink, [rec(unique_name, "b", None, 5), rec(unique_name, "b", user(2, "again"), 6)])
        assert documents(url, unique_name)["b"]["name"] == "again"


def test_mapping_created_from_the_connect_schema(elasticsearch, unique_name: str) -> None:
    url = elasticsearch.url
    sink = make_sink(unique_name, {"connection.url": url})
    value = user(1, email="a@b.c", balance=decimal.Decimal("12.50"), tags={"x": 1})
    write_all(sink, [rec(unique_name, "1", value, 0)])
    mapping = es_get(url, f"/{unique_name}/_mapping")[1][unique_name]["mappings"]
    expected = build_mapping(USER)["properties"]
    # Confluent maps a MAP as {key, value} even with compact.map.entries; compact entries then map dynamically.
    tags = expected.pop("tags")
    assert mapping["properties"].pop("tags") == {"properties": {**tags["properties"], "x": {"type": "long"}}}
    assert mapping["properties"] == expected
    assert mapping["properties"]["balance"] == {"type": "double"}
    assert mapping["properties"]["name"]["fields"]["keyword"] == {"type": "keyword", "ignore_above": 256}
    assert documents(url, unique_name)["1"] == {"id": 1, "name": "user-1", "email": "a@b.c", "balance": 12.5,
                                               "born": None, "tags": {"x": 1}}


def test_schema_ignore_uses_dynamic_mapping(elasticsearch, unique_name: str) -> None:
    url = elasticsearch.url
    sink = make_sink(unique_name, {"connection.url": url, "schema.ignore": "true", "key.ignore": "true"})
    write_all(sink, [rec(unique_name, None, user(1, balance=decimal.Decimal("1.00")), 0)])
    mapping = es_get(url, f"/{unique_name}/_mapping")[1][unique_name]["mappings"]
    assert "balance" not in mapping.get("properties", {}) or mapping["properties"]["balance"]["type"] != "double"
    assert documents(url, unique_name)[f"{unique_name}+0+0"]["balance"] == "ZA=="  # base64 as JsonConverter


def test_schemaless_values_need_schema_ignore(elasticsearch, unique_name: str) -> None:
    sink = make_sink(unique_name, {"connection.url": elasticsearch.url})
    with pytest.raises(ElasticsearchSinkError, match="Cannot infer mapping without schema"):
        write_all(sink, [rec(unique_name, "1", {"a": 1}, 0, schema=None)])


def _malformed_batch(topic: str) -> list[Record]:
    good = [rec(topic, f"g{i}", {"n": i}, i, schema=None) for i in range(3)]
    bad = rec(topic, "bad", {"n": "not a number"}, 3, schema=None)
    return [*good, bad, rec(topic, "g3", {"n": 3}, 4, schema=None)]


@pytest.mark.parametrize("behavior", ["ignore", "warn"])
def test_malformed_documents_ignored_or_warned(elasticsearch, unique_name: str, behavior: str,
                                               caplog: pytest.LogCaptureFixture) -> None:
    url = elasticsearch.url
    sink = make_sink(unique_name, {"connection.url": url, "schema.ignore": "true",
                                   "behavior.on.malformed.documents": behavior})
    write_all(sink, [rec(unique_name, "first", {"n": 1}, 0, schema=None)])  # maps n as long
    with caplog.at_level("DEBUG", logger="pyconnect_flow.connectors.elasticsearch"):
        writer = write_all(sink, _malformed_batch(unique_name))
    assert set(documents(url, unique_name)) == {"first", "g0", "g1", "g2", "g3"}
    assert writer.written == 4
    # (the index is named after the test, "malformed…": its creation's INFO line is not the one looked for)
    messages = [r for r in caplog.records if "rejected the document" in r.getMessage()]
    assert messages and messages[0].levelname == ("WARNING" if behavior == "warn" else "DEBUG")
    assert "offset=3" in messages[0].getMessage()


def test_malformed_document_fails_the_task_by_default(elasticsearch, unique_name: str) -> None:
    url = elasticsearch.url
    sink = make_sink(unique_name, {"connection.url": url, "schema.ignore": "true"})
    write_all(sink, [rec(unique_name, "first", {"n": 1}, 0, schema=None)])
    with pytest.raises(ConnectorTaskError) as info:
        write_all(sink, _malformed_batch(unique_name))
    assert "offset=3" in str(info.value) and "parsing_exception" in str(info.value)


def test_malformed_documents_go_to_the_dead_letter_queue_when_tolerated(elasticsearch, unique_name: str) -> None:
    url = elasticsearch.url
    dlq = CollectingDeadLetters()
    sink = make_sink(unique_name, {"connection.url": url, "schema.ignore": "true",
                                   "behavior.on.malformed.documents": "warn", "behavior.on.null.values": "ignore"},
                     tolerance="all", dead_letters=dlq)
    write_all(sink, [rec(unique_name, "first", {"n": 1}, 0, schema=None)])
    write_all(sink, _malformed_batch(unique_name) + [rec(unique_name, "t", None, 9, schema=None)])
    # As Confluent: the malformed document, and the ignored tombstone, go to the dead letter queue.
    reported = {f.original.offset: str(f.exception) for f in dlq.sent}
    assert sorted(reported) == [3, 9]
    assert "Indexing failed" in reported[3] and "document_parsing_exception" in reported[3]
    assert "null valued" in reported[9]
    assert count(url, unique_name) == 5


def test_unconvertible_records_are_reported_or_dropped(elasticsearch, unique_name: str) -> None:
    url = elasticsearch.url
    struct_key_schema = SchemaBuilder.struct().field("id", INT32_SCHEMA).build()
    bad = rec(unique_name, Struct(struct_key_schema).put("id", 1), user(1), 1, key_schema=struct_key_schema)
    good = rec(unique_name, "ok", user(2), 2)
    with pytest.raises(ConnectorTaskError, match="STRUCT is not supported as the document id"):
        write_all(make_sink(unique_name, {"connection.url": url}), [bad, good])
    dlq = CollectingDeadLetters()
    write_all(make_sink(unique_name, {"connection.url": url, "drop.invalid.message": "true"}, tolerance="all",
                        dead_letters=dlq), [bad, good])
    assert [f.original.offset for f in dlq.sent] == [1]
    assert set(documents(url, unique_name)) == {"ok"}


def test_standalone_kafka_to_elasticsearch_with_a_router(apache_kafka, elasticsearch, tmp_path: Path,
                                                         unique_name: str) -> None:
    kafka = apache_kafka
    kafka.create_topic(unique_name, partitions=2)
    produce(kafka.bootstrap_servers, unique_name,
            [{"key": f"k{i % 40}".encode(), "value": b'{"i":%d}' % i, "partition": i % 2} for i in range(100)]
            + [{"key": b"k0", "value": None, "partition": 0}])
    worker = worker_file(tmp_path, kafka.bootstrap_servers,
                         key_converter="org.apache.kafka.connect.storage.StringConverter",
                         value_converter_schemas_enable="false")
    conn = write_properties(tmp_path / "es.properties", {
        "name": unique_name, "connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
        "topics": unique_name, "connection.url": elasticsearch.url, "schema.ignore": "true",
        "behavior.on.null.values": "delete", "transforms": "route",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "(.*)", "transforms.route.replacement": "Copy-$1"})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    docs = documents(elasticsearch.url, f"copy-{unique_name}")
    # Keys k0..k39 on two partitions: the last value per key wins; k0 was deleted by the tombstone.
    assert docs == {f"k{k}": {"i": max(i for i in range(100) if i % 40 == k)} for k in range(1, 40)}


def test_an_index_and_a_delete_of_one_key_never_race(elasticsearch, unique_name: str) -> None:
    # One action per bulk request and five requests in flight: each delete must wait for the request that
    # indexes the same document, or it may run first and the index re-create the document.
    url = elasticsearch.url
    sink = make_sink(unique_name, {"connection.url": url, "behavior.on.null.values": "delete", "batch.size": 1,
                                   "max.in.flight.requests": 5, "max.buffered.records": 20})
    records = []
    for i in range(40):
        records += [rec(unique_name, f"k{i}", user(i), 2 * i), rec(unique_name, f"k{i}", None, 2 * i + 1)]
    write_all(sink, records)
    assert documents(url, unique_name) == {}
