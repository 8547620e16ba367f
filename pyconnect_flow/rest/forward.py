"""Writes sent to any worker of a distributed cluster reach the leader, as Kafka Connect's do.

A request that changes connectors (POST, PUT, PATCH or DELETE under `/connectors`) on a worker that does not
lead is sent on to the leader's REST API with its body, query and `Authorization` header, and the leader's
answer is returned as it is. A request another worker forwarded is never forwarded again: a worker that
stopped leading meanwhile answers 409, as Kafka Connect does during a rebalance, and so does a worker that
knows no leader yet.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from pyconnect_flow.runtime.cluster import FORWARDED_HEADER, REBALANCING

log = logging.getLogger(__name__)

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_KEPT_HEADERS = ("authorization", "content-type", "accept")
_RETURNED_HEADERS = ("content-type", "location")
_LEADER_WAIT_S = 15.0
"""How long a write waits for a leader to be known before it is answered 409."""
_TIMEOUT_S = 90.0
"""Longer than a stop request may take on the leader (it waits for the connector to stop)."""


class Leadership(Protocol):
    """What forwarding needs of the herder."""

    @property
    def is_leader(self) -> bool: ...

    @property
    def leader_url(self) -> str | None: ...

    @property
    def worker_id(self) -> str: ...


class LeaderForwarding:
    """ASGI middleware: connector writes on a follower go to the leader (see the module)."""

    def __init__(self, app: ASGIApp, leadership: Leadership) -> None:
        self.app = app
        self.leadership = leadership
        self._client = httpx.AsyncClient(timeout=_TIMEOUT_S)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._forwardable(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        forwarded = bool(request.headers.get(FORWARDED_HEADER))
        leader = None if forwarded else await self._leader()
        if self.leadership.is_leader:
            await self.app(scope, receive, send)
            return
        if forwarded or not leader:
            response: Response = JSONResponse({"error_code": 409, "message": REBALANCING}, status_code=409)
        else:
            response = await self._forward(request, leader)
        await response(scope, receive, send)

    async def _leader(self) -> str | None:
        """The leader's URL, waiting a little while none is known (a cluster starting, a rebalance)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _LEADER_WAIT_S
        while not self.leadership.is_leader:
            leader = self.leadership.leader_url
            if leader or loop.time() > deadline:
                return leader
            await asyncio.sleep(0.2)
        return None

    @staticmethod
    def _forwardable(scope: Scope) -> bool:
        path = str(scope.get("path", ""))
        return scope.get("method") in _WRITES and (path == "/connectors" or path.startswith("/connectors/"))

    async def _forward(self, request: Request, leader: str) -> Response:
        url = leader.rstrip("/") + request.url.path
        if request.url.query:
            url += "?" + request.url.query
        headers = {k: v for k, v in request.headers.items() if k.lower() in _KEPT_HEADERS}
        headers[FORWARDED_HEADER] = self.leadership.worker_id
        body = await request.body()
        try:
            answer = await self._client.request(request.method, url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("Forwarding %s %s to the leader %s failed: %s", request.method, request.url.path, leader, exc)
            return JSONResponse({"error_code": 409, "message": REBALANCING}, status_code=409)
        kept: dict[str, Any] = {k: v for k, v in answer.headers.items() if k.lower() in _RETURNED_HEADERS}
        return Response(answer.content, status_code=answer.status_code, headers=kept)
