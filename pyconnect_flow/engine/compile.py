"""Compiling connectors into Bytewax dataflows.

`add_pipeline` is the Python API: a `RecordSource`, transforms (any callables
`Record -> Record | None`), converters and a `RecordSink` become named steps
of a `bytewax.dataflow.Dataflow`::

    <name>_source → <name>_chunk → <name>_decode → <name>_transform → <name>_encode → <name>_route → <name>_sink

`connector_flow`/`connectors_flow` do the same from Kafka Connect configs.
Step ids and partition keys are part of the recovery contract: they derive
only from connector names and source partitions, so they stay stable across
versions and runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

import bytewax.operators as op
from bytewax.dataflow import Dataflow

from pyconnect_flow.connectors.kafka import KafkaSink, KafkaSource
from pyconnect_flow.connectors.kafka_clients import client_config
from pyconnect_flow.contract.connector import ConnectorContext
from pyconnect_flow.contract.sink import RecordSink, SinkBatch
from pyconnect_flow.contract.source import RecordSource
from pyconnect_flow.converters import create_converter
from pyconnect_flow.converters.base import Converter
from pyconnect_flow.converters.headers import HeaderConverter, create_header_converter
from pyconnect_flow.engine.adapters import Batch, BytewaxSink, BytewaxSource, DeadLetterBatch
from pyconnect_flow.engine.backpressure import InFlight
from pyconnect_flow.engine.bytewax_run import keep_positions_by_default
from pyconnect_flow.engine.control import initial_positions, position_publisher
from pyconnect_flow.engine.dead_letters import DeadLetterQueue, dead_letter_producer_config, dead_letter_record
from pyconnect_flow.engine.positions import Deliveries, PositionHolds
from pyconnect_flow.engine.reporting import ReportingSink
from pyconnect_flow.engine.spec import (
    UNREACHABLE_TIMEOUT_MS,
    ConnectorSpec,
    use_plugin_path,
    validate_connector,
    validate_worker,
)
from pyconnect_flow.engine.stages import Chunk, Decoder, Encoder, Transformer
from pyconnect_flow.engine.stop import stop_requested
from pyconnect_flow.engine.task_metrics import observe_errors, task_counts
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
from pyconnect_flow.record import Record
from pyconnect_flow.transforms import chain, from_config

FLOW_ID = "pyconnect"
TransformFn = Callable[[Record], "Record | None"]
COLUMNAR_ENV = "PYCONNECT_FLOW_COLUMNAR"


def columnar_default() -> bool:
    """Whether Kafka batches take the columnar path (`kafka_columns`) where the pipeline allows it: on,
    unless the environment sets `PYCONNECT_FLOW_COLUMNAR` to 0, false or off (the record path for all)."""
    return os.environ.get(COLUMNAR_ENV, "1").strip().lower() not in ("0", "false", "off", "no")


def _accepts_columns(sink: RecordSink) -> bool:
    inner = getattr(sink, "inner", sink)  # a ReportingSink wraps the connector's sink
    return bool(getattr(inner, "accepts_columns", False))


def step_name(connector_name: str) -> str:
    """A Bytewax-safe step prefix for a connector name (no periods)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", connector_name)


def _compose(transforms: Sequence[TransformFn]) -> TransformFn | None:
    if not transforms:
        return None
    if len(transforms) == 1:
        return transforms[0]
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
    track_topics: str | None = None,
    columnar: bool | None = None,
) -> None:
    """Add source → decode → transform → encode → sink steps named after `name` to `flow`.

    Converters are needed when the source gives raw bytes (Kafka) or the sink
    takes them (Kafka); they default to JsonConverter with schemas enabled, and
    `header_converter` to SimpleHeaderConverter.
    `dead_letter_sink` (a Kafka sink) receives records that failed and were
    tolerated when the error policy names a dead letter queue topic.
    `track_topics` ("source" or "sink"): which side's record topics are the connector's active topics
    (recorded when the process has a topics file, `engine.control.track_topics_file`).
    `columnar` (default: `columnar_default()`) lets the decode stage turn a Kafka source's `KafkaColumns`
    into `DecodedColumns`, handed unbuilt to sinks with `accepts_columns`; False keeps every batch on
    the record path.
    """
    prefix = step_name(name)
    if columnar is None:
        columnar = columnar_default()
    errors = errors or ErrorReporter(name, ErrorPolicy())
    if source.raw or sink.raw:
        key_converter = key_converter or _json_converter(is_key=True)
        value_converter = value_converter or _json_converter(is_key=False)
    transform = transforms if callable(transforms) else _compose(list(transforms))

    stages: list[tuple[str, Callable[[Chunk], Chunk]]] = []
    if source.raw:
        assert key_converter is not None and value_converter is not None
        stages.append(("decode", Decoder(key_converter, value_converter, errors, header_converter, columnar)))
    if transform is not None:
        stages.append(("transform", Transformer(transform, errors)))
    encoder = (Encoder(key_converter, value_converter, errors, header_converter)
               if key_converter and value_converter else None)
    if sink.raw:
        assert encoder is not None
        stages.append(("encode", encoder))

    holds = PositionHolds() if sink.holds_records else None
    inflight = InFlight()
    deliveries = Deliveries(position_publisher(name))
    counts = task_counts(name, "sink" if source.raw else "source")  # the task's metrics (engine.task_metrics)
    if errors.observer is None:
        observe_errors(errors, counts.kind)
    stream = op.input(f"{prefix}_source", flow, BytewaxSource(source, holds, inflight, deliveries,
                                                                   initial_positions(name), counts,
                                                                   track_topics=track_topics == "source"))
    chunks = op.flat_map_batch(f"{prefix}_chunk", stream, _to_chunks)
    for stage_name, stage in stages:
        chunks = op.flat_map_batch(f"{prefix}_{stage_name}", chunks, _each(stage))
    dlq_encode = encoder.encode_one if encoder is not None else None
    policy = errors.policy
    dlq = dead_letter_sink if policy.dlq_topic else None
    items = op.flat_map_batch(f"{prefix}_route", chunks, _router(policy, dlq_encode, inflight, dlq is not None,
                                                                 columnar and _accepts_columns(sink),
                                                                 isinstance(sink, ReportingSink)))
    # Dead letters go through the sink step, in their source partition's sink partition: one flush makes
    # both durable before the source position is published (`engine.positions.Deliveries`).
    op.output(f"{prefix}_sink", items, BytewaxSink(sink, source.partitions, holds, inflight, deliveries, dlq,
                                                          counts, track_topics=track_topics == "sink"))


