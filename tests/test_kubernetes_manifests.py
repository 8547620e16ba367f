"""The Kubernetes manifests in deploy/kubernetes and the image in deploy/Dockerfile: every document parses, the
workers' command is a real subcommand (its ``--help`` runs), the ConfigMap's worker file passes the worker's
own validation with the environment the pods have, probes and Services reach the container's port and pods,
and the Dockerfile builds and installs this package."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import warnings
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from pyconnect_flow.config import load_worker_config
from pyconnect_flow.engine.spec import validate_worker, worker_file_issues
from pyconnect_flow.runtime.worker import parse_listeners

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette 1.x asks for httpx2 for its test client; httpx works
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ROOT / "deploy" / "kubernetes"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"

#: The apiVersion of each kind the manifests may hold.
API_VERSIONS = {
    "ConfigMap": "v1",
    "Service": "v1",
    "StatefulSet": "apps/v1",
    "PodDisruptionBudget": "policy/v1",
    "Kustomization": "kustomize.config.k8s.io/v1beta1",
}

#: Stand-ins for the values Kubernetes puts in a pod's environment from its own fields (``fieldRef``).
POD_FIELDS = {"metadata.name": "pyconnect-flow-1", "metadata.namespace": "streaming"}


def _documents() -> list[tuple[Path, dict[str, Any]]]:
    documents = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                documents.append((path, document))
    return documents


def _all(kind: str) -> list[dict[str, Any]]:
    return [document for _, document in _documents() if document["kind"] == kind]


def _one(kind: str) -> dict[str, Any]:
    found = _all(kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def _worker_container() -> dict[str, Any]:
    containers = _one("StatefulSet")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def _container_port(container: dict[str, Any], port: int | str) -> int:
    """The containerPort a probe's or Service's port names (by number or by name)."""
    for declared in container["ports"]:
        if port in (declared["containerPort"], declared.get("name")):
            number: int = declared["containerPort"]
            return number
    raise AssertionError(f"port {port!r} is not a port of container {container['name']!r}")


def _pod_env(container: dict[str, Any]) -> dict[str, str]:
    """The environment the container gets: literal values, and pod fields as :data:`POD_FIELDS` says."""
    env = {}
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = str(variable["value"])
        else:
            env[variable["name"]] = POD_FIELDS[variable["valueFrom"]["fieldRef"]["fieldPath"]]
    return env


def _worker_file(tmp_path: Path) -> tuple[Path, str]:
    """The worker file the container's command names, written from the ConfigMap it mounts; and its key."""
    statefulset = _one("StatefulSet")
    container = _worker_container()
    argv = [*container.get("command", []), *container.get("args", [])]
    volumes = {volume["name"]: volume for volume in statefulset["spec"]["template"]["spec"]["volumes"]}
    for mount in container["volumeMounts"]:
        prefix = mount["mountPath"].rstrip("/") + "/"
        named = [arg for arg in argv if arg.startswith(prefix)]
        if named:
            key = named[0][len(prefix):]
            configmap = _one("ConfigMap")
            assert volumes[mount["name"]]["configMap"]["name"] == configmap["metadata"]["name"]
            assert key in configmap["data"], f"the ConfigMap has no {key!r}"
            path = tmp_path / key
            path.write_text(configmap["data"][key])
            return path, key
    raise AssertionError(f"the command {argv} names no file of a mounted ConfigMap")


def test_every_document_is_a_known_kind_with_a_name() -> None:
    documents = _documents()
    assert documents
    for path, document in documents:
        assert document.get("kind") in API_VERSIONS, f"{path.name}: unexpected kind {document.get('kind')!r}"
        assert document.get("apiVersion") == API_VERSIONS[document["kind"]], path.name
        if document["kind"] != "Kustomization":
            assert document["metadata"]["name"], path.name
    kinds = sorted(document["kind"] for _, document in documents)
    assert kinds == ["ConfigMap", "Kustomization", "PodDisruptionBudget", "Service", "Service", "StatefulSet"]


