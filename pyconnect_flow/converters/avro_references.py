"""Avro schemas with references: named types defined in other registered schemas, made one schema.

A Schema Registry schema may use a record, enum or fixed by its name only, with a `references` entry naming
the subject version that defines it (Confluent's schema references). fastavro and our AvroData read one
self-contained schema, so `inline_references` writes each referenced type in full where the schema first uses
it, as Avro's own rule allows (a named type is defined once, then used by name), giving the same schema a
Java parser builds from the references.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAMED = ("record", "error", "enum", "fixed")


def _full_name(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _namespace_of(node: Mapping[str, Any], enclosing: str | None) -> str | None:
    name = str(node.get("name", ""))
    if "." in name:
        return name.rsplit(".", 1)[0]
    return node.get("namespace", enclosing)


def named_types(schema: Any, namespace: str | None = None, into: dict[str, Any] | None = None) -> dict[str, Any]:
    """Full name → definition of every named type `schema` defines; each definition carries its namespace, so
    its relative names still resolve where it is inlined."""
    found: dict[str, Any] = {} if into is None else into
    if isinstance(schema, list):
        for branch in schema:
            named_types(branch, namespace, found)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in _NAMED and "name" in schema:
            own = _namespace_of(schema, namespace)
            definition = dict(schema)
            if own and "." not in str(schema["name"]):
                definition["namespace"] = own
            found.setdefault(_full_name(str(schema["name"]), own), definition)
            for field in schema.get("fields", ()) if kind in ("record", "error") else ():
                named_types(field.get("type"), own, found)
        elif kind == "array":
            named_types(schema.get("items"), namespace, found)
        elif kind == "map":
            named_types(schema.get("values"), namespace, found)
        elif isinstance(kind, (dict, list)):
            named_types(kind, namespace, found)
    return found


def inline_references(schema: Any, named: Mapping[str, Any]) -> Any:
    """`schema` with every type it uses by a name only `named` defines written in full at its first use."""
    return _inline(schema, None, named, set())


def _inline(node: Any, namespace: str | None, named: Mapping[str, Any], defined: set[str]) -> Any:
    if isinstance(node, str):
        if node in PRIMITIVES:
            return node
        full = _full_name(node, namespace)
        for candidate in (full, node):
            if candidate in defined:
                return node
            if candidate in named:
                defined.add(candidate)
                definition = named[candidate]
                return _inline_named(definition, _namespace_of(definition, namespace), named, defined)
        return node  # unknown: the parser names it
    if isinstance(node, list):
        return [_inline(branch, namespace, named, defined) for branch in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if kind in _NAMED and "name" in node:
        own = _namespace_of(node, namespace)
        defined.add(_full_name(str(node["name"]), own))
        return _inline_named(node, own, named, defined)
    out = dict(node)
    if kind == "array":
        out["items"] = _inline(node.get("items"), namespace, named, defined)
    elif kind == "map":
        out["values"] = _inline(node.get("values"), namespace, named, defined)
    elif isinstance(kind, (str, dict, list)):
        out["type"] = _inline(kind, namespace, named, defined)
    return out


def _inline_named(node: Mapping[str, Any], namespace: str | None, named: Mapping[str, Any], defined: set[str]) -> Any:
    out = dict(node)
    if out.get("type") in ("record", "error"):
        out["fields"] = [{**field, "type": _inline(field.get("type"), namespace, named, defined)}
                         for field in node.get("fields", ())]
    return out


def referenced_types(references: Sequence[Mapping[str, Any]],
                     fetch: Callable[[str, int], tuple[str, Sequence[Mapping[str, Any]]]]) -> dict[str, Any]:
    """The named types of `references` (each `{"name", "subject", "version"}`), transitively: `fetch(subject,
    version)` gives a referenced schema's text and its own references."""
    found: dict[str, Any] = {}
    seen: set[tuple[str, int]] = set()
    pending = list(references)
    while pending:
        ref = pending.pop()
        key = (str(ref["subject"]), int(ref["version"]))
        if key in seen:
            continue
        seen.add(key)
        text, nested = fetch(*key)
        named_types(json.loads(text), None, found)
        pending.extend(nested)
    return found
