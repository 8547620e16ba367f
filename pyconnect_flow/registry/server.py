"""Running the embedded registry: `serve` blocks (the CLI), `RegistryServer` runs it in a thread."""

from __future__ import annotations

import threading
import time
import urllib.parse
from types import TracebackType

from pyconnect_flow.registry.app import create_app
from pyconnect_flow.registry.store import SchemaStore


def _host_port(listener: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(listener if "//" in listener else "http://" + listener)
    return parts.hostname or "0.0.0.0", parts.port or 8081  # noqa: S104 - Confluent's default listener


def serve(bootstrap_servers: str | None, listeners: str = "http://0.0.0.0:8081", topic: str = "_schemas") -> None:
    """Serve the registry on `listeners` until interrupted, schemas in `topic` on `bootstrap_servers`."""
    import uvicorn

    store = SchemaStore(bootstrap_servers, topic)
    store.start()
    host, port = _host_port(listeners.split(",")[0])
    try:
        uvicorn.run(create_app(store), host=host, port=port, log_level="warning")
    finally:
        store.close()


class RegistryServer:
    """The registry on a loopback port in a background thread; `url` once entered.

        with RegistryServer(kafka.bootstrap_servers) as registry:
            converter.configure({"schema.registry.url": registry.url}, False)
    """

    def __init__(self, bootstrap_servers: str | None = None, topic: str = "_schemas", port: int = 0) -> None:
        self.store = SchemaStore(bootstrap_servers, topic)
        self.port = port
        self.url = ""
        self._server: object | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> RegistryServer:
        import uvicorn

        from pyconnect_flow.net import free_ports

        self.store.start()
        port = self.port or free_ports(1)[0]
        config = uvicorn.Config(create_app(self.store), host="127.0.0.1", port=port, log_level="warning",
                                lifespan="off")
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(target=server.run, name="schema-registry", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the schema registry did not start on 127.0.0.1:{port}")
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        import uvicorn

        if isinstance(self._server, uvicorn.Server):
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.store.close()


__all__ = ["RegistryServer", "serve"]
