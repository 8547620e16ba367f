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
from pyconnect_flow.config.definition import (
    HIDDEN,
    REQUIRED,
    ConfigDef,
    ConfigIssue,
    ConfigKey,
    Password,
    parse_value,
)
from pyconnect_flow.connectors.registry import UnknownConnectorClass, builtin_connectors, connector_class
from pyconnect_flow.contract.connector import Connector
from pyconnect_flow.converters.registry import available_converters
from pyconnect_flow.engine.spec import COMMON_CONFIG, SIMPLE_HEADER_CONVERTER, SINK_CONFIG, SOURCE_CONFIG
from pyconnect_flow.plugins import is_import_path
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
    converters = [name for name in available_converters() if "." in name]
    out += [{"class": name, "type": "converter", "version": __version__} for name in converters]
    # Every converter is also a header converter (as Kafka's own converters implement HeaderConverter).
    out += [{"class": name, "type": "header_converter", "version": __version__}
            for name in sorted({*converters, SIMPLE_HEADER_CONVERTER})]
    out += [{"class": KAFKA_TRANSFORMS_PACKAGE + name, "type": "transformation", "version": __version__}
            for name in transform_names()]
    out += [{"class": KAFKA_PREDICATES_PACKAGE + name, "type": "predicate", "version": __version__}
            for name in predicate_names()]
    return out


def find_connector(plugin: str) -> type[Connector] | None:
    """The connector class a plugin name (class name or alias) means, or a user's connector by import path
    (`my_connectors:MySinkConnector`, from an installed package or the worker's `plugin.path`), or None."""
    for cls in builtin_connectors():
        if plugin in cls.CLASS_NAMES or plugin in cls.short_names():
            return cls
    if is_import_path(plugin):
        try:
            return connector_class(plugin)
        except UnknownConnectorClass:
            return None
    return None


def definition(cls: type[Connector]) -> ConfigDef:
    """Every key a connector of `cls` accepts: Connect's common keys, the sink or source keys, its own."""
    return COMMON_CONFIG.merged(SINK_CONFIG if cls.KIND == "sink" else SOURCE_CONFIG, cls.CONFIG)


# Kafka Connect's metadata of its own keys (ConnectorConfig, SinkConnectorConfig, SourceConnectorConfig):
# group, order_in_group and importance, as `GET /connector-plugins/{plugin}/config` shows them.
_COMMON = "Common"
_ERRORS = "Error Handling"
_EOS = "Exactly Once Support"
KAFKA_KEYS: dict[str, tuple[str, int, str]] = {
    "name": (_COMMON, 1, "HIGH"), "connector.class": (_COMMON, 2, "HIGH"),
    "connector.plugin.version": (_COMMON, 3, "MEDIUM"), "tasks.max": (_COMMON, 4, "HIGH"),
    "tasks.max.enforce": (_COMMON, 5, "LOW"), "key.converter": (_COMMON, 6, "LOW"),
    "key.converter.plugin.version": (_COMMON, 7, "LOW"), "value.converter": (_COMMON, 8, "LOW"),
    "value.converter.plugin.version": (_COMMON, 9, "LOW"), "header.converter": (_COMMON, 10, "LOW"),
    "header.converter.plugin.version": (_COMMON, 11, "LOW"), "transforms": ("Transforms", 12, "LOW"),
    "predicates": ("Predicates", 13, "LOW"), "config.action.reload": (_COMMON, 14, "LOW"),
    "errors.retry.timeout": (_ERRORS, 1, "MEDIUM"), "errors.retry.delay.max.ms": (_ERRORS, 2, "MEDIUM"),
    "errors.tolerance": (_ERRORS, 3, "MEDIUM"), "errors.log.enable": (_ERRORS, 4, "MEDIUM"),
    "errors.log.include.messages": (_ERRORS, 5, "MEDIUM"),
    "topics": (_COMMON, 4, "HIGH"), "topics.regex": (_COMMON, 4, "HIGH"),
    "errors.deadletterqueue.topic.name": (_ERRORS, 6, "MEDIUM"),
    "errors.deadletterqueue.topic.replication.factor": (_ERRORS, 7, "MEDIUM"),
    "errors.deadletterqueue.context.headers.enable": (_ERRORS, 8, "MEDIUM"),
    "topic.creation.groups": ("Topic Creation", 1, "LOW"), "exactly.once.support": (_EOS, 2, "MEDIUM"),
    "transaction.boundary": (_EOS, 3, "MEDIUM"), "transaction.boundary.interval.ms": (_EOS, 4, "LOW"),
    "offsets.storage.topic": ("offsets.topic", 1, "LOW"),
}


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


