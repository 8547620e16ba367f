"""JsonConverter values of one flat struct schema as columns, without a `Struct` per value.

`JsonConverter.to_connect_columns` checks a batch of payload nodes (parsed by orjson) column by column with
the same inline checks the compiled struct decoder applies (`json_codec._INLINE_CHECKS`): where every node
of a column passes, the decoder takes the nodes as they are, so the columns are the values. Anything the
field decoders would convert, default or refuse leaves the batch to `to_connect_batch`.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat
from typing import Any

from pyconnect_flow.data.schema import Schema, Type
from pyconnect_flow.data.struct import Struct

_INT_RANGES = {Type.INT8: (-128, 127), Type.INT16: (-32768, 32767), Type.INT32: (-2147483648, 2147483647),
               Type.INT64: (-9223372036854775808, 9223372036854775807)}
_KINDS = {**{t: int for t in _INT_RANGES}, Type.FLOAT64: float, Type.FLOAT32: float, Type.STRING: str,
          Type.BOOLEAN: bool}


def flat_fields(schema: Schema | None) -> list[tuple[str, Type, bool]] | None:
    """(name, type, optional) of each field of a struct of plain fields (no logical types, no defaults)."""
    if schema is None or schema.type is not Type.STRUCT or not schema.fields:
        return None
    fields = []
    for f in schema.fields:
        s = f.schema
        if s.name is not None or s.default is not None or s.type not in _KINDS:
            return None
        fields.append((f.name, s.type, s.optional))
    return fields


def column_is_plain(column: list[Any], kind: Type, optional: bool) -> bool:
    """Whether the struct decoder keeps every node of `column` as it is (None: an optional field's null)."""
    present = [v for v in column if v is not None] if optional and None in column else column
    if not present:
        return True
    if set(map(type, present)) != {_KINDS[kind]}:
        return False  # other kinds (and nulls of required fields) go through the field decoders
    if kind in _INT_RANGES:
        low, high = _INT_RANGES[kind]
        return low <= min(present) and max(present) <= high
    if kind is Type.FLOAT64 or kind is Type.FLOAT32:
        return all(present)  # the decoder reads zeros itself (-0.0 becomes 0.0)
    return True


class FlatColumns:
    """Decoded values of one flat struct schema: `columns[j][i]` is field `names[j]` of value i.

    As decoded by orjson, `nodes` are the payload objects the columns were read from and `decode` builds a
    value's `Struct` from its node; decoded by msgspec (`converters.json_typed`) or made by a columnar
    transform (`transforms.columns`), there are no nodes (`decode` None) and `Struct`s are built from the
    columns."""

    __slots__ = ("schema", "names", "columns", "_decode", "_nodes")

    def __init__(self, schema: Schema, names: list[str], columns: list[list[Any]],
                 decode: Callable[[Any], Any] | None = None, nodes: list[Any] | None = None) -> None:
        self.schema = schema
        self.names = names
        self.columns = columns
        self._decode = decode
        self._nodes = nodes

    def __len__(self) -> int:
        return len(self._nodes) if self._nodes is not None else len(self.columns[0])

    @property
    def nodes(self) -> list[Any] | None:
        """The payload objects as parsed (dicts whose fields are the columns' values, in the document's order,
        with any field the schema does not name): what a writer of the payloads may re-serialize. None for
        columns msgspec decoded or a transform made."""
        return self._nodes

    def value(self, i: int) -> Any:
        """The `Struct` of value i."""
        if self._nodes is not None and self._decode is not None:
            return self._decode(self._nodes[i])
        return Struct.unchecked(self.schema, {name: column[i] for name, column in zip(self.names, self.columns)})

    def values(self) -> list[tuple[Schema, Any]]:
        """The (schema, Struct) pairs `to_connect_batch` gives for the same bytes (after a columnar transform:
        those the transform gives for them)."""
        if self._nodes is not None and self._decode is not None:
            return list(zip(repeat(self.schema), map(self._decode, self._nodes)))
        schema, names = self.schema, self.names
        return [(schema, Struct.unchecked(schema, dict(zip(names, row)))) for row in zip(*self.columns)]

    def take(self, rows: list[int]) -> FlatColumns:
        """Values `rows` (ascending indices) alone: each column and the payload objects cut alike."""
        nodes = None if self._nodes is None else list(map(self._nodes.__getitem__, rows))
        return FlatColumns(self.schema, self.names, [list(map(column.__getitem__, rows)) for column in self.columns],
                           self._decode, nodes)
