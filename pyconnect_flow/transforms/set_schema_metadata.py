"""SetSchemaMetadata: set the name and/or version of the key or value schema.

Kafka's `org.apache.kafka.connect.transforms.SetSchemaMetadata$Key` / `$Value`::

    SetSchemaMetadata.value(schema_name="com.example.Order", schema_version=2)

A struct value is rebuilt on the renamed schema. Records whose operated part has neither a
schema nor a value pass through; a value without a schema is a DataException. As in Kafka,
only STRUCT schemas can be renamed: any other schema type is a DataException ("Cannot list
fields on non-struct type").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.definition import ConfigDef, ConfigIssue, ConfigKey, ConfigType
from pyconnect_flow.data import DataException, Schema, Struct, Type
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.util import REPLACE_NULL_WITH_DEFAULT, KeyValueTransform, require_schema

__all__ = ["TRANSFORMS", "SetSchemaMetadata", "SetSchemaMetadataKey", "SetSchemaMetadataValue"]

PURPOSE = "updating schema metadata"


class SetSchemaMetadata(KeyValueTransform):
    """Set the schema name, version or both on the record's key or value schema."""

    CONFIG = ConfigDef([
        ConfigKey("schema.name", ConfigType.STRING, None, "Schema name to set.", importance="high"),
        ConfigKey("schema.version", ConfigType.INT, None, "Schema version to set.", importance="high"),
        REPLACE_NULL_WITH_DEFAULT,
    ])

    @classmethod
    def validate_values(cls, values: Mapping[str, Any]) -> list[ConfigIssue]:
        if values.get("schema.name") is None and values.get("schema.version") is None:
            return [ConfigIssue("schema.name", "Neither schema name nor version configured")]
        return []

    def _configure(self, values: Mapping[str, Any]) -> None:
        self.schema_name: str | None = values["schema.name"]
        self.schema_version: int | None = values["schema.version"]
        self.replace_null_with_default: bool = values["replace.null.with.default"]

    def __call__(self, record: Record) -> Record:
        value, schema = self._operating(record)
        if value is None and schema is None:
            return record
        schema = require_schema(schema, PURPOSE)
        if schema.type is not Type.STRUCT:
            raise DataException("Cannot list fields on non-struct type")
        updated_schema = dataclasses.replace(
            schema,
            name=self.schema_name if self.schema_name is not None else schema.name,
            version=self.schema_version if self.schema_version is not None else schema.version,
        )
        return self._with_part(record, self.update_schema_in(value, updated_schema), updated_schema)

    def update_schema_in(self, value: Any, updated_schema: Schema) -> Any:
        """`value` rebuilt on `updated_schema` if it is a Struct (same fields assumed), else `value` itself."""
        if not isinstance(value, Struct):
            return value
        get = value.get if self.replace_null_with_default else value.get_without_default
        return Struct.unchecked(updated_schema, {f.name: get(f.name) for f in updated_schema.fields or ()})


class SetSchemaMetadataKey(SetSchemaMetadata):
    """SetSchemaMetadata on the record key (Kafka's `SetSchemaMetadata$Key`)."""

    TARGET = "key"
    KAFKA_NAME = "SetSchemaMetadata$Key"


class SetSchemaMetadataValue(SetSchemaMetadata):
    """SetSchemaMetadata on the record value (Kafka's `SetSchemaMetadata$Value`)."""

    TARGET = "value"
    KAFKA_NAME = "SetSchemaMetadata$Value"


SetSchemaMetadata.Key = SetSchemaMetadataKey
SetSchemaMetadata.Value = SetSchemaMetadataValue

TRANSFORMS: dict[str, type[Transform]] = {
    "SetSchemaMetadata$Key": SetSchemaMetadataKey,
    "SetSchemaMetadata$Value": SetSchemaMetadataValue,
}
