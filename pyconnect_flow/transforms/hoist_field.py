"""HoistField: wrap the whole key/value in a map or struct with one field.

Kafka's `org.apache.kafka.connect.transforms.HoistField$Key` / `$Value`::

    HoistField.key(field="id")      # key 42 -> {"id": 42}

Schemaless data becomes `{field: value}` (also for a null value); with a schema, a struct with
one field whose schema is the original one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.definition import ConfigDef, ConfigKey, ConfigType
from pyconnect_flow.data import Schema, SchemaBuilder, Struct
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.util import KeyValueTransform, SchemaCache

__all__ = ["TRANSFORMS", "HoistField", "HoistFieldKey", "HoistFieldValue"]


class HoistField(KeyValueTransform):
    """Wrap data using the specified field name in a Struct when schema present, or a Map for schemaless data."""

    CONFIG = ConfigDef([
        ConfigKey("field", ConfigType.STRING,
                  doc="Field name for the single field that will be created in the resulting Struct or Map."),
    ])

    def _configure(self, values: Mapping[str, Any]) -> None:
        self.field: str = values["field"]
        self._cache = SchemaCache()

    def __call__(self, record: Record) -> Record:
        value, schema = self._operating(record)
        if schema is None:
            return self._with_part(record, {self.field: value}, None)
        updated_schema: Schema = self._cache.get_or_build(schema, self._updated_schema)
        return self._with_part(record, Struct(updated_schema).put(self.field, value), updated_schema)

    def _updated_schema(self, schema: Schema) -> Schema:
        return SchemaBuilder.struct().field(self.field, schema).build()


class HoistFieldKey(HoistField):
    """HoistField on the record key (Kafka's `HoistField$Key`)."""

    TARGET = "key"
    KAFKA_NAME = "HoistField$Key"


class HoistFieldValue(HoistField):
    """HoistField on the record value (Kafka's `HoistField$Value`)."""

    TARGET = "value"
    KAFKA_NAME = "HoistField$Value"


HoistField.Key = HoistFieldKey
HoistField.Value = HoistFieldValue

TRANSFORMS: dict[str, type[Transform]] = {
    "HoistField$Key": HoistFieldKey,
    "HoistField$Value": HoistFieldValue,
}
