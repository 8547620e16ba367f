"""The per-batch stages of a pipeline: decode, transform, encode — with error handling.

Each stage takes a `Chunk` (records of one source partition, plus the
original raw records they came from, plus failures so far) and returns it
changed. A failing batch is retried record by record so that one bad record
is reported (and dead-lettered) alone while the rest go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from operator import itemgetter
from typing import Any, TypeVar, cast

from pyconnect_flow.batches import ValueBatch
from pyconnect_flow.contract.retry import RetriesExhausted, RetryPolicy
from pyconnect_flow.contract.sink import Encoded
from pyconnect_flow.converters.base import Converter
from pyconnect_flow.converters.headers import HeaderConverter
from pyconnect_flow.errors import ErrorReporter, FailedRecord, Stage
from pyconnect_flow.record import Record, new_record

TransformFn = Callable[[Record], "Record | None"]
T = TypeVar("T")


class Chunk:
    """Records of one source partition on their way through the stages.

    `originals[i]` is the record as read for `records[i]` (kept only for
    sources of raw bytes, so dead letters carry the bytes as they arrived).
    `encoded`, once the encode stage ran, holds the serialized keys and values
    of `records` (which keep their Connect data: building a second record per
    message costs as much as producing it).
    """

    __slots__ = ("key", "_records", "batch", "originals", "failed", "encoded", "read_count")

    def __init__(self, key: str, records: list[Record] | ValueBatch, originals: list[Record] | None,
                 failed: list[FailedRecord] | None = None) -> None:
        self.key = key
        self.read_count = len(records)  # as read from the source (for backpressure accounting)
        # A ValueBatch stays unbuilt until a stage needs records (see `batches`).
        self.batch: ValueBatch | None
        self._records: list[Record] | None
        if isinstance(records, ValueBatch):
            self.batch, self._records = records, None
        else:
            self.batch, self._records = None, records
        self.originals = originals
        self.failed = failed if failed is not None else []
        self.encoded: Encoded | None = None

    @property
    def records(self) -> list[Record]:
        if self._records is None:
            assert self.batch is not None
            self._records = self.batch.records()
        return self._records

    @records.setter
    def records(self, records: list[Record]) -> None:
        self._records = records
        self.batch = None

    @property
    def unbuilt(self) -> ValueBatch | None:
        """The `ValueBatch` whose records no stage has built yet (None once built, or for record lists)."""
        return self.batch if self._records is None else None

    def __len__(self) -> int:
        return len(self.batch) if self._records is None and self.batch is not None else len(self.records)


def _retry(errors: ErrorReporter, exc: Exception, stage: Stage, operation: Callable[[], T]) -> T:
    """`operation` failed once with `exc`: retry it as `errors.retry.*` say (Kafka Connect's
    RetryWithToleranceOperator); the last failure itself is raised when that is not retriable or time runs out."""
    policy = errors.policy
    retry = RetryPolicy.kafka_connect(policy.retry_timeout_ms, policy.retry_delay_max_ms)
    try:
        return retry.run(operation, connector=errors.connector, what=f"stage {stage.value}", first_failure=exc)
    except RetriesExhausted as out:
        last = out.last
    raise last  # outside the handler: the failure keeps its own cause and context


def _class_name(obj: Any) -> str:
    if isinstance(obj, HeaderConverter):
        return obj.class_name()
    cls = obj if isinstance(obj, type) else type(obj)
    if cls.__name__ == "function":
        return getattr(obj, "__qualname__", "function")
    return f"{cls.__module__}.{cls.__qualname__}"


_headers_of = itemgetter(7)


def _active(headers: HeaderConverter | None) -> HeaderConverter | None:
    """The header converter the stages apply: none for the default, whose work the Kafka sink does."""
    return None if headers is None or headers.raw else headers


def _convert_headers(r: Record, convert: Callable[[str, str, Any], Any]) -> Record:
    """`r` with each header value converted (Stage HEADER_CONVERTER on failure); `r` if it has none."""
    if not r[7]:
        return r
    topic = r[0]
    try:
        headers = tuple([(name, convert(topic, name, value)) for name, value in r[7]])
    except Exception as exc:
        exc.__dict__.setdefault("_pcf_stage", Stage.HEADER_CONVERTER)
        raise
    return r._replace(headers=headers)


def _converter_for(stage: Stage, key: Converter, value: Converter, headers: HeaderConverter | None) -> Any:
    if stage is Stage.KEY_CONVERTER:
        return key
    if stage is Stage.HEADER_CONVERTER and headers is not None:
        return headers
    return value


class Decoder:
    """Bytes → Connect data with the key, value and header converters (the sink side of Kafka Connect)."""

    def __init__(self, key: Converter, value: Converter, errors: ErrorReporter,
                 headers: HeaderConverter | None = None) -> None:
        self.key, self.value, self.errors = key, value, errors
        self.headers = _active(headers)

    def _one(self, r: Record) -> Record:
        try:
            ks, kv = self.key.to_connect(r.topic, r.key)
        except Exception as exc:
            exc.__dict__.setdefault("_pcf_stage", Stage.KEY_CONVERTER)
            raise
        try:
            vs, vv = self.value.to_connect(r.topic, r.value)
        except Exception as exc:
            exc.__dict__.setdefault("_pcf_stage", Stage.VALUE_CONVERTER)
            raise
        decoded = Record(r.topic, kv, vv, r.partition, r.offset, ks, vs, r.headers, r.timestamp,
                         r.source_partition, r.source_offset)
        return decoded if self.headers is None else _convert_headers(decoded, self.headers.to_connect_header)

    def __call__(self, chunk: Chunk) -> Chunk:
        raw = chunk.records
        topics = [r.topic for r in raw]
        try:
            keys = self.key.to_connect_batch(topics, [r.key for r in raw])
            values = self.value.to_connect_batch(topics, [r.value for r in raw])
        except Exception:
            return self._slow(chunk)
        decoded = [
            new_record((r[0], kv, vv, r[3], r[4], ks, vs, r[7], r[8], r[9], r[10]))
            for r, (ks, kv), (vs, vv) in zip(raw, keys, values)
        ]
        if self.headers is not None and any(map(_headers_of, decoded)):
            convert = self.headers.to_connect_header
            try:
                decoded = [_convert_headers(r, convert) for r in decoded]
            except Exception:
                return self._slow(chunk)
        chunk.records = decoded
        chunk.originals = raw
        return chunk

    def _slow(self, chunk: Chunk) -> Chunk:
        out: list[Record] = []
        originals: list[Record] = []
        for r in chunk.records:
            try:
                try:
                    decoded = self._one(r)
                except Exception as first:
                    decoded = _retry(self.errors, first, Stage.VALUE_CONVERTER, partial(self._one, r))
                out.append(decoded)
                originals.append(r)
            except Exception as exc:
                stage = exc.__dict__.get("_pcf_stage", Stage.VALUE_CONVERTER)
                conv = _converter_for(stage, self.key, self.value, self.headers)
                failed = self.errors.failed(stage, r, exc, _class_name(conv))
                if failed is not None:
                    chunk.failed.append(failed)
        chunk.records, chunk.originals = out, originals
        return chunk


class Transformer:
    """Applies one transform callable (a chain) to every record; None drops the record."""

    def __init__(self, transform: TransformFn, errors: ErrorReporter) -> None:
        self.transform, self.errors = transform, errors
        # A chain may have a faster callable doing the same (a fused, compiled one).
        record_function = getattr(transform, "record_function", None)
        self._map_one: TransformFn = record_function() if callable(record_function) else transform

    def __call__(self, chunk: Chunk) -> Chunk:
        records = chunk.records
        try:
            results = list(map(self._map_one, records))
        except Exception:  # noqa: BLE001 - redone record by record, which reports the bad one
            return self._one_by_one(chunk)
        if any(t is None for t in results):
            if chunk.originals is not None:
                originals = chunk.originals
                chunk.originals = [originals[i] for i, t in enumerate(results) if t is not None]
            out = [t for t in results if t is not None]
        else:
            out = cast("list[Record]", results)  # none was dropped
        chunk._records, chunk.batch = out, None
        return chunk

    def _one_by_one(self, chunk: Chunk) -> Chunk:
        transform = self.transform
        originals = chunk.originals
        out: list[Record] = []
        kept: list[Record] | None = [] if originals is not None else None
        for i, r in enumerate(chunk.records):
            try:
                try:
                    t = transform(r)
                except Exception as first:
                    t = _retry(self.errors, first, Stage.TRANSFORMATION, partial(transform, r))
            except Exception as exc:
                failed = self.errors.failed(Stage.TRANSFORMATION, r, exc, _class_name(getattr(exc, "transform", transform)),
                                            original=originals[i] if originals is not None else None)
                if failed is not None:
                    chunk.failed.append(failed)
                continue
            if t is not None:
                out.append(t)
                if kept is not None and originals is not None:
                    kept.append(originals[i])
        chunk.records, chunk.originals = out, kept
        return chunk


class Encoder:
    """Connect data → bytes with the key, value and header converters (the source side of Kafka Connect).

    Header values are converted here unless the header converter is the default (then the Kafka sink
    writes them); records with converted headers replace the chunk's records.
    """

    def __init__(self, key: Converter, value: Converter, errors: ErrorReporter,
                 headers: HeaderConverter | None = None) -> None:
        self.key, self.value, self.errors = key, value, errors
        self.headers = _active(headers)

    def encode_one(self, r: Record) -> Record:
        try:
            k = self.key.from_connect(r.topic, r.key_schema, r.key)
        except Exception as exc:
            exc.__dict__.setdefault("_pcf_stage", Stage.KEY_CONVERTER)
            raise
        try:
            v = self.value.from_connect(r.topic, r.value_schema, r.value)
        except Exception as exc:
            exc.__dict__.setdefault("_pcf_stage", Stage.VALUE_CONVERTER)
            raise
        encoded = Record(r.topic, k, v, r.partition, r.offset, None, None, r.headers, r.timestamp,
                         r.source_partition, r.source_offset)
        return encoded if self.headers is None else _convert_headers(encoded, self.headers.from_connect_header)

    def __call__(self, chunk: Chunk) -> Chunk:
        if chunk.batch is not None and chunk._records is None:
            batch = chunk.batch
            try:
                values = self.value.from_connect_values(batch.topic, batch.value_schema, batch.values)
            except Exception:
                return self._slow(chunk)
            chunk.encoded = (None, values)  # keys: all null, and a null key encodes to null bytes
            if self.key.from_connect(batch.topic, None, None) is not None:
                chunk.encoded = (self.key.from_connect_batch(batch.topic, [(None, None)] * len(batch)), values)
            return chunk
        recs = chunk.records
        if not recs:
            return chunk
        topic0 = recs[0][0]
        all_topics = [r[0] for r in recs]
        topics: str | Sequence[str] = topic0 if all_topics.count(topic0) == len(all_topics) else all_topics
        try:
            keys = self.key.from_connect_batch(topics, [(r[5], r[1]) for r in recs])
            values = self.value.from_connect_batch(topics, [(r[6], r[2]) for r in recs])
            if self.headers is not None and any(map(_headers_of, recs)):
                convert = self.headers.from_connect_header
                chunk.records = [_convert_headers(r, convert) for r in recs]
        except Exception:
            return self._slow(chunk)
        chunk.encoded = (keys, values)
        return chunk

    def _slow(self, chunk: Chunk) -> Chunk:
        out: list[Record] = []
        kept: list[Record] = []
        kept_originals: list[Record] | None = [] if chunk.originals is not None else None
        originals = chunk.originals
        for i, r in enumerate(chunk.records):
            try:
                try:
                    encoded = self.encode_one(r)
                except Exception as first:
                    encoded = _retry(self.errors, first, Stage.VALUE_CONVERTER, partial(self.encode_one, r))
                out.append(encoded)
                kept.append(r if encoded[7] is r[7] else r._replace(headers=encoded[7]))
                if kept_originals is not None and originals is not None:
                    kept_originals.append(originals[i])
            except Exception as exc:
                stage = exc.__dict__.get("_pcf_stage", Stage.VALUE_CONVERTER)
                conv = _converter_for(stage, self.key, self.value, self.headers)
                failed = self.errors.failed(stage, r, exc, _class_name(conv),
                                            original=originals[i] if originals is not None else None)
                if failed is not None:
                    chunk.failed.append(failed)
        chunk.records, chunk.originals = kept, kept_originals
        chunk.encoded = ([r[1] for r in out], [r[2] for r in out])
        return chunk
