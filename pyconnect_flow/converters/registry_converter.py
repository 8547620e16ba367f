"""What Confluent's Schema Registry converters (Avro, JSON Schema, Protobuf) share.

Each is pickled as its settings and configured again where it is unpickled (its registry client and caches
are rebuilt there), and writes a batch as runs of values with one schema and topic, so that each run costs
one schema lookup (`from_connect_values`).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from pyconnect_flow.converters.base import Converter, SchemaAndValue
from pyconnect_flow.data.schema import Schema


class RegistryConverter(Converter):
    """A converter whose schemas live in a Schema Registry (see the module)."""

    _settings: dict[str, Any]
    is_key: bool

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self._settings, "is_key": self.is_key}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.configure(state["settings"], state["is_key"])

    @abstractmethod
    def from_connect_values(self, topic: str, schema: Schema | None, values: Sequence[Any]) -> list[bytes | None]:
        """Serialize many values of one schema and topic."""

    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        """Serialize one value (Confluent's `fromConnectData`); None for a null value."""
        return self.from_connect_values(topic, schema, [value])[0]

    def from_connect_batch(self, topic: str | Sequence[str], items: Sequence[SchemaAndValue]) -> list[bytes | None]:
        """Serialize many values, runs of one schema and topic at a time."""
        topics = [topic] * len(items) if isinstance(topic, str) else list(topic)
        out: list[bytes | None] = []
        start = 0
        while start < len(items):
            end = start + 1
            while end < len(items) and items[end][0] is items[start][0] and topics[end] == topics[start]:
                end += 1
            out += self.from_connect_values(topics[start], items[start][0], [v for _, v in items[start:end]])
            start = end
        return out
