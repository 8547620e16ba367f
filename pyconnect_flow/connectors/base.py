"""The small protocols a connector implements, and their Bytewax adapters.

A connector module provides a `RecordSource` (lists partitions, opens a
`SourceReader` per partition at a stored position) and/or a `RecordSink`
(opens a `SinkWriter` per partition). The runtime does the rest: batching,
positions in Bytewax recovery snapshots, error handling, and the durability
rule of every sink — `SinkWriter.flush()` runs at each epoch boundary, before
Bytewax stores the source positions of that epoch, so whatever `flush()` has
made durable is never lost.

Items in the dataflow are `Batch`es: `(source partition key, [Record, ...])`.
Sinks are partitioned like the source they read from, so a batch stays on the
worker that read it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from itertools import repeat
from typing import Any, ClassVar

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.outputs import FixedPartitionedSink, StatefulSinkPartition

from pyconnect_flow.record import Record
from pyconnect_flow.runtime.gc_policy import tune_for_streaming

log = logging.getLogger(__name__)

Batch = tuple[str, list[Record]]
"""What flows between steps: a source partition key and a list of records."""


class EndOfInput(StopIteration):
    """Raised by `SourceReader.read` when its partition has no more input (stop-at-end)."""


class SourceReader(ABC):
    """Reads one source partition, from a position, in batches."""

    @abstractmethod
    def read(self) -> list[Record]:
        """The next records (possibly none); must not block for long. Raise EndOfInput at the end."""

    @abstractmethod
    def position(self) -> Any:
        """Where the next `read` continues: small and picklable; stored in recovery snapshots."""

    def wake_at(self) -> dt.datetime | None:
        """When to call `read` again after an empty read (None: soon)."""
        return None

    def delivered(self, position: Any) -> None:
        """Everything read before `position` (a value `position()` returned at an epoch boundary, possibly
        capped by a sink that holds records back) is durable in the sink and its dead letter queue: publish
        it where others look for progress (a Kafka source commits it to its consumer group). Never called
        for a position whose records are not durable; may be called after the last `read`."""

    def close(self) -> None:
        """Release resources. Called after the last `delivered`, even when the partition ended first."""


class RecordSource(ABC):
    """A partitioned input of records (files, Kafka topic-partitions, tables)."""

    raw: ClassVar[bool] = False
    """True when records carry undecoded bytes (read from Kafka) that a converter must decode."""

    def preflight(self) -> None:
        """Check, before any data moves, that the input can be read; raise a clear error if not."""

    @abstractmethod
    def partitions(self) -> list[str]:
        """Stable partition keys. Keys are part of the recovery contract: never rename or drop one."""

    @abstractmethod
    def open(self, partition: str, position: Any | None) -> SourceReader:
        """A reader of `partition`, continuing at `position` (None: from the start)."""


class SinkWriter(ABC):
    """Writes the records of one sink partition."""

    @abstractmethod
    def write(self, records: list[Record]) -> None:
        """Take records; buffering or sending asynchronously is fine."""

    def flush(self) -> Any:
        """Make everything written so far durable; return the partition's state (picklable) or None."""
        return None

    def unsettled(self) -> int | None:
        """For sinks that report late: how many of the records written last (counting every record handed
        to `write`, in order) may still be reported through `ConnectorContext.report`; the originals kept
        for the others are dropped. None: any record written since the last flush may be."""
        return None

    def durable_position(self) -> int | None:
        """For sinks with `holds_records`: the Kafka offset below which every record received is durable
        (e.g. the first offset of the oldest file still open), or None when nothing was received yet."""
        return None

    def close(self) -> None:
        """Release resources; `flush` has been called just before."""


def encoded_items(records: list[Record]) -> Iterable[tuple[Record, Any, Any]]:
    """(record, key bytes, value bytes) for each record handed to a sink of bytes (`RecordSink.raw`).

    The encode stage hands such sinks the records with their Connect data plus the serialized
    keys and values alongside (`records.encoded`); records that already hold bytes (dead
    letters, or a pipeline without converters) are their own encoding.
    """
    encoded = getattr(records, "encoded", None)
    if encoded is None:
        return ((r, r[1], r[2]) for r in records)
    batch = getattr(records, "batch", None)
    keys = encoded[0] if encoded[0] is not None else repeat(None)
    return zip(batch.records() if batch is not None else records, keys, encoded[1])


