"""Bytewax adapters: a `RecordSource` as a partitioned Bytewax input, a `RecordSink` as a partitioned output.

Items in the dataflow are `Batch`es: `(source partition key, [Record, ...])`. Sinks are partitioned like
the source they read from (`BytewaxSink` mirrors its partition keys), so a batch stays on the worker that
read it, and a source partition and the sink partition of the same key share `PositionHolds`,
`Deliveries` and `InFlight`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.outputs import FixedPartitionedSink, StatefulSinkPartition

from pyconnect_flow.contract.sink import RecordSink, SinkBatch, SinkWriter
from pyconnect_flow.contract.source import EndOfInput, ReadBatch, RecordSource, SourceReader
from pyconnect_flow.engine.backpressure import InFlight
from pyconnect_flow.engine.control import note_topics, paused, tracking_topics
from pyconnect_flow.engine.gc_policy import tune_for_streaming
from pyconnect_flow.engine.positions import Deliveries, PositionHolds
from pyconnect_flow.engine.stop import stop_requested
from pyconnect_flow.engine.task_metrics import TaskCounts

log = logging.getLogger(__name__)

Batch = tuple[str, ReadBatch]
"""What a source partition emits: its key and what its reader read."""

_PAUSE = dt.timedelta(milliseconds=2)
_LAG_INTERVAL_S = 1.0
_PAUSED_WAIT = dt.timedelta(milliseconds=50)


class DeadLetterBatch(SinkBatch):
    """Dead letter records (bytes, addressed to the DLQ topic) among the batches of a sink partition.

    They travel with the ordinary batches of their source partition, so the sink partition makes them
    durable in the same flush, before the position that follows them is published."""


def _topics(records: SinkBatch | ReadBatch) -> set[str]:
    batch = getattr(records, "batch", None)
    if batch is not None:
        return {batch.topic}
    if isinstance(records, list):
        return {r.topic for r in records}
    return {records.topic}  # a ValueBatch


class _SourcePartition(StatefulSourcePartition[Batch, Any]):
    def __init__(self, key: str, reader: SourceReader, holds: PositionHolds | None = None,
                 inflight: InFlight | None = None, deliveries: Deliveries | None = None,
                 counts: TaskCounts | None = None, track_topics: bool = False) -> None:
        self._key = key
        self._track_topics = track_topics and tracking_topics()
        self._reader = reader
        self._counts = counts
        self._holds = holds
        self._inflight = inflight
        self._deliveries = deliveries
        self._paused = False
        self._held = False  # paused from outside (`engine.control`)
        self._emitted = False  # records emitted since the reader last ran dry
        self._lag_due = 0.0  # when to read the reader's lag next (`TaskCounts.lag`)
        if holds is not None:
            holds.opened(key, reader.position())
        if deliveries is not None:
            deliveries.opened(key, reader)

    def next_batch(self) -> list[Batch]:
        if stop_requested():
            raise StopIteration()
        if self._counts is not None and time.monotonic() >= self._lag_due:  # paused too: lag grows then
            self._lag_due = time.monotonic() + _LAG_INTERVAL_S
            lag = self._reader.lag()
            if lag is not None:
                self._counts.lag[self._key] = lag
        if paused():
            self._held = True
            return []
        self._held = False
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
            if self._emitted:
                # Once per dry spell, an empty batch tells the sink partition to send what it buffers
                # (`SinkWriter.idle`): the last records before a pause do not wait for the epoch's end.
                self._emitted = False
                return [(self._key, records)]
            return []
        self._emitted = True
        if inflight is not None:
            inflight.read(self._key, len(records))
        if self._counts is not None:
            self._counts.read += len(records)
        if self._track_topics:
            note_topics(_topics(records))  # a sink connector's topics: those it consumed records from
        return [(self._key, records)]

    def next_awake(self) -> dt.datetime | None:
        if stop_requested():
            return None
        if self._held:
            return dt.datetime.now(dt.timezone.utc) + _PAUSED_WAIT
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
    published through `deliveries` once the sink made them durable). A partition without a stored
    position starts from its entry in `initial_positions`, if any (`engine.control`). `track_topics`: the
    topics of the records read are the connector's active topics (a sink connector's)."""

    def __init__(self, source: RecordSource, holds: PositionHolds | None = None,
                 inflight: InFlight | None = None, deliveries: Deliveries | None = None,
                 initial_positions: dict[str, Any] | None = None, counts: TaskCounts | None = None,
                 track_topics: bool = False) -> None:
        self.source = source
        self.counts = counts
        self.track_topics = track_topics
        self.holds = holds
        self.inflight = inflight
        self.deliveries = deliveries
        self.initial_positions = initial_positions or {}

    def list_parts(self) -> list[str]:
        return self.source.partitions()

    def build_part(self, step_id: str, for_part: str, resume_state: Any | None) -> _SourcePartition:
        tune_for_streaming()  # the pipeline starts running in this process
        if resume_state is None:
            resume_state = self.initial_positions.get(for_part)
        return _SourcePartition(for_part, self.source.open(for_part, resume_state), self.holds, self.inflight,
                                self.deliveries, self.counts, self.track_topics)


