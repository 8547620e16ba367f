"""Helpers shared by the field and struct SMTs.

Python counterparts of Kafka's `transforms.util.Requirements` (the
`require_*` checks, with Kafka's messages), `SchemaUtil.copySchemaBasics`,
the bounded schema-update cache every schema-changing SMT keeps (and `Memo`, a bounded topic cache), the config
validators the SMTs share (`NonEmptyListValidator`, `ConfigDef.NonEmptyString`),
and the bases of the configured SMTs: `ConfiguredTransform` (keyword arguments
or `from_config`) and `KeyValueTransform` (SMTs that come as `$Key` and `$Value`
variants). Java's number conversions the SMTs rely on (narrowing casts,
`BigDecimal` parsing, float32 rounding) are in `data.java_numbers`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from pyconnect_flow.config.definition import ConfigDef, ConfigException, ConfigKey, ConfigType
from pyconnect_flow.data import DataException, Schema, SchemaBuilder, Struct, Type, validate_value
from pyconnect_flow.record import Record, key_part, value_part, with_key, with_value
from pyconnect_flow.transforms.base import Transform

__all__ = [
    "REPLACE_NULL_WITH_DEFAULT", "ConfiguredTransform", "KeyValueTransform", "Memo", "SchemaCache", "copy_schema_basics",
    "field_values", "java_split", "kwargs_to_props", "non_empty_list", "non_empty_string", "put_checked",
    "require_map", "require_map_or_null", "require_schema", "require_sink_record", "require_struct",
    "require_struct_or_null", "type_name", "validated_values",
]

C = TypeVar("C", bound="ConfiguredTransform")
K = TypeVar("K")
V = TypeVar("V")


# requirements -------------------------------------------------------------

def type_name(value: Any) -> str:
    """The name errors use for the type of `value` ("null" for None), as Kafka's `nullSafeClassName`."""
    return "null" if value is None else type(value).__name__


def require_schema(schema: Schema | None, purpose: str) -> Schema:
    """`schema`, or DataException when there is none."""
    if schema is None:
        raise DataException(f"Schema required for [{purpose}]")
    return schema


def require_map(value: Any, purpose: str) -> Mapping[str, Any]:
    """`value` if it is a map (schemaless data), else DataException."""
    if type(value) is dict or isinstance(value, Mapping):
        return value
    raise DataException(
        f"Only Map objects supported in absence of schema for [{purpose}], found: {type_name(value)}"
    )


def require_map_or_null(value: Any, purpose: str) -> Mapping[str, Any] | None:
    """None for None, else `require_map`."""
    return None if value is None else require_map(value, purpose)


def require_struct(value: Any, purpose: str) -> Struct:
    """`value` if it is a `Struct`, else DataException."""
    if isinstance(value, Struct):
        return value
    raise DataException(f"Only Struct objects supported for [{purpose}], found: {type_name(value)}")


def require_struct_or_null(value: Any, purpose: str) -> Struct | None:
    """None for None, else `require_struct`."""
    return None if value is None else require_struct(value, purpose)


def require_sink_record(record: Record, purpose: str) -> Record:
    """`record` if it came from Kafka (it has an offset), as Kafka's `requireSinkRecord`."""
    if record.offset is None:
        raise DataException(f"Only SinkRecord supported for [{purpose}], found: SourceRecord")
    return record


# structs and schemas ---------------------------------------------------------

def field_values(struct: Struct, replace_null_with_default: bool) -> dict[str, Any]:
    """Every field of `struct` by name; a null field reads as its schema default if `replace_null_with_default`."""
    fields = struct.schema.fields or ()
    if replace_null_with_default:
        get = struct.get
        return {f.name: get(f) for f in fields}
    raw = struct.get_without_default
    return {f.name: raw(f.name) for f in fields}


def put_checked(values: dict[str, Any], schema: Schema, name: str, value: Any) -> None:
    """`values[name] = value` after checking `value` against field `name` of `schema` (as `Struct.put`)."""
    f = schema.field(name)
    if f is None:
        raise DataException(f"{name} is not a valid field name")
    validate_value(f.schema, value, name)
    values[name] = value


