"""`SqlSink`: Kafka records → rows of SQL tables, exactly once, through SQLAlchemy.

Each sink partition (a Kafka topic-partition) has a `SqlSinkWriter`. `write` buffers; `flush`
(the epoch boundary) returns only once everything written before it is committed:

1. records become rows (`RowPlan` per schema pair); within a batch, records with the same key
   collapse to the last one (a tombstone before a later write of the key deletes first);
2. tables are created / evolved (own short DDL transaction, before the data transaction);
3. one data transaction per batch: deletes, then per table and column set one batched write
   (PostgreSQL: COPY into a staging table + one INSERT … ON CONFLICT / UPDATE … FROM; others:
   executemany), each inside a SAVEPOINT. A batch failing because of some rows' data is bisected
   down to the bad rows, which go to `ctx.report` (errors.tolerance, dead letter queue); the rest
   is written;
4. in insert mode the partition's high-water mark (last Kafka offset written) is stored in the
   table `pyconnect_sink_offsets` in the same transaction, and records at or below it are skipped
   on replay. Upserts (by key or by topic/partition/offset) are idempotent by themselves.

A batch is what the epoch brought, except on PostgreSQL when a partition buffers `PIPELINE_CHUNK`
records before the epoch ends: that chunk is prepared here and written and committed by a pool
thread while the flow decodes the next records (`flush` waits for it; `contract.pipelined`). On other databases a
buffer of `MAX_BUFFERED` records is committed early. Committing before the epoch ends is safe for
the same reason a replay is: writes are idempotent, or skipped below the high-water mark.

Batches of decoded Kafka columns (`SinkBatch.columns`, `RecordSink.accepts_columns`) of flat struct values
skip the records on PostgreSQL: they become `columns.ColumnPiece`s (row columns), a chunk of pieces collapses by
key column-wise and is written as text COPY data built in bulk (`copy_text`), then the same one statement. A
batch the pieces cannot carry (tombstones, logical types, schemaless values, a replay below the high-water
mark) builds its records; a chunk with such records, or whose columnar write fails (a row PostgreSQL refuses,
a table to evolve that cannot be), is written from records, which isolates and reports the rows at fault with
the messages as read from Kafka (kept by the writer: a batch of columns carries no originals).

So after a crash the replayed records overwrite or are skipped: exactly-once results. Lost
connections, serialization failures, deadlocks and locked databases roll back and retry the
batch after `retry.backoff.ms`, up to `max.retries` times, then stop the connector. Permanent
errors (unknown database or table, failed login, syntax) stop it at once (`engine.is_retriable`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pyconnect_flow.config.definition import secret_text, setting
from pyconnect_flow.connectors.sql.columns import ColumnPiece, collapse, part_columns, piece_of
from pyconnect_flow.connectors.sql.config import SINK_CONFIG, names, safe_url, zone_info
from pyconnect_flow.connectors.sql.copy_text import NATURAL_OIDS, copy_text
from pyconnect_flow.connectors.sql.engine import (
    create_engine,
    describe_error,
    is_database_error,
    is_retriable,
    is_row_error,
)
from pyconnect_flow.connectors.sql.rows import Planner, RowPlan, Settings
from pyconnect_flow.connectors.sql.tables import TableId, TableInfo, TableManager, table_id
from pyconnect_flow.connectors.sql.writers import BatchWriter, Row, writer_for
from pyconnect_flow.contract.pipelined import PipelinedWriter, Request
from pyconnect_flow.contract.retry import Jitter, RetriesExhausted, RetryPolicy
from pyconnect_flow.contract.sink import RecordSink, SinkBatch
from pyconnect_flow.data.exceptions import ConnectException, DataException
from pyconnect_flow.kafka_columns import DecodedColumns
from pyconnect_flow.record import Record

MAX_BUFFERED = 200_000
"""Records buffered by one writer before it commits early (keeps memory flat in long epochs)."""

PIPELINE_CHUNK = 25_000
"""PostgreSQL: records per chunk written (COPY, merge, commit) by a pool thread while the flow decodes more."""

OFFSETS_TABLE = "pyconnect_sink_offsets"
_BISECT_ROWS = 8

Report = Callable[[Record, BaseException], None]


def _quoted(mode: str) -> bool:
    return mode.lower() == "always"


@dataclass(frozen=True, kw_only=True)
class SqlSinkSettings:
    """The typed sink keys: each field names its key in `config.SINK_CONFIG`, whose default it takes;
    `url` (from `connection.url`, `connection.user` and `connection.password`) and `connector` are given."""

    url: Any
    connector: str = "sql-sink"
    insert_mode: str = setting(SINK_CONFIG, "insert.mode", str.lower)
    pk_mode: str = setting(SINK_CONFIG, "pk.mode", str.lower)
    pk_fields: tuple[str, ...] = setting(SINK_CONFIG, "pk.fields", names)
    fields_whitelist: frozenset[str] = setting(SINK_CONFIG, "fields.whitelist", lambda v: frozenset(names(v)))
    table_name_format: str = setting(SINK_CONFIG, "table.name.format")
    auto_create: bool = setting(SINK_CONFIG, "auto.create")
    auto_evolve: bool = setting(SINK_CONFIG, "auto.evolve")
    delete_enabled: bool = setting(SINK_CONFIG, "delete.enabled")
    batch_size: int = setting(SINK_CONFIG, "batch.size")
    quote_identifiers: bool = setting(SINK_CONFIG, "quote.sql.identifiers", _quoted)
    max_retries: int = setting(SINK_CONFIG, "max.retries")
    retry_backoff_ms: int = setting(SINK_CONFIG, "retry.backoff.ms")
    db_timezone: str = setting(SINK_CONFIG, "db.timezone")
    replace_null_with_default: bool = setting(SINK_CONFIG, "replace.null.with.default")
    secret: str | None = setting(SINK_CONFIG, "connection.password", secret_text, repr=False)

    @property
    def retry(self) -> RetryPolicy:
        """`max.retries` retries of transient failures (`engine.is_retriable`), each after `retry.backoff.ms`."""
        return RetryPolicy(first_delay_ms=self.retry_backoff_ms, max_retries=self.max_retries, multiplier=1,
                           jitter=Jitter.NONE, retriable=is_retriable)

    @property
    def uses_offsets_table(self) -> bool:
        """Insert mode is not idempotent by itself: it skips replayed offsets with a high-water mark."""
        return self.insert_mode == "insert"


class SqlSink(RecordSink):
    """Writes records to SQL tables (see the module docstring); one engine per process."""

    accepts_columns = True  # PostgreSQL: rows from `SinkBatch.columns` (see `columns`), records only where needed

    def __init__(self, settings: SqlSinkSettings, report: Report | None = None) -> None:
        self.settings = settings
        self.report = report
        self._engine: Any = None
        self._tables: TableManager | None = None
        self._lock = threading.Lock()
        self._offsets_ready = False
        self._offsets_table: Any = None
        self._pool: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update(_engine=None, _tables=None, _lock=None, _offsets_ready=False, _offsets_table=None,
                     _pool=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def engine(self) -> Any:
        """The SQLAlchemy engine, created on first use."""
        with self._lock:
            if self._engine is None:
                self._engine = create_engine(self.settings.url)
            return self._engine

    @property
    def tables(self) -> TableManager:
        """The table manager shared by this sink's writers."""
        engine = self.engine
        with self._lock:
            if self._tables is None:
                s = self.settings
                self._tables = TableManager(engine, auto_create=s.auto_create, auto_evolve=s.auto_evolve,
                                            quote=s.quote_identifiers)
            return self._tables

    @property
    def pool(self) -> Any:
        """Threads that run PostgreSQL statements while the flow decodes the next records."""
        with self._lock:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sql-sink")
            return self._pool

    def describe(self, exc: BaseException) -> str:
        """An error's text without secrets."""
        return describe_error(exc, self.settings.url, self.settings.secret)

    def preflight(self) -> None:
        import sqlalchemy as sa

        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except Exception as exc:
            raise ConnectException(
                f"Connector '{self.settings.connector}': could not connect to database "
                f"{safe_url(self.settings.url)}: {self.describe(exc)}") from None

    @property
    def offsets_table(self) -> Any:
        """The high-water-mark table (connector, partition) → last Kafka offset written."""
        import sqlalchemy as sa

        if self._offsets_table is None:
            self._offsets_table = sa.Table(
                OFFSETS_TABLE, sa.MetaData(),
                sa.Column("connector", sa.String(255), primary_key=True),
                sa.Column("partition", sa.String(512), primary_key=True),
                sa.Column("offset", sa.BigInteger, nullable=False))
        return self._offsets_table

    def ensure_offsets_table(self) -> Any:
        """The high-water-mark table, created if missing (in its own transaction)."""
        table = self.offsets_table
        if not self._offsets_ready:
            with self.engine.begin() as conn:
                table.create(conn, checkfirst=True)
            self._offsets_ready = True
        return table

    def open(self, partition: str, state: Any | None) -> SqlSinkWriter:
        return SqlSinkWriter(self, partition, state)


