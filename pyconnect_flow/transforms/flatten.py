"""Flatten: turn nested maps/structs into one level, joining field names with a delimiter.

Kafka's `org.apache.kafka.connect.transforms.Flatten$Key` / `$Value`::

    Flatten.value(delimiter="_")     # {"a": {"b": 1}} -> {"a_b": 1}

Arrays (and whatever they hold) are kept as they are; so are null fields. With a schema, a
field under an optional struct becomes optional, and takes its default from the nearest
default on its path. Schemaless output keeps the input's order. A null key/value passes through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.definition import ConfigDef, ConfigKey, ConfigType
from pyconnect_flow.data import DataException, Schema, SchemaBuilder, Struct, Type
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.util import (
    KeyValueTransform,
    SchemaCache,
    copy_schema_basics,
    require_map,
    require_struct_or_null,
    type_name,
)

__all__ = ["TRANSFORMS", "Flatten", "FlattenKey", "FlattenValue"]

PURPOSE = "flattening"
_LEAF_TYPES = frozenset({
    Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64, Type.BOOLEAN, Type.STRING,
    Type.BYTES, Type.ARRAY,
})


class Flatten(KeyValueTransform):
    """Flatten a nested data structure, naming each field by joining the names on its path with a delimiter."""

    CONFIG = ConfigDef([
        ConfigKey("delimiter", ConfigType.STRING, ".", "Delimiter to insert between field names from the input "
                  "record when generating field names for the output record"),
    ])

    def _configure(self, values: Mapping[str, Any]) -> None:
        self.delimiter: str = values["delimiter"]
        self._cache = SchemaCache()

    def _name(self, prefix: str, name: str) -> str:
        return f"{prefix}{self.delimiter}{name}" if prefix else name

    def __call__(self, record: Record) -> Record:
        value, schema = self._operating(record)
        if value is None:
            return record
        flat: dict[str, Any] = {}
        if schema is None:
            self._flatten_map(require_map(value, PURPOSE), "", flat)
            return self._with_part(record, flat, None)
        struct = require_struct_or_null(value, PURPOSE)
        updated_schema: Schema = self._cache.get_or_build(schema, self._updated_schema)
        if struct is None:
            return self._with_part(record, None, updated_schema)
        self._flatten_struct(struct, "", flat)
        # every value comes from a struct checked against the field's schema (flattening only
        # relaxes optionality and adds defaults), so the new struct is built without checks
        return self._with_part(record, Struct.unchecked(updated_schema, flat), updated_schema)

    # schemaless -------------------------------------------------------------
    def _flatten_map(self, value: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
        for key, item in value.items():
            if not isinstance(key, str):
                raise DataException(f"Flatten transformation requires string map keys, found: {type_name(key)}")
            name = self._name(prefix, key)
            if item is None or isinstance(item, (bool, int, float, str, bytes, bytearray, memoryview, list, tuple)):
                out[name] = item
            elif isinstance(item, Mapping):
                self._flatten_map(item, name, out)
            elif isinstance(item, Struct):
                raise DataException(f"Flatten transformation does not support {type_name(item)} "
                                    f"for record without schemas (for field {name}).")
            else:
                raise DataException(f"Flatten transformation was passed a value of type {type_name(item)} "
                                    "which is not supported by Connect's data API")

    # with a schema --------------------------------------------------------------
    def _updated_schema(self, schema: Schema) -> Schema:
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        self._flatten_schema(schema, "", builder, schema.optional, schema.default)
        return builder.build()

    def _flatten_schema(self, schema: Schema, prefix: str, builder: SchemaBuilder, optional: bool,
                        parent_default: Struct | None) -> None:
        for f in schema.fields or ():
            name = self._name(prefix, f.name)
            field_optional = optional or f.schema.optional
            default = f.schema.default
            if default is None and parent_default is not None:
                default = parent_default.get(f)
            if f.schema.type in _LEAF_TYPES:
                field_builder = copy_schema_basics(f.schema)
                if field_optional:
                    field_builder.optional()
                if default is not None:
                    field_builder.default_value(default)
                builder.field(name, field_builder.build())
            elif f.schema.type is Type.STRUCT:
                self._flatten_schema(f.schema, name, builder, field_optional, default)
            else:
                raise DataException(f"Flatten transformation does not support {f.schema.type.name} "
                                    f"for record with schemas (for field {name}).")

    def _flatten_struct(self, struct: Struct | None, prefix: str, out: dict[str, Any]) -> None:
        if struct is None:
            return
        for f in struct.schema.fields or ():
            name = self._name(prefix, f.name)
            if f.schema.type in _LEAF_TYPES:
                out[name] = struct.get(f)
            elif f.schema.type is Type.STRUCT:
                self._flatten_struct(struct.get(f), name, out)
            else:
                raise DataException(f"Flatten transformation does not support {f.schema.type.name} "
                                    f"for record with schemas (for field {name}).")


class FlattenKey(Flatten):
    """Flatten on the record key (Kafka's `Flatten$Key`)."""

    TARGET = "key"
    KAFKA_NAME = "Flatten$Key"


class FlattenValue(Flatten):
    """Flatten on the record value (Kafka's `Flatten$Value`)."""

    TARGET = "value"
    KAFKA_NAME = "Flatten$Value"


Flatten.Key = FlattenKey
Flatten.Value = FlattenValue

TRANSFORMS: dict[str, type[Transform]] = {
    "Flatten$Key": FlattenKey,
    "Flatten$Value": FlattenValue,
}
