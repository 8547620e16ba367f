"""The REST API's security, from the worker file's keys, as Kafka Connect reads them.

**TLS** (`listeners=https://host:port`): the `listeners.https.ssl.*` keys, else the plain `ssl.*` keys, as
Kafka Connect's `RestServerConfig` reads them:

- `ssl.keystore.location`: the server's key and certificate chain. `ssl.keystore.type=PEM`: one PEM file
  holding the private key and the certificates (what Kafka's PEM keystores hold); `PKCS12` (Kafka's
  default for such files, also detected by content) is read with `cryptography`; `JKS` is refused with
  the `keytool` command that converts it to PKCS12.
- `ssl.key.password` (or `ssl.keystore.password`): the password of an encrypted PEM key or of the PKCS12 file.
- `ssl.truststore.location` (PEM) and `ssl.client.auth` (`none`, `requested`, `required`): client certificates.

**HTTP basic authentication**: `rest.extension.classes` naming Kafka Connect's
`org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension` turns it on; the users
file is the worker key `rest.basic.auth.users.file` (Kafka Connect takes it from the `file` option of its
JAAS `PropertyFileLoginModule`): a properties file of `user=password` lines. A request without valid
credentials gets Kafka Connect's answer, 401 `User cannot access the resource.` as `application/json`, no
`WWW-Authenticate` header (checked against connect-basic-auth-extension by
`tests/integration/test_rest_contract_auth.py`). Credentials are never logged, nor kept anywhere but in memory.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyconnect_flow.config.definition import ConfigException, ConfigIssue
from pyconnect_flow.config.properties import ConfigFileError, load_properties

log = logging.getLogger(__name__)

BASIC_AUTH_EXTENSION = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"
USERS_FILE_KEY = "rest.basic.auth.users.file"
UNAUTHORIZED_BODY = b"User cannot access the resource."


def _issue(key: str, message: str) -> ConfigException:
    return ConfigException("worker", [ConfigIssue(key, message)], what="worker")


# -- TLS --------------------------------------------------------------------------------------------------


@dataclass
class TlsSettings:
    """What uvicorn needs to serve TLS: PEM files and the client certificate policy."""

    certfile: str
    keyfile: str | None = None
    password: str | None = None
    ca_certs: str | None = None
    cert_reqs: int = ssl.CERT_NONE

    def uvicorn_options(self) -> dict[str, Any]:
        return {"ssl_certfile": self.certfile, "ssl_keyfile": self.keyfile, "ssl_keyfile_password": self.password,
                "ssl_ca_certs": self.ca_certs, "ssl_cert_reqs": self.cert_reqs}

    def context(self) -> ssl.SSLContext:
        """The server-side SSL context these settings make (to check them before serving)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certfile, self.keyfile, self.password)
        if self.ca_certs:
            context.load_verify_locations(self.ca_certs)
        context.verify_mode = ssl.VerifyMode(self.cert_reqs)
        return context


def _ssl_value(worker: Mapping[str, str], name: str) -> tuple[str, str | None]:
    """(the key it came from, its value) of `ssl.<name>`: `listeners.https.ssl.<name>` first."""
    for key in (f"listeners.https.ssl.{name}", f"ssl.{name}"):
        value = worker.get(key)
        if value is not None and value.strip():
            return key, value.strip()
    return f"listeners.https.ssl.{name}", None


