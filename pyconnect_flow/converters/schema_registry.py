"""A Confluent Schema Registry client for the converters: sync HTTP, cached, secret-safe.

    client = RegistryClient(["http://registry:8081"], user_info="user:secret")
    schema_id = client.register("orders-value", schema_text)      # POST /subjects/{s}/versions
    client.schema_by_id(schema_id)                                 # GET /schemas/ids/{id}, cached
    client.latest("orders-value")                                  # GET /subjects/{s}/versions/latest
    client.lookup("orders-value", schema_text)                     # POST /subjects/{s}: id and version

One request per schema id and per (subject, schema) for the life of the client; several URLs are
tried in turn. `basic.auth.user.info` is sent as an Authorization header and never appears in an
error or a log line. Subject name strategies are Confluent's (`TopicNameStrategy`, ...).
"""

from __future__ import annotations

import base64
import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.errors import RetriableError


class RegistryError(DataException):
    """An answer of the registry that is an error: `status` (HTTP) and `error_code` (Confluent's)."""

    def __init__(self, message: str, status: int = 0, error_code: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class RegistryUnavailable(RetriableError):
    """The registry could not be reached or answered 5xx: retriable (errors.retry.timeout), never a bad record."""

    def __init__(self, message: str, status: int = 0, error_code: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


@dataclass(frozen=True)
class RegisteredSchema:
    """A schema as the registry knows it under a subject."""

    schema_id: int
    subject: str
    version: int
    schema: str


class RegistryClient:
    """Talks to one registry (several URLs, tried in turn), remembering every answer it can."""

    def __init__(self, urls: Sequence[str], *, user_info: str | None = None, timeout: float = 30.0,
                 retries: int = 3, retry_backoff: float = 0.2) -> None:
        self.urls = [u.strip().rstrip("/") for u in urls if u.strip()]
        if not self.urls:
            raise ValueError("schema.registry.url is empty")
        self._headers = {"Accept": "application/vnd.schemaregistry.v1+json, application/json",
                         "Content-Type": "application/vnd.schemaregistry.v1+json"}
        if user_info:
            self._headers["Authorization"] = "Basic " + base64.b64encode(user_info.encode()).decode()
        self.timeout = timeout
        self.retries = retries
        self.retry_backoff = retry_backoff
        self._by_id: dict[int, str] = {}
        self._refs: dict[int, list[dict[str, Any]]] = {}
        self._ids: dict[tuple[str, str], int] = {}
        self._versions: dict[tuple[str, str], RegisteredSchema] = {}
        self._subject_versions: dict[tuple[str, int, bool], tuple[str, list[dict[str, Any]]]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_by_id": {}, "_refs": {}, "_ids": {}, "_versions": {}, "_subject_versions": {}}

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        last: RegistryUnavailable | None = None
        for attempt in range(self.retries + 1):
            start = random.randrange(len(self.urls))
            for i in range(len(self.urls)):
                url = self.urls[(start + i) % len(self.urls)] + path
                request = urllib.request.Request(url, data=data, method=method, headers=self._headers)
                try:
                    with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                        return json.loads(answer.read() or b"null")
                except urllib.error.HTTPError as exc:
                    try:
                        payload = json.loads(exc.read() or b"{}")
                    except ValueError:
                        payload = {}
                    code = payload.get("error_code", exc.code) if isinstance(payload, dict) else exc.code
                    message = payload.get("message", exc.reason) if isinstance(payload, dict) else exc.reason
                    if exc.code >= 500:
                        last = RegistryUnavailable(f"Schema Registry {_safe(url)} answered {exc.code}: {message}",
                                                   exc.code, code)
                        continue
                    raise RegistryError(f"Schema Registry {_safe(url)}: {message} (error code {code})",
                                        exc.code, code) from None
                except (urllib.error.URLError, OSError, TimeoutError) as exc:
                    reason = getattr(exc, "reason", exc)
                    last = RegistryUnavailable(f"Schema Registry {_safe(url)} unreachable: {reason}")
            if attempt < self.retries:
                time.sleep(self.retry_backoff * (2 ** attempt))
        assert last is not None
        raise last

    # ------------------------------------------------------------------ calls

    def schema_by_id(self, schema_id: int, *, serialized: bool = False) -> str:
        """The schema text of an id (GET /schemas/ids/{id}), asked once.

        `serialized=True` asks for Protobuf schemas as base64 `FileDescriptorProto`s (`?format=serialized`).
        """
        key = -schema_id - 1 if serialized else schema_id
        text = self._by_id.get(key)
        if text is None:
            answer = self._request("GET", f"/schemas/ids/{schema_id}" + ("?format=serialized" if serialized else ""))
            text = answer["schema"]
            self._by_id[key] = text
            self._refs[key] = list(answer.get("references") or ())
        return text

    def references(self, schema_id: int, *, serialized: bool = False) -> list[dict[str, Any]]:
        """The `references` (name, subject, version) of an id's schema; [] when it has none."""
        self.schema_by_id(schema_id, serialized=serialized)
        return self._refs.get(-schema_id - 1 if serialized else schema_id, [])

    def subject_version(self, subject: str, version: int, *, serialized: bool = False) -> tuple[str, list[dict[str, Any]]]:
        """Schema text and references of a subject's version (GET /subjects/{s}/versions/{v}), asked once:
        how a reference is resolved."""
        key = (subject, version, serialized)
        found = self._subject_versions.get(key)
        if found is None:
            answer = self._request("GET", f"/subjects/{_quote(subject)}/versions/{version}"
                                   + ("?format=serialized" if serialized else ""))
            found = (answer["schema"], list(answer.get("references") or ()))
            self._subject_versions[key] = found
        return found

    def register(self, subject: str, schema: str, schema_type: str = "AVRO") -> int:
        """The id of `schema` under `subject`, registering it (POST /subjects/{s}/versions) the first time.

        `schema_type` is the registry's `schemaType` (AVRO, JSON, PROTOBUF).
        """
        key = (subject, schema)
        schema_id = self._ids.get(key)
        if schema_id is None:
            answer = self._request("POST", f"/subjects/{_quote(subject)}/versions", _body(schema, schema_type))
            schema_id = int(answer["id"])
            self._ids[key] = schema_id
            self._by_id.setdefault(schema_id, schema)
        return schema_id

    def lookup(self, subject: str, schema: str, schema_type: str = "AVRO",
               references: Sequence[Mapping[str, Any]] = ()) -> RegisteredSchema:
        """Id and version of `schema` (with its `references`) under `subject` (POST /subjects/{s}), asked once."""
        key = (subject, schema)
        found = self._versions.get(key)
        if found is None:
            body: dict[str, Any] = _body(schema, schema_type)
            if references:
                body["references"] = [dict(r) for r in references]
            answer = self._request("POST", f"/subjects/{_quote(subject)}", body)
            found = RegisteredSchema(int(answer["id"]), answer.get("subject", subject), int(answer["version"]),
                                     answer.get("schema", schema))
            self._versions[key] = found
            self._ids[key] = found.schema_id
        return found

    def latest(self, subject: str) -> RegisteredSchema:
        """The latest version under `subject` (GET /subjects/{s}/versions/latest); never cached."""
        answer = self._request("GET", f"/subjects/{_quote(subject)}/versions/latest")
        found = RegisteredSchema(int(answer["id"]), answer["subject"], int(answer["version"]), answer["schema"])
        self._by_id.setdefault(found.schema_id, found.schema)
        return found


def _body(schema: str, schema_type: str) -> dict[str, str]:
    return {"schema": schema} if schema_type == "AVRO" else {"schemaType": schema_type, "schema": schema}


def client_from_settings(values: Mapping[str, Any], converter: str) -> RegistryClient:
    """The client a converter's checked settings describe (`schema.registry.url`, `basic.auth.*`).

    ConfigException when `basic.auth.credentials.source=USER_INFO` comes without `basic.auth.user.info`.
    """
    secret = values.get("basic.auth.user.info")
    user_info = secret.value if secret is not None and hasattr(secret, "value") else (secret or "")
    use_user_info = values.get("basic.auth.credentials.source", "URL") == "USER_INFO"
    if use_user_info and not user_info:
        from pyconnect_flow.config.definition import ConfigException, ConfigIssue

        raise ConfigException(converter, [ConfigIssue(
            "basic.auth.user.info", "must be set when basic.auth.credentials.source=USER_INFO")], what="converter")
    return RegistryClient(values["schema.registry.url"], user_info=user_info if use_user_info else None)


def _quote(subject: str) -> str:
    return urllib.parse.quote(subject, safe="")


def _safe(url: str) -> str:
    """A URL without user info, for messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


# ----------------------------------------------------------------------------- subject names

SubjectNameStrategy = Callable[[str, bool, "str | None"], str]
"""(topic, is_key, record full name or None) → subject."""


def topic_name_strategy(topic: str, is_key: bool, record_name: str | None) -> str:
    """`<topic>-key` / `<topic>-value` (Confluent's default)."""
    return f"{topic}-{'key' if is_key else 'value'}"


def record_name_strategy(topic: str, is_key: bool, record_name: str | None) -> str:
    """The record's full name; only records have one."""
    if record_name is None:
        raise DataException("In configuration value.subject.name.strategy = RecordNameStrategy, the message "
                            "value must only be a record schema")
    return record_name


def topic_record_name_strategy(topic: str, is_key: bool, record_name: str | None) -> str:
    """`<topic>-<record full name>`."""
    return f"{topic}-{record_name_strategy(topic, is_key, record_name)}"


SUBJECT_NAME_STRATEGIES: dict[str, SubjectNameStrategy] = {
    "io.confluent.kafka.serializers.subject.TopicNameStrategy": topic_name_strategy,
    "io.confluent.kafka.serializers.subject.RecordNameStrategy": record_name_strategy,
    "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy": topic_record_name_strategy,
}


def subject_name_strategy(name: str) -> SubjectNameStrategy:
    """The strategy of a Confluent class name (or its short name)."""
    for full, strategy in SUBJECT_NAME_STRATEGIES.items():
        if name in (full, full.rsplit(".", 1)[1]):
            return strategy
    raise ValueError(f"unknown subject name strategy {name!r}; known: {', '.join(SUBJECT_NAME_STRATEGIES)}")


__all__ = [
    "SUBJECT_NAME_STRATEGIES", "RegisteredSchema", "client_from_settings", "RegistryClient", "RegistryError", "RegistryUnavailable",
    "record_name_strategy", "subject_name_strategy", "topic_name_strategy", "topic_record_name_strategy",
]
