"""Where the worker keeps each connector's config, as submitted, and its target state.

Kafka Connect keeps them in a config backing store: a compacted Kafka topic in distributed mode
(`connector-<name>`, `target-state-<name>` records). The herder only sees `ConfigStore`, so a Kafka-backed
store can replace `FileConfigStore`, the standalone one: a JSON file per connector in the connector's
directory under the worker's `offset.storage.file.filename`, beside its recovery store. Configs are kept
exactly as submitted (`${…}` references unresolved): the connector's processes resolve them when they start.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

log = logging.getLogger(__name__)

TARGET_STATES = ("RUNNING", "PAUSED", "STOPPED")
"""What a user may ask a connector to be (Kafka Connect's TargetState)."""


@dataclass
class StoredConnector:
    """A connector as the worker remembers it across restarts."""

    name: str
    config: dict[str, str]
    target_state: str = "RUNNING"


class ConfigStore(ABC):
    """Connector configs and target states (see the module)."""

    @abstractmethod
    def load(self) -> list[StoredConnector]:
        """Every stored connector."""

    @abstractmethod
    def put(self, connector: StoredConnector) -> None:
        """Store a connector's config and target state (replacing what was stored under its name)."""

    @abstractmethod
    def remove(self, name: str) -> None:
        """Forget a connector's config (its positions stay, as Kafka Connect keeps a deleted connector's offsets)."""


class MemoryConfigStore(ConfigStore):
    """Configs kept in memory only: for a worker without `offset.storage.file.filename`."""

    def __init__(self) -> None:
        self._connectors: dict[str, StoredConnector] = {}

    def load(self) -> list[StoredConnector]:
        return list(self._connectors.values())

    def put(self, connector: StoredConnector) -> None:
        self._connectors[connector.name] = StoredConnector(connector.name, dict(connector.config),
                                                           connector.target_state)

    def remove(self, name: str) -> None:
        self._connectors.pop(name, None)


def connector_dir(root: Path, name: str) -> Path:
    """The directory of one connector under `root`: its name, %-quoted to one safe path component."""
    quoted = quote(name, safe=" -_+=@,")
    if quoted.startswith("."):
        quoted = "%2E" + quoted[1:]
    return root / quoted


@dataclass(frozen=True)
class ConnectorFiles:
    """The files of one connector's processes (all in `directory`)."""

    directory: Path

    @property
    def config(self) -> Path:
        """The stored config and target state (`FileConfigStore`)."""
        return self.directory / "connector.json"

    @property
    def run_config(self) -> Path:
        """The connector file the processes are started with (the config as submitted)."""
        return self.directory / "run.json"

    @property
    def recovery(self) -> Path:
        """The connector's own Bytewax recovery store (its positions)."""
        return self.directory / "recovery"

    @property
    def pause(self) -> Path:
        """Exists while the connector is paused (`engine.control`)."""
        return self.directory / "paused"

    @property
    def positions(self) -> Path:
        """Initial positions set through `PATCH /connectors/{name}/offsets` (`engine.control`)."""
        return self.directory / "initial-positions.json"

    @property
    def metrics(self) -> Path:
        """Where the processes write their tasks' counts (`engine.task_metrics`, read by `runtime.metrics`)."""
        return self.directory / "metrics"

    @property
    def topics(self) -> Path:
        """The topics the connector's records used (`engine.control.track_topics_file`), one a line."""
        return self.directory / "topics.txt"

    @property
    def error(self) -> Path:
        """Why the processes failed last (the message they print)."""
        return self.directory / "error.txt"


class FileConfigStore(ConfigStore):
    """One `connector.json` per connector: `{"name", "config", "target_state"}`, replaced atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def load(self) -> list[StoredConnector]:
        found: list[StoredConnector] = []
        if not self.root.is_dir():
            return found
        for directory in sorted(self.root.iterdir()):
            path = ConnectorFiles(directory).config
            if not path.is_file():
                continue
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
                name = str(document["name"])
                config = {str(k): str(v) for k, v in dict(document["config"]).items()}
                state = str(document.get("target_state", "RUNNING"))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.error("Ignoring the stored connector %s: it cannot be read (%s)", path, exc)
                continue
            if unquote(directory.name) != name:
                log.error("Ignoring the stored connector %s: it names connector %r", path, name)
                continue
            found.append(StoredConnector(name, config, state if state in TARGET_STATES else "RUNNING"))
        return found

    def put(self, connector: StoredConnector) -> None:
        files = ConnectorFiles(connector_dir(self.root, connector.name))
        files.directory.mkdir(parents=True, exist_ok=True)
        document = {"name": connector.name, "config": connector.config, "target_state": connector.target_state}
        _write_atomically(files.config, json.dumps(document, indent=2, sort_keys=True) + "\n")

    def remove(self, name: str) -> None:
        files = ConnectorFiles(connector_dir(self.root, name))
        for path in (files.config, files.run_config, files.pause, files.error):
            path.unlink(missing_ok=True)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json_atomically(path: Path, document: object) -> None:
    """Write `document` as JSON to `path`, replacing it whole (a reader never sees half a file)."""
    _write_atomically(path, json.dumps(document, indent=2, sort_keys=True) + "\n")


def remove_tree(path: Path) -> None:
    """Remove a directory and everything in it, if it exists."""
    shutil.rmtree(path, ignore_errors=True)
