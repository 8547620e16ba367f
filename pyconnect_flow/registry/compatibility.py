"""Schema compatibility checks of the embedded registry: why a new schema may not follow the existing ones.

`incompatibility(level, schema, existing, schema_type, …)` answers None (compatible) or the first problem,
which the registry turns into Confluent's 409. BACKWARD compares each old schema as the writer with the new
one as the reader, FORWARD the other way round, FULL both; the transitive levels look at every live version,
the others at the latest.

- AVRO: a subset of Avro's schema resolution (record fields by name — a field the reader has and the
  writer lacks needs a default —, unions, type promotions; nested records compared by kind).
- JSON: Confluent's `SchemaDiff` with its strict set of compatible changes, for the common cases: types
  (`integer` → `number` extends, anything else changes), `required` (added without a default is
  incompatible), properties added to or removed from open (no `additionalProperties: false`) and closed
  content models, `additionalProperties`, items, enums, `anyOf`/`oneOf`/`allOf` and local `$ref`s.
- PROTOBUF: Confluent's protobuf `SchemaDiff` on serialized (base64 `FileDescriptorProto`) schemas and
  their references: messages matched by name, fields by tag; a removed message, a changed package, a field
  whose kind (scalar, message, map), scalar group (int32/int64/uint32/uint64/bool; sint32/sint64; string/bytes;
  …) or message type changes, a proto2 `required` field added or removed, or a member removed from a oneof
  is incompatible; fields added or removed are not. `.proto` text schemas are not parsed here (no parser in
  the Python protobuf package) and are not checked.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pyconnect_flow.converters.avro_references import inline_references, named_types
from pyconnect_flow.registry.proto_text import serialized

if TYPE_CHECKING:
    from pyconnect_flow.registry.store import Reference, SchemaVersion

Resolver = Callable[["tuple[Reference, ...]"], "dict[str, SchemaVersion]"]


def incompatibility(level: str, schema: str, existing: list[SchemaVersion], schema_type: str = "AVRO",
                    references: Mapping[str, SchemaVersion] | None = None,
                    resolve: Resolver | None = None) -> str | None:
    """Why `schema` may not be registered after `existing` at compatibility `level`, or None.

    `references` are the new schema's resolved references (name → version) and `resolve` resolves an old
    version's (both only needed for Protobuf).
    """
    if level == "NONE" or not existing:
        return None
    olds = existing if level.endswith("TRANSITIVE") else existing[-1:]
    new_refs = dict(references or {})
    for old in olds:
        if old.schema_type != schema_type:
            return f"{{errorType:'TYPE_CHANGED', description:'schema type {old.schema_type} changed to " \
                   f"{schema_type}'}}"
        old_refs = resolve(old.references) if resolve is not None and schema_type != "JSON" else {}
        # (reader, its references, writer, its references)
        pairs = []
        if level.startswith(("BACKWARD", "FULL")):
            pairs.append((schema, new_refs, old.schema, old_refs))
        if level.startswith(("FORWARD", "FULL")):
            pairs.append((old.schema, old_refs, schema, new_refs))
        for reader, reader_refs, writer, writer_refs in pairs:
            if schema_type == "JSON":
                problem = json_problem(reader, writer)
            elif schema_type == "PROTOBUF":
                problem = protobuf_problem(reader, writer, reader_refs, writer_refs)
            else:
                problem = _can_read(avro_self_contained(reader, reader_refs), avro_self_contained(writer, writer_refs))
            if problem:
                return problem
    return None


# ----------------------------------------------------------------------------- Avro


def avro_self_contained(schema: str, references: Mapping[str, SchemaVersion]) -> str:
    """An Avro schema with the named types of its resolved `references` written in full where first used."""
    if not references:
        return schema
    named: dict[str, Any] = {}
    for version in references.values():
        named_types(json.loads(version.schema), None, named)
    return json.dumps(inline_references(json.loads(schema), named))


def _fields(schema: Any) -> dict[str, dict[str, Any]] | None:
    if isinstance(schema, dict) and schema.get("type") == "record":
        return {f["name"]: f for f in schema.get("fields", [])}
    return None


def _can_read(reader: str, writer: str) -> str | None:
    """Why `reader` cannot read data written with `writer`, or None (records: top-level fields; unions; kinds)."""
    return _readable(json.loads(reader), json.loads(writer))


def _readable(r: Any, w: Any) -> str | None:
    if isinstance(w, list):
        for branch in w:
            problem = _readable(r, branch)
            if problem:
                return problem
        return None
    if isinstance(r, list):
        if any(_readable(branch, w) is None for branch in r):
            return None
        return f"reader union lacks writer type {_kind(w)}"
    rf, wf = _fields(r), _fields(w)
    if rf is not None and wf is not None:
        for name, f in rf.items():
            if name not in wf and "default" not in f:
                return f"{{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field '{name}' at " \
                       f"path '/fields/{name}' in the new schema has no default value and is missing in the old schema'}}"
        return None
    promotions = {"int": {"long", "float", "double"}, "long": {"float", "double"}, "float": {"double"},
                  "string": {"bytes"}, "bytes": {"string"}}
    if _kind(r) == _kind(w) or _kind(r) in promotions.get(_kind(w), set()):
        return None
    return f"reader type {_kind(r)} cannot read writer type {_kind(w)}"


def _kind(schema: Any) -> str:
    if isinstance(schema, dict):
        return _kind(schema.get("type"))
    if isinstance(schema, list):
        return "union"
    return str(schema)


# ----------------------------------------------------------------------------- JSON Schema

#: Confluent's SchemaDiff.COMPATIBLE_CHANGES_STRICT (the kinds this check reports).
JSON_COMPATIBLE = frozenset({
    "ID_CHANGED", "DESCRIPTION_CHANGED", "TITLE_CHANGED", "DEFAULT_CHANGED", "SCHEMA_REMOVED", "TYPE_EXTENDED",
    "MAX_LENGTH_INCREASED", "MAX_LENGTH_REMOVED", "MIN_LENGTH_DECREASED", "MIN_LENGTH_REMOVED", "PATTERN_REMOVED",
    "MAXIMUM_INCREASED", "MAXIMUM_REMOVED", "MINIMUM_DECREASED", "MINIMUM_REMOVED", "EXCLUSIVE_MAXIMUM_INCREASED",
    "EXCLUSIVE_MAXIMUM_REMOVED", "EXCLUSIVE_MINIMUM_DECREASED", "EXCLUSIVE_MINIMUM_REMOVED", "MULTIPLE_OF_REDUCED",
    "MULTIPLE_OF_REMOVED", "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", "REQUIRED_ATTRIBUTE_REMOVED",
    "DEPENDENCY_ARRAY_NARROWED", "DEPENDENCY_ARRAY_REMOVED", "DEPENDENCY_SCHEMA_REMOVED", "MAX_PROPERTIES_INCREASED",
    "MAX_PROPERTIES_REMOVED", "MIN_PROPERTIES_DECREASED", "MIN_PROPERTIES_REMOVED", "ADDITIONAL_PROPERTIES_ADDED",
    "ADDITIONAL_PROPERTIES_EXTENDED", "UNEVALUATED_PROPERTIES_ADDED", "UNEVALUATED_PROPERTIES_EXTENDED",
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "MAX_ITEMS_INCREASED", "MAX_ITEMS_REMOVED",
    "MIN_ITEMS_DECREASED", "MIN_ITEMS_REMOVED", "MAX_CONTAINS_INCREASED", "MAX_CONTAINS_REMOVED",
    "MIN_CONTAINS_DECREASED", "MIN_CONTAINS_REMOVED", "UNIQUE_ITEMS_REMOVED", "ADDITIONAL_ITEMS_ADDED",
    "ADDITIONAL_ITEMS_EXTENDED", "UNEVALUATED_ITEMS_ADDED", "UNEVALUATED_ITEMS_EXTENDED",
    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ENUM_ARRAY_EXTENDED", "COMBINED_TYPE_EXTENDED", "PRODUCT_TYPE_NARROWED", "SUM_TYPE_EXTENDED",
    "NOT_TYPE_NARROWED",
})

_COMBINERS = ("anyOf", "oneOf", "allOf")
_OBJECT_KEYWORDS = frozenset({"properties", "required", "additionalProperties", "patternProperties",
                              "minProperties", "maxProperties", "dependencies", "propertyNames"})
_ARRAY_KEYWORDS = frozenset({"items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"})
_NUMBER_KEYWORDS = frozenset({"minimum", "maximum", "multipleOf", "exclusiveMinimum", "exclusiveMaximum"})
_STRING_KEYWORDS = frozenset({"minLength", "maxLength", "pattern", "format"})


class _JsonDiff:
    """Differences between two JSON Schemas (Confluent's SchemaDiff.compare(original, update))."""

    def __init__(self, original_root: Any, update_root: Any) -> None:
        self.roots = (original_root, update_root)
        self.found: list[tuple[str, str]] = []
        self._seen: set[tuple[int, int]] = set()

    def compatible(self) -> bool:
        return all(kind in JSON_COMPATIBLE for kind, _ in self.found)

    def first_problem(self) -> str | None:
        for kind, path in self.found:
            if kind not in JSON_COMPATIBLE:
                return f"{{errorType:'{kind}', description:'Found incompatible change: Difference{{jsonPath=" \
                       f"'{path or '#/'}', type={kind}}}'}}"
        return None

    def add(self, kind: str, path: str) -> None:
        self.found.append((kind, path))

    def sub(self) -> _JsonDiff:
        child = _JsonDiff(*self.roots)
        child._seen = set(self._seen)
        return child

    def _deref(self, schema: Any, root: Any) -> Any:
        for _ in range(32):
            if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str)
                    and schema["$ref"].startswith("#")):
                return schema
            target: Any = root
            for part in schema["$ref"][1:].split("/"):
                if part:
                    part = part.replace("~1", "/").replace("~0", "~")
                    target = target.get(part) if isinstance(target, dict) else None
            schema = target if target is not None else {}
        return schema

    def compare(self, original: Any, update: Any, path: str = "#") -> None:
        original, update = self._deref(original, self.roots[0]), self._deref(update, self.roots[1])
        key = (id(original), id(update))
        if key in self._seen:  # a recursive $ref met again: assume compatible, as Confluent does
            return
        self._seen.add(key)
        original, update = _normalize(original), _normalize(update)
        o_comb, u_comb = _combiner(original), _combiner(update)
        if o_comb is None and u_comb is not None:
            subs = update[u_comb]
            if len(subs) == 1 or u_comb != "allOf":
                for sub in subs:
                    trial = self.sub()
                    trial.compare(original, sub, path)
                    if trial.compatible():
                        self.found.extend(trial.found)
                        if len(subs) > 1:
                            self.add("SUM_TYPE_EXTENDED", path)
                        return
        elif o_comb is not None and u_comb is None:
            subs = original[o_comb]
            if len(subs) == 1 or o_comb == "allOf":
                for sub in subs:
                    trial = self.sub()
                    trial.compare(sub, update, path)
                    if trial.compatible():
                        self.found.extend(trial.found)
                        if len(subs) > 1:
                            self.add("PRODUCT_TYPE_NARROWED", path)
                        return
        o_kind, u_kind = _json_kind(original), _json_kind(update)
        if o_kind != u_kind:
            if o_kind == "false" or u_kind == "empty":
                return
            if (isinstance(original, dict) and original.get("connect.type") == "bytes"
                    and isinstance(update, dict) and update.get("connect.type") == "bytes"):
                return
            self.add("TYPE_CHANGED", path)
            return
        if not isinstance(original, dict) or not isinstance(update, dict):
            return
        for attribute, kind in (("title", "TITLE_CHANGED"), ("description", "DESCRIPTION_CHANGED"),
                                ("default", "DEFAULT_CHANGED"), ("$id", "ID_CHANGED")):
            if original.get(attribute) != update.get(attribute):
                self.add(kind, path)
        if o_kind == "number":
            o_int, u_int = original.get("type") == "integer", update.get("type") == "integer"
            if o_int and not u_int:
                self.add("TYPE_EXTENDED", path)
            elif u_int and not o_int:
                self.add("TYPE_NARROWED", path)
            self._bounds(original, update, path, (("maximum", "MAXIMUM"), ("minimum", "MINIMUM")))
            self._multiple_of(original.get("multipleOf"), update.get("multipleOf"), path)
        elif o_kind == "string":
            self._bounds(original, update, path, (("maxLength", "MAX_LENGTH"), ("minLength", "MIN_LENGTH")))
            o_pattern, u_pattern = original.get("pattern"), update.get("pattern")
            if o_pattern != u_pattern:
                self.add("PATTERN_ADDED" if o_pattern is None else "PATTERN_REMOVED" if u_pattern is None
                         else "PATTERN_CHANGED", path + "/pattern")
        elif o_kind == "const":
            if original["const"] != update["const"]:
                self.add("ENUM_ARRAY_CHANGED", path + "/const")
        elif o_kind == "not":
            trial = self.sub()
            trial.compare(update["not"], original["not"], path + "/not")  # a narrower `not` accepts more
            self.add("NOT_TYPE_NARROWED" if trial.compatible() and trial.found else
                     "NOT_TYPE_EXTENDED" if trial.found else "NOT_TYPE_UNCHANGED", path + "/not")
        elif o_kind == "enum":
            o_values, u_values = list(original["enum"]), list(update["enum"])
            if o_values != u_values:
                if all(v in u_values for v in o_values):
                    self.add("ENUM_ARRAY_EXTENDED", path)
                elif all(v in o_values for v in u_values):
                    self.add("ENUM_ARRAY_NARROWED", path)
                else:
                    self.add("ENUM_ARRAY_CHANGED", path)
        elif o_kind == "object":
            self._object(original, update, path)
        elif o_kind == "array":
            self._bounds(original, update, path, (("maxItems", "MAX_ITEMS"), ("minItems", "MIN_ITEMS")))
            o_items, u_items = original.get("items", {}), update.get("items", {})
            if isinstance(o_items, list) and isinstance(u_items, list):
                for i, (o_item, u_item) in enumerate(zip(o_items, u_items)):
                    self.compare(o_item, u_item, f"{path}/items/{i}")
                o_extra, u_extra = original.get("additionalItems", True), update.get("additionalItems", True)
                if (o_extra is False) != (u_extra is False):
                    self.add("ADDITIONAL_ITEMS_REMOVED" if u_extra is False else "ADDITIONAL_ITEMS_ADDED",
                             path + "/additionalItems")
                elif isinstance(o_extra, dict) and isinstance(u_extra, dict):
                    self.compare(o_extra, u_extra, path + "/additionalItems")
            elif "items" in original or "items" in update:
                self.compare(o_items, u_items, path + "/items")
        elif o_kind == "combined":
            self._combined(original, update, path)

    def _bounds(self, original: dict[str, Any], update: dict[str, Any], path: str,
                pairs: tuple[tuple[str, str], ...]) -> None:
        for attribute, kind in pairs:
            o, u = original.get(attribute), update.get(attribute)
            if o == u:
                continue
            upper = attribute.startswith("max")
            if o is None:
                self.add(f"{kind}_ADDED", path)
            elif u is None:
                self.add(f"{kind}_REMOVED", path)
            elif (u > o) == upper:
                self.add(f"{kind}_{'INCREASED' if upper else 'DECREASED'}", path)
            else:
                self.add(f"{kind}_{'DECREASED' if upper else 'INCREASED'}", path)

    def _multiple_of(self, o: Any, u: Any, path: str) -> None:
        if o == u:
            return
        here = path + "/multipleOf"
        if o is None:
            self.add("MULTIPLE_OF_ADDED", here)
        elif u is None:
            self.add("MULTIPLE_OF_REMOVED", here)
        elif (o / u).is_integer():
            self.add("MULTIPLE_OF_REDUCED", here)
        elif (u / o).is_integer():
            self.add("MULTIPLE_OF_EXPANDED", here)
        else:
            self.add("MULTIPLE_OF_CHANGED", here)

    def _dependencies(self, original: dict[str, Any], update: dict[str, Any], path: str) -> None:
        o_deps, u_deps = original.get("dependencies") or {}, update.get("dependencies") or {}
        for name in sorted(set(o_deps) | set(u_deps)):
            here = f"{path}/dependencies/{name}"
            o, u = o_deps.get(name), u_deps.get(name)
            is_array = isinstance(o if o is not None else u, list)
            kind = "DEPENDENCY_ARRAY" if is_array else "DEPENDENCY_SCHEMA"
            if u is None:
                self.add(f"{kind}_REMOVED", here)
            elif o is None:
                self.add(f"{kind}_ADDED", here)
            elif is_array and isinstance(u, list):
                if set(o) != set(u):
                    self.add("DEPENDENCY_ARRAY_EXTENDED" if set(u) >= set(o) else
                             "DEPENDENCY_ARRAY_NARROWED" if set(o) >= set(u) else "DEPENDENCY_ARRAY_CHANGED", here)
            else:
                self.compare(o, u, here)

    def _object(self, original: dict[str, Any], update: dict[str, Any], path: str) -> None:
        self._bounds(original, update, path, (("maxProperties", "MAX_PROPERTIES"),
                                              ("minProperties", "MIN_PROPERTIES")))
        self._dependencies(original, update, path)
        o_props, u_props = original.get("properties") or {}, update.get("properties") or {}
        o_req, u_req = set(original.get("required") or ()), set(update.get("required") or ())
        for name in o_props:
            if name in u_props:
                if name in o_req and name not in u_req:
                    self.add("REQUIRED_ATTRIBUTE_REMOVED", f"{path}/required/{name}")
                elif name in u_req and name not in o_req:
                    self.add("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED" if _has_default(u_props[name])
                             else "REQUIRED_ATTRIBUTE_ADDED", f"{path}/required/{name}")
        for name in list(o_props) + [n for n in u_props if n not in o_props]:
            here = f"{path}/properties/{name}"
            if name not in u_props:
                partial = _partial(update, name)
                if _open(update):
                    self.add("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", here)
                elif partial is not None:
                    trial = self.sub()
                    trial.compare(o_props[name], partial, here)
                    self.found.extend(trial.found)
                    self.add("PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" if trial.compatible()
                             else "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", here)
                elif o_props[name] is False:
                    self.add("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", here)
                else:
                    self.add("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", here)
            elif name not in o_props:
                if _open(original):
                    if _json_kind(u_props[name]) == "empty":
                        self.add("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", here)
                    elif name in u_req:
                        self.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"
                                 if _has_default(u_props[name]) else "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                                 here)
                    else:
                        self.add("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", here)
                else:
                    partial = _partial(original, name)
                    if partial is not None:
                        trial = self.sub()
                        trial.compare(partial, u_props[name], here)
                        self.found.extend(trial.found)
                        self.add("PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" if trial.compatible()
                                 else "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", here)
                    if name in u_req:
                        self.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
                                 if _has_default(u_props[name]) else
                                 "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", here)
                    else:
                        self.add("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", here)
            else:
                self.compare(o_props[name], u_props[name], here)
        here = path + "/additionalProperties"
        o_open, u_open = _open(original) or _partial(original) is not None, _open(update) or \
            _partial(update) is not None
        if o_open != u_open:
            self.add("ADDITIONAL_PROPERTIES_ADDED" if u_open else "ADDITIONAL_PROPERTIES_REMOVED", here)
        elif _partial(original) is None and _partial(update) is not None:
            self.add("ADDITIONAL_PROPERTIES_NARROWED", here)
        elif _partial(update) is None and _partial(original) is not None:
            self.add("ADDITIONAL_PROPERTIES_EXTENDED", here)
        elif _partial(original) is not None:
            self.compare(_partial(original), _partial(update), here)

    def _combined(self, original: dict[str, Any], update: dict[str, Any], path: str) -> None:
        """Confluent's CombinedSchemaDiff: criteria, then a maximum matching of compatible subschemas."""
        o_comb, u_comb = _combiner(original), _combiner(update)
        assert o_comb is not None and u_comb is not None
        o_subs, u_subs = _distinct(original[o_comb]), _distinct(update[u_comb])
        if o_comb != u_comb:
            if u_comb == "anyOf" or (len(o_subs) == 1 and len(u_subs) == 1) or \
                    (len(o_subs) == 1 and u_comb == "oneOf") or (len(u_subs) == 1 and o_comb == "allOf"):
                self.add("COMBINED_TYPE_EXTENDED", path)
            else:
                self.add("COMBINED_TYPE_CHANGED", path)
                return
        if len(o_subs) < len(u_subs):
            self.add("PRODUCT_TYPE_EXTENDED" if u_comb == "allOf" else "SUM_TYPE_EXTENDED", path)
        elif len(o_subs) > len(u_subs):
            self.add("SUM_TYPE_NARROWED" if o_comb in ("anyOf", "oneOf") else "PRODUCT_TYPE_NARROWED", path)
        edges: dict[int, dict[int, list[tuple[str, str]]]] = {}
        for i, o_sub in enumerate(o_subs):
            for j, u_sub in enumerate(u_subs):
                trial = self.sub()
                trial.compare(o_sub, u_sub, f"{path}/{o_comb}/{i}")
                if trial.compatible():
                    edges.setdefault(i, {})[j] = trial.found
        matching = _max_matching(edges)
        for i, j in matching.items():
            self.found.extend(edges[i][j])
        if len(matching) < min(len(o_subs), len(u_subs)):
            self.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED", path)


