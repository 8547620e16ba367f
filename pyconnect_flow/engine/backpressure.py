"""Backpressure inside an epoch: a source partition pauses while its sink partition lags behind."""

from __future__ import annotations


class InFlight:
    """Records read by each source partition and not yet taken by its sink partition.

    Bytewax applies backpressure only between epochs, so a fast source in front of a slow sink
    could read a whole epoch ahead and hold it in memory. The source partition pauses while its
    count is at `limit`. Only partitions whose sink partition runs in this process (`attach`) are
    paused — the mirrored partitioning puts them there — so a sink elsewhere can never stall one.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._count: dict[str, int] = {}
        self._attached: set[str] = set()

    def attach(self, key: str) -> None:
        self._attached.add(key)

    def read(self, key: str, n: int) -> None:
        self._count[key] = self._count.get(key, 0) + n

    def taken(self, key: str, n: int) -> None:
        self._count[key] = self._count.get(key, 0) - n

    def full(self, key: str) -> bool:
        return key in self._attached and self._count.get(key, 0) >= self.limit
