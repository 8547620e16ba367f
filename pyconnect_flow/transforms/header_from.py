"""HeaderFrom$Key / HeaderFrom$Value: move or copy fields of the key or value into headers.

As Kafka's `org.apache.kafka.connect.transforms.HeaderFrom`: the i-th entry of
`fields` goes to a header named by the i-th entry of `headers` (appended after
the existing headers; duplicates allowed). `operation=move` also removes the
fields from the key/value (and its schema), `copy` leaves it as it is::

    HeaderFrom.value(fields=["id", "ts"], headers=["record-id", "record-ts"], operation="copy")

Schemaless data must be a map (a missing field gives a None header), data with
a schema a Struct; `replace.null.with.default=false` reads null fields as null
instead of their schema default. The headers are `SchemaHeader` pairs carrying
the schema Kafka attaches: the field's schema, or a null schema for schemaless
data (a header converter such as JsonConverter writes it). A field missing from
the schema is a DataException (Kafka fails with a NullPointerException).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.definition import ConfigDef, ConfigIssue, ConfigKey, ConfigType
from pyconnect_flow.data import DataException, Schema, Struct
from pyconnect_flow.data.java_hashmap import java_copied
from pyconnect_flow.record import Record, SchemaHeader, with_part
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.util import (
    KeyValueTransform,
    SchemaCache,
    copy_schema_basics,
    non_empty_list,
    require_map,
    require_struct,
)

__all__ = ["TRANSFORMS", "HeaderFrom", "HeaderFromKey", "HeaderFromValue"]

_OPERATIONS = ("move", "copy")


def _operation(value: Any) -> str | None:
    return None if value in _OPERATIONS else f"Invalid value {value}: String must be one of: move, copy"


class HeaderFrom(KeyValueTransform):
    """Moves or copies fields in the key/value of a record into that record's headers."""

    KAFKA_NAME = "HeaderFrom"
    CONFIG = ConfigDef([
        ConfigKey("fields", ConfigType.LIST, doc="Field names in the record whose values are to be copied or "
                  "moved to headers.", validator=non_empty_list, importance="high"),
        ConfigKey("headers", ConfigType.LIST, doc="Header names, in the same order as the field names listed in "
                  "the fields configuration property.", validator=non_empty_list, importance="high"),
        ConfigKey("operation", ConfigType.STRING, doc="Either move if the fields are to be moved to the headers "
                  "(removed from the key/value), or copy if the fields are to be copied to the headers (retained "
                  "in the key/value).", validator=_operation, importance="high"),
        ConfigKey("replace.null.with.default", ConfigType.BOOLEAN, True,
                  "Whether to replace fields that have a default value and that are null to the default value. "
                  "When set to true, the default value is used, otherwise null is used."),
    ])

    _fields: tuple[str, ...]
    _pairs: tuple[tuple[str, str], ...]  # (field, header)
    _field_set: frozenset[str]
    _headers: tuple[str, ...]
    _move: bool
    _replace_null: bool
    _is_key: bool
    _schemas: SchemaCache

    @classmethod
    def validate_values(cls, values: Mapping[str, Any]) -> list[ConfigIssue]:
        if len(values["headers"]) != len(values["fields"]):
            return [ConfigIssue("headers", "'fields' config must have the same number of elements as 'headers' config.")]
        return []

    def _configure(self, values: Mapping[str, Any]) -> None:
        self._fields = tuple(values["fields"])
        self._field_set = frozenset(self._fields)
        self._headers = tuple(values["headers"])
        self._pairs = tuple(zip(self._fields, self._headers))
        self._move = values["operation"] == "move"
        self._replace_null = values["replace.null.with.default"]
        self._is_key = self.TARGET == "key"
        self._schemas = SchemaCache()

    def __call__(self, record: Record) -> Record:
        value, schema = self._operating(record)
        purpose = "header move" if self._move else "header copy"
        if schema is None:
            data = require_map(value, purpose)
            new_headers = [SchemaHeader(h, data.get(f), None) for f, h in self._pairs]
            # Kafka copies the map (new HashMap<>(value)) even to copy fields: its key order changes
            moved = {k: v for k, v in data.items() if k not in self._field_set} if self._move else dict(data)
            new_value: Any = java_copied(tuple(data), moved)
        else:
            struct = require_struct(value, purpose)
            new_headers = [SchemaHeader(h, *self._field_value(struct, schema, f)) for f, h in self._pairs]
            if self._move:
                schema = self._schemas.get_or_build(schema, self._moved_schema)
                new_value = Struct(schema)
                for f in schema.fields or ():
                    new_value.put(f, self._get(struct, f.name))
            else:
                new_value = struct
        return with_part(record, self._is_key, new_value, schema, (*record.headers, *new_headers))

    def _get(self, struct: Struct, name: str) -> Any:
        return struct.get(name) if self._replace_null else struct.get_without_default(name)

    def _field_value(self, struct: Struct, schema: Schema, name: str) -> tuple[Any, Schema]:
        field = schema.field(name)
        if field is None:
            raise DataException(f"Field does not exist: {name}")
        return self._get(struct, name), field.schema

    def _moved_schema(self, schema: Schema) -> Schema:
        builder = copy_schema_basics(schema)
        for f in schema.fields or ():
            if f.name not in self._field_set:
                builder.field(f.name, f.schema)
        return builder.build()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(fields={list(self._fields)!r}, headers={list(self._headers)!r}, "
                f"operation={'move' if self._move else 'copy'!r})")


class HeaderFromKey(HeaderFrom):
    """HeaderFrom$Key: fields of the record key."""

    TARGET = "key"
    KAFKA_NAME = "HeaderFrom$Key"


class HeaderFromValue(HeaderFrom):
    """HeaderFrom$Value: fields of the record value."""

    TARGET = "value"
    KAFKA_NAME = "HeaderFrom$Value"


HeaderFrom.Key = HeaderFromKey
HeaderFrom.Value = HeaderFromValue

TRANSFORMS: dict[str, type[Transform]] = {"HeaderFrom$Key": HeaderFromKey, "HeaderFrom$Value": HeaderFromValue}
