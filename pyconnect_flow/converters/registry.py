"""Finding converters by name: Kafka class names, short names, or `pkg.mod:Class` import paths.

    converter_class("org.apache.kafka.connect.json.JsonConverter")   # JsonConverter
    create_converter("JsonConverter", {"schemas.enable": "false"}, is_key=False)
    check_converter("JsonConverter", {"decimal.format": "HEX"}, "value.converter.")
    # [ConfigIssue('value.converter.decimal.format', "invalid value 'HEX'; ...")]

Keys a converter does not declare are ignored, as Kafka Connect ignores them (a warning is
logged by `create_converter`, with a did-you-mean for likely typos).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from pyconnect_flow.config.definition import ConfigException, ConfigIssue, unknown_key_message
from pyconnect_flow.converters.base import Converter
from pyconnect_flow.plugins import Loader, PluginLookup, PluginNotFound, import_object

log = logging.getLogger(__name__)

_BUILTIN: dict[str, str] = {
    "org.apache.kafka.connect.json.JsonConverter": "pyconnect_flow.converters.json:JsonConverter",
    "org.apache.kafka.connect.storage.StringConverter": "pyconnect_flow.converters.string:StringConverter",
    "org.apache.kafka.connect.converters.ByteArrayConverter": "pyconnect_flow.converters.bytearray:ByteArrayConverter",
    "io.confluent.connect.avro.AvroConverter": "pyconnect_flow.converters.avro:AvroConverter",
    "io.confluent.connect.json.JsonSchemaConverter":
        "pyconnect_flow.converters.json_schema_registry:JsonSchemaConverter",
    "io.confluent.connect.protobuf.ProtobufConverter": "pyconnect_flow.converters.protobuf:ProtobufConverter",
}
_SHORT: dict[str, str] = {full.rsplit(".", 1)[1]: full for full in _BUILTIN}
_TABLE: dict[str, Loader] = {
    **{full: partial(import_object, path) for full, path in _BUILTIN.items()},
    **{short: partial(import_object, _BUILTIN[full]) for short, full in _SHORT.items()},
}

LOOKUP = PluginLookup("converter", lambda: _TABLE)
"""Converter classes by Kafka class name, short name or import path."""


def available_converters() -> list[str]:
    """The names `converter_class` knows without an import path (Kafka and short names)."""
    return LOOKUP.names()


def _unknown(name: str, reason: str = "") -> ValueError:
    return ValueError(f"Unknown converter class {name!r}{reason}; available: {', '.join(available_converters())} "
                      "(or an import path such as 'my_pkg.my_module:MyConverter')")


def converter_class(name: str) -> type[Converter]:
    """The converter class for a Kafka class name, a short name or an import path.

    Raises ValueError (listing the available names) when it cannot be found or is not a `Converter`.
    """
    try:
        cls = LOOKUP.resolve(name)
    except PluginNotFound as exc:
        failure = exc.import_error
        if failure is None:
            raise _unknown(name) from None
        if isinstance(failure.error, AttributeError):
            raise _unknown(name, f" (module {failure.module!r} has no attribute {failure.attribute!r})") from None
        raise _unknown(name, f" (cannot import module {failure.module!r}: {failure.error}{failure.hint})") from failure.error
    if not (isinstance(cls, type) and issubclass(cls, Converter)):
        raise _unknown(name, " (not a pyconnect_flow Converter)")
    return cls


def _issues(cls: type[Converter], config: Mapping[str, Any]) -> list[ConfigIssue]:
    _, issues = cls.CONFIG.check(config, ignore_unknown=True)
    return issues


def create_converter(name: str, config: Mapping[str, Any], is_key: bool) -> Converter:
    """A configured converter (keys without the `key.converter.`/`value.converter.` prefix).

    Raises ValueError for an unknown class and ConfigException listing every bad value.
    """
    cls = converter_class(name)
    issues = _issues(cls, config)
    if issues:
        raise ConfigException(name, issues, what="converter")
    known = cls.CONFIG.names()
    for key in config:
        if key not in cls.CONFIG:
            log.warning("Converter %s ignores unknown setting %r: %s", name, key, unknown_key_message(key, known))
    converter = cls()
    converter.configure(config, is_key)
    return converter


def check_converter(name: str, config: Mapping[str, Any], prefix: str = "",
                    *, report_unknown: bool = False) -> list[ConfigIssue]:
    """Every problem of a converter setting, keys reported under `prefix` (`value.converter.`).

    An unknown class is reported under the prefix without its dot (`value.converter`). Keys the
    converter does not declare are reported only with `report_unknown=True` (Kafka ignores them).
    """
    head = prefix[:-1] if prefix.endswith(".") else prefix
    sub = prefix if not prefix or prefix.endswith(".") else prefix + "."
    try:
        cls = converter_class(name)
    except ValueError as exc:
        return [ConfigIssue(head or "converter", str(exc))]
    issues = [ConfigIssue(sub + issue.key, issue.message) for issue in _issues(cls, config)]
    if report_unknown:
        known = cls.CONFIG.names()
        issues += [ConfigIssue(sub + key, unknown_key_message(key, known)) for key in config if key not in cls.CONFIG]
    return issues


__all__ = ["available_converters", "check_converter", "converter_class", "create_converter"]
