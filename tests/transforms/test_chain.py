"""chain / when / apply_batch, modelled on Kafka's `TransformationStageTest` and `TransformationChain`."""

from __future__ import annotations

import pickle

import pytest

from pyconnect_flow.record import Record
from pyconnect_flow.transforms import (
    Chain,
    Conditional,
    Filter,
    HasHeaderKey,
    InsertHeader,
    RegexRouter,
    TopicNameMatches,
    apply_batch,
    chain,
    when,
)

INITIAL = Record("initial")
TRANSFORMED = Record("transformed")


def to_transformed(record: Record) -> Record:
    return TRANSFORMED


def upper_topic(record: Record) -> Record:
    return record.replace(topic=record.topic.upper())


def drop_odd(record: Record) -> Record | None:
    return None if record.value % 2 else record


def fail(record: Record) -> Record:
    raise ValueError("boom")


@pytest.mark.parametrize(("matches", "negate", "expected"), [
    (True, False, TRANSFORMED), (True, True, INITIAL), (False, False, INITIAL), (False, True, TRANSFORMED),
])
def test_stage_applies_iff_negate_xor_predicate(matches: bool, negate: bool, expected: Record) -> None:
    stage = when(lambda r: matches, to_transformed, negate=negate)
    assert stage(INITIAL) is expected


def test_truthy_predicate_results_count() -> None:
    assert when(lambda r: "yes", to_transformed)(INITIAL) is TRANSFORMED
    assert when(lambda r: 0, to_transformed)(INITIAL) is INITIAL


def test_chain_runs_in_order_and_stops_at_the_first_none() -> None:
    seen: list[str] = []

    def spy(record: Record) -> Record:
        seen.append(record.topic)
        return record

    pipeline = chain(spy, upper_topic, spy, drop_odd, spy)
    assert pipeline(Record("a", value=2)) == Record("A", value=2)
    assert seen == ["a", "A", "A"]
    seen.clear()
    assert pipeline(Record("b", value=1)) is None
    assert seen == ["b", "B"]


def test_empty_chain_is_identity_and_falsy() -> None:
    empty = chain()
    assert empty(INITIAL) is INITIAL
    assert not empty and len(empty) == 0


def test_nested_chains_flatten() -> None:
    inner = chain(upper_topic, Filter())
    outer = chain(to_transformed, inner)
    assert isinstance(outer, Chain)
    assert outer.stages == (to_transformed, upper_topic, inner.stages[1])
    assert list(outer) == list(outer.stages)


def test_chain_rejects_non_callables() -> None:
    with pytest.raises(TypeError, match="must be callable"):
        chain(upper_topic, "RegexRouter")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        when(None, upper_topic)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        when(lambda r: True, 42)  # type: ignore[arg-type]


def test_failing_stage_is_named_on_the_exception() -> None:
    router = RegexRouter(regex="(.*)", replacement="$1")
    with pytest.raises(ValueError) as info:
        chain(router, fail)(INITIAL)
    assert info.value.transform is fail  # type: ignore[attr-defined]
    inner_failure = when(lambda r: True, fail)
    with pytest.raises(ValueError) as info:
        chain(router, inner_failure)(INITIAL)
    assert info.value.transform is fail  # type: ignore[attr-defined]

    def bad_predicate(record: Record) -> bool:
        raise KeyError("p")

    with pytest.raises(KeyError) as key_info:
        chain(when(bad_predicate, router))(INITIAL)
    assert key_info.value.transform is bad_predicate  # type: ignore[attr-defined]


def test_apply_batch_keeps_order_and_drops_nones() -> None:
    records = [Record("t", value=i) for i in range(10)]
    out = apply_batch(chain(drop_odd, upper_topic), records)
    assert out == [Record("T", value=i) for i in range(0, 10, 2)]
    assert apply_batch(upper_topic, []) == []
    assert apply_batch(upper_topic, iter(records[:2])) == [Record("T", value=0), Record("T", value=1)]