class RecordSink(ABC):
    """A partitioned output of records."""

    raw: ClassVar[bool] = False
    """True when the sink takes encoded bytes (it writes to Kafka): read them with `encoded_items`."""

    holds_records: ClassVar[bool] = False
    """True when writers keep records across epochs on purpose (an S3 file not yet rolled): the runtime
    then never stores a source position past the writer's `durable_position()`, so a crash re-reads them."""

    reports_late: ClassVar[bool] = True
    """True when writers may report a failed record (`ConnectorContext.report`) after `write` returned
    (answers to asynchronous requests), until `flush`: the runtime then keeps the original of every record
    written in the epoch. Sinks that report only inside `write` set False, and nothing is kept."""

    def preflight(self) -> None:
        """Check, before any data moves, that the output can be written; raise a clear error if not."""

    @abstractmethod
    def open(self, partition: str, state: Any | None) -> SinkWriter:
        """A writer for `partition`, given the state its last `flush` returned."""


# Bytewax adapters ---------------------------------------------------------

_IDLE = dt.timedelta(milliseconds=50)


class PositionHolds:
    """Caps stored source positions (Kafka offsets) at what a `holds_records` sink has made durable.

    One per pipeline, shared by its source and sink adapters (a source partition
    and the sink partition of the same key run on the same worker). Until the
    sink partition reports after a flush, the cap is the position the source
    partition was opened at.
    """

    def __init__(self) -> None:
        self._floor: dict[str, Any] = {}
        self._durable: dict[str, int] = {}

    def opened(self, key: str, position: Any) -> None:
        """The source partition `key` starts at `position`."""
        self._floor[key] = position
        self._durable.pop(key, None)

    def flushed(self, key: str, durable: int | None) -> None:
        """The sink partition `key` made everything below `durable` durable."""
        if durable is not None:
            self._durable[key] = max(durable, self._durable.get(key, durable))

    def cap(self, key: str, position: Any) -> Any:
        """The position to store for the source partition `key`."""
        limit = self._durable.get(key)
        if limit is None:
            return self._floor.get(key)
        if isinstance(position, int) and not isinstance(position, bool):
            return min(position, limit)
        return position


