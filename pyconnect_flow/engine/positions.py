"""Where a source partition's positions may go: capped by sinks that hold records back, and published
only once the sink made them durable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyconnect_flow.contract.source import SourceReader


class PositionHolds:
    """Caps stored source positions (Kafka offsets) at what a `holds_records` sink has made durable.

    One per pipeline, shared by its source and sink adapters (a source partition
    and the sink partition of the same key run on the same worker). Until the
    sink partition reports after a flush, the cap is the position the source
    partition was opened at.
    """

    def __init__(self) -> None:
        self._floor: dict[str, Any] = {}
        self._durable: dict[str, int] = {}

    def opened(self, key: str, position: Any) -> None:
        """The source partition `key` starts at `position`."""
        self._floor[key] = position
        self._durable.pop(key, None)

    def flushed(self, key: str, durable: int | None) -> None:
        """The sink partition `key` made everything below `durable` durable."""
        if durable is not None:
            self._durable[key] = max(durable, self._durable.get(key, durable))

    def cap(self, key: str, position: Any) -> Any:
        """The position to store for the source partition `key`."""
        limit = self._durable.get(key)
        if limit is None:
            return self._floor.get(key)
        if isinstance(position, int) and not isinstance(position, bool):
            return min(position, limit)
        return position


class Deliveries:
    """Publishes each source partition's stored position once its sink partition has made it durable.

    Bytewax snapshots a source partition at the end of an epoch, then the sink partitions that received
    data in that epoch (after their last write of it), and reads nothing of the next epoch before every
    output has finished the previous one. So when a sink partition has flushed, the position its source
    partition stored last is exactly the end of what the sink has made durable: that position, and no
    other, is handed to `SourceReader.delivered`. Readers are closed only once their sink partition has
    closed too (a source partition that reaches its end closes before the last epoch is flushed, and a sink
    that holds records back commits them at close).
    """

    def __init__(self, publish: Callable[[str, Any], None] | None = None) -> None:
        self._publish_to = publish
        """Also told each delivered position (distributed mode: the offsets topic, `engine.offsets_topic`)."""
        self._readers: dict[str, SourceReader] = {}
        self._stored: dict[str, tuple[Any, Any]] = {}
        self._covered: dict[str, Any] = {}
        self._published: dict[str, Any] = {}
        self._source_done: set[str] = set()
        self._sink_done: set[str] = set()

    def opened(self, key: str, reader: SourceReader) -> None:
        self._readers[key] = reader
        self._stored.pop(key, None)
        self._covered.pop(key, None)
        self._published.pop(key, None)
        self._source_done.discard(key)
        self._sink_done.discard(key)

    def stored(self, key: str, position: Any, read: Any = None) -> None:
        """The source partition `key` stored `position` in its snapshot; `read` is how far it had read when
        that is further (a sink holding records back capped the stored position)."""
        self._stored[key] = (position, position if read is None else read)

    def flushed(self, key: str) -> None:
        """The sink partition `key` made everything it received durable."""
        reader = self._readers.get(key)
        stored = self._stored.get(key)
        if reader is None or stored is None:
            return
        position, self._covered[key] = stored
        self._publish(key, reader, position)

    def source_closed(self, key: str) -> None:
        if key in self._sink_done or key not in self._readers:
            self._close(key)
        else:
            self._source_done.add(key)

    def sink_closed(self, key: str, everything_durable: bool = False) -> None:
        """The sink partition `key` closed; `everything_durable`: its writer made all it received durable
        (records it held back included), so the read position its last flush covered is delivered too."""
        reader = self._readers.get(key)
        covered = self._covered.get(key)
        if everything_durable and reader is not None:
            self._publish(key, reader, covered)
        if key in self._source_done:
            self._close(key)
        else:
            self._sink_done.add(key)

    def _publish(self, key: str, reader: SourceReader, position: Any) -> None:
        if position is not None and self._published.get(key) != position:
            self._published[key] = position
            reader.delivered(position)
            if self._publish_to is not None:
                self._publish_to(key, position)

    def _close(self, key: str) -> None:
        reader = self._readers.pop(key, None)
        self._stored.pop(key, None)
        self._covered.pop(key, None)
        self._published.pop(key, None)
        self._source_done.discard(key)
        self._sink_done.discard(key)
        if reader is not None:
            reader.close()
