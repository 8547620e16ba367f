"""`ValueBatch`: a batch of records that differ only in their value and source offset.

A file source reads thousands of lines whose records share topic, schema and
source partition. Building a `Record` per line costs as much as producing it
to Kafka, so the source hands over a `ValueBatch` instead; stages that need
records (transforms) call `records()`, while the encode stage and the Kafka
sink work on the values directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pyconnect_flow.record import Record, new_record


class ValueBatch:
    """Values of one topic with one value schema and null keys; `ends[i]` is the source offset after value i."""

    __slots__ = ("topic", "values", "value_schema", "source_partition", "offset_key", "ends")

    def __init__(self, topic: str, values: list[Any], value_schema: Any, source_partition: Mapping[str, Any],
                 offset_key: str, ends: list[int]) -> None:
        self.topic = topic
        self.values = values
        self.value_schema = value_schema
        self.source_partition = source_partition
        self.offset_key = offset_key
        self.ends = ends

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records())

    def record(self, i: int) -> Record:
        """The i-th record."""
        return new_record((self.topic, None, self.values[i], None, None, None, self.value_schema, (), None,
                           self.source_partition, {self.offset_key: self.ends[i]}))

    def records(self) -> list[Record]:
        """Every record, built now."""
        topic, schema, sp, key = self.topic, self.value_schema, self.source_partition, self.offset_key
        return [new_record((topic, None, v, None, None, None, schema, (), None, sp, {key: end}))
                for v, end in zip(self.values, self.ends)]