def test_apply_batch_with_error_handler() -> None:
    def fail_on_three(record: Record) -> Record:
        if record.value == 3:
            raise ValueError("three")
        return record

    failures: list[tuple[Record, Exception]] = []
    records = [Record("t", value=i) for i in range(5)]
    out = apply_batch(fail_on_three, records, on_error=lambda r, e: failures.append((r, e)))
    assert [r.value for r in out] == [0, 1, 2, 4]
    assert [(r.value, str(e)) for r, e in failures] == [(3, "three")]
    with pytest.raises(ValueError):
        apply_batch(fail_on_three, records)


def test_builtins_compose_and_pickle() -> None:
    pipeline = chain(
        when(TopicNameMatches(pattern="tmp-.*"), Filter()),
        when(HasHeaderKey(name="seen"), InsertHeader(header="seen", value_literal="again"), negate=True),
        RegexRouter(regex="(.*)", replacement="$1-copy"),
    )
    copy = pickle.loads(pickle.dumps(pipeline))
    assert repr(copy) == repr(pipeline)
    for p in (pipeline, copy):
        assert p(Record("tmp-1")) is None
        assert p(Record("orders")) == Record("orders-copy", headers=(("seen", "again"),))
        assert p(Record("orders", headers=(("seen", 1),))) == Record("orders-copy", headers=(("seen", 1),))
    assert isinstance(copy.stages[0], Conditional)
    assert repr(pipeline).startswith("chain(when(TopicNameMatches(pattern='tmp-.*'), Filter()), when(HasHeaderKey")
    assert ", negate=True)" in repr(pipeline)


def test_fused_map_stages_give_the_same_records_as_one_by_one() -> None:
    from pyconnect_flow.data import INT32_SCHEMA, SchemaBuilder, Struct
    from pyconnect_flow.record import Record
    from pyconnect_flow.transforms import Cast, InsertField, MaskField, ReplaceField, chain
    from pyconnect_flow.transforms.fused import FusedMapStages

    stages = [InsertField.value(static_field="src", static_value="x", topic_field="t"),
              ReplaceField.value(exclude=["secret"], renames={"a": "alpha"}),
              Cast.value(spec="n:int8,f:float64"), MaskField.value(fields=["email"])]
    fused = chain(*stages)
    assert any(isinstance(s, FusedMapStages) for s in fused._run)

    def one_by_one(record):
        for s in stages:
            record = s(record)
        return record

    schema = SchemaBuilder.struct().field("n", INT32_SCHEMA).build()
    records = [
        Record("topic", value={"a": 1, "n": 300, "f": "2.5", "email": "e@x", "secret": "s"}, partition=1, offset=5),
        Record("topic", value={"n": "7", "f": 1}),
        Record("topic", value=None),
        Record("topic", value=Struct(schema, {"n": 3}), value_schema=schema),
    ]
    def outcome(fn, record):
        try:
            return ("ok", fn(record))
        except Exception as exc:  # noqa: BLE001 - compared below
            return ("error", type(exc), str(exc))

    for r in records:
        assert outcome(fused, r) == outcome(one_by_one, r)
    assert outcome(fused, records[0])[1].value == {"alpha": 1, "n": 44, "f": 2.5, "email": "", "src": "x",
                                                   "t": "topic"}


def test_fused_stage_failure_names_the_failing_transform() -> None:
    from pyconnect_flow.record import Record
    from pyconnect_flow.transforms import Cast, InsertField, chain

    cast = Cast.value(spec="n:int32")
    fused = chain(InsertField.value(static_field="s", static_value="v"), cast)
    try:
        fused(Record("t", value={"n": "not a number"}))
    except Exception as exc:
        assert exc.transform is cast
    else:
        raise AssertionError("a bad cast passed")


def _outcome(fn, record):
    try:
        return ("ok", fn(record))
    except Exception as exc:  # noqa: BLE001 - compared by the callers
        return ("error", type(exc), str(exc), getattr(exc, "transform", None))


def _one_by_one(stages):
    """The stages run one at a time, a failure tagged with its stage: what a fused chain must equal."""
    def run(record):
        for s in stages:
            try:
                record = s(record)
            except Exception as exc:
                exc.transform = s
                raise
            if record is None:
                return None
        return record
    return run


