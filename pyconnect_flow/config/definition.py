"""Typed configuration declarations, one per connector, and validation of every key at once.

Each connector declares its keys once, as Kafka Connect's `ConfigDef` does::

    CONFIG = ConfigDef([
        ConfigKey("file", ConfigType.STRING, default=None, doc="Source filename."),
        ConfigKey("topic", ConfigType.STRING, doc="The topic to publish data to."),
        ConfigKey("batch.size", ConfigType.INT, default=2000, validator=at_least(1)),
    ])

`ConfigDef.check(raw)` returns the typed values and a list of `ConfigIssue`s;
`ConfigException` reports every issue of a connector in one message.
Secrets (`ConfigType.PASSWORD`) become `Password` objects that never print their value.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pyconnect_flow.data.exceptions import ConnectException


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""Default of a key that has no default: the key must be given."""

HIDDEN = "[hidden]"


class ConfigType(str, Enum):
    """Value types of config keys, as Kafka's `ConfigDef.Type`."""

    STRING = "string"
    INT = "int"
    SHORT = "short"
    LONG = "long"
    DOUBLE = "double"
    BOOLEAN = "boolean"
    LIST = "list"
    CLASS = "class"
    PASSWORD = "password"


class Password:
    """A secret config value: `str()`/`repr()` print `[hidden]`; `.value` has the secret."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return HIDDEN

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Password) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


Validator = Callable[[Any], "str | None"]
"""Takes a typed value, returns an error message (or None when the value is fine)."""


@dataclass(frozen=True)
class ConfigKey:
    """One declared key: name, type, default, doc, validator and whether it is secret."""

    name: str
    type: ConfigType
    default: Any = REQUIRED
    doc: str = ""
    validator: Validator | None = None
    secret: bool = False
    importance: str = "medium"
    aliases: tuple[str, ...] = ()

    @property
    def is_secret(self) -> bool:
        return self.secret or self.type is ConfigType.PASSWORD

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class ConfigIssue:
    """One problem with one key."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class ConfigException(ConnectException):
    """Invalid configuration: lists every bad key of a connector in one message."""

    def __init__(self, connector: str, issues: Iterable[ConfigIssue], what: str = "connector") -> None:
        self.connector = connector
        self.issues = list(issues)
        lines = [f"Invalid configuration for {what} '{connector}' ({len(self.issues)} problem"
                 f"{'s' if len(self.issues) != 1 else ''}):"]
        lines += [f"  - {issue}" for issue in self.issues]
        super().__init__("\n".join(lines))


_TRUE = {"true"}
_FALSE = {"false"}


def parse_value(key: ConfigKey, raw: Any) -> Any:
    """Convert a raw (usually string) value to the key's type; raise ValueError with a reason."""
    t = key.type
    if raw is None:
        return None
    if t is ConfigType.PASSWORD:
        return raw if isinstance(raw, Password) else Password(str(raw))
    if t in (ConfigType.STRING, ConfigType.CLASS):
        if isinstance(raw, str):
            return raw.strip() if t is ConfigType.CLASS else raw
        if t is ConfigType.CLASS:
            return raw
        raise ValueError(f"expected a string, got {raw!r}")
    if t in (ConfigType.INT, ConfigType.SHORT, ConfigType.LONG):
        if isinstance(raw, bool):
            raise ValueError(f"expected an integer, got {raw!r}")
        if isinstance(raw, int):
            value = raw
        else:
            text = str(raw).strip()
            if not re.fullmatch(r"[+-]?\d+", text):
                raise ValueError(f"expected an integer, got {raw!r}")
            value = int(text)
        bits = {ConfigType.SHORT: 15, ConfigType.INT: 31, ConfigType.LONG: 63}[t]
        if not -(1 << bits) <= value < (1 << bits):
            raise ValueError(f"{value} does not fit a {t.value}")
        return value
    if t is ConfigType.DOUBLE:
        if isinstance(raw, bool):
            raise ValueError(f"expected a number, got {raw!r}")
        try:
            return float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"expected a number, got {raw!r}") from None
    if t is ConfigType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {raw!r}")
    if t is ConfigType.LIST:
        if isinstance(raw, (list, tuple)):
            return [str(x).strip() for x in raw]
        text = str(raw).strip()
        return [] if not text else [part.strip() for part in text.split(",")]
    raise ValueError(f"unsupported type {t}")  # pragma: no cover