def copy_schema_basics(source: Schema, builder: SchemaBuilder | None = None) -> SchemaBuilder:
    """A builder with `source`'s name, version, doc and parameters (not optionality, default or fields).

    Without `builder`, one of `source`'s type is made (an ARRAY keeps its item schema), as
    Kafka's `SchemaUtil.copySchemaBasics`.
    """
    if builder is None:
        if source.type is Type.ARRAY:
            assert source.value_schema is not None
            builder = SchemaBuilder.array(source.value_schema)
        else:
            builder = SchemaBuilder(source.type)
    builder.name(source.name).version(source.version).doc(source.doc)
    if source.parameters:
        builder.parameters(source.parameters)
    return builder


class SchemaCache:
    """A small LRU map from input schema to the schema an SMT derived from it (Kafka: `LRUCache(16)`).

    The last hit is also kept by identity, so a stream of records with one schema costs one
    `is` check per record. Pickles empty: a copy rebuilds its entries on first use.
    """

    __slots__ = ("_entries", "_last_in", "_last_out", "maxsize")

    def __init__(self, maxsize: int = 16) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[Schema, Any] = OrderedDict()
        self._last_in: Schema | None = None
        self._last_out: Any = None

    def get_or_build(self, schema: Schema, build: Callable[[Schema], Any]) -> Any:
        """The cached result for `schema`, or `build(schema)` (then cached)."""
        if schema is self._last_in:
            return self._last_out
        entries = self._entries
        out = entries.get(schema)
        if out is None:
            out = build(schema)
            entries[schema] = out
            if len(entries) > self.maxsize:
                entries.popitem(last=False)
        else:
            entries.move_to_end(schema)
        self._last_in, self._last_out = schema, out
        return out

    def __len__(self) -> int:
        return len(self._entries)

    def __getstate__(self) -> tuple[int]:
        return (self.maxsize,)

    def __setstate__(self, state: tuple[int]) -> None:
        SchemaCache.__init__(self, state[0])


class Memo(dict[K, V]):
    """A small cache (for example topic -> routed topic) that empties itself when full and pickles empty."""

    __slots__ = ("maxsize",)

    def __init__(self, maxsize: int = 4096) -> None:
        super().__init__()
        self.maxsize = maxsize

    def put(self, key: K, value: V) -> V:
        """Store and return `value`."""
        if len(self) >= self.maxsize:
            self.clear()
        self[key] = value
        return value

    def __reduce__(self) -> tuple[type[Memo[Any, Any]], tuple[int]]:
        return (Memo, (self.maxsize,))


# Java string semantics -------------------------------------------------------

def java_split(text: str, sep: str) -> list[str]:
    """`text.split(sep)` as Java's `String.split` with a literal separator: trailing empty parts dropped."""
    parts = text.split(sep)
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if len(parts) == 1 and parts[0] == "" and text:
        return []  # Java: ":".split(":") is an empty array
    return parts


# configuration -------------------------------------------------------------

def non_empty_list(value: Any) -> str | None:
    """Validator with the message of Kafka's `NonEmptyListValidator` ("Empty list") for an empty list."""
    return None if value else "Empty list"


def non_empty_string(value: Any) -> str | None:
    """Validator with the message of Kafka's `ConfigDef.NonEmptyString` for an empty string."""
    return None if value else "String must be non-empty"


REPLACE_NULL_WITH_DEFAULT = ConfigKey(
    "replace.null.with.default", ConfigType.BOOLEAN, True,
    "Whether to replace fields that have a default value and that are null to the default value. "
    "When set to true, the default value is used, otherwise null is used.",
)
"""The `replace.null.with.default` key (KIP-1040) several SMTs share: read a null struct field
with a schema default as the default (`Struct.get`) or as null (`get_without_default`)."""


