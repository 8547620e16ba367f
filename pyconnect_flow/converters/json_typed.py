"""JsonConverter payloads of one flat struct schema decoded by msgspec against the fields' types, in C.

msgspec reads each payload into a typed object without a dict, checking every field as it goes: integers
in their type's range (never a boolean or a float), strings, booleans, finite doubles (an integer becomes a
double, as the field decoder converts it), nulls only where optional, no field the schema does not name (so
every byte of the payload was checked, UTF-8 included). What it refuses — and doubles equal to zero, which
the field decoder reads itself (`-0.0`) — leaves the batch to the orjson path (`JsonConverter.
to_connect_columns`), which decodes or refuses it as always; what it takes is what that path gives.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Annotated, Any

from pyconnect_flow.data.schema import Type

_INT_BOUNDS = {Type.INT8: 7, Type.INT16: 15, Type.INT32: 31, Type.INT64: 63}


def _field_type(kind: Type, optional: bool) -> Any | None:
    import msgspec

    base: Any
    if kind in _INT_BOUNDS:
        bits = _INT_BOUNDS[kind]
        base = Annotated[int, msgspec.Meta(ge=-(1 << bits), le=(1 << bits) - 1)]
    elif kind is Type.FLOAT64:
        base = float
    elif kind is Type.STRING:
        base = str
    elif kind is Type.BOOLEAN:
        base = bool
    else:
        return None  # FLOAT32 is rounded from the double by the field decoder
    return base | None if optional else base


class TypedPayloads:
    """A msgspec decoder for the payloads of one flat struct schema, giving its field columns."""

    def __init__(self, decode: Callable[[bytes], Any], fields: list[tuple[str, Type, bool]]) -> None:
        self._decode = decode
        self._getters = [attrgetter(f"f{j}") for j in range(len(fields))]
        self._doubles = [j for j, (_, kind, _) in enumerate(fields) if kind is Type.FLOAT64]

    def columns(self, payloads: list[bytes]) -> list[list[Any]] | None:
        """The field columns of these payloads, or None where the orjson path must read them."""
        import msgspec

        try:
            values = list(map(self._decode, payloads))
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        columns = [list(map(get, values)) for get in self._getters]
        for j in self._doubles:
            column = columns[j]
            if not all(column if None not in column else [v for v in column if v is not None]):
                return None  # a zero: the field decoder reads zeros itself
        return columns


def typed_payloads(fields: list[tuple[str, Type, bool]]) -> TypedPayloads | None:
    """A `TypedPayloads` for these (name, type, optional) fields; None if msgspec is missing or a type is
    not read this way."""
    try:
        import msgspec
    except ImportError:
        return None
    types = [_field_type(kind, optional) for _, kind, optional in fields]
    if any(t is None for t in types):
        return None
    spec = [(f"f{j}", t, None) if optional else (f"f{j}", t)
            for j, (t, (_, _, optional)) in enumerate(zip(types, fields))]
    try:
        struct = msgspec.defstruct("Payload", spec, rename={f"f{j}": name for j, (name, _, _) in enumerate(fields)},
                                   forbid_unknown_fields=True, kw_only=True)
        return TypedPayloads(msgspec.json.Decoder(struct).decode, fields)
    except (TypeError, ValueError):  # a schema msgspec cannot express (the orjson path reads it)
        return None