def tls_settings(worker: Mapping[str, str]) -> TlsSettings:
    """The TLS settings of an https listener (ConfigException naming the key at fault)."""
    location_key, location = _ssl_value(worker, "keystore.location")
    if location is None:
        raise _issue(location_key, "an https:// listener needs a keystore: the server's key and certificate "
                                   "(a PEM file with ssl.keystore.type=PEM, or a PKCS12 file)")
    path = Path(location)
    if not path.is_file():
        raise _issue(location_key, f"no such file: {location}")
    _k, kind = _ssl_value(worker, "keystore.type")
    _k, key_password = _ssl_value(worker, "key.password")
    _k, store_password = _ssl_value(worker, "keystore.password")
    data = path.read_bytes()
    kind = (kind or ("PEM" if b"-----BEGIN" in data else "PKCS12")).upper()
    if kind == "JKS":
        raise _issue(location_key, "JKS keystores cannot be read here: convert it with `keytool -importkeystore "
                                   f"-srckeystore {location} -destkeystore server.p12 -deststoretype PKCS12` "
                                   "(or use PEM files, ssl.keystore.type=PEM)")
    if kind == "PEM":
        settings = TlsSettings(str(path), None, key_password or store_password)
    elif kind == "PKCS12":
        settings = TlsSettings(_pkcs12_to_pem(data, store_password or key_password, location_key))
    else:
        raise _issue("listeners.https.ssl.keystore.type", f"{kind!r} is not one of PEM, PKCS12")
    _k, truststore = _ssl_value(worker, "truststore.location")
    client_key, client_auth = _ssl_value(worker, "client.auth")
    modes = {"none": ssl.CERT_NONE, "requested": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}
    mode = (client_auth or "none").lower()
    if mode not in modes:
        raise _issue(client_key, f"{client_auth!r} is not one of none, requested, required")
    settings.cert_reqs = modes[mode]
    if truststore:
        settings.ca_certs = truststore
    elif settings.cert_reqs != ssl.CERT_NONE:
        raise _issue("listeners.https.ssl.truststore.location", "client authentication needs a truststore (PEM)")
    try:
        settings.context()
    except (ssl.SSLError, OSError) as exc:
        raise _issue(location_key, f"cannot serve TLS with {location}: {exc}") from None
    return settings


def _pkcs12_to_pem(data: bytes, password: str | None, key: str) -> str:
    """The key and certificates of a PKCS12 keystore as one PEM file only this user can read."""
    try:
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12
    except ImportError:
        raise _issue(key, "a PKCS12 keystore needs the cryptography package (or use PEM files)") from None
    try:
        private_key, certificate, extra = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None)
    except ValueError as exc:
        raise _issue(key, f"cannot read the PKCS12 keystore (wrong ssl.keystore.password?): {exc}") from None
    if private_key is None or certificate is None:
        raise _issue(key, "the PKCS12 keystore holds no private key with its certificate")
    pem = private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    pem += certificate.public_bytes(Encoding.PEM) + b"".join(c.public_bytes(Encoding.PEM) for c in extra or ())
    fd, name = tempfile.mkstemp(prefix="pyconnect-flow-rest-", suffix=".pem")  # mode 0600
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    import atexit

    atexit.register(lambda: Path(name).unlink(missing_ok=True))
    return name


# -- basic authentication --------------------------------------------------------------------------------


def basic_auth_users(worker: Mapping[str, str]) -> dict[str, str] | None:
    """The users and passwords when `rest.extension.classes` asks for basic authentication, else None."""
    extensions = [e.strip() for e in worker.get("rest.extension.classes", "").split(",") if e.strip()]
    unknown = [e for e in extensions if e != BASIC_AUTH_EXTENSION]
    if unknown:
        raise _issue("rest.extension.classes", f"unknown REST extension(s) {', '.join(unknown)}: only "
                                               f"{BASIC_AUTH_EXTENSION} is available")
    if not extensions:
        return None
    location = (worker.get(USERS_FILE_KEY) or "").strip()
    if not location:
        raise _issue(USERS_FILE_KEY, "BasicAuthSecurityRestExtension needs the users file (user=password lines)")
    try:
        users = load_properties(location)
    except (OSError, ConfigFileError) as exc:
        raise _issue(USERS_FILE_KEY, f"cannot read {location}: {exc}") from None
    if not users:
        raise _issue(USERS_FILE_KEY, f"{location} names no user")
    return users


class BasicAuthMiddleware:
    """ASGI middleware: every HTTP request needs `Authorization: Basic` credentials of one of `users`."""

    def __init__(self, app: Any, users: Mapping[str, str]) -> None:
        self.app = app
        self._users = {u.encode("utf-8"): p.encode("utf-8") for u, p in users.items()}

    def allowed(self, header: bytes | None) -> bool:
        if not header or not header[:6].lower() == b"basic ":
            return False
        try:
            user, sep, password = base64.b64decode(header[6:].strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        expected = self._users.get(user)
        # compare_digest on both branches: the time taken says nothing about which users exist.
        return bool(sep) and hmac.compare_digest(password, expected if expected is not None else b"\0" + password)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or ()).get(b"authorization")
        if self.allowed(header):
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 401,
                    # Kafka Connect's content type for this plain text (Jersey's JSON provider writes it).
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(UNAUTHORIZED_BODY)).encode())]})
        await send({"type": "http.response.body", "body": UNAUTHORIZED_BODY})
