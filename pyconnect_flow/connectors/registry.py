"""Finding connector classes by the names Kafka Connect users write in `connector.class`."""

from __future__ import annotations

import difflib
import importlib
import logging

from pyconnect_flow.contract.connector import Connector

log = logging.getLogger(__name__)

# Modules that define connectors (each exposes CONNECTORS). Optional systems import
# their client libraries lazily, so listing them here costs nothing.
CONNECTOR_MODULES = (
    "pyconnect_flow.connectors.file",
    "pyconnect_flow.connectors.kafka",
    "pyconnect_flow.connectors.sql",
    "pyconnect_flow.connectors.elasticsearch",
    "pyconnect_flow.connectors.s3",
)


class UnknownConnectorClass(ValueError):
    """`connector.class` names no known connector."""


def builtin_connectors() -> list[type[Connector]]:
    """Every connector class shipped with pyconnect-flow."""
    found: list[type[Connector]] = []
    for name in CONNECTOR_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # this connector module is not part of this version
            raise
        found.extend(getattr(module, "CONNECTORS", []))
    return found


def _names() -> dict[str, type[Connector]]:
    names: dict[str, type[Connector]] = {}
    for cls in builtin_connectors():
        for name in (*cls.CLASS_NAMES, *cls.short_names()):
            names.setdefault(name, cls)
    return names


def available_names() -> list[str]:
    """Full class names of the built-in connectors (for error messages and `list-connectors`)."""
    return sorted(n for cls in builtin_connectors() for n in cls.CLASS_NAMES)


def connector_class_hint() -> str:
    """What `connector.class` may be, for messages: the built-in connectors' short names, or an own class."""
    short = [min(cls.short_names()[:2], key=len) for cls in builtin_connectors()]
    return (f"name the connector to run: one of {', '.join(short)} (or their Kafka Connect class names, "
            "which `pyconnect-flow connectors` lists), or package.module:Class for your own")


def connector_class(name: str) -> type[Connector]:
    """The connector class for a `connector.class` value: a Kafka Connect name, an alias or `pkg.mod:Class`."""
    name = name.strip()
    names = _names()
    if name in names:
        return names[name]
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise UnknownConnectorClass(f"cannot import connector class {name!r}: {exc}") from None
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise UnknownConnectorClass(f"{name!r} is not a pyconnect_flow Connector subclass")
        return cls
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise UnknownConnectorClass(f"unknown connector class {name!r}{hint}; {connector_class_hint()}")
