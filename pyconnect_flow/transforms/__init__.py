"""Single message transforms (SMTs) and predicates, by Kafka Connect's names and as Python callables.

From a connector config, exactly as Kafka Connect reads it::

    transform = from_config({
        "transforms": "Filter,Route",
        "transforms.Filter.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.Filter.predicate": "IsTmp",
        "transforms.Route.type": "RegexRouter",
        "transforms.Route.regex": "(.*)",
        "transforms.Route.replacement": "$1-copy",
        "predicates": "IsTmp",
        "predicates.IsTmp.type": "TopicNameMatches",
        "predicates.IsTmp.pattern": "tmp-.*",
    })
    transform(record)          # a Record, or None when dropped

or in code: `chain(when(TopicNameMatches(pattern="tmp-.*"), Filter()),
RegexRouter(regex="(.*)", replacement="$1-copy"))`. Any callable
`Record -> Record | None` is a transform; see `registry` for what
`transforms.<alias>.type` may name. `check_config` lists every problem of the
`transforms`/`predicates` keys at once, with full key names.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyconnect_flow.config.definition import (
    ConfigException,
    ConfigIssue,
    ConfigKey,
    ConfigType,
    parse_value,
    unknown_key_message,
)
from pyconnect_flow.transforms.base import Predicate, PredicateFn, Transform, TransformFn
from pyconnect_flow.transforms.chain import Chain, Conditional, apply_batch, chain, when
from pyconnect_flow.transforms.registry import UnknownPluginError, resolve_predicate, resolve_transform

__all__ = [
    "Cast", "Chain", "Conditional", "DropHeaders", "ExtractField", "Filter", "Flatten", "HasHeaderKey",
    "HeaderFrom", "HoistField", "InsertField", "InsertHeader", "MaskField", "Predicate", "PredicateFn",
    "RecordIsTombstone", "RegexRouter", "ReplaceField", "SetSchemaMetadata", "TimestampConverter",
    "TimestampRouter", "TopicNameMatches", "Transform", "TransformFn", "UnknownPluginError", "ValueToKey",
    "apply_batch", "chain", "check_config", "from_config", "when",
]

# Built-in SMT classes, imported on first use (`from pyconnect_flow.transforms import Cast`).
_LAZY = {
    "Cast": "cast", "DropHeaders": "drop_headers", "ExtractField": "extract_field", "Filter": "filter",
    "Flatten": "flatten", "HeaderFrom": "header_from", "HoistField": "hoist_field", "InsertField": "insert_field",
    "InsertHeader": "insert_header", "MaskField": "mask_field", "RegexRouter": "regex_router",
    "ReplaceField": "replace_field", "SetSchemaMetadata": "set_schema_metadata",
    "TimestampConverter": "timestamp_converter", "TimestampRouter": "timestamp_router", "ValueToKey": "value_to_key",
    "HasHeaderKey": "predicates", "RecordIsTombstone": "predicates", "TopicNameMatches": "predicates",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


_LIST = ConfigKey("transforms", ConfigType.LIST, "")
_STRING = ConfigKey("predicate", ConfigType.STRING, None)
_BOOLEAN = ConfigKey("negate", ConfigType.BOOLEAN, False)
_STAGE_KEYS = ("type", "predicate", "negate")


@dataclass
class _Alias:
    """One `transforms.<alias>` or `predicates.<alias>` entry, resolved."""

    alias: str
    prefix: str
    plugin: Any = None
    props: dict[str, Any] = field(default_factory=dict)
    predicate: str | None = None
    negate: bool = False


def _aliases(config: Mapping[str, Any], key: str, issues: list[ConfigIssue]) -> list[str]:
    raw = config.get(key)
    try:
        aliases = parse_value(_LIST, raw) or []
    except ValueError as exc:
        issues.append(ConfigIssue(key, str(exc)))
        return []
    if len(aliases) != len(set(aliases)):
        issues.append(ConfigIssue(key, "Duplicate alias provided."))
    if any(not a for a in aliases):
        issues.append(ConfigIssue(key, "Empty alias provided."))
    return list(dict.fromkeys(a for a in aliases if a))


def _props(config: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix):]: v for k, v in config.items() if isinstance(k, str) and k.startswith(prefix)}


def _check_plugin(entry: _Alias, base: type[Transform] | type[Predicate], extra_known: tuple[str, ...],
                  issues: list[ConfigIssue]) -> None:
    """The plugin's own key problems and the alias' unknown keys."""
    plugin, prefix = entry.plugin, entry.prefix
    if isinstance(plugin, type) and issubclass(plugin, base):
        issues.extend(plugin.check_config(entry.props, prefix))
        known = {prefix + n for k in plugin.CONFIG for n in (k.name, *k.aliases)}
        note = ""
    elif isinstance(plugin, type):
        return  # a user class gets every key; it checks them itself
    else:
        known = set()
        note = " (a function takes no configuration keys)"
    known |= {prefix + k for k in extra_known}
    for key in entry.props:
        if prefix + key not in known:
            issues.append(ConfigIssue(prefix + key, unknown_key_message(prefix + key, known) + note))


def _plan(config: Mapping[str, Any]) -> tuple[list[_Alias], dict[str, _Alias], list[ConfigIssue]]:
    issues: list[ConfigIssue] = []
    predicate_issues: list[ConfigIssue] = []  # reported after the transforms' issues
    predicates: dict[str, _Alias] = {}
    for alias in _aliases(config, "predicates", predicate_issues):
        entry = _Alias(alias, f"predicates.{alias}.")
        entry.props = _props(config, entry.prefix)
        type_name = entry.props.pop("type", None)
        predicates[alias] = entry
        _resolve_plugin(entry, type_name, Predicate, ("type",), predicate_issues)

    transforms: list[_Alias] = []
    for alias in _aliases(config, "transforms", issues):
        entry = _Alias(alias, f"transforms.{alias}.")
        entry.props = _props(config, entry.prefix)
        transforms.append(entry)
        type_name = entry.props.pop("type", None)
        predicate = entry.props.pop("predicate", None)
        negate = entry.props.pop("negate", None)
        _check_stage(entry, config, predicate, negate, predicates, issues)
        _resolve_plugin(entry, type_name, Transform, _STAGE_KEYS, issues)
    return transforms, predicates, issues + predicate_issues


def _resolve_plugin(entry: _Alias, type_name: Any, base: type[Transform] | type[Predicate],
                    extra_known: tuple[str, ...], issues: list[ConfigIssue]) -> None:
    """`entry.plugin` from the alias' `type`, then its keys checked; every problem added to `issues`."""
    kind = "transform" if base is Transform else "predicate"
    if type_name is None:
        issues.append(ConfigIssue(entry.prefix + "type", f"missing required key (the {kind}'s class)"))
        return
    try:
        entry.plugin = resolve_transform(type_name) if base is Transform else resolve_predicate(type_name)
    except UnknownPluginError as exc:
        issues.append(ConfigIssue(entry.prefix + "type", str(exc)))
        return
    _check_plugin(entry, base, extra_known, issues)