def _records_for_fusion():
    from pyconnect_flow.data import INT32_SCHEMA, SchemaBuilder, Struct
    from pyconnect_flow.record import Record

    schema = SchemaBuilder.struct().field("n", INT32_SCHEMA).field("qty", INT32_SCHEMA).build()
    return [
        Record("orders", value={"id": 1, "amount": "12.50", "qty": 3, "email": "a@b", "secret": "pw"},
               partition=2, offset=7, timestamp=1_700_000_000_000),
        Record("orders", value={"amount": "1e3", "qty": 2**40, "email": 5}, timestamp=0),
        Record("orders", value={"amount": " 2.5 ", "qty": True, "email": None}, timestamp=86_400_000),
        Record("orders", value={"amount": "١٢", "qty": "9"}, timestamp=1),  # Arabic-Indic digits: not a Java double
        Record("orders", value={"amount": "x", "qty": 1}, timestamp=1),  # Cast fails
        Record("orders", value={"amount": "1.5"}),  # no timestamp: TimestampRouter fails
        Record("other", value=None, timestamp=5),  # tombstone
        Record("orders", value=Struct(schema, {"n": 3, "qty": 4}), value_schema=schema, timestamp=5),
        Record("orders", value=[1, 2], timestamp=5),  # not a map: InsertField fails
    ]


def test_fused_stages_with_a_router_give_what_the_stages_give_one_by_one() -> None:
    from pyconnect_flow.transforms import (
        Cast,
        InsertField,
        MaskField,
        RegexRouter,
        ReplaceField,
        TimestampRouter,
        chain,
    )
    from pyconnect_flow.transforms.fused import FusedMapStages

    variants = [
        [InsertField.value(static_field="source", static_value="bench", topic_field="t", partition_field="p",
                           timestamp_field="ts"),
         ReplaceField.value(exclude=["secret"]), Cast.value(spec="amount:float64,qty:int32"),
         MaskField.value(fields=["email"]), TimestampRouter(topic_format="${topic}-${timestamp}",
                                                            timestamp_format="yyyyMMdd")],
        [Cast.value(spec="qty:int8"), RegexRouter(regex="ord(.*)", replacement="x$1")],
        [MaskField.value(fields=["email"], replacement="***"), ReplaceField.value(renames={"qty": "q"}),
         Cast.value(spec="amount:float32,qty:string")],
        [InsertField.value(offset_field="o"), TimestampRouter()],
    ]
    for stages in variants:
        fused = chain(*stages)
        assert isinstance(fused._run[0], FusedMapStages)
        fn = fused.record_function()
        for record in _records_for_fusion():
            expected = _outcome(_one_by_one(stages), record)
            assert _outcome(fused, record) == expected, (stages, record)
            assert _outcome(fn, record) == expected, (stages, record)
            assert _outcome(pickle.loads(pickle.dumps(fused)), record)[:3] == expected[:3]


def test_fusion_compiles_the_bench_chain_without_calls() -> None:
    from pyconnect_flow.transforms import from_config

    pipeline = from_config({
        "transforms": "i,r,c,m,route",
        "transforms.i.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.i.static.field": "source", "transforms.i.static.value": "x",
        "transforms.r.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
        "transforms.r.exclude": "secret",
        "transforms.c.type": "org.apache.kafka.connect.transforms.Cast$Value",
        "transforms.c.spec": "amount:float64,qty:int32",
        "transforms.m.type": "org.apache.kafka.connect.transforms.MaskField$Value",
        "transforms.m.fields": "email",
        "transforms.route.type": "org.apache.kafka.connect.transforms.TimestampRouter",
    })
    (fused,) = pipeline._run
    # one map copy, and no call of a stage's map_update on the common path
    assert fused.source.count("dict(v)") == 1
    assert "(r, u)" not in fused.source
    assert pipeline.record_function() is fused.function


def test_subclasses_overriding_the_work_are_not_bypassed_by_fusion() -> None:
    from pyconnect_flow.record import Record
    from pyconnect_flow.transforms import InsertField, ReplaceField, TimestampRouter, chain
    from pyconnect_flow.transforms.insert_field import InsertFieldValue

    class Shouting(InsertFieldValue):
        def map_update(self, record, updated):
            updated = super().map_update(record, updated)
            return {k: v.upper() if isinstance(v, str) else v for k, v in updated.items()}

    class Loud(InsertFieldValue):
        def __call__(self, record):
            return super().__call__(record)._replace(topic="loud")

    class Fixed(TimestampRouter):
        def __call__(self, record):
            return record._replace(topic="fixed")

    record = Record("t", value={"a": "x"}, timestamp=0)
    drop = ReplaceField.value(exclude=["none"])
    assert chain(Shouting(static_field="s", static_value="v"), drop)(record).value == {"a": "X", "s": "V"}
    assert chain(drop, Loud(static_field="s", static_value="v"))(record).topic == "loud"
    assert chain(InsertField.value(static_field="s", static_value="v"), Fixed())(record).topic == "fixed"


