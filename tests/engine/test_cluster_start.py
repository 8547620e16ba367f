"""Starting a multi-process run (`engine.cluster_start`): processes join once the parent's preflight passed,
each after the processes below it listen, so no one-second reconnection is paid; a failed preflight stops
them before they join."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

from pyconnect_flow.engine.cluster_start import listening_ports, wait_until_listening
from pyconnect_flow.engine.runner import RunOptions, run_connectors


def test_a_listening_port_is_seen_without_connecting_to_it() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        assert port not in (listening_ports() or set())  # bound, not yet listening
        server.listen()
        ports = listening_ports()
        assert ports is not None and port in ports
        started = time.monotonic()
        wait_until_listening([f"127.0.0.1:{port}"])
        assert time.monotonic() - started < 0.5


def test_waiting_for_a_port_nobody_listens_on_ends_at_its_timeout() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        started = time.monotonic()
        wait_until_listening([f"127.0.0.1:{unused.getsockname()[1]}"], timeout_s=0.3)
        assert 0.3 <= time.monotonic() - started < 2.0


def _cluster_workers() -> list[str]:
    listed = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return [line for line in listed.splitlines() if "pyconnect_flow.engine.cluster_worker" in line]


def test_a_failed_preflight_stops_the_processes_before_they_join(tmp_path: Path) -> None:
    (tmp_path / "w.properties").write_text("bootstrap.servers=127.0.0.1:1\n")
    (tmp_path / "c.properties").write_text(
        f"name=c\nconnector.class=FileStreamSource\nfile={tmp_path / 'missing.txt'}\ntopic=t\ntasks.max=2\n")
    before = _cluster_workers()
    with pytest.raises(Exception, match="missing.txt' does not exist"):
        run_connectors(RunOptions(str(tmp_path / "w.properties"), [str(tmp_path / "c.properties")],
                                  stop_at_end=True))
    assert _cluster_workers() == before  # waited for: none left running
