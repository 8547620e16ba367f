"""The per-batch stages of a pipeline: decode, transform, encode — with error handling.

Each stage takes a `Chunk` (records of one source partition, plus the
original raw records they came from, plus failures so far) and returns it
changed. A failing batch is retried record by record so that one bad record
is reported (and dead-lettered) alone while the rest go on: the record-by-record
work raises `errors.StageError` (the stage, the converter or transform that
raised, the exception), which is reported as that exception.
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
from pyconnect_flow.converters.json import JsonConverter
from pyconnect_flow.converters.json_columns import FlatColumns
from pyconnect_flow.errors import ErrorReporter, FailedRecord, RetriableError, Stage, StageError
from pyconnect_flow.kafka_columns import DecodedColumns, KafkaColumns
from pyconnect_flow.record import Record, SchemaHeader, new_record, with_data, with_headers
from pyconnect_flow.transforms.base import failing_transform
from pyconnect_flow.transforms.chain import Chain
from pyconnect_flow.transforms.columns import columns_form

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

    __slots__ = ("key", "_records", "batch", "columns", "originals", "failed", "encoded", "read_count")

    def __init__(self, key: str, records: list[Record] | ValueBatch | KafkaColumns | DecodedColumns,
                 originals: list[Record] | None, failed: list[FailedRecord] | None = None) -> None:
        self.key = key
        self.read_count = len(records)  # as read from the source (for backpressure accounting)
        # A ValueBatch or Kafka columns stay unbuilt until a stage needs records (see `batches`, `kafka_columns`).
        self.batch: ValueBatch | None = None
        self.columns: KafkaColumns | DecodedColumns | None = None
        self._records: list[Record] | None = None
        if isinstance(records, ValueBatch):
            self.batch = records
        elif isinstance(records, (KafkaColumns, DecodedColumns)):
            self.columns = records
        else:
            self._records = records
        self.originals = originals
        self.failed = failed if failed is not None else []
        self.encoded: Encoded | None = None

    @property
    def records(self) -> list[Record]:
        if self._records is None:
            if self.columns is not None:
                columns = self.columns
                self._records = columns.records()
                if isinstance(columns, DecodedColumns):
                    self.originals = columns.originals()
            else:
                assert self.batch is not None
                self._records = self.batch.records()
        return self._records

    @records.setter
    def records(self, records: list[Record]) -> None:
        self._records = records
        self.batch = None
        self.columns = None

    @property
    def unbuilt(self) -> ValueBatch | None:
        """The `ValueBatch` whose records no stage has built yet (None once built, or for record lists)."""
        return self.batch if self._records is None else None

    @property
    def unbuilt_columns(self) -> DecodedColumns | None:
        """The decoded Kafka columns whose records no stage has built yet (None once built, or otherwise)."""
        columns = self.columns
        return columns if self._records is None and isinstance(columns, DecodedColumns) else None

    def __len__(self) -> int:
        if self._records is not None:
            return len(self._records)
        if self.columns is not None:
            return len(self.columns)
        return len(self.batch) if self.batch is not None else 0


def _run(stage: Stage, plugin: object, function: Callable[..., T], *args: Any) -> T:
    """`function(*args)`; a failure is raised as `StageError(stage, plugin, failure)`."""
    try:
        return function(*args)
    except Exception as exc:
        raise StageError(stage, plugin, exc) from exc


def _retriable(exc: BaseException) -> bool:
    return isinstance(exc, StageError) and isinstance(exc.cause, RetriableError)


def _attempt(errors: ErrorReporter, one: Callable[[Record], T], record: Record) -> T:
    """`one(record)`, a retriable failure retried for up to `errors.retry.timeout`; raises the last `StageError`."""
    try:
        return one(record)
    except StageError as failure:
        if not _retriable(failure) or errors.policy.retry_timeout_ms == 0:
            raise
        policy = errors.policy
        retry = RetryPolicy.kafka_connect(policy.retry_timeout_ms, policy.retry_delay_max_ms, _retriable)
        try:
            return retry.run(partial(one, record), connector=errors.connector, what=f"stage {failure.stage.value}",
                             first_failure=failure)
        except RetriesExhausted as out:
            last = out.last
    raise last  # outside the handler: the failure keeps its own cause and context


def _report(errors: ErrorReporter, chunk: Chunk, record: Record, failure: StageError,
            original: Record | None = None) -> None:
    """Apply `errors.tolerance` to a record that failed (raises with `none`); keep it for the DLQ with `all`."""
    failed = errors.failed(failure.stage, record, failure.cause, _class_name(failure.plugin), original=original)
    if failed is not None:
        chunk.failed.append(failed)


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


def _convert_headers(r: Record, convert: Callable[..., Any], converter: HeaderConverter) -> Record:
    """`r` with each header value converted (`StageError` HEADER_CONVERTER on failure); `r` if it has none.

    A `SchemaHeader` gives its schema to the converter; a plain pair's schema is inferred."""
    if not r[7]:
        return r
    topic = r[0]
    try:
        headers = tuple([(h[0], convert(topic, h[0], h[1], h.schema) if type(h) is SchemaHeader
                          else convert(topic, h[0], h[1])) for h in r[7]])
    except Exception as exc:
        raise StageError(Stage.HEADER_CONVERTER, converter, exc) from exc
    return with_headers(r, headers)


def _no_columns(values: list[bytes | None]) -> FlatColumns | None:
    return None