def _check_stage(entry: _Alias, config: Mapping[str, Any], predicate: Any, negate: Any,
                 predicates: Mapping[str, _Alias], issues: list[ConfigIssue]) -> None:
    """The implicit `predicate` and `negate` keys every transform has."""
    prefix = entry.prefix
    try:
        entry.negate = bool(parse_value(_BOOLEAN, negate)) if negate is not None else False
    except ValueError as exc:
        issues.append(ConfigIssue(prefix + "negate", str(exc)))
    if prefix + "negate" in config and prefix + "predicate" not in config:
        issues.append(ConfigIssue(prefix + "negate", f"Config '{prefix}negate' was provided but there is no config "
                                  f"'{prefix}predicate' defining a predicate to be negated."))
    if predicate is None:
        return
    try:
        name = parse_value(_STRING, predicate)
    except ValueError as exc:
        issues.append(ConfigIssue(prefix + "predicate", str(exc)))
        return
    if name not in predicates:
        defined = ", ".join(predicates) or "none"
        issues.append(ConfigIssue(prefix + "predicate", f"predicate '{name}' is not defined: list it in 'predicates' "
                                  f"and set 'predicates.{name}.type' (defined predicates: {defined})"))
        return
    entry.predicate = name


def check_config(config: Mapping[str, Any]) -> list[ConfigIssue]:
    """Every problem of the `transforms`, `transforms.<alias>.*`, `predicates` and `predicates.<alias>.*` keys.

    Duplicate aliases, missing or unknown types (with a did-you-mean), each transform's and
    predicate's own key errors, unknown keys under an alias, `negate` without `predicate`, and a
    `predicate` naming no defined predicate. Other keys of `config` are ignored.
    """
    return _plan(config)[2]


def _instance(entry: _Alias, base: type[Transform] | type[Predicate], what: str, connector: str) -> Any:
    plugin = entry.plugin
    try:
        if isinstance(plugin, type) and issubclass(plugin, base):
            return plugin.from_config(entry.props)
        if isinstance(plugin, type):
            obj = plugin(dict(entry.props))
            if not callable(obj):
                raise TypeError(f"{plugin.__qualname__}(config) is not callable")
            return obj
        return plugin
    except ConfigException:
        raise
    except Exception as exc:
        issue = ConfigIssue(entry.prefix + "type", f"could not create the {what}: {type(exc).__name__}: {exc}")
        raise ConfigException(connector, [issue]) from exc


def from_config(config: Mapping[str, Any]) -> Chain:
    """The whole transform chain of a connector config (predicates included), as one callable.

    Raises ConfigException listing every problem `check_config` finds. With no `transforms`
    the chain is empty (falsy) and passes records through unchanged.
    """
    connector = str(config.get("name") or "transforms")
    transforms, predicates, issues = _plan(config)
    if issues:
        raise ConfigException(connector, issues)
    stages: list[TransformFn] = []
    for entry in transforms:
        transform = _instance(entry, Transform, "transform", connector)
        if entry.predicate is not None:
            predicate = _instance(predicates[entry.predicate], Predicate, "predicate", connector)
            transform = Conditional(predicate, transform, entry.negate, alias=entry.alias)
        stages.append(transform)
    return Chain(stages, [e.alias for e in transforms])
