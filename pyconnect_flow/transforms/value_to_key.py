"""ValueToKey: make the record key from fields of the value.

Kafka's `org.apache.kafka.connect.transforms.ValueToKey`::

    ValueToKey(fields=["id", "region"])

Schemaless values give a map key (a missing field gives a null entry); struct values give a
struct key whose fields have the value fields' schemas (a missing field is a DataException).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.definition import ConfigDef, ConfigKey, ConfigType
from pyconnect_flow.data import DataException, Schema, SchemaBuilder, Struct
from pyconnect_flow.data.java_hashmap import java_sized
from pyconnect_flow.record import Record, with_data, with_key
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.util import (
    REPLACE_NULL_WITH_DEFAULT,
    ConfiguredTransform,
    SchemaCache,
    non_empty_list,
    require_map,
    require_struct,
)

__all__ = ["TRANSFORMS", "ValueToKey"]

PURPOSE = "copying fields from value to key"


class ValueToKey(ConfiguredTransform):
    """Replace the record key with a new key formed from a subset of fields in the record value."""

    KAFKA_NAME = "ValueToKey"
    CONFIG = ConfigDef([
        ConfigKey("fields", ConfigType.LIST, doc="Field names on the record value to extract as the record key.",
                  validator=non_empty_list, importance="high"),
        REPLACE_NULL_WITH_DEFAULT,
    ])

    def _configure(self, values: Mapping[str, Any]) -> None:
        self.fields: tuple[str, ...] = tuple(values["fields"])
        self.replace_null_with_default: bool = values["replace.null.with.default"]
        self._cache = SchemaCache()

    def __call__(self, record: Record) -> Record:
        if record.value_schema is None:
            value = require_map(record.value, PURPOSE)
            key_map = java_sized(len(self.fields), {name: value.get(name) for name in self.fields})  # HashMap<>(n)
            return with_key(record, key_map, None)
        struct = require_struct(record.value, PURPOSE)
        key_schema: Schema = self._cache.get_or_build(struct.schema, self._key_schema)
        get = struct.get if self.replace_null_with_default else struct.get_without_default
        key = Struct.unchecked(key_schema, {name: get(name) for name in self.fields})
        return with_data(record, key, record.value, key_schema, struct.schema)

    def _key_schema(self, value_schema: Schema) -> Schema:
        builder = SchemaBuilder.struct()
        for name in self.fields:
            f = value_schema.field(name)
            if f is None:
                raise DataException(f"Field does not exist: {name}")
            builder.field(name, f.schema)
        return builder.build()


TRANSFORMS: dict[str, type[Transform]] = {"ValueToKey": ValueToKey}
