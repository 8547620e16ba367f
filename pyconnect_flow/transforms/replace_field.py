"""ReplaceField: keep, drop and rename top-level fields of a map or struct.

Kafka's `org.apache.kafka.connect.transforms.ReplaceField$Key` / `$Value`::

    ReplaceField.value(exclude=["password"], renames={"fname": "first_name"})

`exclude` wins over `include`; an empty `include` keeps every field. Renames apply to the
fields that remain, and a renamed struct keeps its fields' order. The names Kafka used before
3.0, `blacklist` and `whitelist`, are read when `exclude`/`include` are not given. A null
key/value passes through unchanged.

A struct's new fields are filled as Kafka fills them: each field of the new schema takes the value of
the field whose name *renames into* it (`reverseRenamed`), not the field it was built from. So a
rename whose target is a field already kept fails (`renames=line:part` on a struct that has `part`
but no `line`: `DataException: line is not a valid field name`), and a struct that has both, with
`line` dropped by `include`/`exclude`, puts `line`'s value (checked against `part`'s schema) in `part`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pyconnect_flow.config.definition import ConfigDef, ConfigKey, ConfigType
from pyconnect_flow.converters.json_columns import FlatColumns, flat_fields
from pyconnect_flow.data import Schema, SchemaBuilder, Struct
from pyconnect_flow.data.java_hashmap import java_map_order, java_sized
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.fused import MapCode
from pyconnect_flow.transforms.util import (
    REPLACE_NULL_WITH_DEFAULT,
    KeyValueTransform,
    SchemaCache,
    copy_schema_basics,
    java_split,
    put_checked,
    require_map,
    require_struct,
)

if TYPE_CHECKING:
    from pyconnect_flow.kafka_columns import DecodedColumns

__all__ = ["TRANSFORMS", "ReplaceField", "ReplaceFieldKey", "ReplaceFieldValue", "parse_rename_mappings"]

PURPOSE = "field replacement"


class RenameMappingError(ValueError):
    """A `renames` entry that is not one `old:new` pair."""


def parse_rename_mappings(mappings: list[str]) -> dict[str, str]:
    """`["old:new", ...]` as a dict; RenameMappingError names the first bad entry."""
    renames: dict[str, str] = {}
    for mapping in mappings:
        parts = java_split(mapping, ":")
        if len(parts) != 2:
            raise RenameMappingError(f"Invalid rename mapping: {mapping}")
        renames[parts[0]] = parts[1]
    return renames


def invert_renames(renames: dict[str, str]) -> dict[str, str]:
    """new name -> old name, as Kafka's `invert`: over the renames `HashMap`'s order, the last old name wins."""
    order = java_map_order(tuple(renames)) or tuple(renames)
    return {renames[old]: old for old in order}


def _check_renames(value: Any) -> str | None:
    try:
        parse_rename_mappings(value)
    except RenameMappingError as exc:
        return str(exc)
    return None


class ReplaceField(KeyValueTransform):
    """Filter or rename fields."""

    CONFIG = ConfigDef([
        ConfigKey("exclude", ConfigType.LIST, [], "Fields to exclude. This takes precedence over the fields to include.",
                  aliases=("blacklist",)),
        ConfigKey("include", ConfigType.LIST, [], "Fields to include. If specified, only these fields will be used.",
                  aliases=("whitelist",)),
        ConfigKey("renames", ConfigType.LIST, [], "Field rename mappings (list of colon-delimited pairs, "
                  "e.g. `foo:bar,abc:xyz`).", validator=_check_renames),
        REPLACE_NULL_WITH_DEFAULT,
    ])

    @classmethod
    def _props_from_kwargs(cls, props: dict[str, Any]) -> dict[str, Any]:
        renames = props.get("renames")
        if isinstance(renames, Mapping):
            props["renames"] = [f"{old}:{new}" for old, new in renames.items()]
        return props

    def _configure(self, values: Mapping[str, Any]) -> None:
        self.exclude = frozenset(values["exclude"])
        self.include = frozenset(values["include"])
        self.renames = parse_rename_mappings(values["renames"])
        self.reverse_renames = invert_renames(self.renames)
        self.replace_null_with_default: bool = values["replace.null.with.default"]
        self._cache = SchemaCache()

    #: Kafka builds the new map with new HashMap<>(value.size()) (see transforms.fused)
    JAVA_MAP = "sized"

    @property
    def order_sensitive(self) -> bool:
        """True with renames: a field renamed onto a name already in the map (or two onto one) keeps the value
        that comes last in the map's iteration order (see transforms.fused)."""
        return bool(self.renames)

    def keeps(self, name: str) -> bool:
        """True if the field called `name` stays (not excluded, and included or no include list)."""
        return name not in self.exclude and (not self.include or name in self.include)

    @property
    def fusable_map(self) -> bool:
        """True: `map_update` does this transform's work on a schemaless map (see `chain`)."""
        return True

    def map_code(self, code: MapCode) -> None:
        """`map_update` as lines of a fused chain function (see `transforms.fused`)."""
        if self.include or self.renames:
            code.call(self.map_update)
            return
        for name in sorted(self.exclude):
            code.line(f"u.pop({code.const(name)}, None)")

    def map_update(self, record: Record, value: Mapping[str, Any]) -> dict[str, Any]:
        """The kept and renamed fields of a schemaless map (a private copy may be changed in place)."""
        exclude, include, renames = self.exclude, self.include, self.renames
        if not include and not renames and type(value) is dict and value is not record.value and value is not record.key:
            for name in exclude:  # dropping keys keeps the others' order, as the comprehension does
                value.pop(name, None)
            return value
        if include:
            kept = {k: v for k, v in value.items() if k not in exclude and k in include}
        else:
            kept = {k: v for k, v in value.items() if k not in exclude}
        if renames:
            kept = {renames.get(k, k): v for k, v in kept.items()}
        return kept

    def renamed(self, name: str) -> str:
        """The output name of the field called `name`."""
        return self.renames.get(name, name)

    def __call__(self, record: Record) -> Record:
        value, schema = self._operating(record)
        if value is None:
            return record
        if schema is None:
            original = require_map(value, PURPOSE)
            # Kafka puts the kept fields into new HashMap<>(value.size()), in the map's order
            kept = self.map_update(record, original if value is record.value else dict(original))
            return self._with_part(record, java_sized(len(original), kept), None)
        struct = require_struct(value, PURPOSE)
        updated_schema, pairs, exact = self._cache.get_or_build(struct.schema, self._updated_schema)
        get = struct.get if self.replace_null_with_default else struct.get_without_default
        if exact:
            updated = Struct.unchecked(updated_schema, {new: get(old) for new, old in pairs})
        else:  # some field is filled from another one (Kafka's reverseRenamed): look up and check as Kafka
            values: dict[str, Any] = {}
            for new, old in pairs:
                put_checked(values, updated_schema, new, get(old))
            updated = Struct.unchecked(updated_schema, values)
        return self._with_part(record, updated, updated_schema)

    def transform_columns(self, columns: DecodedColumns) -> DecodedColumns | None:
        """The value form on a flat struct batch (`transforms.columns`): the kept field columns under their
        new names and the schema the record path builds (the same cache). None for the key form and when a
        field is filled from another one (Kafka's reverse renames): that batch takes the record path."""
        flat = columns.flat
        if self.TARGET != "value" or flat is None or not len(columns):
            return None
        try:
            schema, pairs, exact = self._cache.get_or_build(flat.schema, self._updated_schema)
        except Exception:  # noqa: BLE001 - the record path reports it, record by record
            return None
        names = [new for new, _ in pairs]
        fields = flat_fields(schema)
        if not exact or fields is None or [f[0] for f in fields] != names or len(set(names)) != len(names):
            return None
        index = {name: j for j, name in enumerate(flat.names)}
        return columns.with_flat(FlatColumns(schema, names, [flat.columns[index[old]] for _, old in pairs]))

    def _updated_schema(self, schema: Schema) -> tuple[Schema, tuple[tuple[str, str], ...], bool]:
        """The new schema, (new field, field it is read from) pairs, and whether each reads its own field."""
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        pairs = []
        exact = True
        for f in schema.fields or ():
            if self.keeps(f.name):
                new = self.renamed(f.name)
                builder.field(new, f.schema)
                source = self.reverse_renames.get(new, new)
                pairs.append((new, source))
                exact = exact and source == f.name
        return builder.build(), tuple(pairs), exact


class ReplaceFieldKey(ReplaceField):
    """ReplaceField on the record key (Kafka's `ReplaceField$Key`)."""

    TARGET = "key"
    KAFKA_NAME = "ReplaceField$Key"


class ReplaceFieldValue(ReplaceField):
    """ReplaceField on the record value (Kafka's `ReplaceField$Value`)."""

    TARGET = "value"
    KAFKA_NAME = "ReplaceField$Value"


ReplaceField.Key = ReplaceFieldKey
ReplaceField.Value = ReplaceFieldValue

TRANSFORMS: dict[str, type[Transform]] = {
    "ReplaceField$Key": ReplaceFieldKey,
    "ReplaceField$Value": ReplaceFieldValue,
}