def config_key_info(key: ConfigKey) -> dict[str, Any]:
    """One key as Connect's ConfigKeyInfo: the framework's keys with Kafka Connect's group, order and
    importance; a connector's own keys without a group (`order_in_group` -1), as Kafka's connectors declare them."""
    group, order, importance = KAFKA_KEYS.get(key.name, (None, -1, key.importance.upper()))
    default = __version__ if key.name == "connector.plugin.version" else _text(key.default)
    return {
        "name": key.name,
        "type": key.type.value.upper(),
        "required": key.required,
        "default_value": default,
        "importance": importance,
        "documentation": key.doc,
        "group": group,
        "order_in_group": order,
        "width": "NONE",
        "display_name": key.name,
        "dependents": [],
    }


def _key_infos(cls: type[Connector]) -> list[tuple[ConfigKey, dict[str, Any]]]:
    return [(key, config_key_info(key)) for key in definition(cls)]


def plugin_config(cls: type[Connector]) -> list[dict[str, Any]]:
    """`GET /connector-plugins/{plugin}/config`."""
    return [info for _key, info in _key_infos(cls)]


_WORKER_DEFAULTS = ("key.converter", "value.converter", "header.converter")


def config_infos(cls: type[Connector], config: Mapping[str, str], issues: list[ConfigIssue],
                 worker: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`PUT /connector-plugins/{plugin}/config/validate`: ConfigInfos for `config` and the issues found.

    As Kafka Connect shows them: a converter not given is the worker's, a plugin version not given is the
    plugin's, and a value that cannot be read as its key's type is null."""
    worker = worker or {}
    errors: dict[str, list[str]] = {}
    for issue in issues:
        errors.setdefault(issue.key, []).append(issue.message)
    secrets = secret_keys(config)
    configs = []
    groups: list[str] = []
    for key, info in _key_infos(cls):
        if info["group"] is not None and info["group"] not in groups:
            groups.append(info["group"])
        given = config.get(key.name)
        value = given if given is not None else _default(key, worker)
        if given is not None and (key.is_secret or key.name in secrets):
            value = HIDDEN
        elif given is not None and key.name in errors and not _parses(key, given):
            value = None
        configs.append({"definition": info, "value": {
            "name": key.name, "value": value, "recommended_values": [], "errors": errors.pop(key.name, []),
            "visible": True}})
    # Issues of keys that are not declared (transforms.*, converters' keys, unknown keys): entries of their own.
    for name, messages in errors.items():
        given = config.get(name)
        info = {"name": name, "type": "STRING", "required": False, "default_value": None, "importance": "LOW",
                "documentation": "", "group": "Other", "order_in_group": -1, "width": "NONE", "display_name": name,
                "dependents": []}
        if "Other" not in groups:
            groups.append("Other")
        shown = HIDDEN if given is not None and name in secrets else given
        configs.append({"definition": info, "value": {"name": name, "value": shown, "recommended_values": [],
                                                      "errors": messages, "visible": True}})
    return {"name": cls.CLASS_NAMES[0], "error_count": len(issues), "groups": groups, "configs": configs}


def _default(key: ConfigKey, worker: Mapping[str, str]) -> str | None:
    if key.name in _WORKER_DEFAULTS:
        return worker.get(key.name) or (SIMPLE_HEADER_CONVERTER if key.name == "header.converter" else None)
    if key.name.endswith("plugin.version"):
        return __version__
    return _text(key.default)


def _parses(key: ConfigKey, value: str) -> bool:
    try:
        parse_value(key, value)
    except Exception:  # noqa: BLE001 - any failure to read it: Kafka Connect shows null
        return False
    return True
