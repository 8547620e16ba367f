"""`Rows`: some messages of a batch of decoded Kafka columns, as an S3 format writer takes them without records.

The S3 writer hands a format writer the rows that go into one object (a slice for the DefaultPartitioner, the
row numbers of one encoded partition for the FieldPartitioner), all with one value schema and no null value.
A format writer reads what it needs: the field columns and payload objects of a flat struct batch
(`JsonConverter.to_connect_columns`), else the decoded values; `records()` gives the very records the record
path writes (built once per batch), for a writer that cannot take the rows as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pyconnect_flow.kafka_columns import DecodedColumns
from pyconnect_flow.record import Record

T = TypeVar("T")


def pick(items: Sequence[T], rows: slice | list[int]) -> list[T]:
    """`items[rows]` for a slice, else the items at the given indices, in order."""
    if isinstance(rows, slice):
        return list(items[rows])
    return [items[i] for i in rows]


class Rows:
    """Rows `rows` (a slice or ascending indices) of `columns`, whose values all have `schema` and none is null."""

    __slots__ = ("columns", "rows", "schema", "_records")

    def __init__(self, columns: DecodedColumns, rows: slice | list[int], schema: Any,
                 records: Callable[[], list[Record]]) -> None:
        self.columns = columns
        self.rows = rows
        self.schema = schema
        self._records = records

    @property
    def topic(self) -> str:
        return self.columns.topic

    def __len__(self) -> int:
        if isinstance(self.rows, slice):
            return len(range(*self.rows.indices(len(self.columns))))
        return len(self.rows)

    def field_columns(self) -> list[list[Any]] | None:
        """The field columns of a flat struct batch, one list per field of `schema` (None: not such a batch)."""
        flat = self.columns.flat
        if flat is None:
            return None
        return [pick(column, self.rows) for column in flat.columns]

    def nodes(self) -> list[Any] | None:
        """The payload objects of a flat struct batch as parsed (None: not such a batch, or one a transform
        made)."""
        flat = self.columns.flat
        return None if flat is None or flat.nodes is None else pick(flat.nodes, self.rows)

    def values(self) -> list[Any]:
        """The decoded values (for a flat struct batch, its `Struct`s are built here)."""
        return [v for _, v in pick(self.columns.values, self.rows)]

    def pairs(self) -> list[tuple[Any, Any]]:
        """The (schema, value) pairs the converters decoded."""
        return pick(self.columns.values, self.rows)

    def records(self) -> list[Record]:
        """The records of these rows, as the record path has them (for writers that need records)."""
        return pick(self._records(), self.rows)
