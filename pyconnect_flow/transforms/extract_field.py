"""ExtractField: replace the key/value with one of its fields.

Kafka's `org.apache.kafka.connect.transforms.ExtractField$Key` / `$Value`::

    ExtractField.key(field="id")
    ExtractField.value(field="after.id", field_syntax_version="V2")   # a nested field

With `field.syntax.version=V1` (the default) the field name is taken as is; with `V2` dots
separate nested fields and backticks quote names that contain dots (`` `a.b`.c ``, a backslash
escapes a backtick). A schemaless map without the field gives null; a schema without it is an
error. Null values pass through (with a schema, the result has the field's schema).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.definition import ConfigDef, ConfigIssue, ConfigKey, ConfigType
from pyconnect_flow.data import Field, Schema, Struct
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.util import (
    REPLACE_NULL_WITH_DEFAULT,
    KeyValueTransform,
    require_map_or_null,
    require_struct_or_null,
)

__all__ = ["TRANSFORMS", "ExtractField", "ExtractFieldKey", "ExtractFieldValue", "FieldPath", "FieldPathError"]

PURPOSE = "field extraction"
NESTED_PURPOSE = "nested field access"
SYNTAX_VERSIONS = ("V1", "V2")


class FieldPathError(ValueError):
    """A V2 field path with an unmatched backtick (Kafka: ConfigException)."""


def _parse_v2(path: str) -> list[str]:
    """The steps of a dotted V2 path, as Kafka's `SingleFieldPath` splits it."""
    steps: list[str] = []
    idx, n = 0, len(path)
    while 0 <= idx < n:
        if path[idx] != "`":
            start = idx
            idx = path.find(".", idx)
            if idx >= 0:
                steps.append(path[start:idx])
                idx += 1
            else:
                steps.append(path[start:])
            continue
        backtick_at = idx
        idx += 1
        start = idx
        name = ""
        while True:
            idx = path.find("`", idx)
            if idx == -1:
                raise _incomplete(path, backtick_at)
            escaped = path[idx - 1] == "\\"
            if idx >= n - 1:  # the closing backtick ends the path
                if escaped:
                    raise _incomplete(path, backtick_at)
                steps.append(name + path[start:idx])
                idx += 1
                break
            if path[idx + 1] != ".":  # part of the name; look for one followed by a dot
                idx += 1
                continue
            if escaped:  # an escaped backtick: keep it (without the backslash) and go on
                name += path[start:idx - 1] + "`"
                idx += 1
                start = idx
                continue
            steps.append(name + path[start:idx])
            idx += 2
            break
    if path.endswith("."):
        steps.append("")
    return steps


def _incomplete(path: str, backtick_at: int) -> FieldPathError:
    return FieldPathError(f"Incomplete backtick pair in path: [{path}], consider adding a backslash before "
                          f"backtick at position {backtick_at} to escape it")


class FieldPath:
    """A path to a (possibly nested) field: Kafka's `SingleFieldPath`."""

    __slots__ = ("steps", "text", "version")

    def __init__(self, text: str, version: str = "V1") -> None:
        self.text = text
        self.version = version.upper()
        if self.version == "V1":
            self.steps: tuple[str, ...] = (text,)
        elif self.version == "V2":
            self.steps = tuple(_parse_v2(text))
        else:
            raise ValueError(f"Unknown syntax version: {version}")

    def _last(self) -> str:
        if not self.steps:  # Kafka: an empty V2 path parses to no steps and fails when used
            raise ValueError(f"Empty field path: {self.text!r}")
        return self.steps[-1]

    def field_from(self, schema: Schema | None) -> Field | None:
        """The field of `schema` at this path, or None."""
        if schema is None:
            return None
        last = self._last()
        current = schema
        for step in self.steps[:-1]:
            f = current.field(step)
            if f is None:
                return None
            current = f.schema
        return current.field(last)

    def value_from_struct(self, struct: Struct | None, with_default: bool = True) -> Any:
        """The value at this path in `struct` (None when a step is missing or null)."""
        if struct is None:
            return None
        last = self._last()
        current: Struct | None
        current = struct
        for step in self.steps[:-1]:
            if current.schema.field(step) is None:
                return None
            current = require_struct_or_null(current.get(step), NESTED_PURPOSE)
            if current is None:
                return None
        if current.schema.field(last) is None:
            return None
        return current.get(last) if with_default else current.get_without_default(last)

    def value_from_map(self, value: Mapping[str, Any] | None) -> Any:
        """The value at this path in a schemaless map (None when a step is missing or null)."""
        if value is None:
            return None
        last = self._last()
        current: Mapping[str, Any] | None
        current = value
        for step in self.steps[:-1]:
            current = require_map_or_null(current.get(step), NESTED_PURPOSE)
            if current is None:
                return None
        return current.get(last)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldPath) and other.steps == self.steps

    def __hash__(self) -> int:
        return hash(self.steps)

    def __repr__(self) -> str:
        return f"FieldPath(version={self.version}, path={'.'.join(self.steps)})"


