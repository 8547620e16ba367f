"""The JDK and the Apache Kafka jars that the reference tests run, found or resolved once.

``classpath()`` resolves ``tests/reference/pom.xml`` with Maven into the local repository (``~/.m2``) on
first use and keeps the resulting classpath in ``~/.cache/pyconnect-flow/maven/`` under the pom's hash,
so later runs (and a changed pom) cost a file read (or one resolution). ``java()`` is the ``java`` of
``$PYCONNECT_TEST_JAVA_HOME``, else ``$JAVA_HOME``, else the one on ``PATH``; it must be 17 or newer,
as Apache Kafka 4 requires.

Anything missing raises :class:`ReferenceSetupError` saying what to install; tests never skip.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["KAFKA_POM", "ReferenceSetupError", "cache_dir", "classpath", "java", "java_version", "locked"]

KAFKA_POM = Path(__file__).with_name("pom.xml")
JAVA_HOME_ENV = "PYCONNECT_TEST_JAVA_HOME"
MIN_JAVA = 17
_RESOLVE_TIMEOUT_S = 900
_NEEDS = ("the reference tests need JDK 17+ and Maven 3 (with access to Maven Central on the first run); "
          "the pyconnect-flow library itself needs neither")


class ReferenceSetupError(RuntimeError):
    """The JDK, Maven or the Kafka jars are missing: the message says which and how to get them."""


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/pyconnect-flow/maven`` (``~/.cache/pyconnect-flow/maven`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pyconnect-flow" / "maven"


@functools.cache
def java(java_home: str | None = None) -> str:
    """Path of a ``java`` executable of version 17 or newer; see the module docstring for where from."""
    home = java_home or os.environ.get(JAVA_HOME_ENV) or os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        if not os.access(candidate, os.X_OK):
            raise ReferenceSetupError(f"no executable java at {candidate} (from {JAVA_HOME_ENV} or JAVA_HOME): {_NEEDS}")
        path = str(candidate)
    else:
        found = shutil.which("java")
        if found is None:
            raise ReferenceSetupError(f"java not found on PATH (install a JDK 17+, e.g. openjdk-17-jdk): {_NEEDS}")
        path = found
    version = java_version(path)
    if version < MIN_JAVA:
        raise ReferenceSetupError(f"{path} is Java {version}; Apache Kafka 4 needs Java {MIN_JAVA}+: {_NEEDS}")
    return path


@functools.cache
def java_version(path: str) -> int:
    """The feature version (17, 21, 25, …) of the ``java`` at ``path``."""
    try:
        done = subprocess.run([path, "-version"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ReferenceSetupError(f"cannot run {path} -version: {exc}: {_NEEDS}") from exc
    match = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if done.returncode != 0 or match is None:
        raise ReferenceSetupError(f"{path} -version failed: {done.stderr.strip()[-500:]}: {_NEEDS}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major  # "1.8.0" is Java 8


def _pom_key(pom: Path) -> str:
    return hashlib.sha256(pom.read_bytes()).hexdigest()[:16]


def _usable(cached: Path) -> str | None:
    """The cached classpath if every jar in it is still in the local repository."""
    try:
        text = cached.read_text().strip()
    except OSError:
        return None
    if not text or not all(Path(jar).is_file() for jar in text.split(os.pathsep)):
        return None
    return text


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (test processes resolving at the same time wait for each other)."""
    import fcntl

    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@functools.cache
def classpath(pom: Path = KAFKA_POM) -> str:
    """The classpath of ``pom``'s dependencies (jars in ``~/.m2``), resolving them with Maven if needed."""
    pom = pom.resolve()
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    cached = directory / f"{pom.parent.name}-{pom.stem}-{_pom_key(pom)}.classpath"
    found = _usable(cached)
    if found is not None:
        return found
    with locked(directory / ".resolve.lock"):
        found = _usable(cached)  # another process may have resolved it meanwhile
        if found is not None:
            return found
        _resolve(pom, cached)
    found = _usable(cached)
    if found is None:
        raise ReferenceSetupError(f"Maven resolved {pom} but its classpath {cached} names missing jars: {_NEEDS}")
    return found


def _resolve(pom: Path, target: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ReferenceSetupError(f"mvn (Maven) not found on PATH, needed once to fetch the Kafka jars of {pom} "
                                  f"(install maven): {_NEEDS}")
    java_path = java()  # Maven runs on the same JDK
    env = {**os.environ, "JAVA_HOME": str(Path(java_path).resolve().parents[1]), "MAVEN_OPTS": "-Xmx512m"}
    fd, partial = tempfile.mkstemp(prefix=target.name, suffix=".part", dir=target.parent)
    os.close(fd)
    command = [mvn, "-B", "-q", "-f", str(pom), "dependency:build-classpath", f"-Dmdep.outputFile={partial}"]
    try:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=_RESOLVE_TIMEOUT_S,
                                  stdin=subprocess.DEVNULL, env=env)
        except subprocess.TimeoutExpired as exc:
            raise ReferenceSetupError(f"{' '.join(command)} did not finish in {_RESOLVE_TIMEOUT_S} s: {_NEEDS}") from exc
        if done.returncode != 0:
            output = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr).strip()
            raise ReferenceSetupError(f"Maven could not resolve the Kafka jars ({' '.join(command)} exited with "
                                      f"{done.returncode}): {_NEEDS}\n{output[-3000:]}")
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
