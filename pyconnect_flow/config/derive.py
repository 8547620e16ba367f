"""Settings objects derived from config declarations: each key declared once, beside the field it fills.

A frozen dataclass declares its config keys in its fields with `setting(key)`; the `ConfigDef` (validation,
documentation) and the object built from a config's values both come from that one declaration::

    @dataclass(frozen=True)
    class Retry:
        timeout_ms: int = setting(ConfigKey("retry.timeout.ms", ConfigType.LONG, 0, "How long to retry."))
        mode: str = setting(ConfigKey("retry.mode", ConfigType.STRING, "fixed", validator=one_of("fixed", "backoff")),
                            convert=str.lower)

    RETRY_CONFIG = declaration(Retry)               # ConfigDef([retry.timeout.ms, retry.mode]), in field order
    derive(Retry, {"retry.mode": "BACKOFF"})        # Retry(timeout_ms=0, mode='backoff')

`derive` takes typed values (what `ConfigDef.check`/`parse` return) as well as raw ones: each present value is
parsed to its key's type, a missing (or None) one takes the key's default, and `convert` then shapes it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pyconnect_flow.config.definition import REQUIRED, ConfigDef, ConfigKey, parse_value

__all__ = ["declaration", "derive", "setting", "setting_key"]

T = TypeVar("T")

_KEY = "pyconnect_flow.config_key"
_CONVERT = "pyconnect_flow.config_convert"


def setting(key: ConfigKey, convert: Callable[[Any], Any] | None = None) -> Any:
    """A dataclass field filled from `key`: its default is the key's (none for a required key); `convert`,
    when given, turns the key's typed value into the field's value (for example `str.lower`)."""
    metadata = {_KEY: key, _CONVERT: convert}
    if key.default is REQUIRED:
        return dataclasses.field(metadata=metadata)
    if isinstance(key.default, (list, dict, set)):
        default = key.default
        return dataclasses.field(default_factory=lambda: _converted(convert, default.copy()), metadata=metadata)
    return dataclasses.field(default=_converted(convert, key.default), metadata=metadata)


def _converted(convert: Callable[[Any], Any] | None, value: Any) -> Any:
    return value if convert is None or value is None else convert(value)


def setting_key(field: dataclasses.Field[Any]) -> ConfigKey | None:
    """The key a field declared with `setting` (None for other fields)."""
    key = field.metadata.get(_KEY)
    return key if isinstance(key, ConfigKey) else None


def _settings(cls: type[Any]) -> list[tuple[dataclasses.Field[Any], ConfigKey]]:
    found = [(f, key) for f in dataclasses.fields(cls) if (key := setting_key(f)) is not None]
    if not found:
        raise TypeError(f"{cls.__name__} declares no config keys (fields made with `setting`)")
    return found


def declaration(cls: type[Any]) -> ConfigDef:
    """The `ConfigDef` of the keys `cls` declares, in field order."""
    return ConfigDef(key for _, key in _settings(cls))


def derive(cls: type[T], values: Mapping[str, Any]) -> T:
    """A `cls` from the values of its keys; missing keys (or None) take the declared defaults.

    Raises ValueError naming the key when a value does not fit its type (validators are `ConfigDef.check`'s job).
    """
    kwargs: dict[str, Any] = {}
    for field, key in _settings(cls):
        raw = values.get(key.name)
        if raw is None:
            if key.required:
                raise ValueError(f"{key.name}: missing required key")
            continue  # the field's default is the key's
        try:
            value = parse_value(key, raw)
        except ValueError as exc:
            raise ValueError(f"{key.name}: {exc}") from None
        kwargs[field.name] = _converted(field.metadata.get(_CONVERT), value)
    return cls(**kwargs)
