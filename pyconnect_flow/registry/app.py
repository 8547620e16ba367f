"""Confluent Schema Registry's REST API (the part serializers, converters and common tools call), on Starlette.

    POST /subjects/{s}/versions        register (an identical schema keeps its id and version)
    POST /subjects/{s}                 look a schema up: its id and version under the subject
    GET  /schemas/ids/{id}             a schema by id (also /schemas/ids/{id}/subjects, /versions)
    GET  /subjects, /subjects/{s}/versions, /subjects/{s}/versions/{v|latest}[/schema|/referencedby]
    DELETE /subjects/{s}[/versions/{v}][?permanent=true]   soft, then permanent deletes
    GET/PUT /config, /config/{s}       compatibility levels
    POST /compatibility/subjects/{s}/versions/{v}

Schemas may carry `references` (name, subject, version): each must name a registered version (42201
otherwise); they are stored with the schema, part of its identity, and given back wherever the schema is.
Errors are Confluent's `{"error_code": 40401, "message": ...}`.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pyconnect_flow.registry.compatibility import incompatibility
from pyconnect_flow.registry.proto_text import ProtoTextError, is_serialized, serialized
from pyconnect_flow.registry.store import Reference, RegistryHttpError, SchemaStore, SchemaVersion, references_of

MEDIA = "application/vnd.schemaregistry.v1+json"


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status_code=status, media_type=MEDIA)


def _version_body(v: SchemaVersion) -> dict[str, Any]:
    body: dict[str, Any] = {"subject": v.subject, "version": v.version, "id": v.schema_id, "schema": v.schema}
    if v.schema_type != "AVRO":
        body["schemaType"] = v.schema_type
    if v.references:
        body["references"] = [r.as_json() for r in v.references]
    return body


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise RegistryHttpError(400, 400, "Unexpected character in the request body") from None
    if not isinstance(body, dict):
        raise RegistryHttpError(422, 422, "The request body must be a JSON object")
    return body


def _flag(request: Request, name: str) -> bool:
    """A boolean query parameter (`?deleted=true`)."""
    return request.query_params.get(name, "false").strip().lower() == "true"


def _formatted(request: Request, store: SchemaStore, schema_type: str, text: str,
               references: tuple[Reference, ...]) -> str:
    """A schema as asked: `?format=serialized` of a Protobuf schema registered as `.proto` text is its base64
    `FileDescriptorProto` (compiled with its references), as Confluent's registry serves it."""
    if schema_type != "PROTOBUF" or request.query_params.get("format") != "serialized" or is_serialized(text):
        return text
    try:
        return serialized(text, {name: v.schema for name, v in store.resolve(references).items()})
    except ProtoTextError as exc:
        raise RegistryHttpError(422, 42201, f"Invalid schema: {exc}") from None


