"""What a single message transform (SMT) and a predicate are.

A transform is any callable `Record -> Record | None` (None drops the record).
The Kafka Connect SMTs are `Transform` subclasses: each declares its config
keys once (`CONFIG`), is built from a Kafka Connect config with
`from_config`, and has Pythonic constructors for use in code. A predicate is
any callable `Record -> bool`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from pyconnect_flow.config.definition import ConfigDef, ConfigException, ConfigIssue
from pyconnect_flow.record import Record

TransformFn = Callable[[Record], "Record | None"]
PredicateFn = Callable[[Record], bool]

T = TypeVar("T", bound="Transform")
P = TypeVar("P", bound="Predicate")


class Transform:
    """Base of the built-in SMTs: a configured callable `Record -> Record | None`."""

    CONFIG: ClassVar[ConfigDef] = ConfigDef()
    """Keys of this transform, without the `transforms.<alias>.` prefix."""

    def __call__(self, record: Record) -> Record | None:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def check_config(cls, props: Mapping[str, Any], prefix: str = "") -> list[ConfigIssue]:
        """Every problem of `props` (keys without prefix; reported with `prefix`)."""
        values, issues = cls.CONFIG.check(props, ignore_unknown=True)
        if not issues:
            issues.extend(ConfigIssue(prefix + i.key, i.message) for i in cls.validate_values(values))
        return [ConfigIssue(prefix + i.key, i.message) if not i.key.startswith(prefix) else i for i in issues]

    @classmethod
    def validate_values(cls, values: Mapping[str, Any]) -> list[ConfigIssue]:
        """Cross-key checks beyond each key's own validator (override where needed)."""
        return []

    @classmethod
    def from_config(cls: type[T], props: Mapping[str, Any]) -> T:
        """Build from Kafka Connect keys (without the `transforms.<alias>.` prefix)."""
        issues = cls.check_config(props)
        if issues:
            raise ConfigException(cls.__name__, issues, what="transform")
        values, _ = cls.CONFIG.check(props, ignore_unknown=True)
        return cls._from_values(values)

    @classmethod
    def _from_values(cls: type[T], values: Mapping[str, Any]) -> T:  # pragma: no cover - abstract
        raise NotImplementedError


class Predicate:
    """Base of the built-in predicates: a configured callable `Record -> bool`."""

    CONFIG: ClassVar[ConfigDef] = ConfigDef()

    def __call__(self, record: Record) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def check_config(cls, props: Mapping[str, Any], prefix: str = "") -> list[ConfigIssue]:
        values, issues = cls.CONFIG.check(props, ignore_unknown=True)
        return [ConfigIssue(prefix + i.key, i.message) for i in issues]

    @classmethod
    def from_config(cls: type[P], props: Mapping[str, Any]) -> P:
        issues = cls.check_config(props)
        if issues:
            raise ConfigException(cls.__name__, issues, what="predicate")
        values, _ = cls.CONFIG.check(props, ignore_unknown=True)
        return cls._from_values(values)

    @classmethod
    def _from_values(cls: type[P], values: Mapping[str, Any]) -> P:  # pragma: no cover - abstract
        raise NotImplementedError


_FAILED_TRANSFORM = "transform"
"""The attribute `tag_failure` sets on an exception a chain's stage raised (a chain raises it unchanged)."""


def tag_failure(exc: BaseException, transform: Any) -> None:
    """Name `transform` as the one that raised `exc` (unless an inner stage was named already)."""
    attributes = getattr(exc, "__dict__", None)  # None for exceptions with __slots__
    if attributes is not None:
        attributes.setdefault(_FAILED_TRANSFORM, transform)


def failing_transform(exc: BaseException) -> Any | None:
    """The transform `tag_failure` named as the one that raised `exc` (None when none was named)."""
    return getattr(exc, _FAILED_TRANSFORM, None)
