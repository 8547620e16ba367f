"""InsertHeader: add one header with a literal value to every record.

As Kafka's `org.apache.kafka.connect.transforms.InsertHeader`: the literal is
read with `Values.parseString` (`pyconnect_flow.data.text.parse_string`), so
`"1"` becomes the INT8 1, `"true"` a boolean and `"[1,2]"` a list. The header
is added after the existing ones; a header of the same name is kept::

    InsertHeader(header="source", value_literal="pyconnect-flow")

Records carry header values, not header schemas: the schema `parse_string`
infers is not kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.definition import ConfigDef, ConfigIssue, ConfigKey, ConfigType
from pyconnect_flow.data.text import parse_string
from pyconnect_flow.record import Record, with_headers
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.util import ConfiguredTransform

__all__ = ["TRANSFORMS", "InsertHeader"]


class InsertHeader(ConfiguredTransform):
    """Add a header to each record."""

    KAFKA_NAME = "InsertHeader"
    CONFIG = ConfigDef([
        ConfigKey("header", ConfigType.STRING, doc="The name of the header.", importance="high"),
        ConfigKey("value.literal", ConfigType.STRING,
                  doc="The literal value that is to be set as the header value on all records.", importance="high"),
    ])

    _header: tuple[str, Any]

    @classmethod
    def validate_values(cls, values: Mapping[str, Any]) -> list[ConfigIssue]:
        return [ConfigIssue(name, "Invalid value null: entry must be non-null")
                for name in ("header", "value.literal") if values.get(name) is None]

    def _configure(self, values: Mapping[str, Any]) -> None:
        self._literal = values["value.literal"]
        self._header = (values["header"], parse_string(self._literal)[1])

    def __call__(self, record: Record) -> Record:
        return with_headers(record, (*record.headers, self._header))

    def __repr__(self) -> str:
        return f"InsertHeader(header={self._header[0]!r}, value_literal={self._literal!r})"


TRANSFORMS: dict[str, type[Transform]] = {"InsertHeader": InsertHeader}
