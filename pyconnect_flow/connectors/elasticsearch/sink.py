"""`ElasticsearchSink`: records → Elasticsearch `_bulk` requests, durable at every flush.

Each sink partition (a Kafka topic-partition) has an `ElasticsearchWriter` that turns records
into pre-encoded bulk actions and sends a request whenever `batch.size` actions or
`bulk.size.bytes` bytes are pending (or the oldest waited `linger.ms`). Requests run on a
thread pool shared by the sink's partitions, at most `max.in.flight.requests` at once, and are
settled in the order they were sent (`contract.pipelined.PipelinedWriter`); a write blocks while that many are outstanding (for at most `flush.timeout.ms`), which also
bounds the buffered records (`max.buffered.records` >= batch.size x max.in.flight.requests).

`flush()` — at every epoch boundary, before Bytewax stores the source offsets — sends what is
pending and waits until Elasticsearch acknowledged every request, so what the stored offsets
cover is in the index. Replays after a crash rewrite the same ids (and external versions make
an older record lose to a newer one), so the index ends up as if each record was written once.
In upsert mode a request waits for earlier requests of its partition touching the same ids.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import orjson

from pyconnect_flow.connectors.elasticsearch.bulk import BulkSender, ItemFailure
from pyconnect_flow.connectors.elasticsearch.columns import ColumnDocuments, ColumnRow
from pyconnect_flow.connectors.elasticsearch.config import EsSinkSettings
from pyconnect_flow.connectors.elasticsearch.documents import BulkItem, DocumentBuilder
from pyconnect_flow.connectors.elasticsearch.http import EsConnectionError, EsHttp, EsResponse
from pyconnect_flow.connectors.elasticsearch.mapping import build_mapping, is_empty_mapping
from pyconnect_flow.contract.pipelined import PipelinedWriter, Request, Waiting
from pyconnect_flow.contract.retry import RetriesExhausted
from pyconnect_flow.contract.sink import RecordSink, SinkBatch
from pyconnect_flow.data.exceptions import ConnectException, DataException
from pyconnect_flow.errors import RetriableError
from pyconnect_flow.kafka_columns import DecodedColumns
from pyconnect_flow.record import Record

log = logging.getLogger(__name__)

TASK_CLASS = "io.confluent.connect.elasticsearch.ElasticsearchSinkTask"


class ElasticsearchSinkError(ConnectException):
    """The sink cannot go on (an index could not be created, a malformed document with `fail`, ...)."""


class _Shared:
    """What the partitions of one sink share in a process: connections, threads, known indices."""

    def __init__(self, settings: EsSinkSettings, connector: str) -> None:
        self.settings = settings
        self.connector = connector
        self.http = EsHttp(settings)
        self.retry = settings.retry
        self.sender = BulkSender(self.http, retry=self.retry, upsert=settings.upsert, connector=connector)
        self.pool = ThreadPoolExecutor(settings.max_in_flight, thread_name_prefix=f"es-bulk-{connector}")
        self.slots = threading.BoundedSemaphore(settings.max_in_flight)
        self.ready: set[str] = set()
        self.lock = threading.Lock()

    def call(self, what: str, method: str, path: str, body: Any = None) -> EsResponse:
        """One admin request, retried as bulk requests are (connection errors, 429, 5xx)."""
        data = orjson.dumps(body) if body is not None else None

        def attempt() -> EsResponse:
            response = self.http.request(method, path, data)  # EsConnectionError is retriable
            if response.status == 429 or response.status >= 500:
                raise RetriableError(f"HTTP {response.status}")
            return response

        try:
            return self.retry.run(attempt, connector=self.connector, what=what, describe=str)
        except RetriesExhausted as out:
            raise ElasticsearchSinkError(f"Connector '{self.connector}': failed to {what} due to '{out.last}' "
                                         f"after {out.attempts} attempt(s)") from None

    def ensure_index(self, index: str, record: Record) -> None:
        """Create `index` if missing (and its mapping from the record's schema unless schemas are ignored)."""
        with self.lock:
            if index in self.ready:
                return
            from urllib.parse import quote

            path = "/" + quote(index, safe="")
            if not self.settings.resource_map:
                if self.call(f"check index '{index}'", "HEAD", path).status == 404:
                    created = self.call(f"create index '{index}'", "PUT", path)
                    if created.status >= 300 and b"resource_already_exists_exception" not in created.data:
                        raise ElasticsearchSinkError(
                            f"Connector '{self.connector}': could not create index '{index}': "
                            f"HTTP {created.status} {_error_text(created.data)}")
                    log.info("Connector '%s' created index '%s'", self.connector, index)
            if not self.settings.ignore_schema(record.topic):
                got = self.call(f"get the mapping of '{index}'", "GET", path + "/_mapping")
                current = orjson.loads(got.data) if got.status == 200 else {}
                if is_empty_mapping(current, index):
                    try:
                        mapping = build_mapping(record.value_schema)
                    except DataException as exc:
                        raise ElasticsearchSinkError(
                            f"Connector '{self.connector}': cannot create the mapping of index '{index}' from "
                            f"record {record.coordinates()}: {exc} Set schema.ignore=true to index schemaless "
                            "values with dynamic mapping.") from None
                    put = self.call(f"create the mapping of '{index}'", "PUT", path + "/_mapping", mapping)
                    if put.status >= 300:
                        raise ElasticsearchSinkError(
                            f"Connector '{self.connector}': could not create the mapping of index '{index}': "
                            f"HTTP {put.status} {_error_text(put.data)}")
            self.ready.add(index)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.http.close()


class ElasticsearchWriter(PipelinedWriter[BulkItem, frozenset[str], list[ItemFailure]]):
    """Writes the records of one sink partition as bulk requests (at most `max.in.flight.requests` of the
    sink's partitions in flight at once, settled in order; see `contract.pipelined`)."""

    def __init__(self, shared: _Shared, ctx: Any, partition: str) -> None:
        super().__init__(shared.pool, slots=shared.slots, timeout_s=shared.settings.flush_timeout_ms / 1000)
        self.shared = shared
        self.settings = shared.settings
        self.ctx = ctx
        self.partition = partition
        self.builder = DocumentBuilder(shared.settings)
        self.column_documents = ColumnDocuments(self.builder)
        # Records built from a batch of columns for the record path, whose dead letters need the messages
        # as read (`SinkBatch.columns` carries no originals): id(record) → original, until the flush.
        self._originals: dict[int, Record] = {}
        self.pending_bytes = 0
        self.pending_since = 0.0
        self.written = 0

    # writing -----------------------------------------------------------------------------

    def write(self, records: SinkBatch) -> None:
        self._settle(done_only=True)
        columns = getattr(records, "columns", None)  # plain lists of records are accepted too
        if columns is not None:
            if self._write_columns(columns):
                return
            records = self._as_records(columns)
        settings = self.settings
        build = self.builder.build
        batch_size, max_bytes = settings.batch_size, settings.bulk_size_bytes
        ready = self.shared.ready
        index_for = self.builder.index_for
        position = self._count(len(records)) - 1
        for record in records:
            position += 1
            try:
                index = index_for(record.topic)
                if index not in ready and record.value is not None:
                    self.shared.ensure_index(index, record)
                item = build(record)
            except DataException as exc:
                self._invalid(record, exc)
                continue
            if item is None:
                if record.value is None and settings.behavior_on_null_values == "ignore":
                    self._report_tolerated(record, ConnectException("Cannot write null valued record."))
                continue
            if not self.pending:
                self.pending_since = time.monotonic()
                self.pending_first = position
            self.pending.append(item)
            self.pending_bytes += len(item.data)
            if len(self.pending) >= batch_size or (max_bytes > 0 and self.pending_bytes >= max_bytes):
                self._send()
        if self.pending and time.monotonic() - self.pending_since >= settings.linger_ms / 1000:
            self._send()

    def _write_columns(self, columns: DecodedColumns) -> bool:
        """Buffer the bulk items of a batch of columns (see `columns`); False when the batch must take the
        record path (a null value, a key or value that does not convert)."""
        documents = self.column_documents
        if not len(columns) or not documents.writable(columns):
            return False
        index = self.builder.index_for(columns.topic)
        if index not in self.shared.ready:
            self.shared.ensure_index(index, documents.first_row(columns).record())
        items = documents.items(columns, index)
        if items is None:
            return False
        self._buffer_items(items, self._count(len(items)))
        return True

    def _buffer_items(self, items: list[BulkItem], first: int) -> None:
        """Add the items of consecutive records (the first at position `first`) to `pending`, sending a request
        whenever `batch.size` items or `bulk.size.bytes` bytes are pending, as `write` does item by item."""
        batch_size, max_bytes = self.settings.batch_size, self.settings.bulk_size_bytes
        start = 0
        while start < len(items):
            if not self.pending:
                self.pending_since = time.monotonic()
                self.pending_first = first + start
            room = batch_size - len(self.pending)
            chunk = items[start:start + room]
            if max_bytes > 0:
                # Stop after the item that reaches bulk.size.bytes, as the item-by-item loop does.
                total = self.pending_bytes
                for n, item in enumerate(chunk):
                    total += len(item.data)
                    if total >= max_bytes:
                        chunk = chunk[:n + 1]
                        break
                self.pending_bytes = total
            else:
                self.pending_bytes += sum([len(i.data) for i in chunk])
            self.pending.extend(chunk)
            start += len(chunk)
            if len(self.pending) >= batch_size or (max_bytes > 0 and self.pending_bytes >= max_bytes):
                self._send()
        if self.pending and time.monotonic() - self.pending_since >= self.settings.linger_ms / 1000:
            self._send()

    def _as_records(self, columns: DecodedColumns) -> SinkBatch:
        """The records of a batch of columns for the record path, their originals kept for dead letters."""
        records = columns.records()
        if self.ctx.reporter.policy.tolerate_all:
            self._originals.update(zip(map(id, records), columns.originals()))
        return SinkBatch(records)

    def _report(self, record: Record | ColumnRow, exc: BaseException) -> None:
        """`ctx.report` for a record of this writer, with the message as read from Kafka when the record was
        built from columns (the engine knows only the originals of batches of records)."""
        if isinstance(record, ColumnRow):
            original: Record | None = record.original()
            record = record.record()
        else:
            original = self._originals.get(id(record))
        if original is None:
            self.ctx.report(record, exc, TASK_CLASS)
            return
        table = self.ctx.originals
        table[id(record)] = original
        try:
            self.ctx.report(record, exc, TASK_CLASS)
        finally:
            table.pop(id(record), None)

    def flush(self) -> Any:
        state = super().flush()
        self._originals.clear()
        return state

    def _invalid(self, record: Record, exc: DataException) -> None:
        """A record that cannot become a document: drop it (drop.invalid.message) or report it."""
        if self.settings.drop_invalid_message:
            log.error("Connector '%s': can't convert %s. Failure type: %s", self.ctx.name, record.coordinates(),
                      type(exc).__name__)
            self._report_tolerated(record, exc)
            return
        self._report(record, exc)

    def _report_tolerated(self, record: Record | ColumnRow, exc: BaseException) -> None:
        """Send a record the sink chose to skip to the dead letter queue, when errors are tolerated."""
        if self.ctx.reporter.policy.tolerate_all:
            self._report(record, exc)

    def _request(self, items: list[BulkItem]) -> tuple[Callable[[], list[ItemFailure]], frozenset[str]]:
        self.pending_bytes = 0
        # A request waits for earlier ones touching the same documents, so operations on one document
        # apply in record order: an index and a later delete of one key must not race (external versions
        # would settle it only while the index still remembers the deleted version).
        ids = frozenset(i.doc_id for i in items if i.doc_id is not None)
        if ids:
            for request in list(self.in_flight):
                if not request.future.done() and not request.data.isdisjoint(ids):
                    self._await(request)
        return partial(self.shared.sender.send, items), ids

    def _timed_out(self, waiting: Waiting) -> Exception:
        ms = self.settings.flush_timeout_ms
        if waiting == "slot":
            return ElasticsearchSinkError(
                f"Connector '{self.ctx.name}': no bulk request finished within flush.timeout.ms ({ms} ms) while "
                f"{self.settings.max_in_flight} were in flight")
        return ElasticsearchSinkError(f"Connector '{self.ctx.name}': a bulk request was not acknowledged within "
                                      f"flush.timeout.ms ({ms} ms)")

    # completing ----------------------------------------------------------------------------

    def _settled(self, request: Request[BulkItem, frozenset[str], list[ItemFailure]]) -> None:
        failures = request.future.result()  # BulkRequestError: retries ran out, the task fails
        self.written += len(request.items) - len(failures)
        for failure in failures:
            self._item_failed(failure)

    def _item_failed(self, failure: ItemFailure) -> None:
        record = failure.item.record
        exc = ElasticsearchSinkError(failure.message())
        where = record.coordinates()
        if failure.kind == "malformed":
            behavior = self.settings.behavior_on_malformed_documents
            if behavior == "fail":
                self._report(record, exc)  # raises unless errors.tolerance=all
                raise ElasticsearchSinkError(
                    f"Connector '{self.ctx.name}': indexing record {where} failed: {failure.message()}. To ignore "
                    "future records like this, change the configuration 'behavior.on.malformed.documents' to "
                    "'ignore'.")
            level = logging.WARNING if behavior == "warn" else logging.DEBUG
            log.log(level, "Connector '%s': Elasticsearch rejected the document of %s as malformed (%s); "
                    "not indexing it", self.ctx.name, where, failure.error_type)
            self._report_tolerated(record, exc)
            return
        if failure.kind == "conflict":
            log.warning("Connector '%s': version conflict for %s of %s; not retried", self.ctx.name,
                        failure.item.op, where)
            self._report_tolerated(record, exc)
            return
        self._report(record, exc)
        raise ElasticsearchSinkError(f"Connector '{self.ctx.name}': indexing record {where} failed: "
                                     f"{failure.message()}")


class ElasticsearchSink(RecordSink):
    """Writes records to Elasticsearch indices named after their topics."""

    accepts_columns = True  # bulk items from `SinkBatch.columns` (see `columns`), records only where needed

    def __init__(self, settings: EsSinkSettings, ctx: Any) -> None:
        self.settings = settings
        self.ctx = ctx
        self._shared: _Shared | None = None
        self._lock = threading.Lock()

    def shared(self) -> _Shared:
        """The connections and threads of this sink in this process (made on first use)."""
        with self._lock:
            if self._shared is None:
                self._shared = _Shared(self.settings, self.ctx.name)
            return self._shared

    def preflight(self) -> None:
        """Check that Elasticsearch answers and is 7.0.0 or newer (403 counts as reachable, as Confluent)."""
        shared = self.shared()
        try:
            response = shared.http.request("GET", "/")
        except EsConnectionError as exc:
            raise ElasticsearchSinkError(f"Connector '{self.ctx.name}': could not connect to Elasticsearch: "
                                         f"{exc}") from None
        if response.status == 401:
            raise ElasticsearchSinkError(f"Connector '{self.ctx.name}': Elasticsearch at {shared.http.describe()} "
                                         "refused the credentials (HTTP 401)")
        if response.status == 200:
            try:
                number = str(orjson.loads(response.data)["version"]["number"])
                major = int(number.split(".")[0])
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                return
            if major < 7:
                raise ElasticsearchSinkError(f"Connector '{self.ctx.name}': Elasticsearch {number} is not supported; "
                                             "the connector needs 7.0.0 or newer")

    def open(self, partition: str, state: Any | None) -> ElasticsearchWriter:
        return ElasticsearchWriter(self.shared(), self.ctx, partition)


def _error_text(data: bytes) -> str:
    try:
        error = orjson.loads(data).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    if isinstance(error, dict):
        return f"[{error.get('type')}] {error.get('reason')}"
    return str(error or "")
