"""Kafka Connect's REST API over the herder (`runtime.herder`): `create_app(herder)` is the ASGI app,
served by uvicorn from `runtime.worker`. Paths, methods, bodies, status codes and error bodies
(`{"error_code", "message"}`) follow Apache Kafka's Connect REST API; see docs/rest-api.md."""

from pyconnect_flow.rest.app import create_app

__all__ = ["create_app"]
