"""Starting the processes of a multi-process run quickly and only once the parent's preflight passed.

Bytewax's process i connects to every process below it, and a refused connection is retried only after a
second (printing "error connecting to worker 0" to stderr). So each process, before joining, waits until the
processes below it listen, as seen in `/proc/net/tcp` (no connection is made, which Bytewax would take for a
peer). The parent starts its processes before its preflight, so their imports overlap it, and lets them join
only after it passed (`GO` on their stdin): no data moves before the preflight, as in one process.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from pathlib import Path

GO = b"go\n"
"""What the parent writes to each process's stdin once its preflight passed."""

_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp


def wait_for_go() -> bool:
    """Block until the parent says go (True) or closes stdin without it (False: its preflight failed)."""
    return sys.stdin.buffer.readline() == GO


def listening_ports() -> set[int] | None:
    """The local TCP ports in LISTEN state on this host; None where `/proc/net/tcp` cannot be read."""
    ports: set[int] = set()
    try:
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 3 and fields[3] == _LISTEN:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    except (OSError, ValueError):
        return None
    return ports


def wait_until_listening(addresses: Iterable[str], timeout_s: float = 10.0) -> None:
    """Wait (at most `timeout_s`) until something listens on the port of each `host:port` address."""
    wanted = {int(a.rsplit(":", 1)[1]) for a in addresses}
    deadline = time.monotonic() + timeout_s
    while wanted and time.monotonic() < deadline:
        listening = listening_ports()
        if listening is None or wanted <= listening:
            return
        time.sleep(0.005)
