"""MaskField: replace field values with their type's "empty" value or a configured replacement.

Kafka's `org.apache.kafka.connect.transforms.MaskField$Key` / `$Value`::

    MaskField.value(fields=["ssn", "card"])                 # 0, 0.0, "", False, [], {}, ...
    MaskField.value(fields=["phone"], replacement="***")

Without `replacement` a value becomes False, 0, 0.0, "", Decimal 0, the epoch (dates, times,
timestamps), [] or {}; other types (bytes, structs) are a DataException. A `replacement` is
converted to the value's type as Kafka does (numeric text for numbers, any text for strings);
booleans, dates, lists and maps cannot take one. Ints and floats of a struct are converted at
the width of their field's schema (int8..int64, float32/float64); schemaless ones as a Java
long/double, or at their own width when a Cast made them a Byte/Short/Integer (`data.java_ints`). Null values stay null. Schemaless masking of a field the map lacks adds it as null.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pyconnect_flow.config.definition import ConfigDef, ConfigKey, ConfigType
from pyconnect_flow.converters.json_columns import FlatColumns
from pyconnect_flow.data import DataException, Schema, Struct, Type, logical, validate_value
from pyconnect_flow.data.java_hashmap import java_copied
from pyconnect_flow.data.java_ints import JavaInt
from pyconnect_flow.data.java_numbers import INT_BITS, decimal_to_long, parse_java_decimal, to_float32, wrap_int
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.fused import MapCode
from pyconnect_flow.transforms.util import (
    REPLACE_NULL_WITH_DEFAULT,
    KeyValueTransform,
    field_values,
    non_empty_list,
    non_empty_string,
    put_checked,
    require_map,
    require_struct,
    type_name,
)

if TYPE_CHECKING:
    from pyconnect_flow.kafka_columns import DecodedColumns

__all__ = ["TRANSFORMS", "MaskField", "MaskFieldKey", "MaskFieldValue"]

PURPOSE = "mask fields"
_EPOCH_TIME = dt.time(0)


def _empty_value(value: Any) -> Any:
    """The masked form of `value` without a replacement (Kafka's "valid null value" of its type)."""
    kind = type(value)
    if kind is bool:
        return False
    if kind is int:
        return 0
    if kind is float:
        return 0.0
    if kind is str:
        return ""
    if isinstance(value, decimal.Decimal):
        return decimal.Decimal(0)
    if isinstance(value, dt.datetime):
        return logical.EPOCH if value.tzinfo is not None else logical.EPOCH.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return logical.EPOCH_DATE
    if isinstance(value, dt.time):
        return _EPOCH_TIME
    if isinstance(value, (list, tuple)):
        return []
    if isinstance(value, dict):
        return {}
    if isinstance(value, bool):
        return False
    if isinstance(value, JavaInt):  # a schemaless Byte/Short/Integer masks to its own zero
        return type(value)(0)
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        return 0.0
    if isinstance(value, str):
        return ""
    raise DataException(f"Cannot mask value of type: {type_name(value)}")


class _Replacements:
    """The replacement text converted once to every type it can replace (or the error it gives)."""

    def __init__(self, text: str) -> None:
        self.text = text
        number = parse_java_decimal(text)
        self.by_kind: dict[str, Any] = {}
        not_a_number = DataException(f"Unable to convert {text} (str) to a number")
        for type_, bits in INT_BITS.items():
            self.by_kind[type_.value] = (
                not_a_number if number is None else wrap_int(decimal_to_long(number), bits)
            )
        self.by_kind["float64"] = not_a_number if number is None else float(number)
        self.by_kind["float32"] = not_a_number if number is None else to_float32(float(number))
        self.by_kind["decimal"] = (
            DataException(f"Unable to convert {text} (str) to number") if number is None else number
        )

    def for_value(self, value: Any, schema: Schema | None) -> Any:
        kind = type(value)
        if kind is str:
            return self.text
        if kind is int:
            key = schema.type.value if schema is not None and schema.type in INT_BITS else "int64"
        elif kind is float:
            key = "float32" if schema is not None and schema.type is Type.FLOAT32 else "float64"
        elif kind is decimal.Decimal:
            key = "decimal"
        elif isinstance(value, JavaInt):  # a schemaless Byte/Short/Integer: converted at its width, same box
            out = self.by_kind[value.SCHEMA_TYPE.value]
            if isinstance(out, DataException):
                raise DataException(str(out))
            return type(value)(out)
        else:
            raise DataException(f"Cannot mask value of type {type_name(value)} with custom replacement.")
        out = self.by_kind[key]
        if isinstance(out, DataException):
            raise DataException(str(out))
        return out


class MaskField(KeyValueTransform):
    """Mask specified fields with a valid null value for the field type (0, False, "", ...) or a replacement."""

    CONFIG = ConfigDef([
        ConfigKey("fields", ConfigType.LIST, doc="Names of fields to mask.", validator=non_empty_list,
                  importance="high"),
        ConfigKey("replacement", ConfigType.STRING, None,
                  "Custom value replacement, that will be applied to all 'fields' values "
                  "(numeric or non-empty string values only).", validator=non_empty_string, importance="low"),
        REPLACE_NULL_WITH_DEFAULT,
    ])

    def _configure(self, values: Mapping[str, Any]) -> None:
        self.fields: tuple[str, ...] = tuple(dict.fromkeys(values["fields"]))
        self._masked = frozenset(self.fields)
        self.replacement: str | None = values["replacement"]
        self._replacements = None if self.replacement is None else _Replacements(self.replacement)
        self.replace_null_with_default: bool = values["replace.null.with.default"]

    def _mask(self, value: Any, schema: Schema | None) -> Any:
        if value is None:
            return None
        if self._replacements is None:
            return _empty_value(value)
        return self._replacements.for_value(value, schema)

    @property
    def fusable_map(self) -> bool:
        """True: `map_update` does this transform's work on a schemaless map (see `chain`)."""
        return True

    def map_code(self, code: MapCode) -> None:
        """`map_update` as lines of a fused chain function (see `transforms.fused`)."""
        replacements = self._replacements
        mask = code.const(_empty_value if replacements is None else lambda v: replacements.for_value(v, None))
        for name in self.fields:
            key = code.const(name)
            code.line(f"x = u.get({key})")
            code.line(f"u[{key}] = None if x is None else {mask}(x)")

    def map_update(self, record: Record, updated: dict[str, Any]) -> dict[str, Any]:
        """Mask the configured fields of `updated`, a private copy of a schemaless map, and return it."""
        for name in self.fields:
            updated[name] = self._mask(updated.get(name), None)
        return updated

    def __call__(self, record: Record) -> Record:
        value, schema = self._operating(record)
        if schema is None:
            original = require_map(value, PURPOSE)
            return self._with_part(record, java_copied(tuple(original), self.map_update(record, dict(original))), None)
        struct = require_struct(value, PURPOSE)
        values = field_values(struct, self.replace_null_with_default)
        for f in struct.schema.fields or ():
            if f.name in self._masked:
                put_checked(values, struct.schema, f.name, self._mask(values[f.name], f.schema))
        return self._with_part(record, Struct.unchecked(struct.schema, values), schema)


    def transform_columns(self, columns: DecodedColumns) -> DecodedColumns | None:
        """The value form on a flat struct batch (`transforms.columns`): each masked field column masked
        value by value (nulls stay null), checked as `put_checked` checks, under the same schema. None for
        the key form, or when a value cannot be masked (that batch takes the record path, which reports
        each such record)."""
        flat = columns.flat
        if self.TARGET != "value" or flat is None or not len(columns):
            return None
        masked = list(flat.columns)
        try:
            for j, name in enumerate(flat.names):
                if name not in self._masked:
                    continue
                field = flat.schema.field(name)
                assert field is not None
                fs, mask = field.schema, self._mask
                column = [None if v is None else mask(v, fs) for v in masked[j]]
                for v in column:
                    if v is not None:
                        validate_value(fs, v, name)
                masked[j] = column
        except Exception:  # noqa: BLE001 - the record path reports it, record by record
            return None
        return columns.with_flat(FlatColumns(flat.schema, flat.names, masked))


class MaskFieldKey(MaskField):
    """MaskField on the record key (Kafka's `MaskField$Key`)."""

    TARGET = "key"
    KAFKA_NAME = "MaskField$Key"


class MaskFieldValue(MaskField):
    """MaskField on the record value (Kafka's `MaskField$Value`)."""

    TARGET = "value"
    KAFKA_NAME = "MaskField$Value"


MaskField.Key = MaskFieldKey
MaskField.Value = MaskFieldValue

TRANSFORMS: dict[str, type[Transform]] = {
    "MaskField$Key": MaskFieldKey,
    "MaskField$Value": MaskFieldValue,
}
