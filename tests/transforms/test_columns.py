"""Columnar SMTs (`transforms.columns`) against the record path, on generated batches and configurations.

Batches of JsonConverter envelopes of random flat struct schemas (every plain type, optional fields null; some
messages with headers, some batches with null or out-of-range timestamps) are decoded into columns and into
records; random chains (InsertField$Value with topic, partition, offset, timestamp and static fields, optional
or required, names that collide with existing fields, the key form; ReplaceField$Value with exclude, include
and renames, some onto kept fields; MaskField$Value with and without replacements, some of which fail on some
types; Cast$Value of fields to every type, some of which fail; TimestampRouter, on batches within a day and
across midnight; RegexRouter; Filter alone and behind each predicate, negated or not; those SMTs behind a
predicate; an SMT without a columnar form) run through the transform stage both ways. The records the
columnar path leads to must equal the record path's (values, schemas, keys, offsets, headers), and so must the
failures; and the columnar form must have run for the chains it covers. Schemaless batches with tombstones
(values without field columns) go through Filter and its predicates the same way.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import pytest

from pyconnect_flow.connectors.file import java_string
from pyconnect_flow.connectors.file_text import flat_lines
from pyconnect_flow.converters import create_converter
from pyconnect_flow.engine.stages import Chunk, Decoder, Transformer
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
from pyconnect_flow.kafka_columns import KafkaColumns
from pyconnect_flow.transforms import chain, when
from pyconnect_flow.transforms.cast import CastKey, CastValue
from pyconnect_flow.transforms.filter import Filter
from pyconnect_flow.transforms.hoist_field import HoistFieldValue
from pyconnect_flow.transforms.insert_field import InsertFieldKey, InsertFieldValue
from pyconnect_flow.transforms.mask_field import MaskFieldKey, MaskFieldValue
from pyconnect_flow.transforms.predicates import HasHeaderKey, RecordIsTombstone, TopicNameMatches
from pyconnect_flow.transforms.regex_router import RegexRouter
from pyconnect_flow.transforms.replace_field import ReplaceFieldKey, ReplaceFieldValue
from pyconnect_flow.transforms.timestamp_router import TimestampRouter

TYPES = {"int8": lambda r, i: i % 100 - 50, "int16": lambda r, i: -i, "int32": lambda r, i: i * 1000,
         "int64": lambda r, i: i * 10**12, "float": lambda r, i: i / 4 + 0.5, "double": lambda r, i: i * 0.1 + 1.5,
         "boolean": lambda r, i: i % 2 == 0, "string": lambda r, i: f"s{i}-\u00e9"}
NAMES = ["id", "topic", "part", "offset", "origin", "text", "n"]
TOLERATE = {"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq"}
"""Failures are kept (for the dead letter queue), so the two paths' failures can be compared."""


def random_schema(rng: random.Random) -> dict[str, Any]:
    names = rng.sample(NAMES, rng.randint(1, 4))
    return {"type": "struct", "name": f"com.example.S{rng.randrange(3)}", "optional": False, "fields": [
        {"field": n, "type": rng.choice(list(TYPES)), "optional": rng.random() < 0.5} for n in names]}


def payload(rng: random.Random, schema: dict[str, Any], i: int) -> dict[str, Any]:
    return {f["field"]: None if f["optional"] and rng.random() < 0.25 else TYPES[f["type"]](rng, i)
            for f in schema["fields"]}


def random_insert(rng: random.Random) -> Any:
    config: dict[str, Any] = {}
    for key in rng.sample(["topic.field", "partition.field", "offset.field", "static.field", "timestamp.field"],
                          rng.randint(1, 3)):
        config[key] = rng.choice(["ins_" + key.split(".")[0], rng.choice(NAMES)]) + rng.choice(["", "?", "!"])
    if not config:
        config["topic.field"] = "ins_topic"
    if "static.field" in config:
        config["static.value"] = rng.choice(["pcf", "x"])
    return (InsertFieldKey if rng.random() < 0.05 else InsertFieldValue).from_config(config)


