"""Exceptions of the Connect data model, named as Kafka Connect names them."""

from __future__ import annotations


class ConnectException(Exception):
    """Base class of every error pyconnect-flow raises on purpose."""


class DataException(ConnectException):
    """A value does not fit its schema, or data cannot be converted."""


class SchemaBuilderException(DataException):
    """A schema was built with conflicting or invalid settings."""