def _check_version(value: Any) -> str | None:
    if str(value).upper() in SYNTAX_VERSIONS:
        return None
    return "String must be one of (case insensitive): " + ", ".join(SYNTAX_VERSIONS)


class ExtractField(KeyValueTransform):
    """Extract the specified field from a Struct when schema present, or a Map in the case of schemaless data."""

    CONFIG = ConfigDef([
        ConfigKey("field", ConfigType.STRING, doc="Field name to extract."),
        REPLACE_NULL_WITH_DEFAULT,
        ConfigKey("field.syntax.version", ConfigType.STRING, "V1",
                  "Defines the version of the syntax to access fields. If set to `V1`, then the field paths are "
                  "limited to access the elements at the root level of the struct or map. If set to `V2`, the "
                  "syntax will support accessing nested elements. To access nested elements, dotted notation is "
                  "used. If dots are already included in the field name, then backtick pairs can be used to wrap "
                  "field names containing dots. E.g. to access the subfield `baz` from a field named \"foo.bar\" "
                  "in a struct/map the following format can be used to access its elements: \"`foo.bar`.baz\".",
                  validator=_check_version, importance="high"),
    ])

    @classmethod
    def validate_values(cls, values: Mapping[str, Any]) -> list[ConfigIssue]:
        try:
            FieldPath(values["field"], values["field.syntax.version"])
        except FieldPathError as exc:
            return [ConfigIssue("field", str(exc))]
        return []

    def _configure(self, values: Mapping[str, Any]) -> None:
        self.field: str = values["field"]
        self.path = FieldPath(self.field, values["field.syntax.version"])
        self.replace_null_with_default: bool = values["replace.null.with.default"]

    def __call__(self, record: Record) -> Record:
        value, schema = self._operating(record)
        if schema is None:
            original = require_map_or_null(value, PURPOSE)
            return self._with_part(record, None if original is None else self.path.value_from_map(original), None)
        struct = require_struct_or_null(value, PURPOSE)
        field = self.path.field_from(schema)
        if field is None:
            raise ValueError(f"Unknown field: {self.field}")
        extracted = None if struct is None else self.path.value_from_struct(struct, self.replace_null_with_default)
        return self._with_part(record, extracted, field.schema)


class ExtractFieldKey(ExtractField):
    """ExtractField on the record key (Kafka's `ExtractField$Key`)."""

    TARGET = "key"
    KAFKA_NAME = "ExtractField$Key"


class ExtractFieldValue(ExtractField):
    """ExtractField on the record value (Kafka's `ExtractField$Value`)."""

    TARGET = "value"
    KAFKA_NAME = "ExtractField$Value"


ExtractField.Key = ExtractFieldKey
ExtractField.Value = ExtractFieldValue

TRANSFORMS: dict[str, type[Transform]] = {
    "ExtractField$Key": ExtractFieldKey,
    "ExtractField$Value": ExtractFieldValue,
}
