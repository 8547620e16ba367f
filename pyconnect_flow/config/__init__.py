"""Configuration: `.properties`/JSON parsing, config providers and typed, validated definitions."""

from pyconnect_flow.config.definition import (
    REQUIRED,
    ConfigDef,
    ConfigException,
    ConfigIssue,
    ConfigKey,
    ConfigType,
    ParsedConfig,
    Password,
)

__all__ = [
    "REQUIRED", "ConfigDef", "ConfigException", "ConfigIssue", "ConfigKey", "ConfigType",
    "ParsedConfig", "Password",
]
