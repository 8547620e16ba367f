"""Finding converters by name: Kafka class names, short names, or `pkg.mod:Class` import paths.

    converter_class("org.apache.kafka.connect.json.JsonConverter")   # JsonConverter
    create_converter("JsonConverter", {"schemas.enable": "false"}, is_key=False)
    check_converter("JsonConverter", {"decimal.format": "HEX"}, "value.converter.")
    # [ConfigIssue('value.converter.decimal.format', "invalid value 'HEX'; ...")]

Keys a converter does not declare are ignored, as Kafka Connect ignores them (a warning is
logged by `create_converter`, with a did-you-mean for likely typos).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.definition import ConfigException, ConfigIssue, unknown_key_message
from pyconnect_flow.converters.base import Converter

log = logging.getLogger(__name__)

_BUILTIN: dict[str, str] = {
    "org.apache.kafka.connect.json.JsonConverter": "pyconnect_flow.converters.json:JsonConverter",
    "org.apache.kafka.connect.storage.StringConverter": "pyconnect_flow.converters.string:StringConverter",
    "org.apache.kafka.connect.converters.ByteArrayConverter": "pyconnect_flow.converters.bytearray:ByteArrayConverter",
    "io.confluent.connect.avro.AvroConverter": "pyconnect_flow.converters.avro:AvroConverter",
}
_SHORT: dict[str, str] = {full.rsplit(".", 1)[1]: full for full in _BUILTIN}


def available_converters() -> list[str]:
    """The names `converter_class` knows without an import path (Kafka and short names)."""
    return [*_BUILTIN, *_SHORT]


def _unknown(name: str, reason: str = "") -> ValueError:
    return ValueError(f"Unknown converter class {name!r}{reason}; available: {', '.join(available_converters())} "
                      "(or an import path such as 'my_pkg.my_module:MyConverter')")


def _import(path: str, name: str) -> Any:
    if ":" in path:
        module_name, _, attr = path.partition(":")
    elif "." in path:
        module_name, _, attr = path.rpartition(".")
    else:
        raise _unknown(name)
    if not module_name or not attr:
        raise _unknown(name)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _unknown(name, f" (cannot import module {module_name!r}: {exc})") from exc
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise _unknown(name, f" (module {module_name!r} has no attribute {attr!r})")
        obj = getattr(obj, part)
    return obj


def converter_class(name: str) -> type[Converter]:
    """The converter class for a Kafka class name, a short name or an import path.

    Raises ValueError (listing the available names) when it cannot be found or is not a `Converter`.
    """
    key = name.strip()
    path = _BUILTIN.get(key) or _BUILTIN.get(_SHORT.get(key, ""), key)
    cls = _import(path, name)
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