class ConfigDef:
    """The declared keys of one configuration (a connector, a converter, a transform)."""

    def __init__(self, keys: Iterable[ConfigKey] = ()) -> None:
        self._keys: dict[str, ConfigKey] = {}
        for key in keys:
            self.add(key)

    def add(self, key: ConfigKey) -> ConfigDef:
        if key.name in self._keys:
            raise ValueError(f"config key {key.name!r} declared twice")
        self._keys[key.name] = key
        return self

    def define(self, name: str, type: ConfigType, default: Any = REQUIRED, doc: str = "",
               validator: Validator | None = None, secret: bool = False, importance: str = "medium") -> ConfigDef:
        """Declare one more key (returns self, for chaining)."""
        return self.add(ConfigKey(name, type, default, doc, validator, secret, importance))

    def merged(self, *others: ConfigDef) -> ConfigDef:
        """A new definition with these keys and the others' (later ones may not redeclare)."""
        out = ConfigDef(self._keys.values())
        for other in others:
            for key in other:
                if key.name not in out._keys:
                    out.add(key)
        return out

    def __iter__(self) -> Iterator[ConfigKey]:
        return iter(self._keys.values())

    def __contains__(self, name: object) -> bool:
        return name in self._keys

    def __getitem__(self, name: str) -> ConfigKey:
        return self._keys[name]

    def names(self) -> list[str]:
        return list(self._keys)

    def check(
        self,
        raw: Mapping[str, Any],
        *,
        allowed_prefixes: Iterable[str] = (),
        ignore_unknown: bool = False,
        prefix: str = "",
    ) -> tuple[dict[str, Any], list[ConfigIssue]]:
        """Typed values for every declared key, and every problem found.

        `prefix` is prepended to key names (for nested definitions such as
        `transforms.x.`). Keys not declared and not under `allowed_prefixes`
        are reported as unknown, with a did-you-mean, unless `ignore_unknown`.
        """
        values: dict[str, Any] = {}
        issues: list[ConfigIssue] = []
        for key in self._keys.values():
            full = prefix + key.name
            present = [n for n in (full, *(prefix + a for a in key.aliases)) if n in raw]
            if not present:
                if key.required:
                    issues.append(ConfigIssue(full, "missing required key" + (f" ({key.doc})" if key.doc else "")))
                    continue
                value = key.default
            else:
                try:
                    value = parse_value(key, raw[present[0]])
                except ValueError as exc:
                    shown = HIDDEN if key.is_secret else None
                    msg = str(exc) if shown is None else f"invalid value {shown} for a {key.type.value}"
                    issues.append(ConfigIssue(full, msg))
                    continue
            if key.validator is not None and value is not None and not (not present and value == key.default):
                problem = key.validator(value)
                if problem:
                    if key.is_secret:
                        problem = "invalid value " + HIDDEN
                    issues.append(ConfigIssue(full, problem))
                    continue
            values[key.name] = value
        if not ignore_unknown:
            known = {prefix + k for k in self._keys} | {prefix + a for k in self._keys.values() for a in k.aliases}
            prefixes = tuple(allowed_prefixes)
            for name in raw:
                if not name.startswith(prefix) or name in known or (prefixes and name.startswith(prefixes)):
                    continue
                issues.append(ConfigIssue(name, unknown_key_message(name, known)))
        return values, issues

    def parse(self, raw: Mapping[str, Any], *, connector: str, what: str = "connector", **kwargs: Any) -> ParsedConfig:
        """Typed config, or ConfigException naming every bad key."""
        values, issues = self.check(raw, **kwargs)
        if issues:
            raise ConfigException(connector, issues, what)
        return ParsedConfig(values, raw, self)


def unknown_key_message(name: str, known: Iterable[str]) -> str:
    """`unknown key; did you mean 'x'?` with the closest known names."""
    close = difflib.get_close_matches(name, list(known), n=2, cutoff=0.6)
    if close:
        return "unknown key; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    return "unknown key"


@dataclass
class ParsedConfig(Mapping[str, Any]):
    """Typed values of a validated config, plus the raw originals (for prefixed pass-through keys).

    Its repr and `masked()` hide secrets.
    """

    values: dict[str, Any]
    originals: Mapping[str, Any] = field(default_factory=dict)
    definition: ConfigDef | None = None

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def secret(self, name: str) -> str | None:
        """The plain text of a secret key (only for handing to a client library)."""
        value = self.values.get(name)
        return value.value if isinstance(value, Password) else value

    def with_prefix(self, prefix: str, strip: bool = True) -> dict[str, Any]:
        """Original keys starting with `prefix` (e.g. `producer.override.`), prefix stripped."""
        return {(k[len(prefix):] if strip else k): v for k, v in self.originals.items() if k.startswith(prefix)}

    def masked(self) -> dict[str, Any]:
        """Typed values with every secret shown as `[hidden]`."""
        return {k: (HIDDEN if isinstance(v, Password) else v) for k, v in self.values.items()}

    def __repr__(self) -> str:
        return f"ParsedConfig({self.masked()!r})"


# validators -------------------------------------------------------------

def at_least(minimum: float) -> Validator:
    """Value must be >= minimum."""
    return lambda v: None if v >= minimum else f"value {v} must be at least {minimum}"


def between(lo: float, hi: float) -> Validator:
    return lambda v: None if lo <= v <= hi else f"value {v} must be between {lo} and {hi}"


def one_of(*choices: str, case_sensitive: bool = False) -> Validator:
    """Value must be one of `choices`."""
    def check(v: Any) -> str | None:
        ok = v in choices if case_sensitive else str(v).lower() in {c.lower() for c in choices}
        return None if ok else f"invalid value {v!r}; must be one of {', '.join(choices)}"
    return check


def non_empty(v: Any) -> str | None:
    return None if v not in ("", [], None) else "must not be empty"


def valid_regex(v: Any) -> str | None:
    try:
        re.compile(v)
    except re.error as exc:
        return f"invalid regular expression {v!r}: {exc}"
    return None


def non_empty_string_without_control_chars(v: Any) -> str | None:
    if not v:
        return "must not be empty"
    if any(ord(c) < 32 or ord(c) == 127 for c in v):
        return "must not contain control characters"
    return None
