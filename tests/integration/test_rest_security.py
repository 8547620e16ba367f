"""A worker serving its REST API over TLS with HTTP basic authentication, as a Kafka Connect worker file
asks for it (`listeners=https://…`, `listeners.https.ssl.*`, `rest.extension.classes`)."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from pyconnect_flow.net import free_ports
from pyconnect_flow.rest.security import BASIC_AUTH_EXTENSION
from tests.integration.es_helpers import self_signed_certificate
from tests.integration.rest_helpers import RestWorker, rest_worker_file

pytestmark = pytest.mark.timeout(300)


def test_https_with_basic_authentication_never_shows_the_credentials(kafka, tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    keystore = tmp_path / "server.pem"
    keystore.write_bytes(key.read_bytes() + cert.read_bytes())
    users = tmp_path / "users.properties"
    users.write_text("admin=Sup3r-s3cret\n")
    worker = {"listeners.https.ssl.keystore.type": "PEM", "listeners.https.ssl.keystore.location": str(keystore),
              "rest.extension.classes": BASIC_AUTH_EXTENSION, "rest.basic.auth.users.file": str(users)}
    verify = ssl.create_default_context(cafile=str(cert))
    with RestWorker(tmp_path, kafka.bootstrap_servers, scheme="https", verify=verify,
                    auth=("admin", "Sup3r-s3cret"), worker=worker) as rest:
        assert rest.client.get("/").json()["version"]
        created = rest.client.post("/connectors", json={"name": "s", "config": {
            "connector.class": "FileStreamSink", "topics": "t", "file": str(tmp_path / "out.txt")},
            "initial_state": "STOPPED"})
        assert created.status_code == 201, created.text
        with httpx.Client(base_url=rest.url, verify=verify) as anonymous:
            refused = anonymous.get("/connectors")
            assert (refused.status_code, refused.text) == (401, "User cannot access the resource.")
            wrong = anonymous.get("/connectors", auth=("admin", "guess"))
            assert wrong.status_code == 401
        with pytest.raises(httpx.ConnectError):  # TLS only: a client that does not trust the certificate fails
            httpx.get(rest.url + "/")
        plain = httpx.Client(base_url=f"http://127.0.0.1:{rest.port}")
        with pytest.raises(httpx.HTTPError):
            plain.get("/")
        assert rest.client.delete("/connectors/s").status_code == 204
        code, log = rest.stop()
    assert code == 0, log
    assert "Sup3r-s3cret" not in log and "guess" not in log


def test_several_listeners_are_served_at_once(kafka, tmp_path: Path) -> None:
    """`listeners=http://…,https://…`: the same API on both, each with its own scheme."""
    cert, key = self_signed_certificate(tmp_path)
    keystore = tmp_path / "server.pem"
    keystore.write_bytes(key.read_bytes() + cert.read_bytes())
    verify = ssl.create_default_context(cafile=str(cert))
    https_port = free_ports(1)[0]
    worker = {"listeners.https.ssl.keystore.type": "PEM", "listeners.https.ssl.keystore.location": str(keystore)}
    rest = RestWorker(tmp_path, kafka.bootstrap_servers, worker=worker)
    worker["listeners"] = f"http://127.0.0.1:{rest.port},https://127.0.0.1:{https_port}"
    rest_worker_file(tmp_path, kafka.bootstrap_servers, rest.port, keys=worker)
    with rest, httpx.Client(base_url=f"https://127.0.0.1:{https_port}", verify=verify) as secure:
        created = rest.client.post("/connectors", json={"name": "s", "config": {
            "connector.class": "FileStreamSink", "topics": "t", "file": str(tmp_path / "out.txt")},
            "initial_state": "STOPPED"})
        assert created.status_code == 201, created.text
        assert secure.get("/connectors").json() == ["s"]
        assert secure.get("/connectors/s/status").json() == rest.client.get("/connectors/s/status").json()
        # The worker id names the first listener, as Kafka Connect's advertised URL does.
        assert rest.client.get("/connectors/s/status").json()["connector"]["worker_id"] == f"127.0.0.1:{rest.port}"
        with pytest.raises(httpx.HTTPError):  # the https listener speaks TLS only
            httpx.get(f"http://127.0.0.1:{https_port}/")
        assert secure.delete("/connectors/s").status_code == 204
        assert rest.client.get("/connectors").json() == []
        code, log = rest.stop()
    assert code == 0, log
