"""Loopback networking shared by the process runner and the embedded services."""

from __future__ import annotations

import socket

__all__ = ["LOOPBACK", "free_ports"]

LOOPBACK = "127.0.0.1"


def free_ports(count: int = 1, host: str = LOOPBACK) -> tuple[int, ...]:
    """Return ``count`` distinct TCP ports that were free on ``host`` a moment ago.

    The ports are found by binding to port 0 and releasing; another process may still take one
    before it is bound again, which a caller that starts a server on it must detect (and retry).
    """
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind((host, 0))
        return tuple(sock.getsockname()[1] for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
