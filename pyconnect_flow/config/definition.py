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

import copy
import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from pyconnect_flow.data.exceptions import ConnectException

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class _Required:
    """Type of the `REQUIRED` marker, whose one instance survives copy and pickle (Bytewax pickles plans)."""

    def __repr__(self) -> str:
        return "REQUIRED"

    def __reduce__(self) -> str:
        # A string makes pickle and copy use the module global, so `default is REQUIRED` stays true.
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

    def __post_init__(self) -> None:
        # As Kafka's ConfigKey: the default is parsed to the key's type once, at declaration, so a
        # LIST default may be written "a,b", a PASSWORD default is a Password, and a default that
        # does not fit the type is a declaration bug reported at import time.
        if self.default is REQUIRED or self.default is None:
            return
        try:
            object.__setattr__(self, "default", parse_value(self, self.default))
        except ValueError as exc:
            raise ValueError(f"default of config key {self.name!r}: {exc}") from None

    @property
    def is_secret(self) -> bool:
        """True for PASSWORD keys and keys declared `secret=True`: their values are never printed."""
        return self.secret or self.type is ConfigType.PASSWORD

    @property
    def required(self) -> bool:
        """True when the key has no default and must be given."""
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
# Java's String.trim(): every char <= U+0020, and nothing else (not U+00A0, not U+2003).
_JAVA_WHITESPACE = "".join(chr(c) for c in range(33))
# Java's Double.parseDouble for decimal text (hex floats aside): no "_", no "inf"/"nan" spellings.
_JAVA_DOUBLE = re.compile(r"[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)")


def java_trim(text: str) -> str:
    """`text` without leading/trailing chars <= U+0020, as Java's `String.trim()` (Kafka trims every value)."""
    return text.strip(_JAVA_WHITESPACE)


def parse_value(key: ConfigKey, raw: Any) -> Any:
    """Convert a raw (usually string) value to the key's type; raise ValueError with a reason.

    Strings are trimmed first, as Kafka's `ConfigDef.parseType` does (so `topic=test ` in a
    `.properties` file means `test`).
    """
    t = key.type
    if raw is None:
        return None
    if t is ConfigType.PASSWORD:
        return raw if isinstance(raw, Password) else Password(java_trim(str(raw)))
    if t in (ConfigType.STRING, ConfigType.CLASS):
        if isinstance(raw, str):
            return java_trim(raw)
        if t is ConfigType.CLASS:
            return raw
        raise ValueError(f"expected a string, got {raw!r}")
    if t in (ConfigType.INT, ConfigType.SHORT, ConfigType.LONG):
        if isinstance(raw, bool):
            raise ValueError(f"expected an integer, got {raw!r}")
        if isinstance(raw, int):
            value = raw
        else:
            text = java_trim(str(raw))
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
        if isinstance(raw, (int, float)):
            return float(raw)
        number = java_trim(raw) if isinstance(raw, str) else None
        if number is None or not _JAVA_DOUBLE.fullmatch(number):
            raise ValueError(f"expected a number, got {raw!r}")
        return float(number.rstrip("fFdD").replace("Infinity", "inf"))
    if t is ConfigType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = java_trim(str(raw)).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {raw!r}")
    if t is ConfigType.LIST:
        if isinstance(raw, (list, tuple)):
            return [java_trim(str(x)) for x in raw]
        text = java_trim(str(raw))
        return [] if not text else [java_trim(part) for part in text.split(",")]
    raise ValueError(f"unsupported type {t}")  # pragma: no cover


