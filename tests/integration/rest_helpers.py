"""A standalone worker with its REST API, in a subprocess on a free loopback port, for the REST tests."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx

from pyconnect_flow.net import free_ports
from tests.integration.kafka_helpers import _die_with_parent, cli_env, write_properties


def rest_worker_file(tmp: Path, bootstrap: str, port: int, scheme: str = "http", keys: dict[str, str] | None = None,
                     **extra: Any) -> Path:
    values = {
        "bootstrap.servers": bootstrap,
        "listeners": f"{scheme}://127.0.0.1:{port}",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "offset.storage.file.filename": str(tmp / "offsets"),
        "offset.flush.interval.ms": "200",
    }
    values.update({k.replace("_", "."): v for k, v in extra.items()})
    values.update(keys or {})
    return write_properties(tmp / "worker.properties", values)


class RestWorker:
    """`pyconnect-flow standalone WORKER [CONNECTORS]` with the REST API on `port`; `.client` talks to it."""

    def __init__(self, tmp: Path, bootstrap: str, connectors: Iterable[str] = (), env: dict[str, str] | None = None,
                 *, scheme: str = "http", verify: Any = True, auth: tuple[str, str] | None = None,
                 **extra: Any) -> None:
        """`scheme`, `verify` (a CA file for https) and `auth` (basic credentials) shape `.client`;
        `extra` are more worker keys, `_` for `.` (or a dict given as `worker={...}`)."""
        self.port = free_ports(1)[0]
        keys = dict(extra.pop("worker", {}))
        self.worker_file = rest_worker_file(tmp, bootstrap, self.port, scheme, keys, **extra)
        self.tmp = tmp
        self.connectors = list(connectors)
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        self.client = httpx.Client(base_url=self.url, timeout=90, verify=verify, auth=auth)
        self.env = env or {}
        self.log = tmp / "worker.log"

    def start(self, timeout: float = 60) -> RestWorker:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pyconnect_flow", "standalone", str(self.worker_file), *self.connectors],
            cwd=self.tmp, env=cli_env(**self.env), stdout=subprocess.DEVNULL, stderr=self.log.open("a"), text=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited with {self.process.returncode}: {self.log.read_text()}")
            try:
                if self.client.get("/").status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("the worker's REST API did not answer")

    def stop(self, timeout: float = 90) -> tuple[int, str]:
        """SIGTERM: the worker stops every connector cleanly. Returns the exit status and its log."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.process.returncode, self.log.read_text()

    def __enter__(self) -> RestWorker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop()
        self.client.close()

    def wait_state(self, name: str, state: str, timeout: float = 60) -> dict[str, Any]:
        """Poll the connector's status until its connector state is `state`; returns the status."""
        last: dict[str, Any] = {}

        def reached() -> bool:
            nonlocal last
            response = self.client.get(f"/connectors/{name}/status")
            last = response.json()
            return response.status_code == 200 and last["connector"]["state"] == state

        assert wait_until(reached, timeout), f"{name} did not reach {state}: {last}"
        return last


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