def random_replace(rng: random.Random) -> Any:
    config: dict[str, Any] = {}
    if rng.random() < 0.5:
        config["exclude"] = ",".join(rng.sample(NAMES, rng.randint(1, 2)))
    elif rng.random() < 0.5:
        config["include"] = ",".join(rng.sample(NAMES + ["ins_topic"], rng.randint(1, 4)))
    if rng.random() < 0.6:
        olds = rng.sample(NAMES + ["ins_static"], rng.randint(1, 2))
        config["renames"] = ",".join(f"{old}:{rng.choice(NAMES + ['renamed', 'other'])}" for old in olds)
    return (ReplaceFieldKey if rng.random() < 0.05 else ReplaceFieldValue).from_config(config)


def random_mask(rng: random.Random) -> Any:
    config: dict[str, Any] = {"fields": ",".join(rng.sample(NAMES + ["ins_topic"], rng.randint(1, 3)))}
    if rng.random() < 0.5:
        config["replacement"] = rng.choice(["***", "12", "-3.5", "300", "99999999999"])  # some fail on some types
    return (MaskFieldKey if rng.random() < 0.05 else MaskFieldValue).from_config(config)


def random_cast(rng: random.Random) -> Any:
    if rng.random() < 0.05:
        return CastValue.from_config({"spec": "string"})  # a whole-value cast: no columnar form
    targets = ["int8", "int16", "int32", "int64", "float32", "float64", "boolean", "string"]
    spec = ",".join(f"{name}:{rng.choice(targets)}" for name in rng.sample(NAMES, rng.randint(1, 3)))
    return (CastKey if rng.random() < 0.05 else CastValue).from_config({"spec": spec})


def random_predicate(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.35:  # matches the batch's topic, or its routed one, or neither
        return TopicNameMatches.from_config({"pattern": rng.choice(["t.*", "topic-a", "routed-.*", "other"])})
    if roll < 0.7:
        return HasHeaderKey.from_config({"name": rng.choice(["trace", "other"])})
    return RecordIsTombstone.from_config({})


def random_filter(rng: random.Random) -> Any:
    if rng.random() < 0.1:
        return Filter.from_config({})  # drops every message
    return when(random_predicate(rng), Filter.from_config({}), negate=rng.random() < 0.5)


def random_chain(rng: random.Random) -> Any:
    makers = [random_insert, random_replace, random_mask, random_cast, random_filter]
    stages = [rng.choice(makers)(rng) for _ in range(rng.randint(1, 3))]
    roll = rng.random()
    if roll < 0.15:
        stages.append(TimestampRouter.from_config({}))  # columnar unless the batch spans midnight
    elif roll < 0.3:
        stages.insert(rng.randrange(len(stages) + 1), RegexRouter.from_config(
            {"regex": rng.choice(["topic-(.*)", "(other)"]), "replacement": "routed-$1"}))
    elif roll < 0.45:
        at = rng.randrange(len(stages))
        if not isinstance(stages[at], Filter) and getattr(stages[at], "predicate", None) is None:
            stages[at] = when(random_predicate(rng), stages[at], negate=rng.random() < 0.5)
    elif roll < 0.5:
        stages.append(HoistFieldValue.from_config({"field": "wrapped"}))  # no columnar form
    return stages[0] if len(stages) == 1 and rng.random() < 0.5 else chain(*stages)


HEADERS = [None, None, [("trace", b"1")], [("other", b"x"), ("trace", None)], [("other", b"")]]
"""Headers of a message: none (librdkafka's None), the `trace` header among others, or others only."""


def random_timestamps(rng: random.Random, n: int) -> list[int | None]:
    # Some batches span midnight UTC (2023-11-15T00:00:00Z): a TimestampRouter routes them record by record.
    first_ms = rng.choice([1_700_000_000_000, 1_700_006_399_990])
    stamps: list[int | None] = [first_ms + i for i in range(n)]
    roll = rng.random()
    if roll < 0.1:  # a message without a timestamp: a null timestamp field, a TimestampRouter failure
        stamps[rng.randrange(n)] = None
    elif roll < 0.13:  # beyond datetime's years: the timestamp field fails on the record path
        stamps[rng.randrange(n)] = 10**16
    return stamps


def decoders() -> tuple[Decoder, Decoder]:
    key = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, True)
    value = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, False)
    errors = ErrorReporter("columns", ErrorPolicy.from_values(TOLERATE))
    return Decoder(key, value, errors), Decoder(key, value, errors, columnar=False)


