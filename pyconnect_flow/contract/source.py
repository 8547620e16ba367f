"""What a source connector implements: a partitioned input read in batches from stored positions.

A `RecordSource` lists its partitions (files, Kafka topic-partitions, tables) and opens a `SourceReader`
per partition at the position stored for it. The engine does the rest: it calls `read` in a loop, stores
`position()` in its recovery snapshots once per epoch, and tells the reader with `delivered` when the sink
has made everything before a position durable.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from pyconnect_flow.batches import ValueBatch
from pyconnect_flow.kafka_columns import KafkaColumns
from pyconnect_flow.record import Record

ReadBatch = list[Record] | ValueBatch | KafkaColumns
"""What `SourceReader.read` returns: records, or a `ValueBatch` (values of one topic and schema, turned
into records only when a stage needs them: the file source's lines), or `KafkaColumns` (a Kafka
topic-partition's messages as columns, decoded without a record per message when the pipeline allows it)."""


class EndOfInput(StopIteration):
    """Raised by `SourceReader.read` when its partition has no more input (stop-at-end)."""


class SourceReader(ABC):
    """Reads one source partition, from a position, in batches."""

    @abstractmethod
    def read(self) -> ReadBatch:
        """The next records (possibly none); must not block for long. Raise EndOfInput at the end."""

    @abstractmethod
    def position(self) -> Any:
        """Where the next `read` continues: small and picklable; stored in recovery snapshots."""

    def wake_at(self) -> dt.datetime | None:
        """When to call `read` again after an empty read (None: soon)."""
        return None

    def lag(self) -> int | None:
        """How many records the source holds past what this reader read (a Kafka partition's high watermark
        minus the next offset), for progress lines and metrics; None when unknown. Must be cheap."""
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