class ConfigDef:
    """The declared keys of one configuration (a connector, a converter, a transform)."""

    def __init__(self, keys: Iterable[ConfigKey] = ()) -> None:
        self._keys: dict[str, ConfigKey] = {}
        for key in keys:
            self.add(key)

    def add(self, key: ConfigKey) -> ConfigDef:
        """Declare one more key (returns self); a name declared twice is a ValueError."""
        if key.name in self._keys:
            raise ValueError(f"config key {key.name!r} declared twice")
        self._keys[key.name] = key
        return self

    def define(self, name: str, type: ConfigType, default: Any = REQUIRED, doc: str = "",
               validator: Validator | None = None, secret: bool = False, importance: str = "medium") -> ConfigDef:
        """Declare one more key (returns self, for chaining)."""
        return self.add(ConfigKey(name, type, default, doc, validator, secret, importance))

    def merged(self, *others: ConfigDef) -> ConfigDef:
        """A new definition with these keys and the others'; a name already present keeps its first declaration."""
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
        """Declared key names, in declaration order."""
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
        A key given as None counts as absent. Messages never contain a secret value.
        """
        values: dict[str, Any] = {}
        issues: list[ConfigIssue] = []
        for key in self._keys.values():
            full = prefix + key.name
            present = [n for n in (full, *(prefix + a for a in key.aliases)) if raw.get(n) is not None]
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
                try:
                    problem = key.validator(value)
                except Exception as exc:  # a validator that trips over a value still reports, never aborts the rest
                    problem = f"invalid value: {type(exc).__name__}: {exc}"
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
                issues.append(ConfigIssue(name, unknown_key_message(name, known, prefix=prefix)))
        return values, issues

    def parse(self, raw: Mapping[str, Any], *, connector: str, what: str = "connector", **kwargs: Any) -> ParsedConfig:
        """Typed config, or ConfigException naming every bad key."""
        values, issues = self.check(raw, **kwargs)
        if issues:
            raise ConfigException(connector, issues, what)
        return ParsedConfig(values, raw, self)


def unknown_key_message(name: str, known: Iterable[str], *, prefix: str = "") -> str:
    """`unknown key; did you mean 'x'?` with the closest known names.

    Names are compared without their common `prefix`, which would otherwise make every
    `transforms.x.…` name look alike.
    """
    strip = len(prefix)
    candidates = {k[strip:]: k for k in known if k.startswith(prefix)}
    close = difflib.get_close_matches(name[strip:], list(candidates), n=2, cutoff=0.6)
    if close:
        return "unknown key; did you mean " + " or ".join(f"'{candidates[c]}'" for c in close) + "?"
    return "unknown key"


class ParsedConfig(Mapping[str, Any]):
    """Typed values of a validated config, plus the raw originals (for prefixed pass-through keys).

    A plain Mapping of the typed values (`keys()`, `values()`, `items()` as any Mapping);
    its repr and `masked()` hide secrets.
    """

    def __init__(self, values: dict[str, Any], originals: Mapping[str, Any] | None = None,
                 definition: ConfigDef | None = None) -> None:
        self._values = values
        self.originals: Mapping[str, Any] = {} if originals is None else originals
        self.definition = definition

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def secret(self, name: str) -> str | None:
        """The plain text of a secret key (only for handing to a client library)."""
        value = self._values.get(name)
        return value.value if isinstance(value, Password) else value

    def with_prefix(self, prefix: str, strip: bool = True) -> dict[str, Any]:
        """Original keys starting with `prefix` (e.g. `producer.override.`), prefix stripped."""
        return {(k[len(prefix):] if strip else k): v for k, v in self.originals.items() if k.startswith(prefix)}

    def masked(self) -> dict[str, Any]:
        """Typed values with every secret (Password values, keys declared secret) shown as `[hidden]`."""
        return {k: (HIDDEN if isinstance(v, Password) or self._declared_secret(k) else v)
                for k, v in self._values.items()}

    def _declared_secret(self, name: str) -> bool:
        return self.definition is not None and name in self.definition and self.definition[name].is_secret

    def __repr__(self) -> str:
        return f"ParsedConfig({self.masked()!r})"


# validators -------------------------------------------------------------

def at_least(minimum: float) -> Validator:
    """Value must be >= minimum."""
    return lambda v: None if v >= minimum else f"value {v} must be at least {minimum}"


def between(lo: float, hi: float) -> Validator:
    """Value must be within [lo, hi]."""
    return lambda v: None if lo <= v <= hi else f"value {v} must be between {lo} and {hi}"


def one_of(*choices: str, case_sensitive: bool = False) -> Validator:
    """Value must be one of `choices`."""
    def check(v: Any) -> str | None:
        ok = v in choices if case_sensitive else str(v).lower() in {c.lower() for c in choices}
        return None if ok else f"invalid value {v!r}; must be one of {', '.join(choices)}"
    return check


def non_empty(v: Any) -> str | None:
    """Value must not be an empty string or list (a Password is checked by its text)."""
    if isinstance(v, Password):
        v = v.value
    return None if v not in ("", [], None) else "must not be empty"


def valid_regex(v: Any) -> str | None:
    """Value must compile as a regular expression."""
    try:
        re.compile(v)
    except re.error as exc:
        return f"invalid regular expression {v!r}: {exc}"
    return None


def non_empty_string_without_control_chars(v: Any) -> str | None:
    """Value must be a non-empty string without ASCII control characters (as Kafka's validator of that name)."""
    if not v:
        return "must not be empty"
    if any(ord(c) < 32 or ord(c) == 127 for c in v):
        return "must not contain control characters"
    return None


# settings objects derived from a declaration ------------------------------------------------------
# A connector's typed settings object is a dataclass whose fields name their keys (`setting`), built from
# the parsed values by `settings_from`: no key is copied by hand into a constructor call.

_SETTING = "pyconnect_flow.setting"
SettingsT = TypeVar("SettingsT", bound="DataclassInstance")


@dataclass(frozen=True)
class _Setting:
    key: ConfigKey
    convert: Callable[[Any], Any] | None


def setting(definition: ConfigDef, key: str, convert: Callable[[Any], Any] | None = None, *,
            repr: bool = True) -> Any:
    """A field of a settings dataclass that holds `key` of `definition`, where the key is declared once
    (type, default, doc, validator); `convert` turns the key's typed value (None when it has none) into
    the field's, e.g. `str.lower`, `frozenset`. The field's default is the key's default, converted (a
    required key has none), so declare the dataclass `kw_only=True`; `settings_from` builds one::

        @dataclass(frozen=True, kw_only=True)
        class FileSinkSettings:
            path: str = setting(CONFIG, "file")
            batch_size: int = setting(CONFIG, "batch.size")
            topics: frozenset[str] = setting(CONFIG, "topics", frozenset)

        settings = settings_from(FileSinkSettings, ctx.config)

    A key that is not declared is a KeyError when the class is defined. `repr=False` keeps a secret out
    of the dataclass's repr.
    """
    declared = definition[key]
    metadata = {_SETTING: _Setting(declared, convert)}
    if declared.required:
        return field(metadata=metadata, repr=repr)
    default = declared.default if convert is None else convert(declared.default)
    if isinstance(default, (list, dict, set)):
        return field(default_factory=partial(copy.copy, default), metadata=metadata, repr=repr)
    return field(default=default, metadata=metadata, repr=repr)


def settings_from(cls: type[SettingsT], values: Mapping[str, Any], **others: Any) -> SettingsT:
    """An instance of the settings dataclass `cls`: each field declared with `setting` takes its key's typed
    value from `values` (a `ParsedConfig`, or a dict of typed values; an absent key takes its default),
    converted; `others` gives the fields that come from elsewhere (the connector's name, a value derived
    from several keys)."""
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        declared = f.metadata.get(_SETTING)
        if declared is None or f.name in others:
            continue
        key = declared.key
        if key.name in values:
            value = values[key.name]
        elif key.required:
            raise ValueError(f"{cls.__name__}.{f.name}: no value for the required key {key.name!r}")
        else:
            value = key.default
        kwargs[f.name] = value if declared.convert is None else declared.convert(value)
    return cls(**kwargs, **others)


def secret_text(value: Any) -> str | None:
    """The text of a secret (a `Password`, or text), None when there is none: a converter for `setting`."""
    text = value.value if isinstance(value, Password) else value
    return text or None