@pytest.mark.parametrize("seed", range(12))
def test_columnar_transforms_give_the_records_of_the_record_path(seed: int) -> None:
    compare(seed)


def test_failing_masks_take_the_record_path_with_the_same_failures() -> None:
    assert sum(compare(seed)["failures"] for seed in range(12)) > 0  # some chains failed on some values


def test_filters_predicates_and_timestamps_ran_on_columns() -> None:
    """The generated chains covered each new columnar form (their results were compared in `compare`)."""
    seen = sum((compare(seed) for seed in range(12)), Counter())
    assert seen["emptied"] > 0 and seen["some dropped"] > 0 and seen["timestamps"] > 0 and seen["gated"] > 0, seen


def compare(seed: int) -> Counter[str]:
    """Run 40 generated batches and chains both ways and compare; counts of what happened (`failures`: records
    that failed; `emptied`, `some dropped`: columnar results without any or without some of the messages;
    `timestamps`: columnar results with an inserted timestamp; `gated`: columnar runs of a chain with a
    predicate)."""
    rng = random.Random(seed)
    by_columns, by_records = decoders()
    errors = ErrorReporter("columns", ErrorPolicy.from_values(TOLERATE))
    ran = failures = printed = 0
    seen: Counter[str] = Counter()
    for case in range(40):
        schema = random_schema(rng)
        n = rng.randint(1, 30)
        start = rng.randrange(1000)
        values: list[bytes | None] = [json.dumps({"schema": schema, "payload": payload(rng, schema, i)},
                                                 separators=(",", ":")).encode()
                                      for i in range(start, start + n)]
        headers = [rng.choice(HEADERS) for _ in range(n)] if rng.random() < 0.4 else [None] * n
        raw = KafkaColumns("topic-a", rng.randrange(5), list(range(start, start + n)), [None] * n, values,
                           random_timestamps(rng, n), headers)
        transform = random_chain(rng)
        stage = Transformer(transform, errors)
        columnar = by_columns(Chunk("k", raw, None))
        if columnar.unbuilt_columns is None:
            continue  # not decoded into columns (the decoder's own tests cover that)
        out = stage(columnar)
        on_columns = out.unbuilt_columns is not None
        flat = out.unbuilt_columns.flat if out.unbuilt_columns is not None else None
        ran += flat is not None
        expected = stage(by_records(Chunk("k", raw.records(), None)))
        got = out.records
        assert got == expected.records, (case, transform)
        assert [r.value_schema for r in got] == [r.value_schema for r in expected.records]
        assert [(f.original, str(f.exception)) for f in out.failed] == [
            (f.original, str(f.exception)) for f in expected.failed]
        assert out.originals == expected.originals
        assert [r.headers for r in got] == [r.headers for r in expected.records]
        failures += len(expected.failed)
        if on_columns:
            seen["emptied"] += not got
            seen["some dropped"] += 0 < len(got) < n
            seen["timestamps"] += any(f.schema.name == "org.apache.kafka.connect.data.Timestamp"
                                      for f in got[0].value_schema.fields) if got else 0
            seen["gated"] += "when(" in repr(transform)
        if flat is not None:  # FileStreamSink prints transformed columns as it prints the records' values
            lines = flat_lines(flat)
            assert lines is None or lines == [java_string(r.value, r.value_schema) for r in expected.records]
            printed += lines is not None
    assert ran > 5 and printed > 0  # the columnar form ran for the chains it covers
    seen["failures"] = failures
    return seen


def schemaless_decoders() -> tuple[Decoder, Decoder]:
    key = create_converter("org.apache.kafka.connect.json.JsonConverter", {"schemas.enable": "false"}, True)
    value = create_converter("org.apache.kafka.connect.json.JsonConverter", {"schemas.enable": "false"}, False)
    errors = ErrorReporter("columns", ErrorPolicy.from_values(TOLERATE))
    return Decoder(key, value, errors), Decoder(key, value, errors, columnar=False)