class Decoder:
    """Bytes → Connect data with the key, value and header converters (the sink side of Kafka Connect)."""

    def __init__(self, key: Converter, value: Converter, errors: ErrorReporter,
                 headers: HeaderConverter | None = None, columnar: bool = True) -> None:
        self.key, self.value, self.errors = key, value, errors
        self.headers = _active(headers)
        self.columnar = columnar  # decode `KafkaColumns` into `DecodedColumns`, without records
        # Converters that can give flat struct keys and values as field columns (JsonConverter).
        self._as_columns: Callable[[list[bytes | None]], FlatColumns | None] = (
            value.to_connect_columns if type(value) is JsonConverter else _no_columns)
        self._keys_as_columns = key.to_connect_columns if type(key) is JsonConverter else _no_columns

    def _columns(self, raw: KafkaColumns) -> DecodedColumns | None:
        """`raw` decoded column by column; None when the batch must take the record path (a value or key
        that does not decode, headers to convert), which isolates and reports each failure as always."""
        if self.headers is not None and raw.has_headers():
            return None
        try:
            key_flat = self._keys_as_columns(raw.keys)
            keys = self.key.to_connect_batch(raw.topic, raw.keys) if key_flat is None else None
            flat = self._as_columns(raw.values)
            if flat is not None:
                return DecodedColumns(raw, keys, None, flat, key_flat=key_flat)
            values = self.value.to_connect_batch(raw.topic, raw.values)
        except Exception:  # noqa: BLE001 - redone record by record, which reports the bad one
            return None
        return DecodedColumns(raw, keys, values, key_flat=key_flat)

    def _one(self, r: Record) -> Record:
        ks, kv = _run(Stage.KEY_CONVERTER, self.key, self.key.to_connect, r.topic, r.key)
        vs, vv = _run(Stage.VALUE_CONVERTER, self.value, self.value.to_connect, r.topic, r.value)
        decoded = with_data(r, kv, vv, ks, vs)
        return decoded if self.headers is None else _convert_headers(decoded, self.headers.to_connect_header,
                                                                     self.headers)

    def __call__(self, chunk: Chunk) -> Chunk:
        columns = chunk.columns
        if self.columnar and chunk._records is None and isinstance(columns, KafkaColumns):
            as_columns = self._columns(columns)
            if as_columns is not None:
                chunk.columns = as_columns
                return chunk
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
            headers, convert = self.headers, self.headers.to_connect_header
            try:
                decoded = [_convert_headers(r, convert, headers) for r in decoded]
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
                decoded = _attempt(self.errors, self._one, r)
                out.append(decoded)
                originals.append(r)
            except StageError as failure:
                _report(self.errors, chunk, r, failure)
        chunk.records, chunk.originals = out, originals
        return chunk


class Transformer:
    """Applies one transform callable (a chain) to every record; None drops the record."""

    def __init__(self, transform: TransformFn, errors: ErrorReporter) -> None:
        self.transform, self.errors = transform, errors
        # A chain may have a faster callable doing the same (a fused, compiled one).
        self._map_one: TransformFn = transform.record_function() if isinstance(transform, Chain) else transform
        # and a columnar form, for decoded Kafka columns no stage has built records of (`transforms.columns`)
        self._columns = columns_form(transform)

    def _one(self, r: Record) -> Record | None:
        try:
            return self.transform(r)
        except Exception as exc:
            failed = failing_transform(exc)  # a chain names its stage that raised
            raise StageError(Stage.TRANSFORMATION, self.transform if failed is None else failed, exc) from exc

    def __call__(self, chunk: Chunk) -> Chunk:
        decoded = chunk.unbuilt_columns
        if decoded is not None and self._columns is not None:
            transformed = self._columns(decoded)
            if transformed is not None:
                chunk.columns = transformed
                return chunk
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
        chunk._records, chunk.batch, chunk.columns = out, None, None
        return chunk

    def _one_by_one(self, chunk: Chunk) -> Chunk:
        originals = chunk.originals
        out: list[Record] = []
        kept: list[Record] | None = [] if originals is not None else None
        for i, r in enumerate(chunk.records):
            try:
                t = _attempt(self.errors, self._one, r)
            except StageError as failure:
                _report(self.errors, chunk, r, failure, originals[i] if originals is not None else None)
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
        """`r` serialized; a failure raises `StageError` naming the stage and the converter."""
        k = _run(Stage.KEY_CONVERTER, self.key, self.key.from_connect, r.topic, r.key_schema, r.key)
        v = _run(Stage.VALUE_CONVERTER, self.value, self.value.from_connect, r.topic, r.value_schema, r.value)
        encoded = with_data(r, k, v, None, None)
        return encoded if self.headers is None else _convert_headers(encoded, self.headers.from_connect_header,
                                                                     self.headers)

    def __call__(self, chunk: Chunk) -> Chunk:
        batch = chunk.unbuilt
        if batch is not None:
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
                headers, convert = self.headers, self.headers.from_connect_header
                chunk.records = [_convert_headers(r, convert, headers) for r in recs]
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
                encoded = _attempt(self.errors, self.encode_one, r)
                out.append(encoded)
                kept.append(r if encoded[7] is r[7] else with_headers(r, encoded[7]))
                if kept_originals is not None and originals is not None:
                    kept_originals.append(originals[i])
            except StageError as failure:
                _report(self.errors, chunk, r, failure, originals[i] if originals is not None else None)
        chunk.records, chunk.originals = kept, kept_originals
        chunk.encoded = ([r[1] for r in out], [r[2] for r in out])
        return chunk
