"""InsertField: add the record's topic, partition, offset, timestamp or a static value as fields.

Kafka's `org.apache.kafka.connect.transforms.InsertField$Key` / `$Value`::

    InsertField.value(topic_field="topic", static_field="source", static_value="file")

A field name ending in `!` makes the inserted field required in the new schema; `?` (or no
suffix) keeps it optional. Tombstones (a null key/value) pass through unchanged. Schemaless
values get the raw timestamp (epoch ms, a Java Long) and the partition as a Java Integer
(`data.java_ints.JavaInteger`); with a schema the timestamp is a `Timestamp` logical value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from itertools import repeat
from typing import Any, NamedTuple

from pyconnect_flow.config.definition import ConfigDef, ConfigIssue, ConfigKey, ConfigType
from pyconnect_flow.converters.json_columns import FlatColumns, flat_fields
from pyconnect_flow.data import (
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    Schema,
    SchemaBuilder,
    Struct,
    logical,
)
from pyconnect_flow.data.java_hashmap import java_copied
from pyconnect_flow.data.java_ints import JavaInteger
from pyconnect_flow.data.schema import Type
from pyconnect_flow.kafka_columns import DecodedColumns
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.fused import MapCode
from pyconnect_flow.transforms.util import (
    REPLACE_NULL_WITH_DEFAULT,
    KeyValueTransform,
    SchemaCache,
    copy_schema_basics,
    field_values,
    put_checked,
    require_map,
    require_sink_record,
    require_struct,
)

__all__ = ["TRANSFORMS", "InsertField", "InsertFieldKey", "InsertFieldValue"]

PURPOSE = "field insertion"
_OPTIONALITY = "Suffix with `!` to make this a required field, or `?` to keep it optional (the default)."
_FIELD_KEYS = ("topic.field", "partition.field", "offset.field", "timestamp.field", "static.field")


class InsertionSpec(NamedTuple):
    """A field to insert: its name and whether the new schema field is optional."""

    name: str
    optional: bool

    @classmethod
    def parse(cls, spec: str | None) -> InsertionSpec | None:
        """`name!` is required, `name?` or `name` optional; None stays None."""
        if spec is None:
            return None
        if spec.endswith("?"):
            return cls(spec[:-1], True)
        if spec.endswith("!"):
            return cls(spec[:-1], False)
        return cls(spec, True)


class InsertField(KeyValueTransform):
    """Insert fields using attributes of the record metadata or a configured static value."""

    CONFIG = ConfigDef([
        ConfigKey("topic.field", ConfigType.STRING, None, "Field name for Kafka topic. " + _OPTIONALITY),
        ConfigKey("partition.field", ConfigType.STRING, None, "Field name for Kafka partition. " + _OPTIONALITY),
        ConfigKey("offset.field", ConfigType.STRING, None,
                  "Field name for Kafka offset - only applicable to sink connectors. " + _OPTIONALITY),
        ConfigKey("timestamp.field", ConfigType.STRING, None, "Field name for record timestamp. " + _OPTIONALITY),
        ConfigKey("static.field", ConfigType.STRING, None, "Field name for static data field. " + _OPTIONALITY),
        ConfigKey("static.value", ConfigType.STRING, None, "Static field value, if field name configured."),
        REPLACE_NULL_WITH_DEFAULT,
    ])

    @classmethod
    def validate_values(cls, values: Mapping[str, Any]) -> list[ConfigIssue]:
        if all(values.get(k) is None for k in _FIELD_KEYS):
            return [ConfigIssue("topic.field", "No field insertion configured")]
        if values.get("static.field") is not None and values.get("static.value") is None:
            spec = InsertionSpec.parse(values["static.field"])
            assert spec is not None
            return [ConfigIssue("static.value", f"No value specified for static field: {spec.name}")]
        return []

    def _configure(self, values: Mapping[str, Any]) -> None:
        self.topic_field = InsertionSpec.parse(values["topic.field"])
        self.partition_field = InsertionSpec.parse(values["partition.field"])
        self.offset_field = InsertionSpec.parse(values["offset.field"])
        self.timestamp_field = InsertionSpec.parse(values["timestamp.field"])
        self.static_field = InsertionSpec.parse(values["static.field"])
        self.static_value: str | None = values["static.value"]
        self.replace_null_with_default: bool = values["replace.null.with.default"]
        self._cache = SchemaCache()

    def __call__(self, record: Record) -> Record:
        value, schema = self._operating(record)
        if value is None:
            return record
        if schema is None:
            return self._with_part(record, self._insert_schemaless(record, require_map(value, PURPOSE)), None)
        struct = require_struct(value, PURPOSE)
        updated_schema: Schema = self._cache.get_or_build(struct.schema, self._updated_schema)
        return self._with_part(record, self._insert_with_schema(record, struct, updated_schema), updated_schema)

    @property
    def fusable_map(self) -> bool:
        """True: `map_update` does this transform's work on a schemaless map (see `chain`)."""
        return True

    def map_update(self, record: Record, updated: dict[str, Any]) -> dict[str, Any]:
        """Insert the fields into `updated`, a private copy of a schemaless map, and return it."""
        if self.topic_field is not None:
            updated[self.topic_field.name] = record.topic
        if self.partition_field is not None and record.partition is not None:
            updated[self.partition_field.name] = JavaInteger(record.partition)  # Kafka: an Integer
        if self.offset_field is not None:
            updated[self.offset_field.name] = require_sink_record(record, PURPOSE).offset
        if self.timestamp_field is not None and record.timestamp is not None:
            updated[self.timestamp_field.name] = record.timestamp
        if self.static_field is not None and self.static_value is not None:
            updated[self.static_field.name] = self.static_value
        return updated

    def map_code(self, code: MapCode) -> None:
        """`map_update` as lines of a fused chain function (see `transforms.fused`)."""
        if self.offset_field is not None:  # needs the sink-record check: call it
            code.call(self.map_update)
            return
        if self.topic_field is not None:
            code.line(f"u[{code.const(self.topic_field.name)}] = r[0]")
        if self.partition_field is not None:
            code.line(f"if r[3] is not None: u[{code.const(self.partition_field.name)}] = {code.const(JavaInteger)}(r[3])")
        if self.timestamp_field is not None:
            code.line(f"if r[8] is not None: u[{code.const(self.timestamp_field.name)}] = r[8]")
        if self.static_field is not None and self.static_value is not None:
            code.line(f"u[{code.const(self.static_field.name)}] = {code.const(self.static_value)}")

    def _insert_schemaless(self, record: Record, value: Mapping[str, Any]) -> dict[str, Any]:
        return java_copied(tuple(value), self.map_update(record, dict(value)))

    def _insert_with_schema(self, record: Record, value: Struct, schema: Schema) -> Struct:
        # the copied fields were checked when `value` was built; the inserted ones are checked here
        values = field_values(value, self.replace_null_with_default)
        if self.topic_field is not None:
            put_checked(values, schema, self.topic_field.name, record.topic)
        if self.partition_field is not None and record.partition is not None:
            put_checked(values, schema, self.partition_field.name, record.partition)
        if self.offset_field is not None:
            put_checked(values, schema, self.offset_field.name, require_sink_record(record, PURPOSE).offset)
        if self.timestamp_field is not None and record.timestamp is not None:
            put_checked(values, schema, self.timestamp_field.name, logical.timestamp_from_millis(record.timestamp))
        if self.static_field is not None and self.static_value is not None:
            put_checked(values, schema, self.static_field.name, self.static_value)
        return Struct.unchecked(schema, values)

    def _updated_schema(self, schema: Schema) -> Schema:
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        for f in schema.fields or ():
            builder.field(f.name, f.schema)
        for spec, optional_schema, required_schema in (
            (self.topic_field, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA),
            (self.partition_field, OPTIONAL_INT32_SCHEMA, INT32_SCHEMA),
            (self.offset_field, OPTIONAL_INT64_SCHEMA, INT64_SCHEMA),
            (self.timestamp_field, logical.OPTIONAL_TIMESTAMP_SCHEMA, logical.TIMESTAMP_SCHEMA),
            (self.static_field, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA),
        ):
            if spec is not None:
                builder.field(spec.name, optional_schema if spec.optional else required_schema)
        return builder.build()


    def transform_columns(self, columns: DecodedColumns) -> DecodedColumns | None:
        """The value form on a flat struct batch (`transforms.columns`): the topic, partition, offset, timestamp
        and static columns appended to the field columns, under the schema the record path builds (taken
        from the first message's transform, so the same cached object). With a timestamp field (a
        `Timestamp`, which field columns do not hold) the batch comes out as the `Struct`s of those columns,
        a null timestamp left unset as the record path leaves it. None for the key form, a static field
        without a value, a required timestamp field and a null timestamp, a timestamp out of `datetime`'s
        range, or any batch the first message's transform does not give a struct of the copied fields and
        then the inserted ones (that batch takes the record path)."""
        flat = columns.flat
        if (self.TARGET != "value" or flat is None or not len(columns)
                or (self.static_field is not None and self.static_value is None)):
            return None
        raw, n = columns.raw, len(columns)
        stamps = _timestamps(raw.timestamps, self.timestamp_field) if self.timestamp_field is not None else None
        if self.timestamp_field is not None and stamps is None:
            return None
        try:
            first = self(columns.record(0))
        except Exception:  # noqa: BLE001 - the record path reports it, record by record
            return None
        inserted: list[tuple[InsertionSpec | None, list[Any] | None]] = [
            (self.topic_field, list(repeat(columns.topic, n))),
            (self.partition_field, list(repeat(raw.partition, n))),
            (self.offset_field, raw.offsets),
            (self.timestamp_field, stamps),
            (self.static_field, list(repeat(self.static_value, n))),
        ]
        added = [(spec.name, column) for spec, column in inserted if spec is not None and column is not None]
        names = list(flat.names) + [name for name, _ in added]
        schema = first.value_schema
        if (schema is None or schema.type is not Type.STRUCT or [f.name for f in schema.fields or ()] != names
                or len(set(names)) != len(names)):
            return None
        field_columns = [*flat.columns, *(column for _, column in added)]
        if stamps is None:
            if flat_fields(schema) is None:
                return None
            return columns.with_flat(FlatColumns(schema, names, field_columns))
        assert self.timestamp_field is not None
        values = [dict(zip(names, row)) for row in zip(*field_columns)]
        if None in stamps:  # the record path leaves a null timestamp's field unset
            name = self.timestamp_field.name
            for value, stamp in zip(values, stamps):
                if stamp is None:
                    del value[name]
        return DecodedColumns(raw, columns.keys, [(schema, Struct.unchecked(schema, v)) for v in values], None,
                              columns.topic)


