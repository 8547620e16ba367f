"""Schemaless integers that are a Java `Byte`, `Short` or `Integer` rather than a `Long`.

A value without a schema is typed by its Java class in Kafka Connect. A plain Python `int` stands for a
`Long`, as schemaless JSON decodes every integral number; but a few SMT steps put narrower boxes into
schemaless data: Cast to `int8`/`int16`/`int32` (a `Byte`/`Short`/`Integer`) and InsertField's
`partition.field` (the partition, an `Integer`). Kafka treats those differently from a `Long` later in a
chain: TimestampConverter reads only a `Long` as Unix time (`TimestampConverter does not support class
java.lang.Short objects as timestamps`), MaskField masks a `Short` with a `Short`, and
`ConnectSchema.schemaType` gives INT8/INT16/INT32.

`JavaByte`, `JavaShort` and `JavaInteger` are `int` subclasses that carry that width: they compare, hash,
print and serialize (JSON, `str`) as the plain number, and any arithmetic gives a plain `int`. Only
schemaless data holds them; values inside a `Struct` are typed by their schema and stay plain ints::

    boxed(300, Type.INT16)   # JavaShort(300)
    java_int_type(JavaShort(300))  # Type.INT16
"""

from __future__ import annotations

from typing import Any, ClassVar

from pyconnect_flow.data.schema import Type

__all__ = ["BOXES", "JavaByte", "JavaInt", "JavaInteger", "JavaShort", "boxed", "java_int_type"]


class JavaInt(int):
    """An integer boxed as a Java class narrower than `Long` (the base of the three)."""

    __slots__ = ()
    SCHEMA_TYPE: ClassVar[Type]
    JAVA_CLASS: ClassVar[str]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int.__repr__(self)})"

    __str__ = int.__repr__  # the number, as Java's toString prints it


class JavaByte(JavaInt):
    """A `java.lang.Byte` in schemaless data (Cast to int8)."""

    __slots__ = ()
    SCHEMA_TYPE = Type.INT8
    JAVA_CLASS = "java.lang.Byte"


class JavaShort(JavaInt):
    """A `java.lang.Short` in schemaless data (Cast to int16)."""

    __slots__ = ()
    SCHEMA_TYPE = Type.INT16
    JAVA_CLASS = "java.lang.Short"


class JavaInteger(JavaInt):
    """A `java.lang.Integer` in schemaless data (Cast to int32, InsertField's partition)."""

    __slots__ = ()
    SCHEMA_TYPE = Type.INT32
    JAVA_CLASS = "java.lang.Integer"


#: The box of each narrower integer schema type.
BOXES: dict[Type, type[JavaInt]] = {Type.INT8: JavaByte, Type.INT16: JavaShort, Type.INT32: JavaInteger}


def boxed(value: int, type_: Type) -> int:
    """`value` as the schemaless Java box of integer schema type `type_` (INT64: a plain int)."""
    box = BOXES.get(type_)
    return int(value) if box is None else box(value)


def java_int_type(value: Any) -> Type | None:
    """INT8/INT16/INT32 for a boxed narrower integer, INT64 for any other int (not bool), else None."""
    if isinstance(value, JavaInt):
        return value.SCHEMA_TYPE
    if isinstance(value, int) and not isinstance(value, bool):
        return Type.INT64
    return None
