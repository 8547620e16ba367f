"""Workers of one distributed cluster (`pyconnect-flow distributed`), each a subprocess, for the tests.

`Cluster` writes one `connect-distributed.properties` per worker (same `group.id` and topics, its own
listener and data directory) and starts, stops (SIGTERM) and kills (SIGKILL) workers. Where each runs is the
`launch` callable's business: a plain subprocess on loopback by default, or a process in a network namespace
(tests/distributed).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from pyconnect_flow.net import free_ports
from tests.integration.kafka_helpers import _die_with_parent, cli_env, write_properties

Launch = Callable[[int, Sequence[str], Any], "subprocess.Popen[str]"]


def _local_launch(index: int, argv: Sequence[str], log: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(list(argv), env=cli_env(), stdout=log, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)


class Cluster:
    """Distributed workers sharing `group`; worker `i` serves on `hosts[i]:<free port>`."""

    def __init__(self, tmp: Path, bootstrap: str, size: int, group: str, *, hosts: Sequence[str] | None = None,
                 launch: Launch | None = None, keys: dict[str, str] | None = None) -> None:
        self.tmp = tmp
        self.hosts = list(hosts or ["127.0.0.1"] * size)
        self.launch = launch or _local_launch
        self.ports = free_ports(size)
        self.urls = [f"http://{host}:{port}" for host, port in zip(self.hosts, self.ports)]
        self.processes: list[subprocess.Popen[str] | None] = [None] * size
        self.files = []
        for i in range(size):
            values = {
                "bootstrap.servers": bootstrap, "group.id": group,
                "config.storage.topic": f"{group}-configs", "offset.storage.topic": f"{group}-offsets",
                "status.storage.topic": f"{group}-status",
                "config.storage.replication.factor": "1", "offset.storage.replication.factor": "1",
                "status.storage.replication.factor": "1", "offset.storage.partitions": "5",
                "status.storage.partitions": "3",
                "listeners": f"http://{self.hosts[i]}:{self.ports[i]}",
                "key.converter": "org.apache.kafka.connect.storage.StringConverter",
                "value.converter": "org.apache.kafka.connect.storage.StringConverter",
                "offset.flush.interval.ms": "500",
                "pyconnect.data.dir": str(tmp / f"worker-{i}"),
                **(keys or {}),
            }
            self.files.append(write_properties(tmp / f"worker-{i}.properties", values))
        self.clients = [httpx.Client(base_url=url, timeout=90) for url in self.urls]

    def worker_id(self, i: int) -> str:
        return f"{self.hosts[i]}:{self.ports[i]}"

    def index_of(self, worker_id: str) -> int:
        return [self.worker_id(i) for i in range(len(self.urls))].index(worker_id)

    def log(self, i: int) -> Path:
        return self.tmp / f"worker-{i}.log"

    def start(self, i: int) -> None:
        argv = [sys.executable, "-m", "pyconnect_flow", "distributed", str(self.files[i])]
        self.processes[i] = self.launch(i, argv, self.log(i).open("a"))

    def start_all(self, timeout: float = 60) -> None:
        for i in range(len(self.urls)):
            self.start(i)
        for i in range(len(self.urls)):
            self.wait_up(i, timeout)

    def wait_up(self, i: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[i]
            if process is not None and process.poll() is not None:
                raise AssertionError(f"worker {i} exited with {process.returncode}:\n{self.log(i).read_text()[-3000:]}")
            try:
                if self.clients[i].get("/", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"worker {i} did not answer in {timeout}s:\n{self.log(i).read_text()[-3000:]}")

    def kill(self, i: int) -> None:
        process = self.processes[i]
        assert process is not None
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop(self, i: int, timeout: float = 90) -> int:
        process = self.processes[i]
        if process is None or process.poll() is not None:
            return process.returncode if process is not None else 0
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
            raise AssertionError(f"worker {i} did not stop within {timeout}s:\n{self.log(i).read_text()[-3000:]}") from None

    def stop_all(self) -> None:
        for process in self.processes:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for i in range(len(self.processes)):
            try:
                self.stop(i)
            except AssertionError:
                pass

    def close(self) -> None:
        self.stop_all()
        for client in self.clients:
            client.close()

    def status(self, name: str, via: int = 0) -> dict[str, Any]:
        response = self.clients[via].get(f"/connectors/{name}/status")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_for(self, what: str, check: Callable[[], Any], timeout: float = 60, interval: float = 0.25) -> Any:
        """`check()`'s first truthy answer (httpx errors count as not yet), or AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = check()
                if last:
                    return last
            except (httpx.HTTPError, AssertionError) as exc:
                last = exc
            time.sleep(interval)
        logs = "\n".join(f"--- worker {i}\n{self.log(i).read_text()[-2500:]}" for i in range(len(self.urls))
                         if self.log(i).exists())
        raise AssertionError(f"{what}: not within {timeout}s (last: {last!r})\n{logs}")

    def running_on(self, name: str, via: int = 0) -> str | None:
        """The worker id running `name`, once its status says RUNNING (None before)."""
        status = self.status(name, via)
        if status["connector"]["state"] == "RUNNING" and all(t["state"] == "RUNNING" for t in status["tasks"]):
            return str(status["connector"]["worker_id"])
        return None
