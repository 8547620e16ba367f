"""Which columns a record fills, and its row: Confluent's `FieldsMetadata` per `pk.mode`.

A `RowPlan` is built once per (key schema, value schema) pair and turns records into a key tuple
and a row tuple (key columns first, then value columns) of values ready to bind:

- `pk.mode=none`: no key columns; value fields (minus those not in `fields.whitelist`).
- `kafka`: `__connect_topic`, `__connect_partition`, `__connect_offset` (or the 3 `pk.fields`).
- `record_key`: a primitive key is one column named by the single `pk.fields` entry; a struct
  key gives its fields (all, or those listed).
- `record_value`: value fields (all, or those listed) are the key.

Key fields are always kept, whatever `fields.whitelist` says; a value field named like a key
column is left out (the key wins).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pyconnect_flow.connectors.sql.config import DEFAULT_KAFKA_PK_NAMES
from pyconnect_flow.connectors.sql.types import (
    Binder,
    UnsupportedSchema,
    as_struct,
    binder,
    infer_key_schema,
    infer_value_schema,
)
from pyconnect_flow.data.exceptions import ConnectException, DataException
from pyconnect_flow.data.schema import INT32_SCHEMA, INT64_SCHEMA, STRING_SCHEMA, Schema, Type
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.record import Record


class PlanError(ConnectException):
    """The record's schemas do not fit the configured pk.mode / pk.fields."""


@dataclass(frozen=True)
class Column:
    """One column a record fills: name, Connect schema, whether it is part of the primary key."""

    name: str
    schema: Schema
    key: bool

    @property
    def optional(self) -> bool:
        return self.schema.optional and not self.key


@dataclass(frozen=True)
class Settings:
    """The sink keys a plan depends on."""

    pk_mode: str
    pk_fields: tuple[str, ...]
    whitelist: frozenset[str]
    replace_null_with_default: bool
    tz: dt.tzinfo


Getter = Callable[[Record], Any]


class RowPlan:
    """Turns records of one schema pair into (key, row) tuples; see the module docstring."""

    def __init__(self, columns: Sequence[Column], getters: Sequence[Getter], key_count: int) -> None:
        self.columns = tuple(columns)
        self.names = tuple(c.name for c in columns)
        self.key_names = self.names[:key_count]
        self.value_names = self.names[key_count:]
        self.key_count = key_count
        self._getters = tuple(getters)

    def row(self, record: Record) -> tuple[Any, ...]:
        """The row of `record`, key columns first."""
        return tuple(g(record) for g in self._getters)

    def key(self, record: Record) -> tuple[Any, ...]:
        """The key columns' values of `record` (works for tombstones)."""
        return tuple(g(record) for g in self._getters[: self.key_count])


def _field_getter(source: str, name: str, schema: Schema, settings: Settings) -> Getter:
    default = schema.default if settings.replace_null_with_default else None
    bind: Binder | None = binder(schema, settings.tz)

    def get(record: Record) -> Any:
        container = record.key if source == "key" else record.value
        if isinstance(container, Struct):
            value = container.get_without_default(name) if default is None else container.get(name)
        elif isinstance(container, dict):
            value = container.get(name)
        else:
            raise DataException(f"record {source} is not a struct")
        if value is None:
            value = default
        if bind is not None and value is not None:
            value = bind(value)
        return value

    return get


def _whole_key_getter(schema: Schema, settings: Settings) -> Getter:
    bind = binder(schema, settings.tz)
    if bind is None:
        return lambda r: r.key
    return lambda r: None if r.key is None else bind(r.key)


def _struct_fields(schema: Schema | None) -> list[tuple[str, Schema]]:
    if schema is None:
        return []
    if schema.type is not Type.STRUCT:
        raise PlanError(f"value schema must be a STRUCT, got {schema.type.name}")
    return [(f.name, f.schema) for f in schema.fields or ()]


