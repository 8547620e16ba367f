"""The REST API's TLS settings and HTTP basic authentication (`pyconnect_flow.rest.security`)."""

from __future__ import annotations

import base64
import ssl
import warnings
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette 1.x asks for httpx2 for its test client; httpx works
    from starlette.testclient import TestClient

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.rest.security import (
    BASIC_AUTH_EXTENSION,
    BasicAuthMiddleware,
    basic_auth_users,
    tls_settings,
)
from tests.integration.es_helpers import self_signed_certificate


def _app(users: dict[str, str]) -> TestClient:
    async def root(request: object) -> JSONResponse:
        return JSONResponse({"version": "x"})

    return TestClient(BasicAuthMiddleware(Starlette(routes=[Route("/", root)]), users))


def test_basic_auth_lets_in_known_users_only_with_kafka_connects_401() -> None:
    client = _app({"alice": "s3cret", "bob": "pw:with:colons"})
    assert client.get("/", auth=("alice", "s3cret")).json() == {"version": "x"}
    assert client.get("/", auth=("bob", "pw:with:colons")).status_code == 200
    for auth in (None, ("alice", "wrong"), ("nobody", "s3cret"), ("alice", "")):
        refused = client.get("/", auth=auth)
        assert refused.status_code == 401, auth
        assert refused.text == "User cannot access the resource."
    for header in ("Bearer abc", "Basic !!!", "Basic " + base64.b64encode(b"alice").decode()):
        assert client.get("/", headers={"Authorization": header}).status_code == 401


def test_basic_auth_is_on_only_with_kafka_connects_extension_and_needs_a_users_file(tmp_path: Path) -> None:
    users = tmp_path / "users.properties"
    users.write_text("# users\nalice=s3cret\nbob: other\n")
    assert basic_auth_users({}) is None
    assert basic_auth_users({"rest.extension.classes": BASIC_AUTH_EXTENSION,
                             "rest.basic.auth.users.file": str(users)}) == {"alice": "s3cret", "bob": "other"}
    with pytest.raises(ConfigException, match="rest.basic.auth.users.file"):
        basic_auth_users({"rest.extension.classes": BASIC_AUTH_EXTENSION})
    with pytest.raises(ConfigException, match="rest.basic.auth.users.file"):
        basic_auth_users({"rest.extension.classes": BASIC_AUTH_EXTENSION,
                          "rest.basic.auth.users.file": str(tmp_path / "missing")})
    with pytest.raises(ConfigException, match="com.example.Other"):
        basic_auth_users({"rest.extension.classes": "com.example.Other"})


def test_tls_from_a_pem_keystore_a_pkcs12_keystore_or_separate_files(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    cert, key = self_signed_certificate(tmp_path)
    pem = tmp_path / "server.pem"
    pem.write_bytes(key.read_bytes() + cert.read_bytes())
    settings = tls_settings({"listeners.https.ssl.keystore.type": "PEM",
                             "listeners.https.ssl.keystore.location": str(pem)})
    assert settings.certfile == str(pem) and settings.cert_reqs == ssl.CERT_NONE
    # the plain ssl.* keys apply when the listener's are absent; the type is read from the content
    assert tls_settings({"ssl.keystore.location": str(pem)}).certfile == str(pem)

    p12 = tmp_path / "server.p12"
    private = serialization.load_pem_private_key(key.read_bytes(), None)
    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"rest", private, certificate, None,  # type: ignore[arg-type]
                                                          BestAvailableEncryption(b"changeit")))
    converted = tls_settings({"listeners.https.ssl.keystore.location": str(p12),
                              "listeners.https.ssl.keystore.password": "changeit"})
    assert Path(converted.certfile).stat().st_mode & 0o077 == 0
    with pytest.raises(ConfigException, match="PKCS12"):
        tls_settings({"listeners.https.ssl.keystore.location": str(p12),
                      "listeners.https.ssl.keystore.password": "wrong"})
    with pytest.raises(ConfigException, match="keytool"):
        tls_settings({"listeners.https.ssl.keystore.location": str(p12), "ssl.keystore.type": "JKS"})
    with pytest.raises(ConfigException, match="keystore"):
        tls_settings({})
    required = tls_settings({"ssl.keystore.location": str(pem), "ssl.client.auth": "required",
                             "ssl.truststore.location": str(cert)})
    assert required.cert_reqs == ssl.CERT_REQUIRED and required.ca_certs == str(cert)
    with pytest.raises(ConfigException, match="truststore"):
        tls_settings({"ssl.keystore.location": str(pem), "ssl.client.auth": "required"})
