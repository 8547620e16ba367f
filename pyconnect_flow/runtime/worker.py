"""The standalone worker with its REST API: `pyconnect-flow standalone worker.properties [connector files…]`.

It serves Kafka Connect's REST API on `listeners` (default `http://:8083`) with uvicorn, runs the
connectors given on the command line and those created over the API (`runtime.herder`), and keeps their
configs and target states in the directory named by `offset.storage.file.filename`
(`<dir>/connectors/<name>/`), so a restarted worker runs the same connectors in the same states. SIGINT or
SIGTERM stop the API and every connector cleanly (their target states are kept).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import uvicorn

from pyconnect_flow.config import load_connector_config, load_worker_config
from pyconnect_flow.config.definition import ConfigException, ConfigIssue
from pyconnect_flow.connectors.kafka_clients import admin_client, client_config
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.engine.spec import check_connector, use_plugin_path, validate_worker, worker_file_issues
from pyconnect_flow.rest.app import WorkerInfo, create_app
from pyconnect_flow.rest.security import BasicAuthMiddleware, basic_auth_users, tls_settings
from pyconnect_flow.runtime.herder import Herder, HerderSettings, default_root, invalid_config_message
from pyconnect_flow.runtime.store import ConfigStore, FileConfigStore, MemoryConfigStore, StoredConnector

log = logging.getLogger(__name__)

DEFAULT_LISTENER = "http://:8083"


@dataclass
class WorkerOptions:
    """How to run the worker."""

    worker_file: str
    connector_files: list[str] = field(default_factory=list)
    recovery_dir: str | None = None
    epoch_interval_ms: int | None = None
    log_level: str = "INFO"


@dataclass(frozen=True)
class Listener:
    """Where the REST API listens: `listeners`' first entry (http:// or https://)."""

    host: str
    port: int
    scheme: str = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host or '0.0.0.0'}:{self.port}"

    @property
    def advertised(self) -> str:
        host = self.host if self.host not in ("", "0.0.0.0", "::") else socket.gethostname()
        return f"{host}:{self.port}"


def parse_listener(value: str | None) -> Listener:
    """The first entry of a `listeners` value: the one the worker's id and advertised URL name."""
    return parse_listeners(value)[0]


def parse_listeners(value: str | None) -> list[Listener]:
    """Every entry of a `listeners` value (`http://host:port` or `https://host:port`, host optional), each
    served at once, as Kafka Connect serves them (say `http://127.0.0.1:8083,https://:8443`)."""
    entries = [e.strip() for e in (value or DEFAULT_LISTENER).split(",") if e.strip()]
    listeners: list[Listener] = []
    for entry in entries:
        parts = urlsplit(entry)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise ConfigException("worker", [ConfigIssue("listeners", f"{entry!r} is not http(s)://host:port")],
                                  what="worker")
        try:
            port = parts.port
        except ValueError:
            port = None
        if port is None:
            raise ConfigException("worker", [ConfigIssue("listeners", f"{entry!r} names no port")], what="worker")
        listener = Listener(parts.hostname or "", port, scheme)
        if any((other.host, other.port) == (listener.host, listener.port) for other in listeners):
            raise ConfigException("worker", [ConfigIssue("listeners", f"{entry!r}: that address is listed twice")],
                                  what="worker")
        listeners.append(listener)
    if not listeners:
        raise ConfigException("worker", [ConfigIssue("listeners", "no listener given")], what="worker")
    return listeners


def _read_cluster_id(worker: dict[str, str], info: WorkerInfo) -> None:
    try:
        metadata = admin_client(client_config(worker, "admin")).list_topics(timeout=10)
        info.kafka_cluster_id = metadata.cluster_id
    except Exception as exc:  # noqa: BLE001 - GET / shows null until Kafka answers
        log.warning("Cannot read the Kafka cluster id: %s", exc)