def build_plan(settings: Settings, key_schema: Schema | None, value_schema: Schema | None) -> RowPlan:
    """The plan for records with these schemas (value_schema None: tombstones, key columns only)."""
    columns: list[Column] = []
    getters: list[Getter] = []
    mode = settings.pk_mode
    if mode == "kafka":
        names = settings.pk_fields or DEFAULT_KAFKA_PK_NAMES
        for name, schema, getter in zip(names, (STRING_SCHEMA, INT32_SCHEMA, INT64_SCHEMA),
                                        (lambda r: r.topic, lambda r: r.partition, lambda r: r.offset)):
            columns.append(Column(name, schema, True))
            getters.append(getter)
    elif mode == "record_key":
        if key_schema is None:
            raise PlanError("pk.mode=record_key needs records with a key")
        if key_schema.type.is_primitive:
            if len(settings.pk_fields) != 1:
                raise PlanError("Need exactly one PK column defined since the key schema for records is a "
                                f"primitive type, defined columns are: {list(settings.pk_fields)}")
            columns.append(Column(settings.pk_fields[0], key_schema, True))
            getters.append(_whole_key_getter(key_schema, settings))
        elif key_schema.type is Type.STRUCT:
            fields = dict(_struct_fields(key_schema))
            wanted = settings.pk_fields or tuple(fields)
            for name in wanted:
                if name not in fields:
                    raise PlanError(f"PK mode for table is record_key with configured PK fields {list(wanted)}, "
                                    f"but record key schema does not contain field: {name}")
                columns.append(Column(name, fields[name], True))
                getters.append(_field_getter("key", name, fields[name], settings))
        else:
            raise PlanError(f"Key schema must be primitive type or Struct, but is of type: {key_schema.type.name}")
    elif mode == "record_value":
        if value_schema is None:
            raise PlanError("pk.mode=record_value needs records with a value")
        fields = dict(_struct_fields(value_schema))
        wanted = settings.pk_fields or tuple(fields)
        for name in wanted:
            if name not in fields:
                raise PlanError(f"PK mode for table is record_value with configured PK fields {list(wanted)}, "
                                f"but record value schema does not contain field: {name}")
            columns.append(Column(name, fields[name], True))
            getters.append(_field_getter("value", name, fields[name], settings))
    key_count = len(columns)
    taken = {c.name for c in columns}
    for name, schema in _struct_fields(value_schema):
        if name in taken or (settings.whitelist and name not in settings.whitelist):
            continue
        if schema.type in (Type.STRUCT, Type.MAP):
            raise UnsupportedSchema(f"{schema.type.name} (field {name!r}) doesn't have a mapping to the SQL "
                                    "database column type: flatten nested values first, e.g. with the Flatten SMT")
        columns.append(Column(name, schema, False))
        getters.append(_field_getter("value", name, schema, settings))
    return RowPlan(columns, getters, key_count)


class Planner:
    """Caches a `RowPlan` per schema pair; infers schemas for schemaless records."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._by_id: dict[tuple[int, int], tuple[Any, Any, RowPlan]] = {}
        self._by_schema: dict[tuple[Any, Any], RowPlan] = {}
        self._inferred: dict[tuple[Any, ...], Schema] = {}

    def schemas(self, record: Record) -> tuple[Schema | None, Schema | None]:
        """The record's key and value schemas, inferred for schemaless ones."""
        ks, vs = record.key_schema, record.value_schema
        if ks is None and record.key is not None and self.settings.pk_mode == "record_key":
            ks = self._infer(record.key, record.topic, key=True)
        if vs is None and record.value is not None:
            vs = self._infer(record.value, record.topic, key=False)
        return ks, vs

    def _infer(self, data: Any, topic: str, key: bool) -> Schema:
        if isinstance(data, dict):
            signature: tuple[Any, ...] = (key, *((k, type(v)) for k, v in data.items()))
        else:
            signature = (key, type(data))
        schema = self._inferred.get(signature)
        if schema is None:
            schema = infer_key_schema(data) if key else infer_value_schema(data, topic)
            if len(self._inferred) > 1000:
                self._inferred.clear()
            self._inferred[signature] = schema
        return schema

    def plan(self, key_schema: Schema | None, value_schema: Schema | None) -> RowPlan:
        """The plan for a schema pair (PlanError / UnsupportedSchema when the schemas cannot be written)."""
        ids = (id(key_schema), id(value_schema))
        hit = self._by_id.get(ids)
        if hit is not None and hit[0] is key_schema and hit[1] is value_schema:
            return hit[2]
        plan = self._by_schema.get((key_schema, value_schema))
        if plan is None:
            plan = build_plan(self.settings, key_schema, value_schema)
            if len(self._by_schema) > 1000:
                self._by_schema.clear()
            self._by_schema[(key_schema, value_schema)] = plan
        if len(self._by_id) > 1000:
            self._by_id.clear()
        self._by_id[ids] = (key_schema, value_schema, plan)
        return plan


def schemaless_struct(value: Any, schema: Schema) -> Struct:
    """A schemaless value as a Struct of its inferred schema."""
    return as_struct(value, schema)