Item = tuple[RowPlan, Row, Record]
"""A row to write (or a key to delete), its plan and the record it comes from."""

Buffered = Record | ColumnPiece
"""What a writer buffers: records, or the rows of a batch of decoded columns."""


@dataclass
class _TextWrite:
    """The COPY text of the rows of one plan (key columns first), after collapsing by key."""

    tid: TableId
    plan: RowPlan
    text: str


class _NotColumnar(Exception):  # noqa: N818 - a carrier, never shown
    """The table's column types are not those the COPY text was written for: the record path writes it."""

    def __init__(self, where: tuple[TableId, RowPlan]) -> None:
        super().__init__("not columnar")
        self.where = where


@dataclass
class _TableBatch:
    """What one flush writes to one table, per plan."""

    deletes: dict[RowPlan, list[Item]] = field(default_factory=dict)
    writes: dict[RowPlan, list[Item]] = field(default_factory=dict)


class _Intolerable(Exception):  # noqa: N818 - a carrier, never shown
    """A record failed with errors.tolerance=none, in a pool thread: the flow's thread reports it."""

    def __init__(self, record: Record, exc: BaseException) -> None:
        super().__init__(str(exc))
        self.record = record
        self.exc = exc


def _group(into: dict[RowPlan, list[Item]], items: list[Item]) -> None:
    """Add items to their plan's list (one plan, the usual case, costs no loop)."""
    if not items:
        return
    first = items[0][0]
    if all(item[0] is first for item in items):
        into.setdefault(first, []).extend(items)
        return
    for item in items:
        into.setdefault(item[0], []).append(item)