def test_the_kustomization_lists_every_other_manifest() -> None:
    listed = _one("Kustomization")["resources"]
    assert sorted(listed) == sorted(path.name for path in MANIFESTS.glob("*.yaml") if path.name != "kustomization.yaml")


def test_the_workers_run_a_real_pyconnect_flow_subcommand() -> None:
    container = _worker_container()
    argv = [*container.get("command", []), *container.get("args", [])]
    assert argv[0] == "pyconnect-flow", argv
    subcommand = argv[1]
    # The console script this interpreter's installation has, run for real; PYTHONPATH (if any) is passed on.
    script = Path(sys.executable).parent / "pyconnect-flow"
    executable = str(script) if script.exists() else shutil.which("pyconnect-flow")
    assert executable, "the pyconnect-flow command is not installed (pip install -e .)"
    done = subprocess.run([executable, subcommand, "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"`pyconnect-flow {subcommand} --help` exited with {done.returncode}: {done.stderr}"
    assert f"pyconnect-flow {subcommand}" in done.stdout  # argparse's usage line of that subcommand


def test_the_configmap_worker_file_passes_validation_with_the_pod_environment(tmp_path: Path) -> None:
    path, _ = _worker_file(tmp_path)
    container = _worker_container()
    with mock.patch.dict(os.environ, _pod_env(container), clear=True):
        raw = load_worker_config(path)
        worker, _values = validate_worker(raw, str(path))
    assert worker_file_issues(worker, uses_kafka=True) == []
    for key in ("bootstrap.servers", "group.id", "config.storage.topic", "offset.storage.topic",
                "status.storage.topic", "config.storage.replication.factor", "offset.storage.replication.factor",
                "status.storage.replication.factor", "key.converter", "value.converter"):
        assert worker.get(key), f"{path.name} sets no {key}"
    assert len({worker["config.storage.topic"], worker["offset.storage.topic"], worker["status.storage.topic"]}) == 3
    # Each worker advertises its own stable DNS name under the headless Service.
    headless = _one("StatefulSet")["spec"]["serviceName"]
    name, namespace = POD_FIELDS["metadata.name"], POD_FIELDS["metadata.namespace"]
    assert worker["rest.advertised.host.name"] == f"{name}.{headless}.{namespace}.svc"
    # The REST API listens on the container's port.
    listeners = parse_listeners(worker.get("listeners"))
    assert [listener.port for listener in listeners] == [_container_port(container, "http")]
    assert worker.get("rest.advertised.port", str(listeners[0].port)) == str(listeners[0].port)


def test_probes_ask_the_rest_api_on_the_container_port(tmp_path: Path) -> None:
    from pyconnect_flow.rest import create_app
    from pyconnect_flow.runtime.herder import Herder, HerderSettings
    from pyconnect_flow.runtime.store import MemoryConfigStore

    container = _worker_container()
    probes = {name: container[name] for name in ("startupProbe", "readinessProbe", "livenessProbe") if name in container}
    assert {"readinessProbe", "livenessProbe"} <= set(probes)
    herder = Herder(HerderSettings("worker.properties", {"bootstrap.servers": "127.0.0.1:1"}, tmp_path,
                                   worker_id="w:8083"), MemoryConfigStore())
    herder.start()
    try:
        api = TestClient(create_app(herder))
        for name, probe in probes.items():
            assert _container_port(container, probe["httpGet"]["port"]) == 8083, name
            response = api.get(probe["httpGet"]["path"])
            assert response.status_code == 200, f"{name}: GET {probe['httpGet']['path']} answers {response.status_code}"
    finally:
        herder.shutdown()


def test_services_select_the_worker_pods_and_reach_their_port() -> None:
    statefulset = _one("StatefulSet")
    pod_labels = statefulset["spec"]["template"]["metadata"]["labels"]
    assert statefulset["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    container = _worker_container()
    services = {service["metadata"]["name"]: service for service in _all("Service")}
    headless = services[statefulset["spec"]["serviceName"]]
    assert headless["spec"]["clusterIP"] == "None"
    api = [service for name, service in services.items() if name != statefulset["spec"]["serviceName"]]
    assert [service["spec"].get("type", "ClusterIP") for service in api] == ["ClusterIP"]
    for service in services.values():
        assert service["spec"]["selector"].items() <= pod_labels.items(), service["metadata"]["name"]
        for port in service["spec"]["ports"]:
            assert _container_port(container, port.get("targetPort", port["port"])) == 8083
            assert port["port"] == 8083
    budget = _one("PodDisruptionBudget")
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


def test_the_statefulset_runs_three_workers_that_get_time_to_stop_cleanly() -> None:
    spec = _one("StatefulSet")["spec"]
    assert spec["replicas"] == 3
    pod = spec["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] >= 60  # a last epoch: sinks flush, positions are stored
    resources = _worker_container()["resources"]
    assert resources["requests"]["cpu"] and resources["requests"]["memory"] and resources["limits"]["memory"]


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_dockerfile_builds_and_installs_this_package(tmp_path: Path) -> None:
    instructions = _dockerfile_instructions()
    base = next(arguments for instruction, arguments in instructions if instruction == "FROM")
    assert base.startswith("python:3.12"), base  # requires-python is >=3.10,<3.13
    # Lay out the files COPY puts in the image, as the image has them ...
    image = tmp_path / "image"
    for instruction, arguments in instructions:
        if instruction == "COPY":
            *sources, target = arguments.split()
            for source in sources:
                destination = image / target.lstrip("/")
                if (ROOT / source).is_dir():
                    shutil.copytree(ROOT / source, destination / Path(source).name if target.endswith("/")
                                    else destination, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    destination.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(ROOT / source, destination)
    # ... check that the RUN installs that tree, with the extras the connectors need ...
    commands = [shlex.split(command) for instruction, arguments in instructions if instruction == "RUN"
                for command in arguments.split("&&")]
    installs = [word for command in commands if command[:2] == ["pip", "install"]
                for word in command[2:] if not word.startswith("-")]
    assert len(installs) == 1 and installs[0].endswith("[all]"), commands
    tree = image / installs[0].removesuffix("[all]").lstrip("/")
    assert (tree / "pyproject.toml").is_file(), f"{installs[0]} is not the tree COPY made"
    # ... and that it is a complete project: setuptools' PEP 517 backend (what pip runs) builds it. (An sdist:
    # it needs nothing but setuptools, which the test environment has, where a wheel needs `wheel` as well.)
    build = "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", build, str(tmp_path / "dist")], cwd=tree,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    archive_name = done.stdout.strip().splitlines()[-1]
    with tarfile.open(tmp_path / "dist" / archive_name) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
        entry_points = archive.extractfile(f"{archive_name.removesuffix('.tar.gz')}/pyconnect_flow.egg-info/entry_points.txt")
        assert entry_points is not None
        assert "pyconnect-flow = pyconnect_flow.cli:main" in entry_points.read().decode()
    assert {"pyconnect_flow/cli.py", "pyconnect_flow/rest/app.py", "pyconnect_flow/demo/demo.txt"} <= names, names
    entrypoint = next(arguments for instruction, arguments in instructions if instruction == "ENTRYPOINT")
    assert yaml.safe_load(entrypoint) == ["pyconnect-flow"]  # a JSON array is YAML too
    assert ("EXPOSE", "8083") in instructions


@pytest.mark.parametrize("manifest", sorted(path.name for path in MANIFESTS.glob("*.yaml")))
def test_manifests_have_the_app_labels(manifest: str) -> None:
    for document in yaml.safe_load_all((MANIFESTS / manifest).read_text()):
        if document["kind"] != "Kustomization":
            assert document["metadata"]["labels"]["app.kubernetes.io/name"] == "pyconnect-flow", manifest
