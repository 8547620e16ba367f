"""Apicurio Registry (in-memory storage) on a free loopback port, for comparing our registry with another one.

Apicurio serves Confluent's Schema Registry API under ``/apis/ccompat/v6``; :attr:`ApicurioRegistry.url` is that
base, so confluent-kafka's ``SchemaRegistryClient({"url": registry.url})`` talks to it as to Confluent's::

    with ApicurioRegistry() as registry:
        client = SchemaRegistryClient({"url": registry.url})

Maven Central has no runnable Apicurio, only the Quarkus application library ``apicurio-registry-app``: the
first start builds it with Maven from ``tests/reference/apicurio-build/`` (its pom says which version and why)
into ``~/.cache/pyconnect-flow/apicurio/<hash of that folder>/`` (about 130 MB; a minute or two, plus the
downloads), and later starts reuse that build. Anything missing (JDK, Maven, an artifact) raises
:class:`~tests.reference.maven.ReferenceSetupError` with Maven's output; tests never skip.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import TypeVar

from pyconnect_flow.embedded import ServiceProcess
from tests.reference import maven

__all__ = ["BUILD_DIR", "ApicurioRegistry", "quarkus_app"]

BUILD_DIR = Path(__file__).with_name("apicurio-build")
_BUILD_TIMEOUT_S = 1200
_A = TypeVar("_A", bound="ApicurioRegistry")
_JVM_OPTIONS = (
    "-Xms64m",
    "-Xmx384m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",  # C1 only: starts faster, plenty for test traffic
    "-Djava.awt.headless=true",
)


def _build_key() -> str:
    """A hash of every file of the build folder, so a changed pom or source builds anew."""
    digest = hashlib.sha256()
    for path in sorted(p for p in BUILD_DIR.rglob("*") if p.is_file()):
        digest.update(path.relative_to(BUILD_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def quarkus_app() -> Path:
    """``quarkus-run.jar`` of the Apicurio build, building it with Maven first if there is none yet."""
    home = maven.cache_dir().parent / "apicurio"
    target = home / _build_key()
    jar = target / "target" / "quarkus-app" / "quarkus-run.jar"
    if jar.is_file():
        return jar
    home.mkdir(parents=True, exist_ok=True)
    with maven.locked(home / ".build.lock"):
        if not jar.is_file():  # another process may have built it meanwhile
            _build(target)
    return jar


def _build(target: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise maven.ReferenceSetupError("mvn (Maven) not found on PATH, needed once to build Apicurio Registry "
                                        "(install maven)")
    java_path = maven.java()
    env = {**os.environ, "JAVA_HOME": str(Path(java_path).resolve().parents[1]), "MAVEN_OPTS": "-Xmx768m"}
    # Built in a fresh folder renamed into place when done: a build cut short never looks finished.
    work = Path(tempfile.mkdtemp(prefix=target.name + ".", suffix=".part", dir=target.parent))
    try:
        shutil.copytree(BUILD_DIR, work, dirs_exist_ok=True)
        command = [mvn, "-B", "-q", "package", "-DskipTests"]
        try:
            done = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=_BUILD_TIMEOUT_S,
                                  stdin=subprocess.DEVNULL, env=env)
        except subprocess.TimeoutExpired as exc:
            raise maven.ReferenceSetupError(f"building Apicurio Registry ({' '.join(command)} in {work}) took over "
                                            f"{_BUILD_TIMEOUT_S} s") from exc
        if done.returncode != 0:
            output = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr).strip()
            raise maven.ReferenceSetupError(f"Maven could not build Apicurio Registry from {BUILD_DIR} "
                                            f"({' '.join(command)} exited with {done.returncode}):\n{output[-3000:]}")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


class ApicurioRegistry(ServiceProcess):
    """Apicurio Registry 2.4.2.Final with its in-memory (H2) storage, built from Maven Central's artifacts.

    Args:
        java_home: A JDK to run it on (default: see :func:`tests.reference.maven.java`).
        start_timeout: Seconds ``start()`` waits for it to answer (a first build comes before and is not counted).
        stop_timeout: Seconds ``stop()`` waits after SIGTERM before it kills.
    """

    name = "apicurio-registry"

    def __init__(self, *, java_home: str | None = None, start_timeout: float = 120.0,
                 stop_timeout: float = 10.0) -> None:
        super().__init__(start_timeout=start_timeout, stop_timeout=stop_timeout)
        self.java_home = java_home
        self._java = ""
        self._jar: Path | None = None

    @property
    def url(self) -> str:
        """The base URL of its Confluent-compatible API (what a Confluent client is given)."""
        return f"http://{self.host}:{self.ports[0]}/apis/ccompat/v6"

    def start(self: _A) -> _A:
        """Build Apicurio if this machine has no build yet (outside ``start_timeout``), then start it."""
        if self._jar is None:
            self._jar = quarkus_app()
        return super().start()

    def _prepare(self) -> None:
        self._java = maven.java(self.java_home)

    def _command(self) -> list[str]:
        assert self._jar is not None
        return [self._java, *_JVM_OPTIONS, f"-Dquarkus.http.host={self.host}", f"-Dquarkus.http.port={self.ports[0]}",
                "-jar", str(self._jar)]

    def _probe(self, timeout: float) -> None:
        with urllib.request.urlopen(f"{self.url}/subjects", timeout=timeout) as answer:
            answer.read()
