"""Configuration: `.properties`/JSON parsing, config providers and typed, validated definitions."""

from pyconnect_flow.config.connector_file import load_connector_config, load_worker_config
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
from pyconnect_flow.config.properties import ConfigFileError, load_properties, parse_properties
from pyconnect_flow.config.providers import ResolvedConfig, is_secret_key, resolve_config

__all__ = [
    "REQUIRED", "ConfigDef", "ConfigException", "ConfigIssue", "ConfigKey", "ConfigType",
    "ParsedConfig", "Password",
    "ConfigFileError", "ResolvedConfig", "is_secret_key", "load_connector_config", "load_properties",
    "load_worker_config", "parse_properties", "resolve_config",
]
