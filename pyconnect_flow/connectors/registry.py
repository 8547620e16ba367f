"""Finding connector classes by the names Kafka Connect users write in `connector.class`."""

from __future__ import annotations

import importlib
import logging

from pyconnect_flow.contract.connector import Connector
from pyconnect_flow.plugins import Loader, PluginLookup, PluginNotFound, did_you_mean, loaded

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


def _names() -> dict[str, Loader]:
    names: dict[str, Loader] = {}
    for cls in builtin_connectors():
        for name in (*cls.CLASS_NAMES, *cls.short_names()):
            names.setdefault(name, loaded(cls))
    return names


# A dotted name is a Kafka Connect class name here, never an import path (only `package.module:Class` is).
LOOKUP = PluginLookup("connector", _names, dotted=False)
"""Connector classes by `connector.class` value."""


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
    try:
        cls = LOOKUP.resolve(name)
    except PluginNotFound as exc:
        if exc.import_error is not None:
            failure = exc.import_error
            raise UnknownConnectorClass(f"cannot import connector class {exc.name!r}: {failure.error}{failure.hint}") from None
        hint = f" ({did_you_mean(exc.suggestions)})" if exc.suggestions else ""
        raise UnknownConnectorClass(f"unknown connector class {exc.name!r}{hint}; {connector_class_hint()}") from None
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise UnknownConnectorClass(f"{name.strip()!r} is not a pyconnect_flow Connector subclass")
    return cls