def _unreachable_timeout_s(worker: Mapping[str, str]) -> float | None:
    """`kafka.unreachable.timeout.ms` in seconds (None: 0, wait for ever)."""
    ms = int(worker.get("kafka.unreachable.timeout.ms", UNREACHABLE_TIMEOUT_MS))
    return ms / 1000 if ms > 0 else None


def _to_chunks(batches: list[Batch]) -> list[Chunk]:
    return [Chunk(key, records, None) for key, records in batches]


def _each(stage: Callable[[Chunk], Chunk]) -> Callable[[list[Chunk]], list[Chunk]]:
    def run(chunks: list[Chunk]) -> list[Chunk]:
        return [stage(c) for c in chunks]

    return run


def _router(policy: ErrorPolicy, encode: Callable[[Record], Record] | None,
            inflight: InFlight, dead_letters: bool,
            columns: bool = False, originals: bool = True) -> Callable[[list[Chunk]], list[tuple[str, SinkBatch]]]:
    """The route step: each chunk becomes its sink batch (records, or decoded columns when `columns`: the
    sink accepts them) and its dead letters. `originals` False: the sink never reports single records
    (no `ReportingSink`), so records built from decoded columns go without the raw records they came from."""
    def route(chunks: list[Chunk]) -> list[tuple[str, SinkBatch]]:
        out: list[tuple[str, SinkBatch]] = []
        for c in chunks:
            # Records that will not reach the sink (dropped, failed) leave the in-flight count here.
            sent = len(c)
            if c.read_count != sent:
                inflight.taken(c.key, c.read_count - sent)
            if c.failed and dead_letters:
                out.append((c.key, DeadLetterBatch(dead_letter_record(f, policy, encode) for f in c.failed)))
            if c.unbuilt is not None and c.encoded is not None:
                out.append((c.key, SinkBatch((), None, c.encoded, c.unbuilt)))  # records stay unbuilt
            elif columns and sent and c.unbuilt_columns is not None:
                out.append((c.key, SinkBatch(columns=c.unbuilt_columns)))  # decoded columns, no records
            elif not originals and sent and (decoded := c.unbuilt_columns) is not None:
                out.append((c.key, SinkBatch(decoded.records())))  # one record per message, no originals
            elif sent:
                out.append((c.key, SinkBatch(c.records, c.originals, c.encoded)))
            elif not c.failed or not dead_letters:
                # Nothing of this batch reaches the sink: an empty batch still wakes the sink partition,
                # whose flush then publishes the source position past these records.
                out.append((c.key, SinkBatch()))
        return out

    return route


def _json_converter(is_key: bool) -> Converter:
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

def add_connector(flow: Dataflow, spec: ConnectorSpec, *, stop_at_end: bool = False,
                  preflight: bool = True) -> None:
    """Add the pipeline of one validated connector (`engine.spec.ConnectorSpec`) to `flow`."""
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
                             group_id=f"connect-{spec.name}", stop_at_end=stop_at_end,
                             should_stop=stop_requested, unreachable_timeout_s=_unreachable_timeout_s(spec.worker),
                             columnar=columnar_default())
        sink = ReportingSink(connector.sink(), ctx) if policy.dlq_topic or policy.tolerate_all else connector.sink()
    key_name, key_conf = spec.converter("key")
    value_name, value_conf = spec.converter("value")
    key_converter = create_converter(key_name, key_conf, True)
    value_converter = create_converter(value_name, value_conf, False)
    header_converter = create_header_converter(*spec.header_converter())
    if ctx.dead_letters is not None:
        ctx.dead_letters.encode = Encoder(key_converter, value_converter, reporter, header_converter).encode_one
    transform = None
    if spec.config.get("transforms"):
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
                 header_converter=header_converter,
                 # Kafka Connect's active topics: those a source connector writes, those a sink connector reads.
                 track_topics="sink" if spec.kind == "source" else "source")


def connectors_flow(specs: Iterable[ConnectorSpec], *, stop_at_end: bool = False, preflight: bool = True,
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
    """A Dataflow for one Kafka Connect connector config (validated; ConfigException lists every bad key).

    Run by `python -m bytewax.run` without `-r`, it keeps its positions anyway (see `engine.bytewax_run`)."""
    worker_raw, worker_values = validate_worker(worker or {})
    use_plugin_path(worker_values)
    spec = validate_connector(config, worker_raw)
    flow = connectors_flow([spec], stop_at_end=stop_at_end, preflight=preflight)
    keep_positions_by_default(spec.name, worker_raw)
    return flow