@pytest.mark.parametrize("seed", range(4))
def test_filters_on_schemaless_batches_with_tombstones_match_the_record_path(seed: int) -> None:
    """Values without field columns (schemaless maps, tombstones) go through Filter and its predicates on
    columns: every chain of them stays columnar and leads to the record path's records."""
    rng = random.Random(seed)
    by_columns, by_records = schemaless_decoders()
    errors = ErrorReporter("columns", ErrorPolicy.from_values(TOLERATE))
    dropped = 0
    for case in range(30):
        n = rng.randint(1, 25)
        values: list[bytes | None] = [None if rng.random() < 0.3 else json.dumps({"id": i, "s": f"v{i}"}).encode()
                                      for i in range(n)]
        keys: list[bytes | None] = [rng.choice([None, b'"k"', b"7"]) for _ in range(n)]
        raw = KafkaColumns(rng.choice(["topic-a", "other"]), 0, list(range(n)), keys, values,
                           random_timestamps(rng, n), [rng.choice(HEADERS) for _ in range(n)])
        transform = chain(*(random_filter(rng) for _ in range(rng.randint(1, 2))))
        stage = Transformer(transform, errors)
        out = stage(by_columns(Chunk("k", raw, None)))
        assert out.unbuilt_columns is not None, (case, transform)
        got = out.records
        expected = stage(by_records(Chunk("k", raw.records(), None)))
        assert got == expected.records, (case, transform)
        assert [(r.key_schema, r.key, r.headers, r.timestamp) for r in got] == [
            (r.key_schema, r.key, r.headers, r.timestamp) for r in expected.records]
        assert out.originals == expected.originals and not out.failed and not expected.failed
        dropped += n - len(got)
    assert dropped > 0


def test_a_filter_dropping_every_message_leaves_an_empty_batch_the_engine_routes() -> None:
    """A batch Filter empties stays columnar with no message; the route step sends the sink an empty batch
    (the positions move past it) and counts the dropped messages out of flight, as for dropped records."""
    from pyconnect_flow.engine.backpressure import InFlight
    from pyconnect_flow.engine.compile import _router

    schema = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int32", "optional": False}]}
    values: list[bytes | None] = [json.dumps({"schema": schema, "payload": {"id": i}}, separators=(",", ":")).encode()
                                  for i in range(5)]
    raw = KafkaColumns("orders", 0, list(range(5)), [None] * 5, values, [1_700_000_000_000] * 5, [None] * 5)
    by_columns, _ = decoders()
    errors = ErrorReporter("filter", ErrorPolicy.from_values(TOLERATE))
    out = Transformer(chain(when(TopicNameMatches.from_config({"pattern": "ord.*"}), Filter.from_config({}))),
                      errors)(by_columns(Chunk("k", raw, None)))
    assert out.unbuilt_columns is not None and out.unbuilt_columns.flat is not None
    assert len(out) == 0 and out.read_count == 5
    inflight = InFlight(limit=1)
    inflight.attach("k")
    inflight.read("k", 5)
    [(key, batch)] = _router(ErrorPolicy.from_values(TOLERATE), None, inflight, True, True, False)([out])
    assert key == "k" and not batch and batch.columns is None and not inflight.full("k")


@pytest.mark.parametrize(("first_ms", "columnar"), [(1_700_000_000_000, True), (1_700_006_399_995, False)],
                         ids=["one-day", "across-midnight"])
def test_routers_keep_a_batch_columnar_when_its_records_share_their_new_topic(first_ms: int, columnar: bool) -> None:
    schema = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int32", "optional": False}]}
    values: list[bytes | None] = [json.dumps({"schema": schema, "payload": {"id": i}}).encode() for i in range(10)]
    raw = KafkaColumns("orders", 0, list(range(10)), [None] * 10, values, [first_ms + i for i in range(10)],
                       [None] * 10)
    by_columns, by_records = decoders()
    errors = ErrorReporter("routers", ErrorPolicy.from_values(TOLERATE))
    stage = Transformer(chain(RegexRouter.from_config({"regex": "(.*)", "replacement": "db-$1"}),
                              TimestampRouter.from_config({"timestamp.format": "yyyy-MM-dd"})), errors)
    out = stage(by_columns(Chunk("k", raw, None)))
    assert (out.unbuilt_columns is not None) is columnar
    expected = stage(by_records(Chunk("k", raw.records(), None)))
    assert out.records == expected.records
    assert {r.topic for r in out.records} == ({"db-orders-2023-11-14"} if columnar else
                                               {"db-orders-2023-11-14", "db-orders-2023-11-15"})