def test_random_fused_chains_match_the_stages_one_by_one() -> None:
    import random

    from pyconnect_flow.record import Record
    from pyconnect_flow.transforms import (
        Cast,
        InsertField,
        MaskField,
        RegexRouter,
        ReplaceField,
        TimestampRouter,
        chain,
    )

    rng = random.Random(11)
    pool = [
        lambda: InsertField.value(static_field=rng.choice("abq"), static_value="s"),
        lambda: InsertField.value(topic_field="t", partition_field="p", timestamp_field="ts"),
        lambda: InsertField.value(offset_field="o"),
        lambda: ReplaceField.value(exclude=rng.sample("abcq", 2)),
        lambda: ReplaceField.value(include=rng.sample("abcq", 3)),
        lambda: ReplaceField.value(renames={"a": "b", "q": "z"}),
        lambda: Cast.value(spec=f"{rng.choice('abq')}:{rng.choice(['int8', 'int32', 'int64', 'float32', 'float64'])}"),
        lambda: Cast.value(spec=f"{rng.choice('abq')}:{rng.choice(['string', 'boolean', 'int16'])}"),
        lambda: MaskField.value(fields=rng.sample("abq", 2)),
        lambda: MaskField.value(fields=["a"], replacement="0"),
    ]
    routers = [lambda: TimestampRouter(), lambda: RegexRouter(regex="(.*)", replacement="$1-x"), lambda: None]
    values = [None, 0, 1, -1, 300, 2**40, 1.5, -0.0, "7", "2.5", " 3 ", "x", "١", True, False, "", [1], {"k": 1}]

    from pyconnect_flow.transforms.fused import FusedMapStages

    compiled = 0
    for _ in range(300):
        stages = [rng.choice(pool)() for _ in range(rng.randint(1, 4))]
        router = rng.choice(routers)()
        if router is not None:
            stages.append(router)
        fused = chain(*stages)
        compiled += any(isinstance(s, FusedMapStages) for s in fused._run)
        plain = _one_by_one(stages)
        for _ in range(10):
            value = {k: rng.choice(values) for k in "abcq" if rng.random() < 0.7}
            record = Record("orders", key="k", value=value, partition=rng.choice([None, 0, 3]),
                            offset=rng.choice([None, 5]), timestamp=rng.choice([None, 0, 1_700_000_000_000]))
            expected = _outcome(plain, record)
            assert _outcome(fused, record) == expected, (stages, record)
            assert _outcome(fused.record_function(), record) == expected, (stages, record)
    assert compiled > 150  # most chains took the compiled path


def test_the_fusable_smts_implement_the_fusion_protocols() -> None:
    from pyconnect_flow.transforms import Cast, InsertField, MaskField, RegexRouter, ReplaceField, TimestampRouter
    from pyconnect_flow.transforms.fused import MapCodeWriter, MapUpdater, TopicRouter, fusable, routes_topic

    value_smts = [InsertField.value(static_field="s", static_value="v"), ReplaceField.value(exclude=["x"]),
                  Cast.value(spec="n:int32"), MaskField.value(fields=["m"])]
    for smt in value_smts:
        assert isinstance(smt, MapCodeWriter) and isinstance(smt, MapUpdater) and fusable(smt), smt
    assert not fusable(InsertField.key(static_field="s", static_value="v"))  # key SMTs are not fused
    assert not fusable(Cast.value(spec="int32"))  # a whole-value cast has no map form
    for router in (TimestampRouter(), RegexRouter(regex="a", replacement="b")):
        assert isinstance(router, TopicRouter) and routes_topic(router)
    assert not fusable(lambda r: r) and not routes_topic(lambda r: r)
