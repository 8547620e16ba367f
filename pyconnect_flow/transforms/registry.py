"""Finding the transform or predicate a `transforms.<alias>.type` / `predicates.<alias>.type` names.

A type is one of:

- a Kafka Connect class name, full or short: `org.apache.kafka.connect.transforms.InsertField$Value`,
  `InsertField$Value`, `org.apache.kafka.connect.transforms.predicates.TopicNameMatches`,
  `TopicNameMatches`;
- a Python import path, `package.module:name` or `package.module.name`, of
    * a `Transform` (or `Predicate`) subclass: built with `from_config(keys)`, its keys checked;
    * any other class: called with one argument, a dict of the alias' other keys
      (`transforms.<alias>.<key>` without the prefix, values as written), and the result used
      as the transform or predicate;
    * any other callable (a function `Record -> Record | None`, or `Record -> bool` for a
      predicate): used as it is; it takes no configuration keys.

Built-in modules are imported when one of their names is first resolved, from a fixed table,
so a missing module fails loudly with its name. The lookup itself is `pyconnect_flow.plugins`, shared
with connectors and converters; this module keeps the tables and words the messages.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import partial
from typing import Any

from pyconnect_flow.plugins import Loader, PluginLookup, PluginNotFound, did_you_mean
from pyconnect_flow.transforms.base import Predicate, Transform

__all__ = [
    "KAFKA_PREDICATES_PACKAGE", "KAFKA_TRANSFORMS_PACKAGE", "PREDICATE_MODULES", "TRANSFORM_MODULES",
    "UnknownPluginError", "available_predicates", "available_transforms", "predicate_names", "resolve_predicate",
    "resolve_transform", "short_name", "transform_names",
]

KAFKA_TRANSFORMS_PACKAGE = "org.apache.kafka.connect.transforms."
KAFKA_PREDICATES_PACKAGE = "org.apache.kafka.connect.transforms.predicates."
_PACKAGE = "pyconnect_flow.transforms."


def _kv(name: str) -> tuple[str, str]:
    return f"{name}$Key", f"{name}$Value"


TRANSFORM_MODULES: dict[str, tuple[str, ...]] = {
    "cast": _kv("Cast"),
    "drop_headers": ("DropHeaders",),
    "extract_field": _kv("ExtractField"),
    "filter": ("Filter",),
    "flatten": _kv("Flatten"),
    "header_from": _kv("HeaderFrom"),
    "hoist_field": _kv("HoistField"),
    "insert_field": _kv("InsertField"),
    "insert_header": ("InsertHeader",),
    "mask_field": _kv("MaskField"),
    "regex_router": ("RegexRouter",),
    "replace_field": _kv("ReplaceField"),
    "set_schema_metadata": _kv("SetSchemaMetadata"),
    "timestamp_converter": _kv("TimestampConverter"),
    "timestamp_router": ("TimestampRouter",),
    "value_to_key": ("ValueToKey",),
}
"""Built-in transform modules of `pyconnect_flow.transforms` and the Kafka names each defines in `TRANSFORMS`."""

PREDICATE_MODULES: dict[str, tuple[str, ...]] = {
    "predicates": ("HasHeaderKey", "RecordIsTombstone", "TopicNameMatches"),
}
"""Built-in predicate modules and the Kafka names each defines in `PREDICATES`."""

_TRANSFORM_OWNER = {name: module for module, names in TRANSFORM_MODULES.items() for name in names}
_PREDICATE_OWNER = {name: module for module, names in PREDICATE_MODULES.items() for name in names}


class UnknownPluginError(ValueError):
    """A type that is neither a built-in name nor an importable Python object; the message says what exists."""


def transform_names() -> list[str]:
    """Short Kafka names of the built-in transforms, sorted."""
    return sorted(_TRANSFORM_OWNER)


def predicate_names() -> list[str]:
    """Short Kafka names of the built-in predicates, sorted."""
    return sorted(_PREDICATE_OWNER)


def _builtin(module: str, name: str, attribute: str) -> Any:
    mod = importlib.import_module(_PACKAGE + module)
    table = getattr(mod, attribute, None)
    if not isinstance(table, dict) or name not in table:
        raise RuntimeError(f"module {_PACKAGE}{module} does not define {attribute}[{name!r}]")
    return table[name]


def available_transforms() -> dict[str, type[Transform]]:
    """Every built-in transform by short Kafka name (imports all built-in modules)."""
    return {name: _builtin(_TRANSFORM_OWNER[name], name, "TRANSFORMS") for name in transform_names()}


def available_predicates() -> dict[str, type[Predicate]]:
    """Every built-in predicate by short Kafka name."""
    return {name: _builtin(_PREDICATE_OWNER[name], name, "PREDICATES") for name in predicate_names()}


def _table(owners: dict[str, str], attribute: str) -> dict[str, Loader]:
    return {name: partial(_builtin, module, name, attribute) for name, module in owners.items()}


_PACKAGES = (KAFKA_PREDICATES_PACKAGE, KAFKA_TRANSFORMS_PACKAGE)
_LOOKUPS = {
    "transform": PluginLookup("transform", lambda: _table(_TRANSFORM_OWNER, "TRANSFORMS"), packages=_PACKAGES,
                              suggest=2, ignore_case=True),
    "predicate": PluginLookup("predicate", lambda: _table(_PREDICATE_OWNER, "PREDICATES"), packages=_PACKAGES,
                              suggest=2, ignore_case=True),
}


def short_name(type_name: str) -> str:
    """`InsertField$Value` for `org.apache.kafka.connect.transforms.InsertField$Value` (others unchanged)."""
    return _LOOKUPS["transform"].short_name(type_name)


def _resolve(type_name: Any, kind: str) -> Any:
    if callable(type_name) and not isinstance(type_name, str):
        return type_name  # already an object (Python configs may pass classes or functions)
    if not isinstance(type_name, str) or not type_name.strip():
        raise UnknownPluginError(f"a {kind} type must be a non-empty class name, got {type_name!r}")
    other_kind = "predicate" if kind == "transform" else "transform"
    lookup, other = _LOOKUPS[kind], _LOOKUPS[other_kind]
    try:
        return lookup.resolve(type_name)
    except PluginNotFound as exc:
        text, failure = exc.name, exc.import_error
        suggest = f"; {did_you_mean(exc.suggestions)}" if exc.suggestions else ""
        if failure is None and other.is_builtin(text):
            where = "predicates.<alias>.type" if other_kind == "predicate" else "transforms.<alias>.type"
            raise UnknownPluginError(f"'{text}' is a {other_kind}, not a {kind}; configure it as {where}") from None
        if failure is None:
            raise UnknownPluginError(
                f"unknown {kind} type '{text}'{suggest} (built-in {kind}s: {', '.join(sorted(lookup.names()))}; "
                f"or give a Python import path 'package.module:name')") from None
        raise UnknownPluginError(
            f"unknown {kind} type '{text}'{suggest} (not a built-in Kafka Connect {kind}, and "
            f"not importable as a Python object: {failure}{failure.hint})") from None


def resolve_transform(type_name: str | Callable[..., Any]) -> Any:
    """The class or callable a `transforms.<alias>.type` value names (see the module doc)."""
    return _resolve(type_name, "transform")


def resolve_predicate(type_name: str | Callable[..., Any]) -> Any:
    """The class or callable a `predicates.<alias>.type` value names (see the module doc)."""
    return _resolve(type_name, "predicate")
