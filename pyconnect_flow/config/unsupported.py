"""Keys of the Confluent connectors we mirror (JDBC, S3) that we do not implement.

A Confluent config migrated as it is often carries such keys at their defaults (tools write every key).
Refusing them as unknown would make the user delete lines first; accepting any value would silently run
without a feature the user asked for. So a connector declares them (`Connector.UNSUPPORTED_KEYS`, from
its config module): set to Confluent's default they are accepted with a warning naming what that default
means here; set to anything else they are refused with the reason. Values are never echoed (some are
secrets, such as `s3.sse.customer.key`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from pyconnect_flow.config.definition import ConfigIssue

log = logging.getLogger("pyconnect_flow.config")


@dataclass(frozen=True)
class UnsupportedKey:
    """One Confluent key we do not implement: Confluent's `default` (as text; "" for null or empty), the
    `reason` (what happens here instead), and other spellings of the default (`also`)."""

    name: str
    default: str
    reason: str
    also: tuple[str, ...] = ()

    def is_default(self, value: str) -> bool:
        """Whether `value` means Confluent's default (case and surrounding blanks aside; a class name by
        its simple name too)."""
        given = value.strip().lower()
        simple = given.rsplit(".", 1)[-1]
        for candidate in (self.default, *self.also):
            wanted = candidate.strip().lower()
            if given == wanted or (simple.isidentifier() and simple == wanted.rsplit(".", 1)[-1]):
                return True
        return False


def unsupported_keys(*keys: UnsupportedKey) -> dict[str, UnsupportedKey]:
    """A connector's table of unsupported keys, by name."""
    return {k.name: k for k in keys}


def check_unsupported(config: Mapping[str, str], keys: Mapping[str, UnsupportedKey],
                      connector: str) -> tuple[dict[str, str], list[ConfigIssue]]:
    """`config` without the unsupported keys it sets (for the connector's own validation), and an issue for
    each one set to anything but Confluent's default; those at the default are logged as warnings."""
    rest: dict[str, str] = {}
    issues: list[ConfigIssue] = []
    for name, value in config.items():
        key = keys.get(name)
        if key is None:
            rest[name] = value
            continue
        shown = f"'{key.default}'" if key.default else "empty"
        if key.is_default(str(value)):
            log.warning("Connector '%s': %s is set to Confluent's default (%s), which is accepted, but "
                        "pyconnect-flow does not implement it: %s", connector, name, shown, key.reason)
        else:
            issues.append(ConfigIssue(name, f"not implemented by pyconnect-flow: {key.reason}; only Confluent's "
                                            f"default ({shown}) is accepted, or leave the key out"))
    return rest, issues