Deferred = list[tuple[Record, BaseException]]
"""Failures of single records tolerated in a pool thread, reported by the flow's thread once the chunk settled."""
ChunkData = tuple["int | None", Deferred]
"""What settling a chunk needs: its last Kafka offset (the high-water mark it commits) and its deferred reports."""


class SqlSinkWriter(PipelinedWriter[Buffered, ChunkData, None]):
    """Buffers one partition's records and writes them in one transaction per chunk (see the module docstring).

    On PostgreSQL one chunk at a time is written by a pool thread while the flow goes on; elsewhere a chunk is
    written at once, in the flow's thread (`contract.pipelined.PipelinedWriter` without a pool).
    """

    def __init__(self, sink: SqlSink, partition: str, state: Any | None) -> None:
        pipelined = sink.engine.dialect.name == "postgresql"
        super().__init__(sink.pool if pipelined else None, max_in_flight=1)
        self._chunk = PIPELINE_CHUNK if pipelined else MAX_BUFFERED
        self.sink = sink
        self.settings = sink.settings
        self.partition = partition
        self._hwm: int = -1
        if isinstance(state, dict) and state.get("hwm") is not None:
            self._hwm = int(state["hwm"])
        self._hwm_loaded = not self.settings.uses_offsets_table
        s = self.settings
        self.planner = Planner(Settings(s.pk_mode, s.pk_fields, s.fields_whitelist, s.replace_null_with_default,
                                        zone_info(s.db_timezone)))
        self._tables: dict[str, TableId] = {}
        self._writer: BatchWriter | None = None
        self._pending_rows = 0  # messages in `pending` (a piece holds a batch of them)
        # Records built from decoded columns → the messages as read (a batch of columns carries no originals),
        # for dead letters; kept until their chunk settled.
        self._originals: dict[int, Record] = {}
        self._not_columnar: set[tuple[TableId, RowPlan]] = set()  # tables whose column types COPY text does not fit

    # SinkWriter -------------------------------------------------------------

    def write(self, batch: SinkBatch) -> None:
        if not self._hwm_loaded:
            self._load_hwm()
        records: list[Record] = batch
        columns = getattr(batch, "columns", None)  # plain lists of records are accepted too
        if columns is not None:
            piece = self._piece(columns)
            if piece is not None:
                self._buffer([piece], self._count(len(piece)))
                self._pending_rows += len(piece)
                if self._pending_rows >= self._chunk:
                    self._send()
                return
            records = self._built(batch, columns)
        first = self._count(len(records))
        hwm = self._hwm
        if hwm >= 0 and records and records[0].offset is not None and records[0].offset <= hwm:
            # a replay: records at or below the high-water mark are written already
            kept = [i for i, r in enumerate(records) if r.offset is None or r.offset > hwm]
            if kept:
                self._buffer([records[i] for i in kept], first + kept[0])
                self._pending_rows += len(kept)
        else:
            self._buffer(records, first)
            self._pending_rows += len(records)
        if self._pending_rows >= self._chunk:
            self._send()

    def flush(self) -> Any:
        super().flush()
        self._originals.clear()
        return {"hwm": self._hwm} if self.settings.uses_offsets_table else None

    def close(self) -> None:
        self._abandon(wait=True)
        self._pending_rows = 0
        self._originals.clear()

    # decoded columns --------------------------------------------------------

    def _piece(self, columns: DecodedColumns) -> ColumnPiece | None:
        """The batch's rows as columns, or None when its records must be built (see the module docstring)."""
        if self.pool is None or not len(columns) or columns.flat is None:
            return None
        if self._hwm >= 0 and columns.raw.offsets[0] <= self._hwm:
            return None  # a replay: the record path skips what is written already
        return piece_of(columns, self._table(columns.topic), self.planner)

    def _built(self, batch: SinkBatch, columns: DecodedColumns) -> list[Record]:
        """The records of a batch of columns, their originals kept for dead letters until they settle."""
        records = batch.records()
        if getattr(self.sink.report, "tolerate_all", False):
            self._keep_originals(records, columns.originals())
        return records

    def _keep_originals(self, records: list[Record], originals: list[Record]) -> None:
        # only a tolerated failure becomes a dead letter, the one place the message as read is needed
        if getattr(self.sink.report, "tolerate_all", False):
            self._originals.update(zip(map(id, records), originals))

    def _records(self, items: list[Buffered]) -> list[Record]:
        """The records of buffered items (pieces build theirs, once, keeping their originals)."""
        if not any(type(i) is ColumnPiece for i in items):
            return items  # type: ignore[return-value]
        out: list[Record] = []
        for item in items:
            if type(item) is ColumnPiece:
                built, originals = item.records()
                self._keep_originals(built, originals)
                out.extend(built)
            else:
                out.append(item)  # type: ignore[arg-type]
        return out

    def _forget_originals(self, items: list[Buffered]) -> None:
        """Drop the originals kept for the records of a settled chunk."""
        if not self._originals:
            return
        pop = self._originals.pop
        for item in items:
            if type(item) is ColumnPiece:
                if item._records is not None:
                    for r in item._records[0]:
                        pop(id(r), None)
            else:
                pop(id(item), None)

    def _report(self, record: Record, exc: BaseException) -> None:
        """`sink.report`, with the message as read from Kafka for a record built from decoded columns."""
        report = self.sink.report
        assert report is not None
        original = self._originals.get(id(record))
        table = getattr(getattr(report, "ctx", None), "originals", None)
        if original is None or table is None:
            report(record, exc)
            return
        table[id(record)] = original
        try:
            report(record, exc)
        finally:
            table.pop(id(record), None)

    def _prepare_columns(self, pieces: list[ColumnPiece]) -> list[_TextWrite] | None:
        """The COPY text per table and plan of a chunk of pieces, collapsed by key as `_prepare` collapses
        records (over plans with the same key columns); None when a column has no exact text form."""
        keyed = self.settings.pk_mode != "none"
        groups: dict[tuple[Any, ...], list[ColumnPiece]] = {}
        for p in pieces:
            groups.setdefault((p.tid, p.plan.key_names) if keyed else (p.tid, p.plan), []).append(p)
        writes: list[_TextWrite] = []
        for group in groups.values():
            parts = collapse(group) if keyed else [(p, None) for p in group]
            by_plan: dict[RowPlan, list[Any]] = {}
            for part in parts:
                by_plan.setdefault(part[0].plan, []).append(part)
            for plan, plan_parts in by_plan.items():
                tid = plan_parts[0][0].tid
                if (tid, plan) in self._not_columnar:
                    return None
                text = copy_text([c.schema.type for c in plan.columns], part_columns(plan_parts))
                if text is None:
                    return None
                writes.append(_TextWrite(tid, plan, text))
        return writes

    def _write_columns(self, writes: list[_TextWrite], chunk: list[Buffered], last: int | None,
                       fail: Report) -> None:
        """Write a chunk's COPY texts in one transaction; on a failure that is not transient, write the chunk
        from its records instead (which isolates and reports the rows at fault)."""
        from pyconnect_flow.connectors.sql.writers import PostgresCopyWriter

        try:
            tables = self.sink.tables
            infos = {(w.tid, w.plan): tables.ensure(w.tid, w.plan.columns) for w in writes}
            with self.sink.engine.begin() as conn:
                if self._writer is None:
                    self._writer = writer_for(conn.dialect.name, self.settings.batch_size)
                writer = self._writer
                assert isinstance(writer, PostgresCopyWriter)
                mode = self.settings.insert_mode
                for w in writes:
                    info = infos[(w.tid, w.plan)]
                    lower = info.lower_names
                    names = [lower[n.lower()] for n in w.plan.names]
                    oids = [NATURAL_OIDS[c.schema.type] for c in w.plan.columns]
                    if not writer.write_text(conn, info.table, mode, names, names[: w.plan.key_count], w.text, oids):
                        raise _NotColumnar((w.tid, w.plan))
                if last is not None and self.settings.uses_offsets_table:
                    self._store_hwm(conn, max(self._hwm, last))
            return
        except _NotColumnar as other:
            self._not_columnar.add(other.where)
        except Exception as exc:
            self.sink.tables.forget()
            if is_retriable(exc):
                raise  # retried from records by _settled, as a chunk of records is
        self._write_prepared(self._prepare(self._records(chunk), fail), last, fail)

    # internals --------------------------------------------------------------

    def _load_hwm(self) -> None:
        import sqlalchemy as sa

        def load() -> None:
            table = self.sink.ensure_offsets_table()
            with self.sink.engine.connect() as conn:
                stored = conn.execute(sa.select(table.c.offset).where(
                    table.c.connector == self.settings.connector, table.c.partition == self.partition)).scalar()
            if stored is not None:
                # The target may be one commit ahead of the recovery store: the larger mark wins.
                self._hwm = max(self._hwm, int(stored))

        self._retry("read the sink offsets table", load)
        self._hwm_loaded = True

    def _table(self, topic: str) -> TableId:
        tid = self._tables.get(topic)
        if tid is None:
            engine = self.sink.engine
            max_len = getattr(engine.dialect, "max_identifier_length", None) or 63
            tid = table_id(self.settings.table_name_format, topic, max_len,
                           lowercase=not self.settings.quote_identifiers)
            self._tables[topic] = tid
        return tid

    def _retry(self, what: str, operation: Callable[[], Any], first_failure: BaseException | None = None) -> Any:
        """`operation()`, retried as `max.retries`/`retry.backoff.ms` say; a ConnectException (no SQL, no
        secrets) when retries run out or the failure is permanent."""
        s = self.settings
        forget = self.sink.tables.forget

        def attempt() -> Any:
            try:
                return operation()
            except Exception:
                forget()  # a failed transaction may have left the table cache stale
                raise

        if first_failure is not None:
            forget()
        try:
            return s.retry.run(attempt, connector=s.connector, what=what, describe=self.sink.describe,
                               first_failure=first_failure)
        except RetriesExhausted as out:
            raise ConnectException(
                f"Connector '{s.connector}' failed to {what} in {safe_url(s.url)} after {s.max_retries} "
                f"retries: {self.sink.describe(out.last)}") from None
        except Exception as exc:
            self._fail_permanently(what, exc)
            raise

    def _fail_permanently(self, what: str, exc: Exception) -> None:
        """Raise a database error that is not worth retrying as a ConnectException (no SQL, no parameters)."""
        if is_database_error(exc):
            s = self.settings
            raise ConnectException(f"Connector '{s.connector}' failed to {what} in {safe_url(s.url)}: "
                                   f"{self.sink.describe(exc)} (a permanent error: not retried)") from None

    def _request(self, chunk: list[Buffered]) -> tuple[Callable[[], None], ChunkData]:
        """The chunk's rows and what writing them takes.

        On PostgreSQL the rows are prepared here (Python work); the database work (COPY, merge, commit) runs
        in the pool while the flow decodes the next records. One chunk per writer is in flight, so chunks
        commit in order; each is one transaction holding its rows and, in insert mode, the high-water mark.
        No transaction stays open between calls: writers never wait on each other.
        """
        self._pending_rows = 0
        # offsets ascend within a partition: the last record with one holds the high-water mark
        last = next((r.last_offset if isinstance(r, ColumnPiece) else r.offset for r in reversed(chunk)
                     if isinstance(r, ColumnPiece) or r.offset is not None), None)
        if self.pool is None:
            return partial(self._write_once, chunk, last), (last, [])
        report = self.sink.report
        tolerate = report is not None and getattr(report, "tolerate_all", False)
        deferred: Deferred = []

        def fail(record: Record, exc: BaseException) -> None:
            if report is None:
                raise exc
            if not tolerate:
                raise _Intolerable(record, exc)  # reported by the flow's thread, in _settled
            deferred.append((record, exc))

        if type(chunk[0]) is ColumnPiece and all(type(i) is ColumnPiece for i in chunk):
            writes = self._prepare_columns(chunk)  # type: ignore[arg-type]
            if writes is not None:
                return partial(self._write_columns, writes, chunk, last, fail), (last, deferred)
        try:
            batches = self._prepare(self._records(chunk), fail)
        except _Intolerable as bad:
            self._report(bad.record, bad.exc)  # raises (errors.tolerance=none)
            raise
        return partial(self._write_prepared, batches, last, fail), (last, deferred)

    def _write_prepared(self, batches: dict[TableId, _TableBatch], last: int | None, fail: Report) -> None:
        infos = self._ensure_tables(batches, fail)
        try:
            with self.sink.engine.begin() as conn:
                self._apply_all(conn, batches, infos, fail)
                if last is not None and self.settings.uses_offsets_table:
                    self._store_hwm(conn, max(self._hwm, last))
        except Exception:
            self.sink.tables.forget()
            raise

    def _settled(self, request: Request[Buffered, ChunkData, None]) -> None:
        """The chunk is committed: move the high-water mark and report what was tolerated; a retriable
        failure of its first attempt is retried here, in the flow's thread."""
        last, deferred = request.data
        try:
            request.future.result()
        except _Intolerable as bad:
            self._report(bad.record, bad.exc)  # raises (errors.tolerance=none)
            raise
        except Exception as exc:
            self._retry("write records", partial(self._write_once, request.items, last), first_failure=exc)
            deferred = []
        if last is not None and self.settings.uses_offsets_table:
            self._hwm = max(self._hwm, last)
        for record, failure in deferred:
            self._report(record, failure)
        self._forget_originals(request.items)

    def _write_once(self, items: list[Buffered], last_offset: int | None) -> None:
        records = self._records(items)
        report = self.sink.report
        tolerate = report is not None and getattr(report, "tolerate_all", False)
        deferred: list[tuple[Record, BaseException]] = []

        def fail(record: Record, exc: BaseException) -> None:
            if report is None:
                raise exc
            if tolerate:
                deferred.append((record, exc))
            else:
                self._report(record, exc)

        batches = self._prepare(records, fail)
        infos = self._ensure_tables(batches, fail)
        engine = self.sink.engine
        try:
            with engine.begin() as conn:
                self._apply_all(conn, batches, infos, fail)
                if last_offset is not None and self.settings.uses_offsets_table:
                    self._store_hwm(conn, max(self._hwm, last_offset))
        except Exception:
            self.sink.tables.forget()
            raise
        for record, exc in deferred:
            self._report(record, exc)

    def _apply_all(self, conn: Any, batches: dict[TableId, _TableBatch],
                   infos: dict[tuple[TableId, RowPlan], TableInfo], fail: Report) -> None:
        """Per table: deletes, then writes, each plan's rows in one batched statement (with bad-row isolation)."""
        if self._writer is None:
            self._writer = writer_for(conn.dialect.name, self.settings.batch_size)
        for tid, batch in batches.items():
            for plan, items in batch.deletes.items():
                self._apply(conn, tid, infos, plan, items, fail, delete=True)
            for plan, items in batch.writes.items():
                self._apply(conn, tid, infos, plan, items, fail, delete=False)

    def _prepare(self, records: list[Record], fail: Report) -> dict[TableId, _TableBatch]:
        """(plan, row, record) triples per table and plan; the same key collapses to its last record."""
        s = self.settings
        keyed = s.pk_mode != "none"
        infer_keys = s.pk_mode == "record_key"
        planner = self.planner
        # keyed modes: (table, key columns) → {key: (plan, row, record)}, and the same for deletes;
        # otherwise (table, plan) → [(plan, row, record), ...] in order
        writes: dict[tuple[TableId, tuple[str, ...]], dict[tuple[Any, ...], Item]] = {}
        deletes: dict[tuple[TableId, tuple[str, ...]], dict[tuple[Any, ...], Item]] = {}
        plain: dict[tuple[TableId, RowPlan], list[Item]] = {}
        last_topic: str | None = None
        tid: Any = None
        ks_last: Any = object()
        vs_last: Any = object()
        plan: Any = None
        row_of: Any = None
        bucket: Any = None
        kc = 0
        for r in records:
            try:
                if r.topic != last_topic:
                    tid, last_topic = self._table(r.topic), r.topic
                    ks_last = vs_last = object()
                if r.value is None:
                    if not s.delete_enabled:
                        raise DataException("record value is null (a tombstone) and delete.enabled=false")
                    if r.key is None:
                        raise DataException("a tombstone needs a key to delete by (pk.mode=record_key)")
                    dplan = planner.plan(planner.schemas(r)[0], None)
                    key = dplan.key(r)
                    where = (tid, dplan.key_names)
                    written = writes.get(where)
                    if written is not None:
                        written.pop(key, None)  # a write earlier in the batch is superseded
                    deletes.setdefault(where, {})[key] = (dplan, key, r)
                    continue
                ks, vs = r.key_schema, r.value_schema
                if ks is not ks_last or vs is not vs_last or vs is None or (infer_keys and ks is None):
                    plan = planner.plan(*planner.schemas(r))
                    ks_last, vs_last = ks, vs
                    row_of, kc = plan.row, plan.key_count
                    if keyed:
                        bucket = writes.setdefault((tid, plan.key_names), {})
                    else:
                        bucket = plain.setdefault((tid, plan), [])
                row = row_of(r)
            except Exception as exc:  # noqa: BLE001 - one record's problem, reported alone
                ks_last = vs_last = object()
                fail(r, exc)
                continue
            if keyed:
                bucket[row[:kc]] = (plan, row, r)
            else:
                bucket.append((plan, row, r))
        batches: dict[TableId, _TableBatch] = {}
        for (t, _), keyed_items in deletes.items():
            for item in keyed_items.values():
                batches.setdefault(t, _TableBatch()).deletes.setdefault(item[0], []).append(item)
        for (t, _), keyed_items in writes.items():
            _group(batches.setdefault(t, _TableBatch()).writes, list(keyed_items.values()))
        for (t, _), items in plain.items():
            _group(batches.setdefault(t, _TableBatch()).writes, items)
        return batches

    def _ensure_tables(self, batches: dict[TableId, _TableBatch], fail: Report) -> dict[tuple[TableId, RowPlan],
                                                                                          TableInfo]:
        """Create or evolve each table for each plan; records of plans that cannot be written are reported."""
        from pyconnect_flow.connectors.sql.tables import TableAlterOrCreateException
        from pyconnect_flow.connectors.sql.types import UnsupportedSchema

        infos: dict[tuple[TableId, RowPlan], TableInfo] = {}
        tables = self.sink.tables
        for tid, batch in batches.items():
            for group in (batch.writes, batch.deletes):
                for plan in list(group):
                    try:
                        infos[(tid, plan)] = tables.ensure(tid, plan.columns)
                    except (TableAlterOrCreateException, UnsupportedSchema) as exc:
                        for _, _, rec in group.pop(plan):
                            fail(rec, exc)
        return infos

    def _apply(self, conn: Any, tid: TableId, infos: dict[tuple[TableId, RowPlan], TableInfo], plan: RowPlan,
               items: list[Item], fail: Report, delete: bool) -> None:
        info = infos[(tid, plan)]
        lower = info.lower_names
        names = [lower[n.lower()] for n in plan.names]
        keys = names[: plan.key_count]
        writer = self._writer
        assert writer is not None
        mode = self.settings.insert_mode

        def run(part: list[Item]) -> None:
            rows = [item[1] for item in part]
            if delete:
                writer.delete(conn, info.table, keys, rows)
            else:
                writer.write(conn, info.table, mode, names, keys, rows)

        self._isolate(conn, run, items, fail)

    def _isolate(self, conn: Any, run: Callable[[list[Item]], None], items: list[Item], fail: Report) -> None:
        """Run `run(items)` in a savepoint; on a data error, bisect to the bad rows and report them."""
        savepoint = conn.begin_nested()
        try:
            run(items)
        except Exception as exc:
            savepoint.rollback()
            if not is_row_error(exc):
                raise
            if len(items) == 1:
                fail(items[0][2], DataException(f"Cannot write the record to table: {self.sink.describe(exc)}"))
                return
            if len(items) <= _BISECT_ROWS:
                for item in items:
                    self._isolate(conn, run, [item], fail)
                return
            half = len(items) // 2
            self._isolate(conn, run, items[:half], fail)
            self._isolate(conn, run, items[half:], fail)
            return
        savepoint.commit()

    def _store_hwm(self, conn: Any, offset: int) -> None:
        table = self.sink.offsets_table
        dialect = conn.dialect.name
        values = {"connector": self.settings.connector, "partition": self.partition, "offset": offset}
        if dialect in ("postgresql", "sqlite"):
            from sqlalchemy.dialects import postgresql, sqlite

            stmt: Any = (postgresql if dialect == "postgresql" else sqlite).insert(table).values(values)
            conn.execute(stmt.on_conflict_do_update(index_elements=["connector", "partition"],
                                                    set_={"offset": stmt.excluded.offset}))
            return
        import sqlalchemy as sa

        updated = conn.execute(sa.update(table).where(table.c.connector == values["connector"],
                                                      table.c.partition == values["partition"])
                               .values(offset=offset))
        if updated.rowcount == 0:
            conn.execute(sa.insert(table).values(values))
