"""One plugin lookup: the name a user writes → the class or object it names.

Connectors (`connector.class`), converters (`key.converter`, …), transforms (`transforms.<alias>.type`) and
predicates (`predicates.<alias>.type`) are all found the same way by a `PluginLookup`:

1. a built-in name — a Kafka Connect class name, full or short, or an alias — from the kind's table,
   whose plugins are loaded only when named;
2. otherwise a Python import path, `package.module:attr.sub` (or, where the kind allows it,
   `package.module.attr`), for a user's own plugin;
3. otherwise `PluginNotFound`, which carries what the kind's registry needs to word its message
   (the import failure, the close built-in names).

A user's plugin is imported from anywhere on `sys.path`: an installed package, or a module in one of the
directories of the worker's `plugin.path`, which `add_import_paths` appends to it.

    lookup = PluginLookup("converter", lambda: {"JsonConverter": partial(import_object, "pkg.json:JsonConverter")})
    lookup.resolve("JsonConverter")            # the class, imported now
    lookup.resolve("my_pkg.convert:Mine")      # a user's class
    lookup.resolve("JsonConvertr")             # PluginNotFound(suggestions=['JsonConverter'])

The registries (`connectors.registry`, `converters.registry`, `transforms.registry`) keep the tables, check
what they get (a `Connector` subclass, a `Converter` subclass, any callable) and word the errors.
This module imports nothing of ours.
"""

from __future__ import annotations

import difflib
import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ImportPathError", "PluginLookup", "PluginNotFound", "add_import_paths", "close_matches", "did_you_mean",
           "import_object", "is_import_path", "loaded"]

Loader = Callable[[], Any]
"""Loads one built-in plugin (imports its module) and returns it."""


class ImportPathError(LookupError):
    """`path` names no importable object: `module` could not be imported, or has no `attribute`.

    `error` is the `ImportError` or `AttributeError` that says why.
    """

    def __init__(self, path: str, module: str, attribute: str, error: ImportError | AttributeError) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.path, self.module, self.attribute, self.error = path, module, attribute, error

    @property
    def hint(self) -> str:
        """Where a module found nowhere can go, to append to a message; "" when the module was found (and
        failed, or lacks the attribute) or what is missing is one of its own imports."""
        missing = self.error.name if isinstance(self.error, ModuleNotFoundError) else None
        if missing is None or not f"{self.module}.".startswith(f"{missing}."):
            return ""
        return "; install it, or put it in a directory named by the worker's plugin.path"


class PluginNotFound(LookupError):
    """`name` is neither a built-in plugin of `kind` nor an importable object.

    `short` is the name without a Kafka package (what the built-in names were compared with),
    `import_error` why importing it failed (None when the name is not an import path), and
    `suggestions` the closest built-in names.
    """

    def __init__(self, kind: str, name: str, short: str, import_error: ImportPathError | None,
                 suggestions: list[str]) -> None:
        reason = f": {import_error}" if import_error is not None else ""
        super().__init__(f"unknown {kind} {name!r}{reason}")
        self.kind, self.name, self.short = kind, name, short
        self.import_error, self.suggestions = import_error, suggestions


def loaded(plugin: Any) -> Loader:
    """A loader for a plugin that is loaded already (a class in hand)."""
    return lambda: plugin


def is_import_path(text: str, *, dotted: bool = True) -> bool:
    """True when `text` has the form of an import path: `module:attr`, or (`dotted`) `module.attr`."""
    if ":" in text:
        module, _, attribute = text.partition(":")
        return bool(module) and bool(attribute)
    return dotted and "." in text and not text.startswith(".") and not text.endswith(".")


def import_object(path: str) -> Any:
    """The object at `pkg.mod:attr.sub`, or at `pkg.mod.attr.sub` (the longest importable module prefix).

    Raises `ImportPathError` naming the module tried and the attribute looked for. A module that exists but
    fails its own imports is reported as that failure, never skipped for a shorter prefix; a name that is
    neither a module nor an attribute of the module before it is reported as the module it would have been.
    """
    if ":" in path:
        module_name, _, attributes = path.partition(":")
        return _attribute(path, module_name, _import(path, module_name, attributes), attributes)
    parts = path.split(".")
    longest: ImportPathError | None = None
    for cut in range(len(parts) - 1, 0, -1):
        module_name, attributes = ".".join(parts[:cut]), ".".join(parts[cut:])
        try:
            module = _import(path, module_name, attributes)
        except ImportPathError as exc:
            missing = exc.error.name if isinstance(exc.error, ModuleNotFoundError) else None
            # Only "this prefix is not a module" moves on; a module failing its own imports is reported.
            if missing is not None and module_name.startswith(missing):
                longest = longest or exc
                continue
            raise
        if longest is not None and not hasattr(module, parts[cut]):
            raise longest  # `pkg.mod.attr`: `pkg.mod` is neither a module nor an attribute of `pkg`
        return _attribute(path, module_name, module, attributes)
    raise longest or ImportPathError(path, path, "", ModuleNotFoundError(f"No module named {path!r}", name=path))


