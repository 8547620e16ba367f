"""Compiling connectors into Bytewax dataflows.

`add_pipeline` is the Python API: a `RecordSource`, transforms (any callables
`Record -> Record | None`), converters and a `RecordSink` become named steps
of a `bytewax.dataflow.Dataflow`::

    <name>_source → <name>_decode → <name>_transform → <name>_encode → <name>_sink
                                                                    ↘ <name>_dead_letters

`connector_flow`/`standalone_flow` do the same from Kafka Connect configs.
Step ids and partition keys are part of the recovery contract: they derive
only from connector names and source partitions, so they stay stable across
versions and runs.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import bytewax.operators as op
from bytewax.dataflow import Dataflow

from pyconnect_flow.batches import ValueBatch
from pyconnect_flow.connectors.base import (
    Batch,
    BytewaxSink,
    BytewaxSource,
    DeadLetterBatch,
    Deliveries,
    InFlight,
    PositionHolds,
    RecordSink,
    RecordSource,
    SinkWriter,
)
from pyconnect_flow.converters.base import Converter
from pyconnect_flow.converters.headers import HeaderConverter
from pyconnect_flow.dead_letters import dead_letter_producer_config, dead_letter_record
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
from pyconnect_flow.record import Record
from pyconnect_flow.stages import Chunk, Decoder, Encoder, Transformer

FLOW_ID = "pyconnect"
TransformFn = Callable[[Record], "Record | None"]


class SinkBatch(list[Record]):
    """Records for a sink, with `originals[i]` the record as read from Kafka for `self[i]` (or None),
    and for sinks of bytes `encoded` = (keys, values) serialized by the converters (see
    `connectors.base.encoded_items`)."""

    __slots__ = ("originals", "encoded", "batch")

    def __init__(self, records: list[Record], originals: list[Record] | None,
                 encoded: tuple[list[Any] | None, list[Any]] | None = None, batch: ValueBatch | None = None) -> None:
        super().__init__(records)
        self.originals = originals
        self.encoded = encoded
        self.batch = batch
        """When set, the records are `batch.records()`, left unbuilt (only a Kafka sink gets these)."""


class _Originals(dict[int, Record]):
    """`ConnectorContext.originals`: id(record) → the record as read from Kafka, for dead letters.

    Holds the records of sinks that report late (`RecordSink.reports_late`) until their flush;
    for the others only the batch being written (`current`) is looked at, indexed on the first
    report of that batch.
    """

    __slots__ = ("_current", "_index")

    def __init__(self) -> None:
        super().__init__()
        self._current: tuple[list[Record], list[Record]] | None = None
        self._index: dict[int, Record] | None = None

    @property
    def current(self) -> tuple[list[Record], list[Record]] | None:
        return self._current

    @current.setter
    def current(self, batch: tuple[list[Record], list[Record]] | None) -> None:
        self._current, self._index = batch, None

    def get(self, key: int, default: Any = None) -> Any:
        found = super().get(key)
        if found is not None or self._current is None:
            return default if found is None else found
        if self._index is None:
            records, originals = self._current
            self._index = {id(r): o for r, o in zip(records, originals)}
        return self._index.get(key, default)


class _ReportingWriter(SinkWriter):
    """Lets a sink report single failed records (`ConnectorContext.report`) with their original bytes,
    and makes the dead letters durable together with the sink's own writes."""

    def __init__(self, inner: SinkWriter, ctx: Any, reports_late: bool = True) -> None:
        self.inner = inner
        self.ctx = ctx
        self.reports_late = reports_late
        if not isinstance(ctx.originals, _Originals):
            ctx.originals = _Originals()
        self._ids: deque[int] = deque()  # of the records whose originals are kept, oldest first

    def write(self, records: list[Record]) -> None:
        originals = getattr(records, "originals", None)
        if originals is None:
            self.inner.write(records)
        elif self.reports_late:
            # Kept until the writer settles them (`SinkWriter.unsettled`), at the latest until the flush.
            ids = [id(r) for r in records]
            self.ctx.originals.update(zip(ids, originals))
            self._ids.extend(ids)
            self.inner.write(records)
            self._forget_settled()
        else:
            table = self.ctx.originals
            table.current = (records, originals)
            try:
                self.inner.write(records)
            finally:
                table.current = None

    def _forget_settled(self) -> None:
        unsettled = self.inner.unsettled()
        if unsettled is None:
            return
        pop, oldest = self.ctx.originals.pop, self._ids.popleft
        for _ in range(len(self._ids) - unsettled):
            pop(oldest(), None)

    def flush(self) -> Any:
        state = self.inner.flush()
        if self.ctx.dead_letters is not None:
            self.ctx.dead_letters.flush()
        for i in self._ids:
            self.ctx.originals.pop(i, None)
        self._ids.clear()
        return state

    def durable_position(self) -> int | None:
        return self.inner.durable_position()

    def close(self) -> None:
        self.inner.close()