class _SinkPartition(StatefulSinkPartition[SinkBatch, Any]):
    """One sink partition: the sink's writer, and a writer of the partition's dead letters (opened on the
    first one), made durable together at each epoch boundary before the source position is published."""

    def __init__(self, writer: SinkWriter, key: str = "", holds: PositionHolds | None = None,
                 inflight: InFlight | None = None, deliveries: Deliveries | None = None,
                 dead_letter_sink: RecordSink | None = None, counts: TaskCounts | None = None,
                 track_topics: bool = False) -> None:
        self._writer = writer
        self._counts = counts
        self._track_topics = track_topics and tracking_topics()
        self._failed = False
        self._key = key
        self._holds = holds
        self._inflight = inflight
        self._deliveries = deliveries
        self._dead_letter_sink = dead_letter_sink
        self._dead_letter_writer: SinkWriter | None = None
        if inflight is not None:
            inflight.attach(key)

    def write_batch(self, values: list[SinkBatch]) -> None:
        write = self._writer.write
        taken = 0
        try:
            for records in values:
                if isinstance(records, DeadLetterBatch):
                    self._write_dead_letters(records)
                    continue
                n = records.size()
                if n:
                    write(records)
                    taken += n
                    if self._track_topics:
                        # A source connector's topics: those its records are sent to, once the producer has
                        # taken them (Kafka Connect records them at the broker's acknowledgement; a failed
                        # delivery fails the connector unless tolerated).
                        note_topics(_topics(records))
                else:
                    self._writer.idle()
        except BaseException:
            self._failed = True
            raise
        if self._inflight is not None and taken:
            self._inflight.taken(self._key, taken)
        if self._counts is not None:
            self._counts.written += taken

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


class BytewaxSink(FixedPartitionedSink[SinkBatch, Any]):
    """Runs a `RecordSink` as a Bytewax partitioned sink whose partitions mirror a source's.

    `partitions` returns the partition keys of the source feeding this sink;
    mirroring them makes Bytewax place each sink partition on the worker that
    reads the matching source partition, so records never cross processes.
    `DeadLetterBatch` items go to `dead_letter_sink`, in the same partition.
    """

    def __init__(self, sink: RecordSink, partitions: Callable[[], list[str]], holds: PositionHolds | None = None,
                 inflight: InFlight | None = None, deliveries: Deliveries | None = None,
                 dead_letter_sink: RecordSink | None = None, counts: TaskCounts | None = None,
                 track_topics: bool = False) -> None:
        self.sink = sink
        self.counts = counts
        self.track_topics = track_topics
        """The topics of the records written are the connector's active topics (a source connector's)."""
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
                              self.deliveries, self.dead_letter_sink, self.counts, self.track_topics)