def _distinct(subs: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for sub in subs:
        key = json.dumps(sub, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(sub)
    return out


def _max_matching(edges: dict[int, dict[int, Any]]) -> dict[int, int]:
    """A maximum bipartite matching (original index → update index) by augmenting paths."""
    owner: dict[int, int] = {}

    def augment(i: int, visited: set[int]) -> bool:
        for j in edges.get(i, {}):
            if j in visited:
                continue
            visited.add(j)
            if j not in owner or augment(owner[j], visited):
                owner[j] = i
                return True
        return False

    for i in edges:
        augment(i, set())
    return {i: j for j, i in owner.items()}


def _normalize(schema: Any) -> Any:
    """The schema as everit loads it: a node mixing kinds of keywords as the allOf of each, a `type` list as
    the `anyOf` of its types, a boolean `true` as `{}`."""
    from pyconnect_flow.converters.json_schema_data import _everit_parts

    if schema is True:
        return {}
    if isinstance(schema, dict):
        parts = _everit_parts(schema)
        if len(parts) > 1:
            return {"allOf": parts}
    if isinstance(schema, dict) and isinstance(schema.get("type"), list):
        rest = {k: v for k, v in schema.items() if k != "type"}
        types = schema["type"]
        if len(types) == 1:
            return {**rest, "type": types[0]}
        return {"anyOf": [{**rest, "type": t} for t in types]}
    return schema


def _combiner(schema: Any) -> str | None:
    if isinstance(schema, dict):
        for name in _COMBINERS:
            if isinstance(schema.get(name), list):
                return name
    return None


def _json_kind(schema: Any) -> str:
    if schema is False:
        return "false"
    if not isinstance(schema, dict):
        return "empty"
    if _combiner(schema):
        return "combined"
    if "enum" in schema:
        return "enum"
    if "const" in schema:
        return "const"
    if "not" in schema:
        return "not"
    t = schema.get("type")
    if t in ("integer", "number"):
        return "number"
    if t is None:
        if _OBJECT_KEYWORDS.intersection(schema):
            return "object"
        if _ARRAY_KEYWORDS.intersection(schema):
            return "array"
        if _NUMBER_KEYWORDS.intersection(schema):
            return "number"
        if _STRING_KEYWORDS.intersection(schema):
            return "string"
        return "empty"
    return str(t)


def _open(schema: dict[str, Any]) -> bool:
    """Everit's permitsAdditionalProperties with no schema for them: an open content model."""
    extra = schema.get("additionalProperties", True)
    return extra is True or extra == {}


def _partial(schema: dict[str, Any], name: str | None = None) -> Any:
    """The schema a partially open content model gives property `name` (a matching `patternProperties` entry,
    else a schema of `additionalProperties`), or None."""
    import re

    if name is not None:
        for pattern, sub in (schema.get("patternProperties") or {}).items():
            if re.search(pattern, name):
                return sub
    extra = schema.get("additionalProperties", True)
    return extra if isinstance(extra, dict) and extra else None


def _has_default(schema: Any) -> bool:
    return isinstance(schema, dict) and "default" in schema


def json_problem(reader: str, writer: str) -> str | None:
    """Why data valid under JSON Schema `writer` may fail `reader` (Confluent: `reader.isBackwardCompatible(writer)`,
    SchemaDiff.compare(writer, reader) with the strict set of compatible changes), or None."""
    original, update = json.loads(writer), json.loads(reader)
    diff = _JsonDiff(original, update)
    diff.compare(original, update)
    return diff.first_problem()


# ----------------------------------------------------------------------------- Protobuf

_SCALAR_GROUPS = {
    "int32": "GENERAL_NUMBER", "int64": "GENERAL_NUMBER", "uint32": "GENERAL_NUMBER", "uint64": "GENERAL_NUMBER",
    "bool": "GENERAL_NUMBER", "enum": "GENERAL_NUMBER", "sint32": "SIGNED_NUMBER", "sint64": "SIGNED_NUMBER",
    "string": "STRING_OR_BYTES", "bytes": "STRING_OR_BYTES", "fixed32": "FIXED32", "sfixed32": "FIXED32",
    "fixed64": "FIXED64", "sfixed64": "FIXED64", "float": "FLOAT", "double": "DOUBLE",
}
PROTOBUF_COMPATIBLE = frozenset({
    "MESSAGE_ADDED", "MESSAGE_MOVED", "ENUM_ADDED", "ENUM_REMOVED", "ENUM_CONST_ADDED", "ENUM_CONST_CHANGED",
    "ENUM_CONST_REMOVED", "FIELD_ADDED", "FIELD_REMOVED", "FIELD_NAME_CHANGED", "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
    "ONEOF_ADDED", "ONEOF_REMOVED", "ONEOF_FIELD_ADDED", "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
})


class _Types:
    """Every message and enum of a file and its references, by full name (".pkg.Outer.Inner")."""

    def __init__(self, files: list[Any]) -> None:
        self.messages: dict[str, Any] = {}
        self.enums: dict[str, Any] = {}
        self.packages: dict[str, str] = {}
        for file in files:
            prefix = "." + file.package if file.package else ""
            for message in file.message_type:
                self._message(prefix, message, file.package)
            for enum in file.enum_type:
                self.enums[f"{prefix}.{enum.name}"] = enum

    def _message(self, prefix: str, message: Any, package: str) -> None:
        name = f"{prefix}.{message.name}"
        self.messages[name] = message
        self.packages[name] = package
        for nested in message.nested_type:
            self._message(name, nested, package)
        for enum in message.enum_type:
            self.enums[f"{name}.{enum.name}"] = enum


def _parse_file(text: str, name: str | None = None) -> Any:
    from google.protobuf import descriptor_pb2

    file = descriptor_pb2.FileDescriptorProto()
    file.ParseFromString(base64.b64decode(text, validate=True))
    if name:
        file.name = name
    return file


class _ProtoDiff:
    """Confluent's protobuf SchemaDiff.compare(original, update) over descriptor protos."""

    def __init__(self, original: _Types, update: _Types) -> None:
        self.types = (original, update)
        self.found: list[tuple[str, str]] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, kind: str, path: str) -> None:
        self.found.append((kind, path))

    def first_problem(self) -> str | None:
        for kind, path in self.found:
            if kind not in PROTOBUF_COMPATIBLE:
                return f"{{errorType:'{kind}', description:'Found incompatible change: Difference{{fullPath=" \
                       f"'{path}', type={kind}}}'}}"
        return None

    def types_of(self, original: list[Any], update: list[Any], path: str) -> None:
        o_by = {m.name: (i, m) for i, m in enumerate(original)}
        u_by = {m.name: (i, m) for i, m in enumerate(update)}
        for name in sorted(set(o_by) | set(u_by)):
            here = f"{path}{name}"
            if name not in u_by:
                if not o_by[name][1].options.map_entry:
                    self.add("MESSAGE_REMOVED", here)
            elif name not in o_by:
                if not u_by[name][1].options.map_entry:
                    self.add("MESSAGE_ADDED", here)
            else:
                self.message(o_by[name][1], u_by[name][1], here + ".")
                if o_by[name][0] != u_by[name][0]:
                    self.add("MESSAGE_MOVED", here)

    def message(self, original: Any, update: Any, path: str) -> None:
        def oneof_of(message: Any, field: Any) -> str | None:
            if not field.HasField("oneof_index") or field.proto3_optional:
                return None
            return str(message.oneof_decl[field.oneof_index].name)

        o_by, u_by = {f.number: f for f in original.field}, {f.number: f for f in update.field}
        o_oneof = {n: oneof_of(original, f) for n, f in o_by.items()}
        u_oneof = {n: oneof_of(update, f) for n, f in u_by.items()}
        o_names = {v for v in o_oneof.values() if v}
        u_names = {v for v in u_oneof.values() if v}
        deleted = {name for name in o_names - u_names
                   if not any(n in u_by for n, o in o_oneof.items() if o == name)}
        for name in sorted(u_names):
            groups = set()
            moved_in = 0
            for n, u in u_oneof.items():
                if u != name:
                    continue
                if o_oneof.get(n):
                    groups.add("oneof:" + str(o_oneof[n]))
                elif n in o_by:
                    groups.add(f"field:{n}")
                    moved_in += 1
            if len(groups) > 1:
                self.add("MULTIPLE_FIELDS_MOVED_TO_ONEOF" if moved_in > 1 else "FIELD_MOVED_TO_EXISTING_ONEOF",
                         path + name)
        for name in sorted(o_names | u_names):
            if name not in u_names:
                self.add("ONEOF_REMOVED", path + name)
            elif name not in o_names:
                self.add("ONEOF_ADDED", path + name)
        required = 2  # FieldDescriptorProto.LABEL_REQUIRED
        for tag in sorted(set(o_by) | set(u_by)):
            here = f"{path}{tag}"
            o, u = o_by.get(tag), u_by.get(tag)
            if u is None:
                assert o is not None
                if o_oneof[tag]:
                    if o_oneof[tag] not in deleted:
                        self.add("ONEOF_FIELD_REMOVED", here)
                else:
                    self.add("REQUIRED_FIELD_REMOVED" if o.label == required else "FIELD_REMOVED", here)
            elif o is None:
                if u_oneof[tag]:
                    self.add("ONEOF_FIELD_ADDED", here)
                else:
                    self.add("REQUIRED_FIELD_ADDED" if u.label == required else "FIELD_ADDED", here)
            else:
                if o_oneof[tag] and not u_oneof[tag]:
                    self.add("ONEOF_FIELD_MOVED_TO_TOP_LEVEL", here)
                self.field(o, u, here)
        self.types_of(list(original.nested_type), list(update.nested_type), path)

    def _kind(self, field: Any, side: int) -> tuple[str, str]:
        """(SCALAR|MESSAGE|MAP, the scalar name or the message's full name)."""
        from google.protobuf import descriptor_pb2

        f = descriptor_pb2.FieldDescriptorProto
        if field.type == f.TYPE_ENUM:
            return "SCALAR", "enum"
        if field.type in (f.TYPE_MESSAGE, f.TYPE_GROUP):
            message = self.types[side].messages.get(field.type_name)
            if message is not None and message.options.map_entry:
                return "MAP", field.type_name
            return "MESSAGE", field.type_name
        return "SCALAR", f.Type.Name(field.type)[len("TYPE_"):].lower()

    def field(self, original: Any, update: Any, path: str) -> None:
        if original.name != update.name:
            self.add("FIELD_NAME_CHANGED", path)
        self._labels_and_types(original, update, path, True)

    def _labels_and_types(self, original: Any, update: Any, path: str, labels: bool) -> None:
        (o_kind, o_type), (u_kind, u_type) = self._kind(original, 0), self._kind(update, 1)
        if o_kind != u_kind:
            self.add("FIELD_KIND_CHANGED", path)
        elif o_kind == "SCALAR":
            o_group, u_group = _SCALAR_GROUPS.get(o_type, o_type), _SCALAR_GROUPS.get(u_type, u_type)
            if o_group != u_group:
                self.add("FIELD_SCALAR_KIND_CHANGED", path)
            elif labels and original.label != update.label:
                self.add("FIELD_STRING_OR_BYTES_LABEL_CHANGED" if o_group == "STRING_OR_BYTES"
                         else "FIELD_NUMERIC_LABEL_CHANGED", path)
        elif o_kind == "MAP":
            o_entry, u_entry = self.types[0].messages[o_type], self.types[1].messages[u_type]
            for i in range(2):
                self._labels_and_types(o_entry.field[i], u_entry.field[i], path, False)
        else:
            o_local = _local(o_type, self.types[0].packages.get(o_type))
            u_local = _local(u_type, self.types[1].packages.get(u_type))
            if o_local != u_local:
                self.add("FIELD_NAMED_TYPE_CHANGED", path)
                return
            o_msg, u_msg = self.types[0].messages.get(o_type), self.types[1].messages.get(u_type)
            if o_msg is None or u_msg is None or (o_type, u_type) in self._seen:
                return
            self._seen.add((o_type, u_type))
            trial = _ProtoDiff(*self.types)
            trial._seen = self._seen
            trial.message(o_msg, u_msg, o_local.lstrip(".") + ".")
            self.found.extend(trial.found)
            if trial.first_problem() is not None:
                self.add("FIELD_NAMED_TYPE_CHANGED", path)


def _local(full: str, package: str | None) -> str:
    prefix = f".{package}." if package else "."
    return full[len(prefix):] if full.startswith(prefix) else full


def protobuf_problem(reader: str, writer: str, reader_refs: Mapping[str, SchemaVersion],
                     writer_refs: Mapping[str, SchemaVersion]) -> str | None:
    """Why a reader with Protobuf schema `reader` cannot read what `writer` wrote (Confluent:
    SchemaDiff.compare(writer, reader)), or None. Schemas registered as `.proto` text are compiled first
    (`registry.proto_text`)."""
    from google.protobuf.message import DecodeError

    def files(schema: str, refs: Mapping[str, SchemaVersion]) -> list[Any]:
        texts = {n: v.schema for n, v in refs.items()}
        return [_parse_file(serialized(schema, texts))] + [
            _parse_file(serialized(v.schema, texts), n) for n, v in refs.items()]

    try:
        o_files = files(writer, writer_refs)
        u_files = files(reader, reader_refs)
    except (ValueError, DecodeError) as exc:  # ProtoTextError, binascii.Error, not a FileDescriptorProto
        return f"{{errorType:'SCHEMA_INVALID', description:'{exc}'}}"
    original, update = o_files[0], u_files[0]
    diff = _ProtoDiff(_Types(o_files), _Types(u_files))
    if original.package != update.package:
        diff.add("PACKAGE_CHANGED", "#/")
    diff.types_of(list(original.message_type), list(update.message_type), "#/")
    return diff.first_problem()


__all__ = ["JSON_COMPATIBLE", "PROTOBUF_COMPATIBLE", "incompatibility", "json_problem", "protobuf_problem"]
