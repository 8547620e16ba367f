"""`S3PartitionWriter`: the records of one Kafka topic-partition into S3 objects, rotated as Confluent does.

This is Confluent's `TopicPartitionWriter` state machine. One file is open per
encoded partition; before each record it checks, in order:

1. the value schema differs from the open file's (schema.compatibility=NONE);
2. record time (`rotate.interval.ms`, TimeBased partitioners): the record is
   `rotate.interval.ms` past the first record since the last commit, or goes
   to another encoded partition than the last record; wall clock
   (`rotate.schedule.interval.ms`): the next scheduled time has passed;

and any of these commits *every* open file, then the record opens a new one.
After the write, `flush.size` records (over all open files) commit them all.
An object's key is `<topics.dir>/<topic>/<encoded partition>/<topic>+<partition>+<first offset>.<ext>`,
so file boundaries and names depend on offsets and record times only.

Crash safety (the reason `RecordSink.holds_records` is set): an open file is
not durable until it is committed, so the runtime never stores a source
position past `durable_position()` (the first offset of the oldest open file).
After a crash the open files' records are read again and rebuilt into the same
objects; `flush()` only has to make *committed* files durable, and its state
(`{"committed": offset}`) lets a replay skip what is already in S3.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyconnect_flow.connectors.s3.config import S3SinkSettings
from pyconnect_flow.connectors.s3.formats import Format, RecordWriter
from pyconnect_flow.connectors.s3.partitioners import (
    DefaultPartitioner,
    FieldPartitioner,
    Partitioner,
    PartitionException,
)
from pyconnect_flow.connectors.s3.rows import Rows
from pyconnect_flow.connectors.s3.storage import S3Error, S3OutputStream, S3Storage
from pyconnect_flow.connectors.s3.timeformat import next_scheduled_rotation, zone
from pyconnect_flow.contract.sink import SinkBatch, SinkWriter
from pyconnect_flow.data.exceptions import ConnectException, DataException
from pyconnect_flow.data.schema import Type
from pyconnect_flow.kafka_columns import DecodedColumns
from pyconnect_flow.record import Record

log = logging.getLogger(__name__)


@dataclass
class OpenFile:
    """An object being written: its key, first offset, value schema, stream and encoder."""

    key: str
    start_offset: int
    schema: Any
    stream: S3OutputStream
    writer: RecordWriter
    pending: list[Record]


class S3PartitionWriter(SinkWriter):
    """Writes one sink partition (a Kafka topic-partition) into rotating S3 objects."""

    def __init__(self, settings: S3SinkSettings, storage: S3Storage, fmt: Format, partitioner: Partitioner,
                 ctx: Any, partition: str, state: Any | None, clock: Any = time.time) -> None:
        self.s = settings
        self.storage = storage
        self.format = fmt
        self.partitioner = partitioner
        self.ctx = ctx
        self.partition = partition
        self.clock = clock
        self.files: dict[tuple[str, int, str], OpenFile] = {}
        self.record_count = 0
        self.base_ts: int | None = None
        self.last_encoded: str | None = None
        self.committed: int | None = (state or {}).get("committed")
        self.skip_below = self.committed if self.committed is not None else -1
        self.last_offset: int | None = None
        self.time_rotation = settings.rotate_interval_ms > 0 and settings.time_based
        self.schedule_ms = settings.rotate_schedule_interval_ms
        self.tz = zone(settings.timezone) if settings.timezone else dt.timezone.utc
        self.next_schedule = self._next_schedule() if self.schedule_ms > 0 else None
        self.fast = isinstance(partitioner, DefaultPartitioner) and not self.time_rotation and self.schedule_ms <= 0
        self.lock = threading.Lock()
        """Held by every call: with rotate.schedule.interval.ms, a timer thread commits idle files (`tick`)."""
        self.failure: BaseException | None = None
        # Unfinished uploads of this partition can only be left by a process that died: abort them.
        self._abort_stale_uploads()

    # keys ---------------------------------------------------------------------------------

    def object_key(self, topic: str, partition: int, encoded: str, start_offset: int) -> str:
        """`[topics.dir/]<topic>/<encoded>/<topic>+<partition>+<padded start offset><ext>`."""
        s = self.s
        name = f"{topic}{s.file_delim}{partition}{s.file_delim}{start_offset:0{s.zero_pad_width}d}"
        path = self.partitioner.path(topic, encoded)
        prefix = f"{s.topics_dir}{s.directory_delim}" if s.topics_dir else ""
        return f"{prefix}{path}{s.directory_delim}{name}{self.format.extension}"

    def _abort_stale_uploads(self) -> None:
        topic, _, number = self.partition.rpartition("-")
        if not topic or not number.isdigit():
            return
        s = self.s
        prefix = f"{s.topics_dir}{s.directory_delim}{topic}{s.directory_delim}" if s.topics_dir \
            else f"{topic}{s.directory_delim}"
        mine = f"{topic}{s.file_delim}{number}{s.file_delim}"
        aborted = self.storage.abort_uploads(prefix, keep=lambda key: not key.rsplit(s.directory_delim, 1)[-1]
                                             .startswith(mine))
        if aborted:
            log.info("Aborted %d unfinished upload(s) of %s left by an earlier run", aborted, self.partition)

    # rotation -----------------------------------------------------------------------------

    def _next_schedule(self) -> int:
        return next_scheduled_rotation(self.tz, int(self.clock() * 1000), self.schedule_ms)

    def _scheduled(self, now_ms: int) -> bool:
        """The scheduled rotation time has passed with records written (with none, the schedule moves on)."""
        if self.next_schedule is None or now_ms < self.next_schedule:
            return False
        if self.record_count == 0:
            self.next_schedule = self._next_schedule()
            return False
        return True

    def _rotate_on_schedule(self) -> None:
        self.commit_all()
        self.next_schedule = self._next_schedule()

    def tick(self) -> None:
        """Commit the open files if the rotation schedule has passed (called by the sink's timer thread,
        so files close on time even when no record arrives, as Confluent's periodic `put()` does)."""
        with self.lock:
            if self.failure is None and self._scheduled(int(self.clock() * 1000)):
                try:
                    self._rotate_on_schedule()
                except BaseException as exc:  # surfaced by the next write or flush, on the dataflow's thread
                    self.failure = exc

    def _check_failure(self) -> None:
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure

    def write(self, records: SinkBatch) -> None:
        with self.lock:
            self._check_failure()
            try:
                self._write(records)
            except BaseException:
                self.broken = True
                raise

    def _write(self, records: list[Record]) -> None:
        if isinstance(records, SinkBatch) and records.columns is not None:
            if self._write_columns(records):
                return
            records = records.records()  # this batch takes the record path
        if not records:
            return
        if records[-1].offset is not None and records[-1].offset < self.skip_below:
            self.last_offset = records[-1].offset
            return
        now_ms = int(self.clock() * 1000)
        if self._scheduled(now_ms):
            self._rotate_on_schedule()
        if self.fast:
            self._write_fast(records)
        else:
            self._write_general(records, now_ms)

    def _accept(self, r: Record) -> bool:
        """False for records to skip: already committed before a crash, or null values under `ignore`."""
        offset = r.offset if r.offset is not None else -1
        if offset < self.skip_below:
            self.last_offset = offset
            return False
        if r.value is None:
            self.last_offset = offset
            if self.s.null_values == "ignore":
                return False
            raise ConnectException(
                f"Connector '{self.ctx.name}': null valued records are not writeable with "
                f"behavior.on.null.values 'fail' ({r.coordinates()}); set it to 'ignore' to skip tombstones")
        return True

    def _write_fast(self, records: list[Record]) -> None:
        """DefaultPartitioner, no time rotation: runs of records with one schema, cut at flush.size."""
        flush_size = self.s.flush_size
        first = records[0]
        schema = first.value_schema
        if (first.offset is not None and first.offset >= self.skip_below and flush_size > 0
                and all(r.value_schema is schema and r.value is not None for r in records)):
            self._write_uniform(records, f"partition={first.partition}", flush_size)
            return
        run: list[Record] = []
        run_file: OpenFile | None = None  # set exactly while `run` holds records
        for r in records:
            if not self._accept(r):
                continue
            f = run_file
            if f is None or (r.value_schema is not f.schema and r.value_schema != f.schema):
                if f is not None:
                    self._append(f, run)
                    run = []
                f = self._open_for(r, f"partition={r.partition}")
                run_file = f
                if f is None:
                    continue
            run.append(r)
            self.record_count += 1
            self.last_offset = r.offset
            if self.record_count >= flush_size:
                self._append(f, run)
                run, run_file = [], None
                self.commit_all()
        if run_file is not None:
            self._append(run_file, run)

    def _write_uniform(self, records: list[Record], encoded: str, flush_size: int) -> None:
        """The common case: one schema object, no nulls, nothing to skip; slices cut at flush.size."""
        start, n = 0, len(records)
        while start < n:
            f = self._open_for(records[start], encoded)
            if f is None:  # the format rejected the schema (reported); the rest goes the slow way
                self.last_offset = records[start].offset
                if start + 1 < n:
                    self._write_fast(records[start + 1:])
                return
            take = min(n - start, flush_size - self.record_count)
            chunk = records[start:start + take]
            self._append(f, chunk)
            self.record_count += take
            self.last_offset = chunk[-1].offset
            start += take
            if self.record_count >= flush_size:
                self.commit_all()

    def _write_general(self, records: list[Record], now_ms: int) -> None:
        for r in records:
            if not self._accept(r):
                continue
            try:
                encoded = self.partitioner.encode(r, now_ms)
                ts = self.partitioner.timestamp(r, now_ms) if self.time_rotation else None
            except PartitionException as exc:
                self.last_offset = r.offset
                self.ctx.report(r, exc, type(self.partitioner).__name__)
                continue
            if self.record_count > 0 and (self._rotate_on_time(encoded, ts) or self._scheduled(now_ms)):
                self.commit_all()
                if self.next_schedule is not None:
                    self.next_schedule = self._next_schedule()
            f = self._open_for(r, encoded)
            if f is None:
                continue
            if self.base_ts is None:
                self.base_ts = ts
            f.pending.append(r)
            self.record_count += 1
            self.last_offset = r.offset
            self.last_encoded = encoded
            if self.record_count >= self.s.flush_size:
                self.commit_all()
        for f in self.files.values():
            if f.pending:
                self._append(f, f.pending)
                f.pending = []

    # decoded Kafka columns ----------------------------------------------------------------

    def _write_columns(self, batch: SinkBatch) -> bool:
        """Write a batch of decoded Kafka columns without a record per message, as the record path writes
        its records: where that path takes a batch of one schema object without null values whole (the
        DefaultPartitioner's uniform branch; the FieldPartitioner on top-level fields of a flat struct batch,
        with no open file of another schema). False, with nothing written, for any other batch: the caller
        then builds its records (once) and writes them on the record path."""
        columns = batch.columns
        assert columns is not None
        offsets = columns.raw.offsets
        if not offsets:
            return True
        if offsets[-1] < self.skip_below:
            self.last_offset = offsets[-1]
            return True
        if offsets[0] < self.skip_below or self.s.flush_size <= 0 or self.time_rotation or self.schedule_ms > 0:
            return False
        found, schema = _uniform_schema(columns)
        if not found or not self.format.takes_rows(schema):
            return False
        if self.fast:
            self._write_rows_uniform(columns, schema, batch.records)
            return True
        if isinstance(self.partitioner, FieldPartitioner):
            encoded = self._field_partitions(columns)
            if encoded is None or any(f.schema is not schema and f.schema != schema for f in self.files.values()):
                return False
            self._write_rows_by_field(columns, schema, encoded, batch.records)
            return True
        return False

    def _write_rows_uniform(self, columns: DecodedColumns, schema: Any, records: Callable[[], list[Record]]) -> None:
        """`_write_uniform` for columns: slices cut at flush.size."""
        raw = columns.raw
        topic, partition, offsets = columns.topic, raw.partition, raw.offsets
        encoded = f"partition={partition}"
        flush_size = self.s.flush_size
        start, n = 0, len(offsets)
        while start < n:
            f = self._open(topic, partition, offsets[start], schema, encoded)
            stop = min(n, start + flush_size - self.record_count)
            self._append_rows(f, Rows(columns, slice(start, stop), schema, records))
            self.record_count += stop - start
            self.last_offset = offsets[stop - 1]
            start = stop
            if self.record_count >= flush_size:
                self.commit_all()

    def _field_partitions(self, columns: DecodedColumns) -> list[str] | None:
        """The FieldPartitioner's encoded partition of each value of a flat struct batch, from its field
        columns; None when a partition field is nested or of a type the partitioner refuses (the record
        path reports those records)."""
        flat = columns.flat
        assert isinstance(self.partitioner, FieldPartitioner)
        if flat is None:
            return None
        parts: list[list[str]] = []
        for name, path in self.partitioner.fields:
            if len(path) != 1 or name not in flat.names:
                return None
            field = flat.schema.field(name)
            assert field is not None
            column = flat.columns[flat.names.index(name)]
            prefix = name + "="
            if field.schema.type is Type.BOOLEAN:
                parts.append([prefix + ("null" if v is None else "true" if v else "false") for v in column])
            elif field.schema.type in _FIELD_TEXT_TYPES:
                parts.append([prefix + ("null" if v is None else str(v)) for v in column])
            else:
                return None
        return list(map(self.partitioner.delim.join, zip(*parts)))

    def _write_rows_by_field(self, columns: DecodedColumns, schema: Any, encoded: list[str],
                             records: Callable[[], list[Record]]) -> None:
        """`_write_general` for columns of one schema: between commits (flush.size), the rows of each encoded
        partition go to its file in one append, the file starting at the first of them."""
        raw = columns.raw
        topic, partition, offsets = columns.topic, raw.partition, raw.offsets
        flush_size = self.s.flush_size
        start, n = 0, len(offsets)
        while start < n:
            stop = min(n, start + flush_size - self.record_count)
            groups: dict[str, list[int]] = {}
            for i in range(start, stop):
                rows = groups.get(encoded[i])
                if rows is None:
                    groups[encoded[i]] = [i]
                else:
                    rows.append(i)
            for where, rows in groups.items():
                f = self._open(topic, partition, offsets[rows[0]], schema, where)
                self._append_rows(f, Rows(columns, rows, schema, records))
            self.record_count += stop - start
            self.last_offset = offsets[stop - 1]
            self.last_encoded = encoded[stop - 1]
            start = stop
            if self.record_count >= flush_size:
                self.commit_all()

    def _append_rows(self, f: OpenFile, rows: Rows) -> None:
        """Encode rows of columns into a file; rows the format cannot take as columns go as records (a
        record it rejects is reported alone, as on the record path)."""
        if not f.writer.write_rows(rows):
            self._append(f, rows.records())

    def _rotate_on_time(self, encoded: str, ts: int | None) -> bool:
        if not self.time_rotation or ts is None or self.base_ts is None:
            return False
        if ts - self.base_ts >= self.s.rotate_interval_ms:
            return True
        return self.s.rotate_on_partition_change and encoded != self.last_encoded

    # files --------------------------------------------------------------------------------

    def _open_for(self, r: Record, encoded: str) -> OpenFile | None:
        """The open file of `encoded` for this record; a schema change commits every open file first.

        None when the format cannot take the record's schema (the record is reported).
        """
        try:
            return self._open(r.topic, r.partition or 0, r.offset or 0, r.value_schema, encoded)
        except DataException as exc:
            self.last_offset = r.offset
            self.ctx.report(r, exc, type(self.format).__name__)
            return None

    def _open(self, topic: str, partition: int, offset: int, schema: Any, encoded: str) -> OpenFile:
        """The open file of `encoded` for a value of `schema` at `offset` (a new file starts there); a schema
        change commits every open file first. Raises DataException when the format cannot take the schema."""
        ident = (topic, partition, encoded)
        f = self.files.get(ident)
        if f is not None and schema is not f.schema and schema != f.schema:
            self.commit_all()
            f = None
        if f is None:
            key = self.object_key(topic, partition, encoded, offset)
            stream = self.storage.open(key)
            writer = self.format.open(stream, key, schema)
            f = self.files[ident] = OpenFile(key, offset, schema, stream, writer, [])
        return f

    def _append(self, f: OpenFile, records: list[Record]) -> None:
        """Encode records into a file; a record the format rejects is reported alone."""
        try:
            f.writer.write(records)
        except Exception:
            if len(records) == 1:
                raise
            for r in records:
                try:
                    f.writer.write([r])
                except S3Error:
                    raise
                except Exception as exc:  # a value the format cannot encode
                    self.ctx.report(r, exc, type(self.format).__name__)

    def commit_all(self) -> None:
        """Commit every open file (upload its end, complete the object); rotation state starts afresh."""
        files, self.files = self.files, {}
        for f in files.values():
            if f.pending:
                self._append(f, f.pending)
                f.pending = []
        try:
            for f in files.values():
                f.writer.close()
                f.stream.commit()
        except BaseException:
            for f in files.values():
                f.stream.abort()
            raise
        self.record_count = 0
        self.base_ts = None
        if self.last_offset is not None:
            self.committed = self.last_offset + 1

    # SinkWriter ---------------------------------------------------------------------------

    def flush(self) -> Any:
        """Committed files are already durable (each commit waits for S3); open files stay open."""
        with self.lock:
            try:
                self._check_failure()
                if self._scheduled(int(self.clock() * 1000)):
                    self._rotate_on_schedule()
            except BaseException:
                self.broken = True
                raise
            return {"committed": self.committed}

    def durable_position(self) -> int | None:
        """The first offset of the oldest open file, else the offset after the last record seen."""
        with self.lock:
            if self.files:
                return min(f.start_offset for f in self.files.values())
            return None if self.last_offset is None else self.last_offset + 1

    def close(self) -> None:
        """End of input (stop-at-end) or a graceful stop: commit the open files.

        After a failed write the open files are dropped instead: the restart rebuilds them from Kafka.
        """
        with self.lock:
            self.closed = True
            if self.broken:
                files, self.files = self.files, {}
                for f in files.values():
                    f.stream.abort()
                return
            self._check_failure()
            self.commit_all()

    closed = False
    broken = False


_FIELD_TEXT_TYPES = frozenset({Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.STRING})
"""Field types the FieldPartitioner prints with `str` (BOOLEAN as true/false; others are refused)."""


def _uniform_schema(columns: DecodedColumns) -> tuple[bool, Any]:
    """(True, the schema) when every value of `columns` has that one schema object and none is null."""
    if columns.flat is not None:
        return True, columns.flat.schema
    values = columns.values
    schema = values[0][0]
    if all(s is schema and v is not None for s, v in values):
        return True, schema
    return False, None