def kwargs_to_props(config: ConfigDef, kwargs: Mapping[str, Any], owner: str) -> dict[str, Any]:
    """Kafka config keys from Python keyword arguments (`static_field=` is `static.field`).

    Dotted names may be given too (`**{"static.field": "x"}`); anything else is a TypeError,
    as for any Python call with an unexpected keyword.
    """
    names: dict[str, str] = {}
    for key in config:
        for known in (key.name, *key.aliases):
            names[known] = known
            names[known.replace(".", "_")] = known
    props: dict[str, Any] = {}
    for arg, value in kwargs.items():
        name = names.get(arg)
        if name is None:
            raise TypeError(f"{owner}() got an unexpected keyword argument {arg!r}")
        props[name] = value
    return props


def validated_values(cls: type[Transform], props: Mapping[str, Any]) -> dict[str, Any]:
    """The typed values of `props` for `cls`, or ConfigException listing every problem."""
    issues = cls.check_config(props)
    if issues:
        raise ConfigException(getattr(cls, "KAFKA_NAME", cls.__name__), issues, what="transform")
    values, _ = cls.CONFIG.check(props, ignore_unknown=True)
    return values


class ConfiguredTransform(Transform):
    """A Kafka SMT built from its config: keyword arguments, `from_config(props)` or both variants.

    Subclasses implement `_configure(values)` (typed values keyed by Kafka names) and may map
    Pythonic argument values to Kafka's string forms in `_props_from_kwargs`.
    """

    KAFKA_NAME: ClassVar[str] = ""
    """Kafka's short class name (`InsertField$Value`), used in errors."""

    def __init__(self, **kwargs: Any) -> None:
        props = self._props_from_kwargs(kwargs_to_props(self.CONFIG, kwargs, type(self).__name__))
        self._configure(validated_values(type(self), props))

    @classmethod
    def _props_from_kwargs(cls, props: dict[str, Any]) -> dict[str, Any]:
        """Turn Pythonic values (dicts, ...) into what the Kafka keys take (override where needed)."""
        return props

    @classmethod
    def _from_values(cls: type[C], values: Mapping[str, Any]) -> C:
        obj = cls.__new__(cls)
        obj._configure(values)
        return obj

    def _configure(self, values: Mapping[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class KeyValueTransform(ConfiguredTransform):
    """Base of SMTs with `$Key` and `$Value` variants: works on the record's key or its value.

    A subclass sets `TARGET` ("key" or "value"); the SMT's base class gets `Key`/`Value` set
    to its variants, so `X.key(**kwargs)` and `X.value(**kwargs)` build configured instances.
    """

    TARGET: ClassVar[str]
    Key: ClassVar[type[KeyValueTransform]]
    Value: ClassVar[type[KeyValueTransform]]
    _operating: Callable[[Record], tuple[Any, Schema | None]]
    """`(data, schema)` of the part this variant works on: `record.key_part` or `record.value_part`."""
    _with_part: Callable[[Record, Any, Schema | None], Record]
    """`record` with the operated part and its schema replaced: `record.with_key` or `record.with_value`."""

    @classmethod
    def key(cls, **kwargs: Any) -> KeyValueTransform:
        """The `$Key` variant, configured from keyword arguments."""
        return cls.Key(**kwargs)

    @classmethod
    def value(cls, **kwargs: Any) -> KeyValueTransform:
        """The `$Value` variant, configured from keyword arguments."""
        return cls.Value(**kwargs)

    @classmethod
    def _from_values(cls: type[C], values: Mapping[str, Any]) -> C:
        if not hasattr(cls, "TARGET"):
            raise TypeError(f"{cls.__name__} is abstract: use {cls.__name__}.Key or {cls.__name__}.Value")
        return super()._from_values(values)

    def __init__(self, **kwargs: Any) -> None:
        if not hasattr(type(self), "TARGET"):
            name = type(self).__name__
            raise TypeError(f"{name} is abstract: use {name}.key(...) or {name}.value(...)")
        super().__init__(**kwargs)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        target = cls.__dict__.get("TARGET")
        if target is not None:
            # One call per record, straight to the record module's getter and copy of the right part.
            is_key = target == "key"
            cls._operating = key_part if is_key else value_part  # an itemgetter: no binding to the instance
            cls._with_part = staticmethod(with_key if is_key else with_value)