def create_app(store: SchemaStore) -> Starlette:
    """The registry's API over `store`."""

    async def root(request: Request) -> Response:
        return _json({})

    async def subjects(request: Request) -> Response:
        if _flag(request, "deleted"):  # soft-deleted subjects too
            return _json(sorted(s for s, versions in store.subjects.items() if versions))
        return _json(sorted(s for s in store.subjects if store.live(s)))

    async def register(request: Request) -> Response:
        body = await _body(request)
        if "schema" not in body:
            raise RegistryHttpError(422, 42201, "Empty schema")
        schema_id = store.register(request.path_params["subject"], body["schema"], body.get("schemaType", "AVRO"),
                                   references_of(body.get("references")))
        return _json({"id": schema_id})

    async def lookup(request: Request) -> Response:
        body = await _body(request)
        return _json(_version_body(store.lookup(request.path_params["subject"], body.get("schema", ""),
                                                body.get("schemaType", "AVRO"),
                                                references_of(body.get("references")))))

    async def versions(request: Request) -> Response:
        return _json([v.version for v in store.versions(request.path_params["subject"], _flag(request, "deleted"))])

    async def version(request: Request) -> Response:
        v = store.version(request.path_params["subject"], request.path_params["version"])
        body = _version_body(v)
        body["schema"] = _formatted(request, store, v.schema_type, v.schema, v.references)
        return _json(body)

    def _permanent(request: Request) -> bool:
        return request.query_params.get("permanent", "false").lower() == "true"

    async def delete_version(request: Request) -> Response:
        return _json(store.delete_version(request.path_params["subject"], request.path_params["version"],
                                          _permanent(request)))

    async def delete_subject(request: Request) -> Response:
        return _json(store.delete_subject(request.path_params["subject"], _permanent(request)))

    async def referenced_by(request: Request) -> Response:
        return _json(store.referenced_by(request.path_params["subject"], request.path_params["version"]))

    async def version_schema(request: Request) -> Response:
        v = store.version(request.path_params["subject"], request.path_params["version"])
        return Response(v.schema, media_type=MEDIA)

    async def schema_by_id(request: Request) -> Response:
        schema_id = int(request.path_params["id"])
        text = store.schema(schema_id)
        body: dict[str, Any] = {"schema": text}
        schema_type = store.types.get(schema_id, "AVRO")
        if schema_type != "AVRO":
            body["schemaType"] = schema_type
        if store.refs.get(schema_id):
            body["references"] = [r.as_json() for r in store.refs[schema_id]]
        body["schema"] = _formatted(request, store, schema_type, text, store.refs.get(schema_id, ()))
        return _json(body)

    async def id_versions(request: Request) -> Response:
        schema_id = int(request.path_params["id"])
        store.schema(schema_id)
        return _json([{"subject": v.subject, "version": v.version}
                      for s in store.subjects for v in store.live(s) if v.schema_id == schema_id])

    async def id_subjects(request: Request) -> Response:
        schema_id = int(request.path_params["id"])
        store.schema(schema_id)
        return _json(sorted({v.subject for s in store.subjects for v in store.live(s) if v.schema_id == schema_id}))

    async def get_config(request: Request) -> Response:
        subject = request.path_params.get("subject")
        if subject is not None and subject not in store.subject_compatibility:
            if request.query_params.get("defaultToGlobal", "false").lower() != "true":
                raise RegistryHttpError(404, 40408, f"Subject '{subject}' does not have subject-level "
                                        "compatibility configured")
        return _json({"compatibilityLevel": store.level(subject)})

    async def put_config(request: Request) -> Response:
        body = await _body(request)
        level = str(body.get("compatibility", body.get("compatibilityLevel", ""))).upper()
        store.set_level(request.path_params.get("subject"), level)
        return _json({"compatibility": level})

    async def compatibility(request: Request) -> Response:
        body = await _body(request)
        subject = request.path_params["subject"]
        old = store.version(subject, request.path_params["version"])
        references = references_of(body.get("references"))
        problem = incompatibility(store.level(subject), body.get("schema", ""), [old], body.get("schemaType", "AVRO"),
                                  store.resolve(references), store.resolve)
        result: dict[str, Any] = {"is_compatible": problem is None}
        if problem and request.query_params.get("verbose") == "true":
            result["messages"] = [problem]
        return _json(result)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RegistryHttpError)
        return JSONResponse({"error_code": exc.error_code, "message": exc.message}, status_code=exc.status,
                            media_type=MEDIA)

    routes = [
        Route("/", root),
        Route("/subjects", subjects),
        Route("/subjects/{subject}", lookup, methods=["POST"]),
        Route("/subjects/{subject}", delete_subject, methods=["DELETE"]),
        Route("/subjects/{subject}/versions", register, methods=["POST"]),
        Route("/subjects/{subject}/versions", versions, methods=["GET"]),
        Route("/subjects/{subject}/versions/{version}", version, methods=["GET"]),
        Route("/subjects/{subject}/versions/{version}", delete_version, methods=["DELETE"]),
        Route("/subjects/{subject}/versions/{version}/schema", version_schema),
        Route("/subjects/{subject}/versions/{version}/referencedby", referenced_by),
        Route("/schemas/ids/{id:int}", schema_by_id),
        Route("/schemas/ids/{id:int}/versions", id_versions),
        Route("/schemas/ids/{id:int}/subjects", id_subjects),
        Route("/config", get_config, methods=["GET"]),
        Route("/config", put_config, methods=["PUT"]),
        Route("/config/{subject}", get_config, methods=["GET"]),
        Route("/config/{subject}", put_config, methods=["PUT"]),
        Route("/compatibility/subjects/{subject}/versions/{version}", compatibility, methods=["POST"]),
    ]
    return Starlette(routes=routes, exception_handlers={RegistryHttpError: http_error})


__all__ = ["create_app"]