def _timestamps(millis: list[int | None], spec: InsertionSpec) -> list[Any] | None:
    """The `Timestamp` values of the messages' timestamps (None for a null one); None when a required field
    meets a null timestamp or a timestamp is out of `datetime`'s range (the record path reports those)."""
    if not spec.optional and None in millis:
        return None
    epoch, delta = logical.EPOCH, timedelta
    out: list[Any] = []
    last_ms: int | None = None
    last: Any = None
    try:
        for ms in millis:  # `logical.timestamp_from_millis`, once per run of equal timestamps
            if ms != last_ms:
                last_ms, last = ms, None if ms is None else epoch + delta(milliseconds=ms)
            out.append(last)
    except (OverflowError, ValueError):
        return None
    return out


class InsertFieldKey(InsertField):
    """InsertField on the record key (Kafka's `InsertField$Key`)."""

    TARGET = "key"
    KAFKA_NAME = "InsertField$Key"


class InsertFieldValue(InsertField):
    """InsertField on the record value (Kafka's `InsertField$Value`)."""

    TARGET = "value"
    KAFKA_NAME = "InsertField$Value"


InsertField.Key = InsertFieldKey
InsertField.Value = InsertFieldValue

TRANSFORMS: dict[str, type[Transform]] = {
    "InsertField$Key": InsertFieldKey,
    "InsertField$Value": InsertFieldValue,
}
