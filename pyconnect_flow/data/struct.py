"""`Struct`: a value of a STRUCT schema, as Kafka Connect's `Struct`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.schema import Field, Schema, Type


class Struct:
    """Field values of a STRUCT schema, looked up by name.

    Like Kafka's `Struct`, it can be filled with `put` and checked with
    `validate()`; `get` falls back to the field's default::

        s = Struct(schema).put("id", 1).put("email", None)
        s.validate()
    """

    __slots__ = ("schema", "_values")

    def __init__(self, schema: Schema, values: Mapping[str, Any] | None = None) -> None:
        if schema.type is not Type.STRUCT:
            raise DataException("Not a struct schema: " + repr(schema))
        self.schema = schema
        self._values: dict[str, Any] = {}
        if values:
            for name, value in values.items():
                self.put(name, value)

    @classmethod
    def unchecked(cls, schema: Schema, values: dict[str, Any]) -> Struct:
        """A Struct holding `values` (field name -> value, used as is) without checking them.

        For code that moves values already checked against the same field schemas from one
        struct to another (the SMTs do, per record); anything else should use `put`.
        """
        s = cls.__new__(cls)
        s.schema = schema
        s._values = values
        return s

    def _field(self, name: str) -> Field:
        f = self.schema.field(name)
        if f is None:
            raise DataException(f"{name} is not a valid field name")
        return f

    def put(self, name: str | Field, value: Any) -> Struct:
        """Set a field (validated against its schema) and return self."""
        f = name if isinstance(name, Field) else self._field(name)
        from pyconnect_flow.data.values import validate_value

        validate_value(f.schema, value, f.name)
        self._values[f.name] = value
        return self

    def get(self, name: str | Field) -> Any:
        """The field's value, or its schema default when unset or None."""
        f = name if isinstance(name, Field) else self._field(name)
        value = self._values.get(f.name)
        if value is None:
            return f.schema.default
        return value

    def get_without_default(self, name: str) -> Any:
        """The field's value as set, without falling back to the default."""
        self._field(name)
        return self._values.get(name)

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.schema.field(name) is not None

    def __iter__(self) -> Iterator[str]:
        return (f.name for f in self.schema.fields or ())

    def items(self) -> Iterator[tuple[str, Any]]:
        """(field name, value) pairs in schema order, defaults applied."""
        return ((f.name, self.get(f)) for f in self.schema.fields or ())

    def to_dict(self) -> dict[str, Any]:
        """Nested plain-Python form: structs become dicts (handy in notebooks and tests)."""
        return {name: _plain(value) for name, value in self.items()}

    def validate(self) -> None:
        """Raise DataException if a required field is missing or a value has the wrong type."""
        from pyconnect_flow.data.values import validate_value

        for f in self.schema.fields or ():
            validate_value(f.schema, self._values.get(f.name), f.name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Struct):
            return NotImplemented
        return self.schema == other.schema and all(
            self._values.get(n) == other._values.get(n) for n in self
        )

    def __hash__(self) -> int:
        return hash(tuple(_hashable(self._values.get(n)) for n in self))

    def __repr__(self) -> str:
        inner = ",".join(f"{n}={self._values.get(n)!r}" for n in self)
        return f"Struct{{{inner}}}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.schema, self._values))


def _rebuild(schema: Schema, values: dict[str, Any]) -> Struct:
    s = Struct.__new__(Struct)
    s.schema = schema
    s._values = dict(values)
    return s


def _plain(value: Any) -> Any:
    if isinstance(value, Struct):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, _hashable(v)) for k, v in value.items())
    return value
