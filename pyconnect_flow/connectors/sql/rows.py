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


@dataclass(frozen=True)
class Source:
    """Where a column's value comes from: field `name` of the record's "key" or "value", the whole
    key ("key*"), or the record's "topic" / "partition" / "offset"."""

    kind: str
    name: str = ""
    default: Any = None
    bind: Binder | None = None


def _container(data: Any, what: str) -> Any:
    if isinstance(data, Struct):
        return data._values  # the hot path reads the field dict directly
    if isinstance(data, dict):
        return data
    raise DataException(f"record {what} is not a struct")


def compile_getter(sources: Sequence[Source]) -> Callable[[Record], tuple[Any, ...]]:
    """One function computing every column of a record, generated once per plan.

    Per-record cost limits a sink's throughput, so instead of one closure per column the plan
    becomes straight-line code: `(v.get(N[0]), b1(k.get(N[1])), r.offset, ...)`. Field names are
    never spliced into the code: they are read from the tuple `N`.
    """
    env: dict[str, Any] = {"_c": _container, "N": tuple(s.name for s in sources)}
    parts: list[str] = []
    kinds = {s.kind for s in sources}
    for i, s in enumerate(sources):
        if s.kind in ("topic", "partition", "offset"):
            parts.append(f"r.{s.kind}")
            continue
        expr = "r.key" if s.kind == "key*" else f"{'k' if s.kind == 'key' else 'v'}.get(N[{i}])"
        if s.default is not None:
            env[f"d{i}"] = s.default
            expr = f"(d{i} if (x{i} := {expr}) is None else x{i})"
        if s.bind is not None:
            env[f"b{i}"] = s.bind
            expr = f"(None if (y{i} := {expr}) is None else b{i}(y{i}))"
        parts.append(expr)
    lines = ["def get(r):"]
    if "key" in kinds:
        lines.append("    k = _c(r.key, 'key')")
    if "value" in kinds:
        lines.append("    v = _c(r.value, 'value')")
    lines.append("    return (" + "".join(p + ", " for p in parts) + ")")
    exec("\n".join(lines), env)  # code built from fixed fragments only
    getter: Any = env["get"]
    return getter


class RowPlan:
    """Turns records of one schema pair into row tuples (key columns first); see the module docstring."""

    def __init__(self, columns: Sequence[Column], sources: Sequence[Source], key_count: int) -> None:
        self.columns = tuple(columns)
        self.names = tuple(c.name for c in columns)
        self.key_names = self.names[:key_count]
        self.value_names = self.names[key_count:]
        self.key_count = key_count
        self.row: Callable[[Record], tuple[Any, ...]] = compile_getter(sources)
        """The row of a record, key columns first."""
        self.key: Callable[[Record], tuple[Any, ...]] = compile_getter(sources[:key_count])
        """The key columns' values of a record (works for tombstones)."""


def _field(kind: str, name: str, schema: Schema, settings: Settings) -> Source:
    default = schema.default if settings.replace_null_with_default else None
    return Source(kind, name, default, binder(schema, settings.tz))


def _struct_fields(schema: Schema | None) -> list[tuple[str, Schema]]:
    if schema is None:
        return []
    if schema.type is not Type.STRUCT:
        raise PlanError(f"value schema must be a STRUCT, got {schema.type.name}")
    return [(f.name, f.schema) for f in schema.fields or ()]


def build_plan(settings: Settings, key_schema: Schema | None, value_schema: Schema | None) -> RowPlan:
    """The plan for records with these schemas (value_schema None: tombstones, key columns only)."""
    columns: list[Column] = []
    sources: list[Source] = []
    mode = settings.pk_mode
    if mode == "kafka":
        names = settings.pk_fields or DEFAULT_KAFKA_PK_NAMES
        for name, schema, kind in zip(names, (STRING_SCHEMA, INT32_SCHEMA, INT64_SCHEMA),
                                      ("topic", "partition", "offset")):
            columns.append(Column(name, schema, True))
            sources.append(Source(kind))
    elif mode == "record_key":
        if key_schema is None:
            raise PlanError("pk.mode=record_key needs records with a key")
        if key_schema.type.is_primitive:
            if len(settings.pk_fields) != 1:
                raise PlanError("Need exactly one PK column defined since the key schema for records is a "
                                f"primitive type, defined columns are: {list(settings.pk_fields)}")
            columns.append(Column(settings.pk_fields[0], key_schema, True))
            sources.append(Source("key*", "", None, binder(key_schema, settings.tz)))
        elif key_schema.type is Type.STRUCT:
            fields = dict(_struct_fields(key_schema))
            wanted = settings.pk_fields or tuple(fields)
            for name in wanted:
                if name not in fields:
                    raise PlanError(f"PK mode for table is record_key with configured PK fields {list(wanted)}, "
                                    f"but record key schema does not contain field: {name}")
                columns.append(Column(name, fields[name], True))
                sources.append(_field("key", name, fields[name], settings))
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
            sources.append(_field("value", name, fields[name], settings))
    key_count = len(columns)
    taken = {c.name for c in columns}
    for name, schema in _struct_fields(value_schema):
        if name in taken or (settings.whitelist and name not in settings.whitelist):
            continue
        if schema.type in (Type.STRUCT, Type.MAP):
            raise UnsupportedSchema(f"{schema.type.name} (field {name!r}) doesn't have a mapping to the SQL "
                                    "database column type: flatten nested values first, e.g. with the Flatten SMT")
        columns.append(Column(name, schema, False))
        sources.append(_field("value", name, schema, settings))
    return RowPlan(columns, sources, key_count)


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
