"""The ASGI application: Kafka Connect's REST API routes over a `Herder` (see docs/rest-api.md).

Every path is served with and without a trailing slash (Lenses' UI calls `/connector-plugins/`, kcctl
`/connectors/`). Bodies are JSON, at most `MAX_BODY_BYTES`; calls that wait for processes (stop, delete,
offsets) run in a thread, so the API keeps answering meanwhile.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pyconnect_flow import __version__
from pyconnect_flow.config.connector_file import parse_rest_json, rest_config_values, rest_create_request
from pyconnect_flow.config.properties import MAX_CONFIG_BYTES
from pyconnect_flow.connectors.registry import UnknownConnectorClass, connector_class
from pyconnect_flow.engine.spec import check_connector
from pyconnect_flow.rest.entities import config_infos, connector_plugins, find_connector, plugin_config
from pyconnect_flow.rest.errors import EXCEPTION_HANDLERS, RestError, to_response
from pyconnect_flow.runtime.herder import Herder
from pyconnect_flow.runtime.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from pyconnect_flow.runtime.metrics import herder_views, render
from pyconnect_flow.runtime.metrics import registry as metrics_registry

log = logging.getLogger(__name__)

MAX_BODY_BYTES = MAX_CONFIG_BYTES
"""The largest request body accepted (1 MiB, as a connector config file); larger ones get 413."""

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class WorkerInfo:
    """What `GET /` says about this worker."""

    version: str = __version__
    commit: str = f"pyconnect-flow-{__version__}"
    kafka_cluster_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _guarded(handler: Handler) -> Handler:
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an error body, never a stack trace
            return to_response(request, exc)

    return run


async def _body(request: Request) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise RestError(413, f"Request body is larger than {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RestError(413, f"Request body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _json(request: Request, *, keep_numbers: bool = True) -> Any:
    raw = await _body(request)
    if not raw.strip():
        raise RestError(400, "Request body is empty; a JSON object is expected")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RestError(400, "Request body is not UTF-8 text") from None
    if keep_numbers:
        return parse_rest_json(text)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise RestError(400, f"request body: invalid JSON: {exc}") from None


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").strip().lower() == "true"


def _location(name: str) -> str:
    return "/connectors/" + quote(name, safe="")


def create_app(herder: Herder, info: WorkerInfo | None = None) -> Starlette:
    """The REST API of `herder` as a Starlette application."""
    info = info or WorkerInfo()

    async def root(request: Request) -> Response:
        return JSONResponse({"version": info.version, "commit": info.commit,
                             "kafka_cluster_id": info.kafka_cluster_id, **info.extra})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "healthy",
                             "message": "Worker has completed startup and is ready to handle requests."})

    async def list_connectors(request: Request) -> Response:
        expand = request.query_params.getlist("expand")
        names = herder.connectors()
        if not expand:
            return JSONResponse(names)
        out: dict[str, dict[str, Any]] = {}
        for name in names:
            try:
                entry: dict[str, Any] = {}
                for what in expand:
                    if what == "status":
                        entry["status"] = herder.status(name)
                    elif what == "info":
                        entry["info"] = herder.info(name)
                out[name] = entry
            except RestError:
                continue
            except Exception:  # noqa: BLE001 - deleted meanwhile: skipped, as Kafka Connect does
                continue
        return JSONResponse(out)

    async def create(request: Request) -> Response:
        document = await _json(request)
        name, config = rest_create_request(document)
        name = (name or "").strip()
        _check_name(name, config)
        initial = document.get("initial_state") if isinstance(document, dict) else None
        if initial is not None and not isinstance(initial, str):
            raise RestError(400, "\"initial_state\" must be one of RUNNING, PAUSED, STOPPED")
        created = await run_in_threadpool(herder.create, name, config, initial)
        return JSONResponse(created, status_code=201, headers={"Location": _location(name)})

    async def get_connector(request: Request) -> Response:
        return JSONResponse(herder.info(request.path_params["name"]))

    async def get_config(request: Request) -> Response:
        return JSONResponse(herder.config(request.path_params["name"]))

    async def put_config(request: Request) -> Response:
        name = request.path_params["name"]
        document = await _json(request)
        if not isinstance(document, dict):
            raise RestError(400, "The connector config must be a JSON object of keys and values")
        config = rest_config_values(document)
        _check_name(name, config)
        created, connector = await run_in_threadpool(herder.put_config, name, config)
        if created:
            return JSONResponse(connector, status_code=201, headers={"Location": _location(name)})
        return JSONResponse(connector)

    async def patch_config(request: Request) -> Response:
        name = request.path_params["name"]
        document = await _json(request)
        if not isinstance(document, dict):
            raise RestError(400, "The connector config patch must be a JSON object of keys and values (or null)")
        removed = [k for k, v in document.items() if v is None]
        patch: dict[str, str | None] = dict(rest_config_values({k: v for k, v in document.items() if v is not None}))
        patch.update(dict.fromkeys(removed))
        if "name" in patch and patch["name"] != name:
            raise RestError(400, f"Connector name configuration ({patch['name']}) doesn't match connector name "
                                 f"in the URL ({name})")
        return JSONResponse(await run_in_threadpool(herder.patch_config, name, patch))

    async def status(request: Request) -> Response:
        return JSONResponse(herder.status(request.path_params["name"]))

    async def tasks(request: Request) -> Response:
        return JSONResponse(herder.task_configs(request.path_params["name"]))

    async def task_status(request: Request) -> Response:
        return JSONResponse(herder.task_status(request.path_params["name"], request.path_params["task"]))

    async def restart(request: Request) -> Response:
        name = request.path_params["name"]
        include_tasks, only_failed = _flag(request, "includeTasks"), _flag(request, "onlyFailed")
        state = await run_in_threadpool(herder.restart, name, include_tasks, only_failed)
        if not include_tasks and not only_failed:
            return Response(status_code=204)
        return JSONResponse(state, status_code=202)

    async def restart_task(request: Request) -> Response:
        await run_in_threadpool(herder.restart_task, request.path_params["name"], request.path_params["task"])
        return Response(status_code=204)

    async def pause(request: Request) -> Response:
        await run_in_threadpool(herder.pause, request.path_params["name"])
        return Response(status_code=202)

    async def resume(request: Request) -> Response:
        await run_in_threadpool(herder.resume, request.path_params["name"])
        return Response(status_code=202)

    async def stop(request: Request) -> Response:
        await run_in_threadpool(herder.stop, request.path_params["name"])
        return Response(status_code=204)

    async def delete(request: Request) -> Response:
        await run_in_threadpool(herder.delete, request.path_params["name"])
        return Response(status_code=204)

    async def get_offsets(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(herder.offsets, request.path_params["name"]))

    async def alter_offsets(request: Request) -> Response:
        name = request.path_params["name"]
        herder.info(name)  # 404 before looking at the body
        body = await _json(request, keep_numbers=False)
        return JSONResponse(await run_in_threadpool(herder.alter_offsets, name, body))

    async def reset_offsets(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(herder.reset_offsets, request.path_params["name"]))

    async def topics(request: Request) -> Response:
        return JSONResponse(herder.topics(request.path_params["name"]))

    async def reset_topics(request: Request) -> Response:
        herder.reset_topics(request.path_params["name"])
        return Response(status_code=202)

    async def plugins(request: Request) -> Response:
        only = request.query_params.get("connectorsOnly", "true").strip().lower() != "false"
        return JSONResponse(connector_plugins(only))

    async def plugin_keys(request: Request) -> Response:
        plugin = request.path_params["plugin"]
        cls = find_connector(plugin)
        if cls is None:
            raise RestError(404, f"Unknown plugin {plugin}.")
        return JSONResponse(plugin_config(cls))

    async def validate(request: Request) -> Response:
        plugin = request.path_params["plugin"]
        document = await _json(request)
        if not isinstance(document, dict):
            raise RestError(400, "The connector config must be a JSON object of keys and values")
        config = rest_config_values(document)
        cls = find_connector(plugin)
        if cls is None:
            raise RestError(400, f"Unknown connector plugin {plugin}: one of "
                                 f"{', '.join(p['class'] for p in connector_plugins())}")
        given = config.get("connector.class")
        if given is None:
            config["connector.class"] = plugin
        else:
            try:
                same = connector_class(given) is cls
            except UnknownConnectorClass:
                same = False
            if not same:
                raise RestError(400, f"Included connector type {given} does not match request type {plugin}")
        _spec, issues = await run_in_threadpool(check_connector, config, herder.settings.worker)
        return JSONResponse(config_infos(cls, config, issues, herder.settings.worker))

    async def loggers(request: Request) -> Response:
        return JSONResponse(_loggers())

    async def get_logger(request: Request) -> Response:
        name = request.path_params["logger"]
        if name != "root" and name not in logging.Logger.manager.loggerDict:
            raise RestError(404, f"Logger {name} not found.")
        logger = logging.getLogger() if name == "root" else logging.getLogger(name)
        return JSONResponse(_logger_level(name, logger))

    async def set_logger(request: Request) -> Response:
        name = request.path_params["logger"]
        body = await _json(request, keep_numbers=False)
        level = body.get("level") if isinstance(body, dict) else None
        if level is None:
            raise RestError(400, "Desired 'level' parameter was not specified in request.")
        if not isinstance(level, str) or _python_level(level) is None:
            raise RestError(404, f"invalid log level '{level}'.")  # Kafka Connect's status and words
        scope = request.query_params.get("scope", "worker").strip().lower()
        changed = _set_level(name, level.strip().upper())
        if scope == "cluster":
            return Response(status_code=204)
        return JSONResponse(changed)

    metrics = metrics_registry(herder_views(herder))

    async def prometheus(request: Request) -> Response:
        return Response(await run_in_threadpool(render, metrics), media_type=METRICS_CONTENT_TYPE)

    routes: list[Route] = []

    def add(path: str, handler: Handler, *methods: str) -> None:
        endpoint = _guarded(handler)
        routes.append(Route(path, endpoint, methods=list(methods)))
        if path != "/":
            routes.append(Route(path + "/", endpoint, methods=list(methods)))

    add("/", root, "GET")
    add("/health", health, "GET")
    add("/connectors", list_connectors, "GET")
    add("/connectors", create, "POST")
    add("/connectors/{name}", get_connector, "GET")
    add("/connectors/{name}", delete, "DELETE")
    add("/connectors/{name}/config", get_config, "GET")
    add("/connectors/{name}/config", put_config, "PUT")
    add("/connectors/{name}/config", patch_config, "PATCH")
    add("/connectors/{name}/status", status, "GET")
    add("/connectors/{name}/tasks", tasks, "GET")
    add("/connectors/{name}/tasks/{task:int}/status", task_status, "GET")
    add("/connectors/{name}/tasks/{task:int}/restart", restart_task, "POST")
    add("/connectors/{name}/restart", restart, "POST")
    add("/connectors/{name}/pause", pause, "PUT")
    add("/connectors/{name}/resume", resume, "PUT")
    add("/connectors/{name}/stop", stop, "PUT")
    add("/connectors/{name}/offsets", get_offsets, "GET")
    add("/connectors/{name}/offsets", alter_offsets, "PATCH")
    add("/connectors/{name}/offsets", reset_offsets, "DELETE")
    add("/connectors/{name}/topics", topics, "GET")
    add("/connectors/{name}/topics/reset", reset_topics, "PUT")
    add("/connector-plugins", plugins, "GET")
    add("/connector-plugins/{plugin}/config", plugin_keys, "GET")
    add("/connector-plugins/{plugin}/config/validate", validate, "PUT")
    add("/admin/loggers", loggers, "GET")
    add("/admin/loggers/{logger}", get_logger, "GET")
    add("/admin/loggers/{logger}", set_logger, "PUT")
    add("/metrics", prometheus, "GET")
    return Starlette(routes=_merge_methods(routes), exception_handlers=EXCEPTION_HANDLERS)


def _merge_methods(routes: list[Route]) -> list[Route]:
    """One route per path answering every method given for it (else the first route's 405 hides the others)."""
    by_path: dict[str, dict[str, Handler]] = {}
    for route in routes:
        methods = by_path.setdefault(route.path, {})
        for method in route.methods or ():
            if method != "HEAD":
                methods[method] = route.endpoint
    merged = []
    for path, endpoints in by_path.items():
        merged.append(Route(path, _dispatch(endpoints), methods=list(endpoints)))
    return merged


def _dispatch(endpoints: dict[str, Handler]) -> Handler:
    async def run(request: Request) -> Response:
        handler = endpoints.get(request.method) or endpoints["GET"]  # HEAD: as GET
        return await handler(request)

    return run


def _check_name(name: str, config: dict[str, str]) -> None:
    """Kafka Connect's check: a `name` in the config must be the connector's; else it is set to it."""
    given = config.get("name")
    if given is not None and given != name:
        raise RestError(400, f"Connector name configuration ({given}) doesn't match connector name in the URL "
                             f"({name})")
    config["name"] = name


TRACE = logging.DEBUG - 5
"""Log4j's TRACE, below DEBUG (Python has no such level: `logging` shows it as TRACE once named)."""
logging.addLevelName(TRACE, "TRACE")

_JAVA_LEVELS = {"TRACE": TRACE, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING,
                "WARNING": logging.WARNING, "ERROR": logging.ERROR, "FATAL": logging.CRITICAL,
                "CRITICAL": logging.CRITICAL, "OFF": logging.CRITICAL + 10}


def _python_level(level: str) -> int | None:
    return _JAVA_LEVELS.get(level.strip().upper())


def _java_level(level: int) -> str:
    return {TRACE: "TRACE", logging.DEBUG: "DEBUG", logging.INFO: "INFO", logging.WARNING: "WARN", logging.ERROR: "ERROR",
            logging.CRITICAL: "FATAL", logging.CRITICAL + 10: "OFF"}.get(level, logging.getLevelName(level))


_MODIFIED: dict[str, int] = {}
"""When each logger's level was last set through the API (ms since the epoch), as Kafka Connect shows it."""


def _logger_level(name: str, logger: logging.Logger) -> dict[str, Any]:
    level = logger.level if logger.level != logging.NOTSET or name == "root" else logger.getEffectiveLevel()
    return {"level": _java_level(level), "last_modified": _MODIFIED.get(name)}


def _loggers() -> dict[str, dict[str, Any]]:
    """`GET /admin/loggers`: the root logger and every logger with a level of its own."""
    out = {"root": _logger_level("root", logging.getLogger())}
    for name, logger in sorted(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
            out[name] = _logger_level(name, logger)
    return out


def _set_level(name: str, java_level: str) -> list[str]:
    """Set the level of `name` and of its existing descendants; the names changed (in this worker process)."""
    level = _python_level(java_level) or logging.INFO
    now = int(time.time() * 1000)
    if name == "root":
        logging.getLogger().setLevel(level)
        _MODIFIED["root"] = now
        return ["root"]
    logging.getLogger(name).setLevel(level)
    changed = [name]
    for other, logger in sorted(logging.Logger.manager.loggerDict.items()):
        if other.startswith(name + ".") and isinstance(logger, logging.Logger):
            logger.setLevel(level)
            changed.append(other)
    _MODIFIED.update(dict.fromkeys(changed, now))
    return changed
