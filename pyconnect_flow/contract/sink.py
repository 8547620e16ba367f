"""What a sink connector implements: a partitioned output whose writers are made durable per epoch.

A `RecordSink` opens a `SinkWriter` per partition (the engine partitions sinks like the source that feeds
them, so a batch stays on the worker that read it). The durability rule of every sink: `SinkWriter.flush()`
runs at each epoch boundary, before the engine stores and publishes the source positions of that epoch,
so whatever `flush()` has made durable is never lost, and nothing else may be relied on (never `close()`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from itertools import repeat
from typing import Any, ClassVar

from pyconnect_flow.batches import ValueBatch
from pyconnect_flow.kafka_columns import DecodedColumns
from pyconnect_flow.record import Record

Encoded = tuple["list[bytes | None] | None", "list[bytes | None]"]
"""Keys (None when every key is None) and values serialized by the converters, one per record."""


class SinkBatch(list[Record]):
    """What `SinkWriter.write` receives: the records of one source partition, and beside them

    - `encoded`: for sinks of bytes (`RecordSink.raw`), the keys and values the converters serialized
      (read them with `encoded_items`);
    - `batch`: when set, the records are `batch.records()`, left unbuilt until asked for (a file
      source's lines on their way to Kafka: a Kafka sink produces `encoded` values directly);
    - `originals`: `originals[i]` is the record as read from Kafka for `self[i]` (for dead letters);
    - `columns`: only for sinks with `RecordSink.accepts_columns`: when set, the batch holds no records
      and the decoded Kafka messages are these columns (`records()` builds them, once: a writer that falls
      back to records for part of the batch gets the same `Record` objects every time, which is how a
      `ReportingSink` finds the originals of those it reports).
    """

    __slots__ = ("originals", "encoded", "batch", "columns", "_built")

    def __init__(self, records: Iterable[Record] = (), originals: list[Record] | None = None,
                 encoded: Encoded | None = None, batch: ValueBatch | None = None,
                 columns: DecodedColumns | None = None) -> None:
        super().__init__(records)
        self.originals = originals
        self.encoded = encoded
        self.batch = batch
        self.columns = columns
        self._built: list[Record] | None = None

    def size(self) -> int:
        """How many records this batch holds (an unbuilt `batch` or `columns` counts its values)."""
        if self.columns is not None:
            return len(self.columns)
        return len(self.batch) if self.batch is not None else len(self)

    def records(self) -> list[Record]:
        """The records, built from `batch` or `columns` if they were left unbuilt (from `columns` only once)."""
        if self.columns is not None:
            if self._built is None:
                self._built = self.columns.records()
            return self._built
        return self.batch.records() if self.batch is not None else self


def encoded_items(records: SinkBatch) -> Iterable[tuple[Record, bytes | None, bytes | None]]:
    """(record, key bytes, value bytes) for each record handed to a sink of bytes (`RecordSink.raw`).

    Records that already hold bytes (dead letters, or a pipeline without converters) are their own
    encoding."""
    encoded = records.encoded
    if encoded is None:
        return ((r, r[1], r[2]) for r in records)
    keys: Iterable[bytes | None] = encoded[0] if encoded[0] is not None else repeat(None)
    return zip(records.records(), keys, encoded[1])


class SinkWriter(ABC):
    """Writes the records of one sink partition."""

    @abstractmethod
    def write(self, records: SinkBatch) -> None:
        """Take records; buffering or sending asynchronously is fine."""

    def flush(self) -> Any:
        """Make everything written so far durable; return the partition's state (picklable) or None."""
        return None

    def idle(self) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """The source has nothing more for now: send what is buffered, so records do not wait for the epoch
        to end to become visible (Kafka Connect's sinks write as records arrive). Durability and positions
        stay with `flush`. Called between batches, never while one is being written."""

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
        """Release resources. After a graceful end `flush` was called just before; while the engine unwinds
        from a failure it may not have been."""


class RecordSink(ABC):
    """A partitioned output of records."""

    raw: ClassVar[bool] = False
    """True when the sink takes encoded bytes (it writes to Kafka): read them with `encoded_items`."""

    holds_records: ClassVar[bool] = False
    """True when writers keep records across epochs on purpose (an S3 file not yet rolled): the engine
    then never stores a source position past the writer's `durable_position()`, so a crash re-reads them."""

    reports_late: ClassVar[bool] = True
    """True when writers may report a failed record (`ConnectorContext.report`) after `write` returned
    (answers to asynchronous requests), until `flush`: the engine then keeps the original of every record
    written in the epoch. Sinks that report only inside `write` set False, and nothing is kept."""

    accepts_columns: ClassVar[bool] = False
    """True when writers read `SinkBatch.columns` (decoded Kafka messages as columns, no records): the
    engine then hands them over unbuilt when no stage needed records. A writer may report single records
    (`ConnectorContext.report`) of a batch of columns only inside `write` and only records it got from
    `SinkBatch.records()` (a `ReportingSink` then finds their originals in the columns), never late."""

    def preflight(self) -> None:
        """Check, before any data moves, that the output can be written; raise a clear error if not."""

    @abstractmethod
    def open(self, partition: str, state: Any | None) -> SinkWriter:
        """A writer for `partition`, given the state its last `flush` returned."""