class _ReportingSink(RecordSink):
    def __init__(self, inner: RecordSink, ctx: Any) -> None:
        self.inner = inner
        self.ctx = ctx
        self.raw = inner.raw  # type: ignore[misc]
        self.holds_records = inner.holds_records  # type: ignore[misc]
        self.reports_late = inner.reports_late  # type: ignore[misc]

    def preflight(self) -> None:
        self.inner.preflight()

    def open(self, partition: str, state: Any | None) -> SinkWriter:
        return _ReportingWriter(self.inner.open(partition, state), self.ctx, self.reports_late)


def step_name(connector_name: str) -> str:
    """A Bytewax-safe step prefix for a connector name (no periods)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", connector_name)


def _compose(transforms: Sequence[TransformFn]) -> TransformFn | None:
    if not transforms:
        return None
    if len(transforms) == 1:
        return transforms[0]
    from pyconnect_flow.transforms import chain

    return chain(*transforms)


def add_pipeline(
    flow: Dataflow,
    name: str,
    source: RecordSource,
    sink: RecordSink,
    *,
    transforms: Sequence[TransformFn] | TransformFn = (),
    key_converter: Converter | None = None,
    value_converter: Converter | None = None,
    errors: ErrorReporter | None = None,
    dead_letter_sink: RecordSink | None = None,
    header_converter: HeaderConverter | None = None,
) -> None:
    """Add source → decode → transform → encode → sink steps named after `name` to `flow`.

    Converters are needed when the source gives raw bytes (Kafka) or the sink
    takes them (Kafka); they default to JsonConverter with schemas enabled, and
    `header_converter` to SimpleHeaderConverter.
    `dead_letter_sink` (a Kafka sink) receives records that failed and were
    tolerated when the error policy names a dead letter queue topic.
    """
    prefix = step_name(name)
    errors = errors or ErrorReporter(name, ErrorPolicy())
    if source.raw or sink.raw:
        key_converter = key_converter or _json_converter(is_key=True)
        value_converter = value_converter or _json_converter(is_key=False)
    transform = transforms if callable(transforms) else _compose(list(transforms))

    stages: list[tuple[str, Callable[[Chunk], Chunk]]] = []
    if source.raw:
        assert key_converter is not None and value_converter is not None
        stages.append(("decode", Decoder(key_converter, value_converter, errors, header_converter)))
    if transform is not None:
        stages.append(("transform", Transformer(transform, errors)))
    encoder = (Encoder(key_converter, value_converter, errors, header_converter)
               if key_converter and value_converter else None)
    if sink.raw:
        assert encoder is not None
        stages.append(("encode", encoder))

    holds = PositionHolds() if sink.holds_records else None
    inflight = InFlight()
    deliveries = Deliveries()
    stream = op.input(f"{prefix}_source", flow, BytewaxSource(source, holds, inflight, deliveries))
    chunks = op.flat_map_batch(f"{prefix}_chunk", stream, _to_chunks)
    for stage_name, stage in stages:
        chunks = op.flat_map_batch(f"{prefix}_{stage_name}", chunks, _each(stage))
    dlq_encode = encoder.encode_one if encoder is not None else None
    policy = errors.policy
    dlq = dead_letter_sink if policy.dlq_topic else None
    items = op.flat_map_batch(f"{prefix}_route", chunks, _router(policy, dlq_encode, inflight, dlq is not None))
    # Dead letters go through the sink step, in their source partition's sink partition: one flush makes
    # both durable before the source position is published (`connectors.base.Deliveries`).
    op.output(f"{prefix}_sink", items, BytewaxSink(sink, source.partitions, holds, inflight, deliveries, dlq))


def _to_chunks(batches: list[Batch]) -> list[Chunk]:
    return [Chunk(key, records, None) for key, records in batches]


def _each(stage: Callable[[Chunk], Chunk]) -> Callable[[list[Chunk]], list[Chunk]]:
    def run(chunks: list[Chunk]) -> list[Chunk]:
        return [stage(c) for c in chunks]

    return run


def _router(policy: ErrorPolicy, encode: Callable[[Record], Record] | None,
            inflight: InFlight, dead_letters: bool) -> Callable[[list[Chunk]], list[Any]]:
    def route(chunks: list[Chunk]) -> list[Any]:
        out: list[Any] = []
        for c in chunks:
            # Records that will not reach the sink (dropped, failed) leave the in-flight count here.
            sent = len(c.batch) if c.batch is not None and c._records is None else len(c.records)
            if c.read_count != sent:
                inflight.taken(c.key, c.read_count - sent)
            if c.failed and dead_letters:
                out.append((c.key, DeadLetterBatch(dead_letter_record(f, policy, encode) for f in c.failed)))
            if c.batch is not None and c._records is None and c.encoded is not None:
                out.append((c.key, SinkBatch([], None, c.encoded, c.batch)))  # records stay unbuilt
            elif c.records:
                if c.originals is None and c.encoded is None:
                    out.append((c.key, c.records))
                else:
                    out.append((c.key, SinkBatch(c.records, c.originals, c.encoded)))
            elif not c.failed or not dead_letters:
                # Nothing of this batch reaches the sink: an empty batch still wakes the sink partition,
                # whose flush then publishes the source position past these records.
                out.append((c.key, []))
        return out

    return route


def _json_converter(is_key: bool) -> Converter:
    from pyconnect_flow.converters import create_converter

    return create_converter("org.apache.kafka.connect.json.JsonConverter", {}, is_key)


def build_flow(
    source: RecordSource,
    sink: RecordSink,
    *,
    name: str = "pipeline",
    transforms: Sequence[TransformFn] | TransformFn = (),
    key_converter: Converter | None = None,
    value_converter: Converter | None = None,
    errors: ErrorReporter | None = None,
    dead_letter_sink: RecordSink | None = None,
    flow_id: str = FLOW_ID,
) -> Dataflow:
    """A new Dataflow holding one pipeline (see `add_pipeline`)."""
    flow = Dataflow(flow_id)
    add_pipeline(flow, name, source, sink, transforms=transforms, key_converter=key_converter,
                 value_converter=value_converter, errors=errors, dead_letter_sink=dead_letter_sink)
    return flow


# from Kafka Connect configs -------------------------------------------------

def add_connector(flow: Dataflow, spec: Any, *, stop_at_end: bool = False, preflight: bool = True) -> None:
    """Add the pipeline of one validated connector (`runtime.spec.ConnectorSpec`) to `flow`."""
    from pyconnect_flow.connectors.connector import ConnectorContext
    from pyconnect_flow.connectors.kafka import KafkaSink, KafkaSource
    from pyconnect_flow.connectors.kafka_clients import client_config
    from pyconnect_flow.converters import create_converter
    from pyconnect_flow.converters.headers import create_header_converter
    from pyconnect_flow.dead_letters import DeadLetterQueue

    policy = ErrorPolicy.from_values(spec.config)
    reporter = ErrorReporter(spec.name, policy)
    create = str(spec.worker.get("topic.creation.enable", "true")).lower() == "true"
    producer_conf = client_config(spec.worker, "producer", spec.config.with_prefix("producer.override."))
    ctx = ConnectorContext(spec.name, spec.config, spec.worker, stop_at_end, reporter)
    if policy.dlq_topic:
        ctx.dead_letters = DeadLetterQueue(producer_conf, policy, spec.name, create_topics=create)
    connector = spec.connector(ctx)
    source: RecordSource
    sink: RecordSink
    if spec.kind == "source":
        source = connector.source()
        topic = spec.config.get("topic")
        sink = KafkaSink(producer_conf, create_topics=create, connector=spec.name, errors=reporter,
                         preflight_topics=[topic] if isinstance(topic, str) and topic else [],
                         dead_letters=ctx.dead_letters)
    else:
        consumer_conf = client_config(spec.worker, "consumer", spec.config.with_prefix("consumer.override."))
        source = KafkaSource(consumer_conf, topics=spec.config.get("topics") or None,
                             topics_regex=spec.config.get("topics.regex") or None,
                             group_id=f"connect-{spec.name}", stop_at_end=stop_at_end)
        sink = _ReportingSink(connector.sink(), ctx) if policy.dlq_topic or policy.tolerate_all else connector.sink()
    key_name, key_conf = spec.converter("key")
    value_name, value_conf = spec.converter("value")
    key_converter = create_converter(key_name, key_conf, True)
    value_converter = create_converter(value_name, value_conf, False)
    header_converter = create_header_converter(*spec.header_converter())
    if ctx.dead_letters is not None:
        ctx.dead_letters.encode = Encoder(key_converter, value_converter, reporter, header_converter).encode_one
    transform = None
    if spec.config.get("transforms"):
        from pyconnect_flow.transforms import from_config

        transform = from_config(spec.raw)
    dlq_sink = None
    if policy.dlq_topic:
        dlq_sink = KafkaSink(dead_letter_producer_config(producer_conf), topic=policy.dlq_topic,
                             keep_partition=False, create_topics=create,
                             connector=spec.name, errors=reporter, preflight_topics=[policy.dlq_topic])
    if preflight:
        source.preflight()
        sink.preflight()
        if dlq_sink is not None:
            dlq_sink.preflight()
    add_pipeline(flow, spec.name, source, sink, transforms=transform or (), key_converter=key_converter,
                 value_converter=value_converter, errors=reporter, dead_letter_sink=dlq_sink,
                 header_converter=header_converter)


def connectors_flow(specs: Iterable[Any], *, stop_at_end: bool = False, preflight: bool = True,
                    flow_id: str = FLOW_ID) -> Dataflow:
    """One Dataflow running every connector, as independent branches."""
    flow = Dataflow(flow_id)
    seen: dict[str, str] = {}
    for spec in specs:
        prefix = step_name(spec.name)
        if prefix in seen:
            raise ValueError(f"Connector names {seen[prefix]!r} and {spec.name!r} map to the same step id {prefix!r}")
        seen[prefix] = spec.name
        add_connector(flow, spec, stop_at_end=stop_at_end, preflight=preflight)
    return flow


def connector_flow(config: Mapping[str, str], worker: Mapping[str, str] | None = None, *,
                   stop_at_end: bool = False, preflight: bool = True) -> Dataflow:
    """A Dataflow for one Kafka Connect connector config (validated; ConfigException lists every bad key)."""
    from pyconnect_flow.runtime.spec import validate_connector, validate_worker

    worker_raw, _ = validate_worker(worker or {})
    spec = validate_connector(config, worker_raw)
    return connectors_flow([spec], stop_at_end=stop_at_end, preflight=preflight)
