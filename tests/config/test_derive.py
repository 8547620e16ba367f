"""Settings objects derived from their keys' declarations (`config.derive`)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pyconnect_flow.config.definition import ConfigKey, ConfigType, one_of
from pyconnect_flow.config.derive import declaration, derive, setting, setting_key
from pyconnect_flow.errors import ERRORS_CONFIG, ErrorPolicy


@dataclass(frozen=True)
class Retry:
    timeout_ms: int = setting(ConfigKey("retry.timeout.ms", ConfigType.LONG, 0, "How long to retry."))
    mode: str = setting(ConfigKey("retry.mode", ConfigType.STRING, "Fixed", validator=one_of("fixed", "backoff")),
                        convert=str.lower)
    codes: list[str] = setting(ConfigKey("retry.codes", ConfigType.LIST, "429,503"))
    note: str = "not a setting"


def test_declaration_in_field_order() -> None:
    definition = declaration(Retry)
    assert definition.names() == ["retry.timeout.ms", "retry.mode", "retry.codes"]
    assert definition["retry.mode"].validator is not None


def test_defaults_are_the_keys() -> None:
    assert Retry() == Retry(timeout_ms=0, mode="fixed", codes=["429", "503"])
    assert Retry().codes is not Retry().codes  # a fresh list each time


def test_derive_from_typed_or_raw_values() -> None:
    values, issues = declaration(Retry).check({"retry.mode": "BACKOFF", "retry.timeout.ms": "1500"})
    assert not issues
    assert derive(Retry, values) == Retry(timeout_ms=1500, mode="backoff")
    assert derive(Retry, {"retry.timeout.ms": " 7 ", "retry.codes": "500", "other.key": "x"}) == \
        Retry(timeout_ms=7, codes=["500"])
    assert derive(Retry, {"retry.timeout.ms": None}) == Retry()
    with pytest.raises(ValueError, match="retry.timeout.ms: expected an integer"):
        derive(Retry, {"retry.timeout.ms": "soon"})


def test_required_keys() -> None:
    @dataclass(frozen=True)
    class Target:
        url: str = setting(ConfigKey("target.url", ConfigType.STRING))

    with pytest.raises(ValueError, match="target.url: missing required key"):
        derive(Target, {})
    assert derive(Target, {"target.url": "http://x"}).url == "http://x"


def test_a_class_without_settings_is_refused() -> None:
    @dataclass
    class Plain:
        x: int = 0

    with pytest.raises(TypeError, match="declares no config keys"):
        declaration(Plain)


def test_error_policy_is_its_declaration() -> None:
    import dataclasses

    assert [setting_key(f).name for f in dataclasses.fields(ErrorPolicy)] == ERRORS_CONFIG.names()  # type: ignore[union-attr]
    assert ERRORS_CONFIG.names()[:3] == ["errors.retry.timeout", "errors.retry.delay.max.ms", "errors.tolerance"]
    policy = ErrorPolicy.from_values({"errors.tolerance": "ALL", "errors.deadletterqueue.topic.name": "dlq",
                                      "errors.retry.timeout": 5})
    assert (policy.tolerate_all, policy.dlq_topic, policy.retry_timeout_ms) == (True, "dlq", 5)
    assert ErrorPolicy.from_values({}) == ErrorPolicy()
