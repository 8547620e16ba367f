"""The SQL sink's rows straight from decoded Kafka columns (`kafka_columns.DecodedColumns`), no records.

A batch whose values are one flat struct schema (`DecodedColumns.flat`) becomes a `ColumnPiece`: the row
columns its `RowPlan` names (key columns first), taken from the value columns, the key columns
(`DecodedColumns.key_flat`, or a primitive key of one schema) or the Kafka coordinates (`pk.mode=kafka`),
and the keys its rows collapse by. `collapse` keeps, over the pieces of one chunk, the last row of each
key, as the record path's `SqlSinkWriter._prepare` does; `copy_text` writes the rows.

`piece_of` gives None for anything the record path must do (tombstones, schemaless or logical types,
defaults, keys that are not one plain schema): the writer then builds that batch's records.
"""

from __future__ import annotations

from itertools import chain, compress
from typing import Any

from pyconnect_flow.connectors.sql.copy_text import NATURAL_OIDS
from pyconnect_flow.connectors.sql.rows import Planner, RowPlan
from pyconnect_flow.connectors.sql.tables import TableId
from pyconnect_flow.data.schema import Schema, Type
from pyconnect_flow.kafka_columns import DecodedColumns
from pyconnect_flow.record import Record

_PY_TYPES = {Type.INT8: int, Type.INT16: int, Type.INT32: int, Type.INT64: int, Type.FLOAT32: float,
             Type.FLOAT64: float, Type.BOOLEAN: bool, Type.STRING: str}


def plain(schema: Schema) -> bool:
    """Whether values of `schema` bind as they are and have a COPY text form (`copy_text`)."""
    return schema.name is None and schema.default is None and schema.type in NATURAL_OIDS


class ColumnPiece:
    """One batch of decoded columns as rows of table `tid`: `data[j]` is column `plan.names[j]` of every row,
    `keys[i]` what row i collapses by (None when the rows are not keyed)."""

    __slots__ = ("columns", "tid", "plan", "data", "keys", "_records")

    def __init__(self, columns: DecodedColumns, tid: TableId, plan: RowPlan, data: list[list[Any]],
                 keys: list[Any] | None) -> None:
        self.columns = columns
        self.tid = tid
        self.plan = plan
        self.data = data
        self.keys = keys
        self._records: tuple[list[Record], list[Record]] | None = None

    def __len__(self) -> int:
        return len(self.columns)

    @property
    def last_offset(self) -> int:
        """The Kafka offset of the last message."""
        return self.columns.raw.offsets[-1]

    def records(self) -> tuple[list[Record], list[Record]]:
        """The decoded records and the records as read from Kafka (built once: the same objects every time)."""
        if self._records is None:
            self._records = (self.columns.records(), self.columns.originals())
        return self._records


def _key_column(columns: DecodedColumns) -> tuple[Schema, list[Any]] | None:
    """A primitive key of one plain schema, as a column (None if the keys are not such)."""
    keys = columns.keys
    schema = keys[0][0]
    if schema is None or not plain(schema) or not all(k[0] is schema for k in keys):
        return None
    column = [k[1] for k in keys]
    if set(map(type, column)) != {_PY_TYPES[schema.type]}:
        return None  # a null key (or a value of another kind): the record path reports or converts it
    return schema, column


def piece_of(columns: DecodedColumns, tid: TableId, planner: Planner) -> ColumnPiece | None:
    """`columns` as rows of table `tid` (see the module docstring), or None for the record path."""
    flat = columns.flat
    if flat is None or not len(columns):
        return None
    mode = planner.settings.pk_mode
    key_values: list[Any] | None = None
    key_schema: Schema | None = None
    key_flat = columns.key_flat
    if mode == "record_key":
        if key_flat is not None:
            key_schema = key_flat.schema
        else:
            found = _key_column(columns)
            if found is None:
                return None
            key_schema, key_values = found
    try:
        plan = planner.plan(key_schema, flat.schema)
    except Exception:  # noqa: BLE001 - the record path reports each record
        return None
    if not all(plain(c.schema) for c in plan.columns):
        return None
    raw = columns.raw
    n = len(columns)
    value_index = {name: j for j, name in enumerate(flat.names)}
    key_index = {name: j for j, name in enumerate(key_flat.names)} if key_flat is not None else {}
    data: list[list[Any]] = []
    kc = plan.key_count
    for j, name in enumerate(plan.names):
        if j < kc and mode == "kafka":
            data.append([columns.topic] * n if j == 0 else [raw.partition] * n if j == 1 else raw.offsets)
        elif j < kc and mode == "record_key":
            if key_values is not None:
                data.append(key_values)
            else:
                assert key_flat is not None
                data.append(key_flat.columns[key_index[name]])
        else:
            data.append(flat.columns[value_index[name]])
    keys: list[Any] | None
    if mode == "none":
        keys = None
    elif kc == 1:
        keys = data[0]
    else:
        keys = list(zip(*data[:kc]))
    return ColumnPiece(columns, tid, plan, data, keys)


Part = tuple[ColumnPiece, "list[bool] | None"]
"""A piece and which of its rows are written (None: all)."""


def collapse(pieces: list[ColumnPiece]) -> list[Part]:
    """The rows of keyed pieces (of one table and key columns, in order) that are the last of their key."""
    keys: list[Any] = list(chain.from_iterable(p.keys for p in pieces))  # type: ignore[misc]
    last = dict(zip(keys, range(len(keys))))
    if len(last) == len(keys):
        return [(p, None) for p in pieces]
    alive = [False] * len(keys)
    for i in last.values():
        alive[i] = True
    parts: list[Part] = []
    start = 0
    for p in pieces:
        mask = alive[start:start + len(p)]
        start += len(p)
        if any(mask):
            parts.append((p, mask))
    return parts


def part_columns(parts: list[Part]) -> list[list[Any]]:
    """The row columns of `parts` (pieces of one plan) joined, each keeping the rows its mask selects."""
    if len(parts) == 1 and parts[0][1] is None:
        return parts[0][0].data
    width = len(parts[0][0].data)
    return [list(chain.from_iterable(p.data[j] if mask is None else compress(p.data[j], mask) for p, mask in parts))
            for j in range(width)]
