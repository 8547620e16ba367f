"""The JSON shapes of Kafka Connect's plugin endpoints, built from our declarations.

- `GET /connector-plugins`: `[{"class", "type", "version"}]` (connectors; with `connectorsOnly=false`
  also converters, header converters, transformations and predicates);
- `GET /connector-plugins/{plugin}/config`: `[ConfigKeyInfo]`, one per key the connector accepts;
- `PUT /connector-plugins/{plugin}/config/validate`: `ConfigInfos` — our validation (`engine.spec`) in
  Connect's shape: every declared key with its definition, its value (secrets `[hidden]`) and its errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyconnect_flow import __version__
from pyconnect_flow.config.definition import HIDDEN, REQUIRED, ConfigDef, ConfigIssue, ConfigKey, Password
from pyconnect_flow.connectors.registry import builtin_connectors
from pyconnect_flow.contract.connector import Connector
from pyconnect_flow.converters.registry import available_converters
from pyconnect_flow.engine.spec import COMMON_CONFIG, SIMPLE_HEADER_CONVERTER, SINK_CONFIG, SOURCE_CONFIG
from pyconnect_flow.errors import ERRORS_CONFIG
from pyconnect_flow.runtime.herder import secret_keys
from pyconnect_flow.transforms.registry import (
    KAFKA_PREDICATES_PACKAGE,
    KAFKA_TRANSFORMS_PACKAGE,
    predicate_names,
    transform_names,
)


def connector_plugins(connectors_only: bool = True) -> list[dict[str, str]]:
    """The plugins this worker runs, as `GET /connector-plugins` lists them."""
    out = [{"class": cls.CLASS_NAMES[0], "type": cls.KIND, "version": __version__}
           for cls in builtin_connectors() if cls.CLASS_NAMES]
    if connectors_only:
        return out
    out += [{"class": name, "type": "converter", "version": __version__}
            for name in available_converters() if "." in name]
    out.append({"class": SIMPLE_HEADER_CONVERTER, "type": "header_converter", "version": __version__})
    out += [{"class": KAFKA_TRANSFORMS_PACKAGE + name, "type": "transformation", "version": __version__}
            for name in transform_names()]
    out += [{"class": KAFKA_PREDICATES_PACKAGE + name, "type": "predicate", "version": __version__}
            for name in predicate_names()]
    return out


def find_connector(plugin: str) -> type[Connector] | None:
    """The connector class a plugin name (class name or alias) means, or None."""
    for cls in builtin_connectors():
        if plugin in cls.CLASS_NAMES or plugin in cls.short_names():
            return cls
    return None


def definition(cls: type[Connector]) -> ConfigDef:
    """Every key a connector of `cls` accepts: Connect's common keys, the sink or source keys, its own."""
    return COMMON_CONFIG.merged(SINK_CONFIG if cls.KIND == "sink" else SOURCE_CONFIG, cls.CONFIG)


def _group(key: ConfigKey, cls: type[Connector]) -> str:
    if key.name in ERRORS_CONFIG:
        return "Error Handling"
    if key.name in COMMON_CONFIG or key.name in SINK_CONFIG or key.name in SOURCE_CONFIG:
        return "Common"
    return cls.__name__


def _text(value: Any) -> str | None:
    if value is None or value is REQUIRED:
        return None
    if isinstance(value, Password):
        return HIDDEN
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def config_key_info(key: ConfigKey, cls: type[Connector], order: int) -> dict[str, Any]:
    """One key as Connect's ConfigKeyInfo."""
    return {
        "name": key.name,
        "type": key.type.value.upper(),
        "required": key.required,
        "default_value": _text(key.default),
        "importance": key.importance.upper(),
        "documentation": key.doc,
        "group": _group(key, cls),
        "width": "NONE",
        "display_name": key.name,
        "dependents": [],
        "order": order,
    }


def plugin_config(cls: type[Connector]) -> list[dict[str, Any]]:
    """`GET /connector-plugins/{plugin}/config`."""
    return [config_key_info(k, cls, i + 1) for i, k in enumerate(definition(cls))]


def config_infos(cls: type[Connector], config: Mapping[str, str], issues: list[ConfigIssue]) -> dict[str, Any]:
    """`PUT /connector-plugins/{plugin}/config/validate`: ConfigInfos for `config` and the issues found."""
    errors: dict[str, list[str]] = {}
    for issue in issues:
        errors.setdefault(issue.key, []).append(issue.message)
    secrets = secret_keys(config)
    keys = list(definition(cls))
    configs = []
    groups: list[str] = []
    for i, key in enumerate(keys):
        info = config_key_info(key, cls, i + 1)
        if info["group"] not in groups:
            groups.append(info["group"])
        given = config.get(key.name)
        value = given if given is not None else _text(key.default)
        if given is not None and (key.is_secret or key.name in secrets):
            value = HIDDEN
        configs.append({"definition": info, "value": {
            "name": key.name, "value": value, "recommended_values": [], "errors": errors.pop(key.name, []),
            "visible": True}})
    # Issues of keys that are not declared (transforms.*, converters' keys, unknown keys): entries of their own.
    for name, messages in errors.items():
        given = config.get(name)
        info = {"name": name, "type": "STRING", "required": False, "default_value": None, "importance": "LOW",
                "documentation": "", "group": "Other", "width": "NONE", "display_name": name, "dependents": [],
                "order": -1}
        if "Other" not in groups:
            groups.append("Other")
        shown = HIDDEN if given is not None and name in secrets else given
        configs.append({"definition": info, "value": {"name": name, "value": shown, "recommended_values": [],
                                                      "errors": messages, "visible": True}})
    return {"name": cls.CLASS_NAMES[0], "error_count": len(issues), "groups": groups, "configs": configs}
