"""The `Converter` protocol: Connect data ⇄ bytes, one direction per call, batch-first."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pyconnect_flow.config.definition import ConfigDef
from pyconnect_flow.data.schema import Schema

SchemaAndValue = tuple["Schema | None", Any]


class Converter(ABC):
    """Turns Connect data into bytes and back, as Kafka Connect's `Converter`.

    Construct, then `configure(config, is_key)` with the keys under
    `key.converter.`/`value.converter.` (prefix stripped). The batch methods are
    what the dataflow calls; they must give the same result as calling the
    single-item methods one by one, and may raise on the first bad item (the
    caller then retries item by item to find and report the bad one).
    """

    CONFIG: ClassVar[ConfigDef] = ConfigDef()
    """Keys this converter accepts (without the `value.converter.` prefix)."""

    def configure(self, config: Mapping[str, Any], is_key: bool) -> None:
        """Apply converter settings (`schemas.enable`, ...)."""
        self.is_key = is_key

    def _checked(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Typed values of `config` under `CONFIG` (kept for pickling); ConfigException naming every bad key."""
        from pyconnect_flow.config.definition import ConfigException

        self._settings = dict(config)
        values, issues = self.CONFIG.check(config, ignore_unknown=True)
        if issues:
            raise ConfigException(type(self).__name__, issues, what="converter")
        return values

    @abstractmethod
    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        """Serialize one value (Kafka Connect's `fromConnectData`)."""

    @abstractmethod
    def to_connect(self, topic: str, data: bytes | None) -> SchemaAndValue:
        """Deserialize one value (Kafka Connect's `toConnectData`)."""

    def from_connect_batch(self, topic: str | Sequence[str], items: Sequence[SchemaAndValue]) -> list[bytes | None]:
        """Serialize many values; `topic` is one topic for all or one per item."""
        if isinstance(topic, str):
            return [self.from_connect(topic, s, v) for s, v in items]
        return [self.from_connect(t, s, v) for t, (s, v) in zip(topic, items)]

    def from_connect_values(self, topic: str, schema: Schema | None, values: Sequence[Any]) -> list[bytes | None]:
        """Serialize many values that share one schema (same result as `from_connect_batch`)."""
        return self.from_connect_batch(topic, [(schema, v) for v in values])

    def to_connect_batch(self, topic: str | Sequence[str], datas: Sequence[bytes | None]) -> list[SchemaAndValue]:
        """Deserialize many values; `topic` is one topic for all or one per item."""
        if isinstance(topic, str):
            return [self.to_connect(topic, d) for d in datas]
        return [self.to_connect(t, d) for t, d in zip(topic, datas)]