def build_herder(options: WorkerOptions) -> tuple[Herder, list[Listener], list[StoredConnector]]:
    """The herder of a worker file, its listeners and the connectors given on the command line (validated)."""
    raw = load_worker_config(options.worker_file)
    worker, values = validate_worker(raw, options.worker_file)
    use_plugin_path(values, options.worker_file)  # the API validates and lists plugins in this process too
    # Every connector this worker may run reads from or writes to Kafka: the worker file must say where it is.
    issues = worker_file_issues(worker, uses_kafka=True)
    if issues:
        raise ConfigException(options.worker_file, issues, what="worker")
    listeners = parse_listeners(raw.get("listeners") or _port_listener(raw))
    listener = listeners[0]
    directory = options.recovery_dir or values.get("offset.storage.file.filename")
    store: ConfigStore
    if directory:
        root = Path(directory) / "connectors"
        root.mkdir(parents=True, exist_ok=True)
        store = FileConfigStore(root)
    else:
        log.warning("offset.storage.file.filename is not set: connectors' configs and positions are not kept "
                    "when the worker stops")
        root = default_root()
        store = MemoryConfigStore()
    host = raw.get("rest.advertised.host.name") or listener.advertised.rsplit(":", 1)[0]
    port = raw.get("rest.advertised.port") or str(listener.port)
    settings = HerderSettings(
        worker_file=options.worker_file, worker=worker, root=root, worker_id=f"{host}:{port}",
        epoch_interval_ms=options.epoch_interval_ms, log_level=options.log_level,
        topic_tracking=raw.get("topic.tracking.enable", "true").strip().lower() != "false",
        topic_tracking_reset=raw.get("topic.tracking.allow.reset", "true").strip().lower() != "false")
    given: list[StoredConnector] = []
    problems: list[str] = []
    for path in options.connector_files:
        config = load_connector_config(path)
        _spec, issues = check_connector(config, worker)
        name = str(config.get("name") or path)
        if issues:
            problems.append(f"{path}: {invalid_config_message(issues)}")
        given.append(StoredConnector(name, config))
    if problems:
        raise ConnectException("\n".join(problems))
    return Herder(settings, store), listeners, given


def _port_listener(raw: dict[str, str]) -> str | None:
    # Kafka's deprecated rest.host.name / rest.port, still found in old worker files.
    if "rest.port" not in raw:
        return None
    return f"http://{raw.get('rest.host.name', '')}:{raw['rest.port']}"


def _check_listener(listener: Listener) -> None:
    """Fail before any connector starts when the REST API's address cannot be listened on."""
    host = listener.host or "0.0.0.0"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, listener.port))
        except OSError as exc:
            raise ConnectException(f"Cannot serve the REST API on {listener.url} (listeners): "
                                   f"{exc.strerror or exc}") from None


def run_worker(options: WorkerOptions) -> int:
    """Serve the REST API on every listener until SIGINT/SIGTERM, then stop every connector cleanly. Returns
    the exit status."""
    herder, listeners, given = build_herder(options)
    return serve_herder(herder, listeners, given)


def serve_herder(herder: Herder, listeners: list[Listener], given: Sequence[StoredConnector] = (),
                 wrap: Callable[[Any], Any] | None = None) -> int:
    """Start `herder` with the connectors `given`, serve its REST API on every listener (the app passed
    through `wrap` when given) until SIGINT/SIGTERM, then stop it. Returns the exit status."""
    worker = herder.settings.worker
    # All checked before any connector starts: a worker that cannot serve securely serves nothing.
    tls = tls_settings(worker) if any(listener.scheme == "https" for listener in listeners) else None
    users = basic_auth_users(worker)
    for listener in listeners:
        _check_listener(listener)
    info = WorkerInfo()
    threading.Thread(target=_read_cluster_id, args=(worker, info), daemon=True).start()
    herder.start(given)
    app: Any = create_app(herder, info)
    if wrap is not None:
        app = wrap(app)
    if users is not None:
        app = BasicAuthMiddleware(app, users)
    servers = []
    for listener in listeners:
        log.warning("REST API listening on %s%s", listener.url,
                    " (basic authentication)" if users is not None else "")
        secure = tls.uvicorn_options() if tls is not None and listener.scheme == "https" else {}
        config = uvicorn.Config(app, host=listener.host or "0.0.0.0", port=listener.port, log_level="warning",
                                access_log=False, lifespan="off", **secure)
        servers.append(uvicorn.Server(config))
    # Every listener stops serving at SIGINT/SIGTERM; then the connectors are stopped cleanly below.
    received: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        for server in servers:
            server.should_exit = True

    previous = {s: signal.signal(s, note) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        asyncio.run(_serve_all(servers))
    finally:
        log.warning("Stopping the connectors")
        herder.shutdown()
        for s, handler in previous.items():
            signal.signal(s, handler)
    if not all(server.started for server in servers):
        return 1
    return 130 if signal.SIGINT in received else 0


async def _serve_all(servers: list[uvicorn.Server]) -> None:
    """Serve every listener in one event loop; when one stops (a signal, or it could not start), all stop."""

    async def serve(server: uvicorn.Server) -> None:
        try:
            await server._serve()  # without uvicorn's own signal handlers: `run_worker` installs one for all
        finally:
            for other in servers:
                other.should_exit = True

    await asyncio.gather(*(serve(server) for server in servers))
