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
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.outputs import FixedPartitionedSink, StatefulSinkPartition

from pyconnect_flow.record import Record

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

    def close(self) -> None:
        """Release resources."""


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

    def close(self) -> None:
        """Release resources; `flush` has been called just before."""


class RecordSink(ABC):
    """A partitioned output of records."""

    raw: ClassVar[bool] = False
    """True when the sink takes encoded bytes (it writes to Kafka)."""

    def preflight(self) -> None:
        """Check, before any data moves, that the output can be written; raise a clear error if not."""

    @abstractmethod
    def open(self, partition: str, state: Any | None) -> SinkWriter:
        """A writer for `partition`, given the state its last `flush` returned."""


# Bytewax adapters ---------------------------------------------------------

_IDLE = dt.timedelta(milliseconds=50)


class _SourcePartition(StatefulSourcePartition[Batch, Any]):
    def __init__(self, key: str, reader: SourceReader) -> None:
        self._key = key
        self._reader = reader

    def next_batch(self) -> list[Batch]:
        try:
            records = self._reader.read()
        except EndOfInput:
            raise StopIteration() from None
        return [(self._key, records)] if records else []

    def next_awake(self) -> dt.datetime | None:
        return self._reader.wake_at()

    def snapshot(self) -> Any:
        return self._reader.position()

    def close(self) -> None:
        self._reader.close()


class BytewaxSource(FixedPartitionedSource[Batch, Any]):
    """Runs a `RecordSource` as a Bytewax partitioned source."""

    def __init__(self, source: RecordSource) -> None:
        self.source = source

    def list_parts(self) -> list[str]:
        return self.source.partitions()

    def build_part(self, step_id: str, for_part: str, resume_state: Any | None) -> _SourcePartition:
        return _SourcePartition(for_part, self.source.open(for_part, resume_state))


class _SinkPartition(StatefulSinkPartition[list[Record], Any]):
    def __init__(self, writer: SinkWriter) -> None:
        self._writer = writer
        self._failed = False

    def write_batch(self, values: list[list[Record]]) -> None:
        write = self._writer.write
        try:
            for records in values:
                write(records)
        except BaseException:
            self._failed = True
            raise

    def snapshot(self) -> Any:
        try:
            return self._writer.flush()
        except BaseException:
            self._failed = True
            raise

    def close(self) -> None:
        # Bytewax also calls close() while unwinding from a failed write or snapshot; raising
        # again there aborts the process (a panic inside a panic) and hides the first error.
        if self._failed:
            try:
                self._writer.close()
            except Exception:  # noqa: BLE001 - the first failure is the one reported
                pass
            return
        self._writer.flush()
        self._writer.close()


class BytewaxSink(FixedPartitionedSink[list[Record], Any]):
    """Runs a `RecordSink` as a Bytewax partitioned sink whose partitions mirror a source's.

    `partitions` returns the partition keys of the source feeding this sink;
    mirroring them makes Bytewax place each sink partition on the worker that
    reads the matching source partition, so records never cross processes.
    """

    def __init__(self, sink: RecordSink, partitions: Callable[[], list[str]]) -> None:
        self.sink = sink
        self._partitions = partitions
        self._index: dict[str, int] | None = None

    def list_parts(self) -> list[str]:
        return list(self._sorted_index())

    def _sorted_index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {key: i for i, key in enumerate(sorted(set(self._partitions())))}
        return self._index

    def part_fn(self, item_key: str) -> int:
        return self._sorted_index()[item_key]

    def build_part(self, step_id: str, for_part: str, resume_state: Any | None) -> _SinkPartition:
        return _SinkPartition(self.sink.open(for_part, resume_state))
