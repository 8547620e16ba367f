"""DropHeaders: remove every header with one of the given names.

As Kafka's `org.apache.kafka.connect.transforms.DropHeaders`::

    DropHeaders(headers=["trace-id", "debug"])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.definition import ConfigDef, ConfigKey, ConfigType
from pyconnect_flow.record import Record, with_headers
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.util import ConfiguredTransform, non_empty_list

__all__ = ["TRANSFORMS", "DropHeaders"]


class DropHeaders(ConfiguredTransform):
    """Removes one or more headers from each record."""

    KAFKA_NAME = "DropHeaders"
    CONFIG = ConfigDef([
        ConfigKey("headers", ConfigType.LIST, doc="The name of the headers to be removed.",
                  validator=non_empty_list, importance="high"),
    ])

    _names: frozenset[str]

    def _configure(self, values: Mapping[str, Any]) -> None:
        self._names = frozenset(values["headers"])

    def __call__(self, record: Record) -> Record:
        names = self._names
        headers = record.headers
        for header in headers:
            if header[0] in names:
                return with_headers(record, tuple([h for h in headers if h[0] not in names]))
        return record

    def __repr__(self) -> str:
        return f"DropHeaders(headers={sorted(self._names)!r})"


TRANSFORMS: dict[str, type[Transform]] = {"DropHeaders": DropHeaders}