@pytest.mark.parametrize(("field", "columnar"), [("ts", True), ("ts!", False)], ids=["optional", "required"])
def test_timestamp_field_on_columns_sets_timestamps_and_leaves_null_ones_unset(field: str, columnar: bool) -> None:
    """InsertField's timestamp field on columns: a `Timestamp` per message, unset where the message has no
    timestamp (as the record path leaves it); a required field with a null timestamp takes the record path."""
    schema = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int32", "optional": False}]}
    values: list[bytes | None] = [json.dumps({"schema": schema, "payload": {"id": i}}, separators=(",", ":")).encode()
                                  for i in range(6)]
    stamps: list[int | None] = [1_700_000_000_000, None, 0, -1000, 1_700_000_000_123, None]
    raw = KafkaColumns("orders", 2, list(range(6)), [None] * 6, values, stamps, [None] * 6)
    by_columns, by_records = decoders()
    errors = ErrorReporter("timestamps", ErrorPolicy.from_values(TOLERATE))
    stage = Transformer(chain(InsertFieldValue.from_config({"timestamp.field": field, "offset.field": "o"}),
                              RegexRouter.from_config({"regex": "(.*)", "replacement": "$1-x"})), errors)
    out = stage(by_columns(Chunk("k", raw, None)))
    assert (out.unbuilt_columns is not None) is columnar
    expected = stage(by_records(Chunk("k", raw.records(), None)))
    assert out.records == expected.records and len(out.records) == 6
    assert [sorted(r.value._values) for r in out.records] == [sorted(r.value._values) for r in expected.records]
    assert [java_string(r.value, r.value_schema) for r in out.records] == [
        java_string(r.value, r.value_schema) for r in expected.records]
    assert str(out.records[0].value.get("ts")) == "2023-11-14 22:13:20+00:00" and out.records[1].value.get("ts") is None


@pytest.mark.parametrize("built_values", [False, True], ids=["columns-only", "values-built"])
def test_take_keeps_every_column_aligned(built_values: bool) -> None:
    """`DecodedColumns.take`: the messages at the given rows, with their raw bytes, keys, headers, timestamps,
    field columns, payload objects and (when built) values, as the records of those rows."""
    schema = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int32", "optional": False},
                                                             {"field": "s", "type": "string", "optional": True}]}
    # A field the schema does not name: the payloads are parsed by orjson, whose nodes are kept (msgspec's
    # typed decode keeps none).
    values: list[bytes | None] = [json.dumps({"schema": schema, "payload": {"id": i, "s": None if i % 2 else f"v{i}",
                                                                            "extra": i}},
                                             separators=(",", ":")).encode() for i in range(8)]
    keys: list[bytes | None] = [None if i % 3 else json.dumps({"schema": None, "payload": i}).encode() for i in range(8)]
    raw = KafkaColumns("orders", 1, list(range(10, 18)), keys, values, [1_000 + i for i in range(8)],
                       (HEADERS * 2)[:8])
    by_columns, _ = decoders()
    decoded = by_columns(Chunk("k", raw, None)).unbuilt_columns
    assert decoded is not None and decoded.flat is not None and decoded.flat.nodes is not None
    if built_values:
        assert len(decoded.values) == 8
    rows = [1, 4, 5, 7]
    taken = decoded.take(rows)
    all_records = decoded.records()
    assert taken.records() == [all_records[i] for i in rows] and len(taken) == 4
    assert [r.headers for r in taken.records()] == [all_records[i].headers for i in rows]
    assert taken.originals() == [decoded.originals()[i] for i in rows]
    assert taken.flat is not None and taken.flat.nodes == [decoded.flat.nodes[i] for i in rows]
    assert taken.flat.columns == [[column[i] for i in rows] for column in decoded.flat.columns]
    assert flat_lines(taken.flat) == [java_string(r.value, r.value_schema) for r in taken.records()]
    assert len(decoded.take([])) == 0 and decoded.take([]).records() == []
