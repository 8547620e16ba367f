"""How long a Kafka client has been without any broker connection, from librdkafka's statistics.

librdkafka reconnects for ever; a sink connector whose broker is gone would wait for ever too, logging
reconnection failures. `BrokerWatch` turns "no broker connection for `timeout_s`" into an error the
connector fails with (`kafka.unreachable.timeout.ms`). It reads the broker states of the statistics
librdkafka emits every second (`statistics.interval.ms`): the client is reachable while any broker is UP.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

STATS_INTERVAL_MS = 1000


class BrokerWatch:
    """Tracks since when a client has had no broker UP; `unreachable_for()` is how long, in seconds."""

    def __init__(self, timeout_s: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout_s = timeout_s
        self._clock = clock
        self._down_since: float | None = None

    def configure(self, conf: dict[str, Any]) -> dict[str, Any]:
        """`conf` with the statistics this watch reads (nothing added when there is no timeout)."""
        if self.timeout_s is None:
            return conf
        conf.setdefault("statistics.interval.ms", STATS_INTERVAL_MS)
        chained = conf.get("stats_cb")

        def on_stats(text: str) -> None:
            self.observe(text)
            if chained is not None:
                chained(text)

        conf["stats_cb"] = on_stats
        return conf

    def observe(self, stats_json: str) -> None:
        """Read one statistics document (called by librdkafka from `poll`/`consume`)."""
        try:
            brokers = json.loads(stats_json).get("brokers", {})
        except (ValueError, AttributeError):
            return
        # Logical brokers (the group coordinator's handle) keep the state they had; only real ones count.
        if any(isinstance(b, dict) and b.get("state") == "UP" and b.get("source") != "logical"
               for b in brokers.values()):
            self._down_since = None
        elif self._down_since is None:
            self._down_since = self._clock()

    def unreachable_for(self) -> float:
        return 0.0 if self._down_since is None else self._clock() - self._down_since

    def expired(self) -> bool:
        """True once no broker has been UP for longer than the timeout."""
        return self.timeout_s is not None and self.unreachable_for() > self.timeout_s