def _import(path: str, module_name: str, attributes: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportPathError(path, module_name, attributes, exc) from None


def _attribute(path: str, module_name: str, module: Any, attributes: str) -> Any:
    obj = module
    for part in attributes.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise ImportPathError(path, module_name, attributes, exc) from None
    return obj


def add_import_paths(entries: Iterable[str], base: Path) -> list[str]:
    """Append each entry (a directory of modules and packages, or a zip or pure-Python wheel) to `sys.path`,
    relative ones resolved against `base`, after what is there already, so a plugin directory never shadows an
    installed package. An entry already on the path is not added twice. Returns the entries that do not exist,
    which are not added.

        add_import_paths(["plugins", "/opt/connect/plugins"], Path("/etc/connect"))
        # sys.path ends with /etc/connect/plugins and /opt/connect/plugins
    """
    missing: list[str] = []
    for entry in entries:
        path = (base / entry.strip()).resolve()
        if not path.exists():
            missing.append(entry.strip())
        elif str(path) not in sys.path:
            sys.path.append(str(path))
    importlib.invalidate_caches()  # a finder that looked in a directory before may have cached its listing
    return missing


def close_matches(name: str, candidates: Iterable[str], *, n: int = 1, ignore_case: bool = False) -> list[str]:
    """The (at most `n`) candidates closest to `name`, best first, as spelled in `candidates`."""
    if not ignore_case:
        return difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.6)
    lowered = {c.lower(): c for c in candidates}
    return [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)]


def did_you_mean(matches: Iterable[str]) -> str:
    """`did you mean 'A' or 'B'?` ("" when there is no match)."""
    quoted = [f"'{m}'" for m in matches]
    return f"did you mean {' or '.join(quoted)}?" if quoted else ""


@dataclass(frozen=True)
class PluginLookup:
    """Finds the plugins of one kind by name (see the module doc).

    `builtins` gives the table of built-in names (each with a `Loader`); it is asked at each lookup, so a
    registry may build it from what is installed. `packages` are Kafka package names (such as
    `org.apache.kafka.connect.transforms.`) that the table's names are written without; a name in one of
    them is a Kafka class name, never an import path. `dotted` allows `package.module.attr` import paths
    besides `package.module:attr`. Suggestions are the `suggest` closest built-in names (`ignore_case`:
    compared in lower case).
    """

    kind: str
    builtins: Callable[[], Mapping[str, Loader]]
    packages: tuple[str, ...] = ()
    dotted: bool = True
    suggest: int = 1
    ignore_case: bool = False

    def names(self) -> list[str]:
        """The built-in names, in the table's order."""
        return list(self.builtins())

    def short_name(self, name: str) -> str:
        """`name` without the first of `packages` it starts with (others unchanged)."""
        for package in self.packages:
            if name.startswith(package):
                return name[len(package):]
        return name

    def is_builtin(self, name: str) -> bool:
        """True when `name` (full or short) is a built-in name."""
        return self.short_name(name.strip()) in self.builtins()

    def resolve(self, name: str) -> Any:
        """The plugin `name` names: a built-in one, or the object at an import path; `PluginNotFound` otherwise."""
        text = name.strip()
        short = self.short_name(text)
        builtins = self.builtins()
        load = builtins.get(short)
        if load is not None:
            return load()
        import_error: ImportPathError | None = None
        if short == text and is_import_path(text, dotted=self.dotted):
            try:
                return import_object(text)
            except ImportPathError as exc:
                import_error = exc
        suggestions = close_matches(short, builtins, n=self.suggest, ignore_case=self.ignore_case)
        raise PluginNotFound(self.kind, text, short, import_error, suggestions)