class InFlight:
    """Records read by each source partition and not yet taken by its sink partition.

    Bytewax applies backpressure only between epochs, so a fast source in front of a slow sink
    could read a whole epoch ahead and hold it in memory. The source partition pauses while its
    count is at `limit`. Only partitions whose sink partition runs in this process (`attach`) are
    paused — the mirrored partitioning puts them there — so a sink elsewhere can never stall one.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._count: dict[str, int] = {}
        self._attached: set[str] = set()

    def attach(self, key: str) -> None:
        self._attached.add(key)

    def read(self, key: str, n: int) -> None:
        self._count[key] = self._count.get(key, 0) + n

    def taken(self, key: str, n: int) -> None:
        self._count[key] = self._count.get(key, 0) - n

    def full(self, key: str) -> bool:
        return key in self._attached and self._count.get(key, 0) >= self.limit


class DeadLetterBatch(list[Record]):
    """Dead letter records (bytes, addressed to the DLQ topic) among the batches of a sink partition.

    They travel with the ordinary batches of their source partition, so the sink partition makes them
    durable in the same flush, before the position that follows them is published."""


class Deliveries:
    """Publishes each source partition's stored position once its sink partition has made it durable.

    Bytewax snapshots a source partition at the end of an epoch, then the sink partitions that received
    data in that epoch (after their last write of it), and reads nothing of the next epoch before every
    output has finished the previous one. So when a sink partition has flushed, the position its source
    partition stored last is exactly the end of what the sink has made durable: that position, and no
    other, is handed to `SourceReader.delivered`. Readers are closed only once their sink partition has
    closed too (a source partition that reaches its end closes before the last epoch is flushed, and a sink
    that holds records back commits them at close).
    """

    def __init__(self) -> None:
        self._readers: dict[str, SourceReader] = {}
        self._stored: dict[str, tuple[Any, Any]] = {}
        self._covered: dict[str, Any] = {}
        self._published: dict[str, Any] = {}
        self._source_done: set[str] = set()
        self._sink_done: set[str] = set()

    def opened(self, key: str, reader: SourceReader) -> None:
        self._readers[key] = reader
        self._stored.pop(key, None)
        self._covered.pop(key, None)
        self._published.pop(key, None)
        self._source_done.discard(key)
        self._sink_done.discard(key)

    def stored(self, key: str, position: Any, read: Any = None) -> None:
        """The source partition `key` stored `position` in its snapshot; `read` is how far it had read when
        that is further (a sink holding records back capped the stored position)."""
        self._stored[key] = (position, position if read is None else read)

    def flushed(self, key: str) -> None:
        """The sink partition `key` made everything it received durable."""
        reader = self._readers.get(key)
        stored = self._stored.get(key)
        if reader is None or stored is None:
            return
        position, self._covered[key] = stored
        self._publish(key, reader, position)

    def source_closed(self, key: str) -> None:
        if key in self._sink_done or key not in self._readers:
            self._close(key)
        else:
            self._source_done.add(key)

    def sink_closed(self, key: str, everything_durable: bool = False) -> None:
        """The sink partition `key` closed; `everything_durable`: its writer made all it received durable
        (records it held back included), so the read position its last flush covered is delivered too."""
        reader = self._readers.get(key)
        covered = self._covered.get(key)
        if everything_durable and reader is not None:
            self._publish(key, reader, covered)
        if key in self._source_done:
            self._close(key)
        else:
            self._sink_done.add(key)

    def _publish(self, key: str, reader: SourceReader, position: Any) -> None:
        if position is not None and self._published.get(key) != position:
            self._published[key] = position
            reader.delivered(position)

    def _close(self, key: str) -> None:
        reader = self._readers.pop(key, None)
        self._stored.pop(key, None)
        self._covered.pop(key, None)
        self._published.pop(key, None)
        self._source_done.discard(key)
        self._sink_done.discard(key)
        if reader is not None:
            reader.close()


_PAUSE = dt.timedelta(milliseconds=2)


_STOP = threading.Event()


def request_stop() -> None:
    """Stop every running pipeline of this process cleanly, as Kafka Connect's shutdown does: each source
    partition ends, the sinks make what they received durable and the positions are stored (a last epoch),
    so a restart re-sends nothing. Safe to call from a signal handler."""
    _STOP.set()


def stop_requested() -> bool:
    return _STOP.is_set()


def reset_stop() -> None:
    """Forget an earlier `request_stop` (before running another dataflow in the same process)."""
    _STOP.clear()


class _SourcePartition(StatefulSourcePartition[Batch, Any]):
    def __init__(self, key: str, reader: SourceReader, holds: PositionHolds | None = None,
                 inflight: InFlight | None = None, deliveries: Deliveries | None = None) -> None:
        self._key = key
        self._reader = reader
        self._holds = holds
        self._inflight = inflight
        self._deliveries = deliveries
        self._paused = False
        if holds is not None:
            holds.opened(key, reader.position())
        if deliveries is not None:
            deliveries.opened(key, reader)

    def next_batch(self) -> list[Batch]:
        if _STOP.is_set():
            raise StopIteration()
        inflight = self._inflight
        if inflight is not None and inflight.full(self._key):
            self._paused = True
            return []
        self._paused = False
        try:
            records = self._reader.read()
        except EndOfInput:
            raise StopIteration() from None
        if not records:
            return []
        if inflight is not None:
            inflight.read(self._key, len(records))
        return [(self._key, records)]

    def next_awake(self) -> dt.datetime | None:
        if _STOP.is_set():
            return None
        if self._paused:
            return dt.datetime.now(dt.timezone.utc) + _PAUSE
        return self._reader.wake_at()

    def snapshot(self) -> Any:
        read = self._reader.position()
        position = read if self._holds is None else self._holds.cap(self._key, read)
        if self._deliveries is not None:
            self._deliveries.stored(self._key, position, read)
        return position

    def close(self) -> None:
        if self._deliveries is not None:
            self._deliveries.source_closed(self._key)
        else:
            self._reader.close()


class BytewaxSource(FixedPartitionedSource[Batch, Any]):
    """Runs a `RecordSource` as a Bytewax partitioned source (positions capped by `holds`, if given;
    published through `deliveries` once the sink made them durable)."""

    def __init__(self, source: RecordSource, holds: PositionHolds | None = None,
                 inflight: InFlight | None = None, deliveries: Deliveries | None = None) -> None:
        self.source = source
        self.holds = holds
        self.inflight = inflight
        self.deliveries = deliveries

    def list_parts(self) -> list[str]:
        return self.source.partitions()

    def build_part(self, step_id: str, for_part: str, resume_state: Any | None) -> _SourcePartition:
        tune_for_streaming()  # the pipeline starts running in this process
        return _SourcePartition(for_part, self.source.open(for_part, resume_state), self.holds, self.inflight,
                                self.deliveries)


def batch_size(records: list[Record]) -> int:
    """How many records a sink batch holds (an unbuilt `ValueBatch` counts its values)."""
    batch = getattr(records, "batch", None)
    return len(batch) if batch is not None else len(records)


class _SinkPartition(StatefulSinkPartition[list[Record], Any]):
    """One sink partition: the sink's writer, and a writer of the partition's dead letters (opened on the
    first one), made durable together at each epoch boundary before the source position is published."""

    def __init__(self, writer: SinkWriter, key: str = "", holds: PositionHolds | None = None,
                 inflight: InFlight | None = None, deliveries: Deliveries | None = None,
                 dead_letter_sink: RecordSink | None = None) -> None:
        self._writer = writer
        self._failed = False
        self._key = key
        self._holds = holds
        self._inflight = inflight
        self._deliveries = deliveries
        self._dead_letter_sink = dead_letter_sink
        self._dead_letter_writer: SinkWriter | None = None
        if inflight is not None:
            inflight.attach(key)

    def write_batch(self, values: list[list[Record]]) -> None:
        write = self._writer.write
        taken = 0
        try:
            for records in values:
                if isinstance(records, DeadLetterBatch):
                    self._write_dead_letters(records)
                    continue
                n = batch_size(records)
                if n:
                    write(records)
                    taken += n
        except BaseException:
            self._failed = True
            raise
        if self._inflight is not None and taken:
            self._inflight.taken(self._key, taken)

    def _write_dead_letters(self, records: DeadLetterBatch) -> None:
        if self._dead_letter_sink is None:
            return  # no dead letter queue: the router never makes these
        if self._dead_letter_writer is None:
            self._dead_letter_writer = self._dead_letter_sink.open(self._key, None)
        self._dead_letter_writer.write(records)

    def snapshot(self) -> Any:
        try:
            state = self._writer.flush()
            if self._dead_letter_writer is not None:
                self._dead_letter_writer.flush()
        except BaseException:
            self._failed = True
            raise
        if self._holds is not None:
            self._holds.flushed(self._key, self._writer.durable_position())
        if self._deliveries is not None:
            self._deliveries.flushed(self._key)
        return state

    def close(self) -> None:
        # Durability never depends on close(): at a graceful end Bytewax closes the last epoch
        # (snapshot → flush) first. Bytewax also calls close() while unwinding from a failure in any
        # partition; an exception raised there aborts the process (a panic inside a panic) and hides
        # the first error, so close() only tries a last flush and never raises. Positions are published
        # only by `snapshot`: records written after the last one belong to an epoch not yet stored.
        # A writer that holds records back (S3's open files) commits them at close; when that and the flush
        # succeed, the read position the last flush covered is delivered too.
        writers = [w for w in (self._writer, self._dead_letter_writer) if w is not None]
        clean = not self._failed
        if clean:
            for writer in writers:
                try:
                    writer.flush()
                except Exception as exc:  # noqa: BLE001 - see above
                    clean = False
                    log.debug("flush at close failed: %s", exc)
        for writer in writers:
            try:
                writer.close()
            except Exception as exc:  # noqa: BLE001 - see above
                clean = False
                log.debug("close failed: %s", exc)
        if self._deliveries is not None:
            try:
                self._deliveries.sink_closed(self._key, everything_durable=clean)
            except Exception as exc:  # noqa: BLE001 - see above
                log.debug("closing the source reader failed: %s", exc)


class BytewaxSink(FixedPartitionedSink[list[Record], Any]):
    """Runs a `RecordSink` as a Bytewax partitioned sink whose partitions mirror a source's.

    `partitions` returns the partition keys of the source feeding this sink;
    mirroring them makes Bytewax place each sink partition on the worker that
    reads the matching source partition, so records never cross processes.
    `DeadLetterBatch` items go to `dead_letter_sink`, in the same partition.
    """

    def __init__(self, sink: RecordSink, partitions: Callable[[], list[str]], holds: PositionHolds | None = None,
                 inflight: InFlight | None = None, deliveries: Deliveries | None = None,
                 dead_letter_sink: RecordSink | None = None) -> None:
        self.sink = sink
        self._partitions = partitions
        self._index: dict[str, int] | None = None
        self.holds = holds
        self.inflight = inflight
        self.deliveries = deliveries
        self.dead_letter_sink = dead_letter_sink

    def list_parts(self) -> list[str]:
        return list(self._sorted_index())

    def _sorted_index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {key: i for i, key in enumerate(sorted(set(self._partitions())))}
        return self._index

    def part_fn(self, item_key: str) -> int:
        return self._sorted_index()[item_key]

    def build_part(self, step_id: str, for_part: str, resume_state: Any | None) -> _SinkPartition:
        return _SinkPartition(self.sink.open(for_part, resume_state), for_part, self.holds, self.inflight,
                              self.deliveries, self.dead_letter_sink)
