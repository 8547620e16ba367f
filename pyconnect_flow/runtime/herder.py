"""The herder: every connector's lifecycle, in processes of its own, as Kafka Connect's herder runs them.

Each connector runs as its own `pyconnect-flow standalone --no-rest` run (one dataflow; `tasks.max`
processes when above 1, see `engine.runner`), started by this worker with:

- the connector file `run.json`: its config as submitted (`${…}` references are resolved by the run);
- its own recovery store, `recovery/` in the connector's directory (`runtime.store.ConnectorFiles`);
- a pause file (`engine.control`): while it exists the sources read nothing, epochs go on;
- an initial positions file, written by `PATCH /connectors/{name}/offsets`;
- an error file, where a failing run writes the message it prints: the FAILED state's trace.

So connectors start, stop, pause, restart and fail independently. The processes of one connector share a
fate (Bytewax's processes stop together), so restarting a task restarts all of the connector's processes,
and every task shows the connector's state.

States (Kafka Connect's): UNASSIGNED (not started yet), RUNNING, PAUSED (processes up, sources not
reading), STOPPED (processes ended cleanly: a last epoch made everything durable and stored the
positions; offsets editable), FAILED (the processes ended on an error; the trace is its message, never a
traceback), RESTARTING (being stopped and started again).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyconnect_flow import __version__
from pyconnect_flow.config.definition import HIDDEN, ConfigIssue
from pyconnect_flow.config.providers import REFERENCE, is_secret_key
from pyconnect_flow.connectors.registry import UnknownConnectorClass, connector_class
from pyconnect_flow.contract.connector import Connector
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.data.java_hashmap import java_copied
from pyconnect_flow.engine.control import pause_ack_file, read_topics_file
from pyconnect_flow.engine.spec import COMMON_CONFIG, SINK_CONFIG, SOURCE_CONFIG, check_connector
from pyconnect_flow.runtime import offsets as offset_ops
from pyconnect_flow.runtime.store import (
    TARGET_STATES,
    ConfigStore,
    ConnectorFiles,
    StoredConnector,
    connector_dir,
    remove_tree,
    write_json_atomically,
)

log = logging.getLogger(__name__)

UNASSIGNED, RUNNING, PAUSED, STOPPED, FAILED, RESTARTING = (
    "UNASSIGNED", "RUNNING", "PAUSED", "STOPPED", "FAILED", "RESTARTING")

_POLL_S = 0.2


class HerderError(ConnectException):
    """A request the herder refuses; `status` is the HTTP status Kafka Connect answers it with."""

    status = 500


class NotFoundError(HerderError):
    status = 404


class AlreadyExistsError(HerderError):
    status = 409


class BadRequestError(HerderError):
    status = 400


class ForbiddenError(HerderError):
    status = 403


@dataclass
class HerderSettings:
    """What the herder needs of the worker."""

    worker_file: str
    worker: dict[str, str]
    """The worker's config, resolved (for validation and Kafka admin requests)."""
    root: Path
    """Where each connector gets its directory."""
    worker_id: str = "localhost:8083"
    epoch_interval_ms: int | None = None
    log_level: str = "INFO"
    stop_grace_s: float = 60.0
    topic_tracking: bool = True
    topic_tracking_reset: bool = True


def connector_kind(config: Mapping[str, str]) -> tuple[type[Connector] | None, str]:
    """The connector class a config names, and its type: "source", "sink" or "unknown"."""
    try:
        cls = connector_class(str(config.get("connector.class", "")))
    except UnknownConnectorClass:
        return None, "unknown"
    return cls, cls.KIND


def secret_keys(config: Mapping[str, str]) -> set[str]:
    """The keys of `config` whose values are secrets: PASSWORD keys of the connector's declaration, and
    keys whose names say so (`config.providers.is_secret_key`)."""
    cls, kind = connector_kind(config)
    declared = set()
    if cls is not None:
        definition = COMMON_CONFIG.merged(SINK_CONFIG if kind == "sink" else SOURCE_CONFIG, cls.CONFIG)
        declared = {k.name for k in definition if k.is_secret}
    return {k for k in config if k in declared or is_secret_key(k)}


def visible_config(config: Mapping[str, str]) -> dict[str, str]:
    """A config as a response may show it: as submitted, except plain secret values, shown as `[hidden]`
    (a value given as a `${provider:…}` reference is shown as submitted: it holds no secret)."""
    secrets = secret_keys(config)
    return {k: (HIDDEN if k in secrets and not REFERENCE.search(v) else v) for k, v in config.items()}


def merged_secrets(new: Mapping[str, str], old: Mapping[str, str]) -> dict[str, str]:
    """`new`, where a secret given as `[hidden]` (as a GET showed it) keeps its stored value."""
    secrets = secret_keys({**old, **new})
    return {k: (old[k] if v == HIDDEN and k in secrets and k in old else v) for k, v in new.items()}


class _Connector:
    """One connector: its config as submitted, its target state, and its processes."""

    def __init__(self, name: str, config: dict[str, str], target: str, files: ConnectorFiles) -> None:
        self.name = name
        self.config = config
        self.target = target
        self.files = files
        self.process: subprocess.Popen[bytes] | None = None
        self.state = UNASSIGNED if target != STOPPED else STOPPED
        self.trace: str | None = None
        self.no_tasks = False
        """Created PAUSED (`initial_state`): no task exists until it is resumed or restarted, as in Kafka Connect."""
        self.asked_to_stop: subprocess.Popen[bytes] | None = None
        """The process already sent SIGTERM (its clean stop is under way)."""
        self.lock = threading.RLock()
        """Held by whatever starts or stops the processes, so those never interleave."""

    @property
    def kind(self) -> str:
        return connector_kind(self.config)[1]

    @property
    def tasks(self) -> int:
        try:
            return max(1, int(str(self.config.get("tasks.max", "1")).strip()))
        except ValueError:
            return 1


class Herder:
    """Connectors' configs, target states and processes (see the module)."""

    def __init__(self, settings: HerderSettings, store: ConfigStore) -> None:
        self.settings = settings
        self.store = store
        self._connectors: dict[str, _Connector] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._monitor: threading.Thread | None = None

    # lifecycle of the worker -----------------------------------------------------

    def start(self, extra: Sequence[StoredConnector] = ()) -> None:
        """Load the stored connectors and those given on the command line (`extra`, created or updated,
        keeping a stored target state), and start each in its target state."""
        stored = {c.name: c for c in self.store.load()}
        for given in extra:
            previous = stored.get(given.name)
            connector = StoredConnector(given.name, given.config,
                                        previous.target_state if previous else given.target_state)
            self.store.put(connector)
            stored[given.name] = connector
        for connector in stored.values():
            c = _Connector(connector.name, connector.config, connector.target_state,
                           ConnectorFiles(connector_dir(self.settings.root, connector.name)))
            self._connectors[c.name] = c
            if c.target != STOPPED:
                with c.lock:
                    self._start_processes(c)
        self._monitor = threading.Thread(target=self._watch, name="pyconnect-flow-herder", daemon=True)
        self._monitor.start()

    def shutdown(self) -> None:
        """Stop every connector's processes cleanly (target states are kept for the next start)."""
        self._closed.set()
        running = [c for c in self._all() if c.process is not None]
        for c in running:
            self._signal(c, signal.SIGTERM)
        for c in running:
            with c.lock:
                self._stop_processes(c)

    def _watch(self) -> None:
        while not self._closed.wait(_POLL_S):
            for c in self._all():
                if not c.lock.acquire(blocking=False):
                    continue  # being started or stopped
                try:
                    self._check_exit(c)
                finally:
                    c.lock.release()

    def _check_exit(self, c: _Connector) -> None:
        process = c.process
        if process is None:
            return
        code = process.poll()
        if code is None:
            return
        c.process = None
        c.state = FAILED
        c.trace = self._read_trace(c, code)
        log.error("Connector %s failed: %s", c.name, c.trace)

    @staticmethod
    def _read_trace(c: _Connector, code: int) -> str:
        try:
            text = c.files.error.read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        if text:
            return text
        if code == 0:
            return "The connector's processes ended although the connector was not stopped"
        if code < 0:
            return f"The connector's process was killed by signal {signal.Signals(-code).name}"
        return f"The connector's process exited with status {code}"

    # processes ---------------------------------------------------------------------

    def _command(self, c: _Connector) -> list[str]:
        f = c.files
        command = [sys.executable, "-m", "pyconnect_flow", "--log-level", self.settings.log_level, "standalone",
                   self.settings.worker_file, str(f.run_config), "--no-rest", "--recovery-dir", str(f.recovery),
                   "--pause-file", str(f.pause), "--positions-file", str(f.positions), "--error-file", str(f.error),
                   "--metrics-dir", str(f.metrics), "--parent-pid", str(os.getpid())]
        if self.settings.topic_tracking:
            command += ["--topics-file", str(f.topics)]
        if self.settings.epoch_interval_ms:
            command += ["--epoch-interval-ms", str(self.settings.epoch_interval_ms)]
        return command

    def _start_processes(self, c: _Connector) -> None:
        """Start the connector's run in its target state (caller holds `c.lock`)."""
        f = c.files
        f.directory.mkdir(parents=True, exist_ok=True)
        if not f.recovery.exists():
            _adopt_standalone_store(self.settings.root.parent, f.recovery, c.name)
        write_json_atomically(f.run_config, {"name": c.name, "config": c.config})
        f.error.unlink(missing_ok=True)
        remove_tree(f.metrics)  # a task's counts start again with it, as Kafka Connect's do
        self._apply_pause(c)
        env = dict(os.environ)
        env.setdefault("RUST_BACKTRACE", "0")
        log.info("Creating connector %s of type %s", c.name, c.config.get("connector.class", ""))
        c.process = subprocess.Popen(self._command(c), env=env, start_new_session=True)
        c.no_tasks = False
        c.trace = None
        c.state = PAUSED if c.target == PAUSED else RUNNING
        log.info("Connector %s started (pid %d, %s)", c.name, c.process.pid, c.state)

    def _apply_pause(self, c: _Connector) -> None:
        pause_ack_file(c.files.pause).unlink(missing_ok=True)
        if c.target == PAUSED:
            c.files.pause.touch()
        else:
            c.files.pause.unlink(missing_ok=True)

    def _signal(self, c: _Connector, signum: int) -> None:
        process = c.process
        if process is None or process.poll() is not None:
            return
        if signum == signal.SIGTERM:
            if c.asked_to_stop is process:
                return  # a second SIGTERM would abort the clean stop the first one started
            c.asked_to_stop = process
        try:
            process.send_signal(signum)
        except ProcessLookupError:
            pass

    def _stop_processes(self, c: _Connector) -> None:
        """Stop the connector's run cleanly (a last epoch; caller holds `c.lock`); killed after the grace time."""
        process = c.process
        if process is None:
            return
        log.info("Stopping connector %s", c.name)
        if process.poll() is None:
            self._signal(c, signal.SIGTERM)
            try:
                process.wait(self.settings.stop_grace_s)
            except subprocess.TimeoutExpired:
                log.warning("Connector %s did not stop within %.0f s: killing its processes", c.name,
                            self.settings.stop_grace_s)
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        c.process = None
        if process.returncode not in (0, 130):
            log.warning("Connector %s: its processes ended with status %s while stopping", c.name,
                        process.returncode)
        else:
            log.info("Completed shutdown for connector %s", c.name)

    def _bounce(self, c: _Connector) -> None:
        """Stop and start the connector's processes again, in the background (RESTARTING meanwhile)."""
        log.info("Restarting connector %s", c.name)
        c.state = RESTARTING

        def run() -> None:
            with c.lock:
                self._stop_processes(c)
                if self._connectors.get(c.name) is not c or self._closed.is_set():
                    return
                if c.target == STOPPED:
                    c.state = STOPPED
                    return
                try:
                    self._start_processes(c)
                except Exception as exc:  # noqa: BLE001 - shown as the connector's failure
                    c.state, c.trace = FAILED, f"Cannot start the connector's processes: {exc}"

        threading.Thread(target=run, name=f"pyconnect-flow-restart-{c.name}", daemon=True).start()

    # reading -------------------------------------------------------------------------

    def _all(self) -> list[_Connector]:
        with self._lock:
            return list(self._connectors.values())

    def _get(self, name: str, missing: str = "Connector {name} not found") -> _Connector:
        """The connector `name`; 404 with `missing` (Kafka Connect's message differs per endpoint)."""
        with self._lock:
            c = self._connectors.get(name)
        if c is None:
            raise NotFoundError(missing.format(name=name))
        return c

    def connectors(self) -> list[str]:
        with self._lock:
            return sorted(self._connectors)

    def info(self, name: str) -> dict[str, Any]:
        c = self._get(name)
        tasks = [] if c.target == STOPPED or c.no_tasks else [{"connector": name, "task": i} for i in range(c.tasks)]
        return {"name": name, "config": visible_config(c.config), "tasks": tasks, "type": c.kind}

    def config(self, name: str) -> dict[str, str]:
        return visible_config(self._get(name).config)

    def _instance(self, c: _Connector) -> dict[str, Any]:
        # `version`: the plugin's version, as Kafka Connect 4.x shows it (KIP-891).
        state = c.state
        if state == PAUSED and c.process is not None and not pause_ack_file(c.files.pause).exists():
            state = RUNNING  # asked to pause; its sources have not stopped reading yet (Connect shows the same)
        out: dict[str, Any] = {"state": state, "worker_id": self.settings.worker_id, "version": __version__}
        if c.state == FAILED and c.trace:
            out["trace"] = c.trace
        return out

    def status(self, name: str) -> dict[str, Any]:
        c = self._get(name, "No status found for connector {name}")
        connector = self._instance(c)
        tasks = [] if c.state == STOPPED or c.no_tasks else [{"id": i, **connector} for i in range(c.tasks)]
        return {"name": name, "connector": connector, "tasks": tasks, "type": c.kind}

    def task_status(self, name: str, task: int) -> dict[str, Any]:
        self._get(name, f"No status found for task {{name}}-{task}")
        status = self.status(name)
        for t in status["tasks"]:
            if t["id"] == task:
                return dict(t)
        raise NotFoundError(f"No status found for task {name}-{task}")

    def task_configs(self, name: str) -> list[dict[str, Any]]:
        c = self._get(name)
        if c.target == STOPPED or c.no_tasks:
            return []
        config = visible_config(c.config)
        cls, _kind = connector_kind(c.config)
        if cls is not None and cls.CLASS_NAMES:
            # As Kafka Connect's task configs name their task class (FileStreamSourceConnector → …Task).
            config["task.class"] = cls.CLASS_NAMES[0].removesuffix("Connector") + "Task"
        return [{"id": {"connector": name, "task": i}, "config": config} for i in range(c.tasks)]

    def topics(self, name: str) -> dict[str, Any]:
        """GET /connectors/{name}/topics: the topics its records used (`topic.tracking.enable`), learnt from
        the records as they pass (`engine.control.track_topics_file`)."""
        if not self.settings.topic_tracking:
            raise ForbiddenError("Topic tracking is disabled.")
        c = self._get(name)
        return {name: {"topics": read_topics_file(c.files.topics)}}

    def reset_topics(self, name: str) -> None:
        """PUT /connectors/{name}/topics/reset: forget them; a running connector records them again as records
        pass (as Kafka Connect's tasks do)."""
        if not self.settings.topic_tracking:
            raise ForbiddenError("Topic tracking is disabled.")
        if not self.settings.topic_tracking_reset:
            raise ForbiddenError("Topic tracking reset is disabled.")
        c = self._get(name)
        c.files.topics.unlink(missing_ok=True)

    # changing configs -----------------------------------------------------------------

    def _validate(self, config: Mapping[str, str]) -> None:
        if config.get("connector.class") is None:
            # Kafka Connect's words, its map's text (HashMap order; secret values hidden here).
            shown = java_copied(tuple(k for k in config if k != "name"), visible_config(config))
            text = ", ".join(f"{k}={v}" for k, v in shown.items())
            raise BadRequestError(f"Connector config {{{text}}} contains no connector type")
        _spec, issues = check_connector(config, self.settings.worker)
        if issues:
            raise BadRequestError(invalid_config_message(issues))

    def create(self, name: str, config: dict[str, str], initial_state: str | None = None) -> dict[str, Any]:
        """POST /connectors: a new connector (409 when the name is taken)."""
        target = (initial_state or RUNNING).upper()
        if target not in TARGET_STATES:
            raise BadRequestError(f"Invalid initial state {initial_state!r}: one of {', '.join(TARGET_STATES)}")
        with self._lock:
            if name in self._connectors:
                raise AlreadyExistsError(f"Connector {name} already exists")
        self._validate(config)
        c = _Connector(name, dict(config), target, ConnectorFiles(connector_dir(self.settings.root, name)))
        with self._lock:
            if name in self._connectors:
                raise AlreadyExistsError(f"Connector {name} already exists")
            self._connectors[name] = c
        with c.lock:
            self.store.put(StoredConnector(name, c.config, target))
            if target == PAUSED:
                c.state, c.no_tasks = PAUSED, True  # its tasks are created when it is resumed (KIP-980)
            elif target != STOPPED:
                self._start_processes(c)
        return self.info(name)

    def put_config(self, name: str, config: dict[str, str]) -> tuple[bool, dict[str, Any]]:
        """PUT /connectors/{name}/config: create, or replace the config and restart the processes."""
        with self._lock:
            c = self._connectors.get(name)
        if c is None:
            try:
                return True, self.create(name, config)
            except AlreadyExistsError:
                c = self._get(name)
        config = merged_secrets(config, c.config)
        self._validate(config)
        with c.lock:
            c.config = dict(config)
            self.store.put(StoredConnector(name, c.config, c.target))
            if c.target != STOPPED:
                self._bounce(c)
        return False, self.info(name)

    def patch_config(self, name: str, patch: Mapping[str, str | None]) -> dict[str, Any]:
        """PATCH /connectors/{name}/config: change some keys (null removes one)."""
        config = self._stored_config(name)
        for key, value in patch.items():
            if value is None:
                config.pop(key, None)
            else:
                config[key] = value
        return self.put_config(name, config)[1]

    def _stored_config(self, name: str) -> dict[str, str]:
        """A copy of the connector's config as submitted (404 when there is none)."""
        return dict(self._get(name).config)

    def delete(self, name: str) -> None:
        """DELETE /connectors/{name}: stop the processes and forget the config (positions are kept)."""
        c = self._get(name)
        with c.lock:
            self._stop_processes(c)
            with self._lock:
                self._connectors.pop(name, None)
            self.store.remove(name)
            c.files.topics.unlink(missing_ok=True)  # its active topics go with it (KIP-558)

    # target states -------------------------------------------------------------------

    def _set_target(self, c: _Connector, target: str) -> None:
        c.target = target
        self.store.put(StoredConnector(c.name, c.config, target))

    def pause(self, name: str) -> None:
        c = self._get(name, "Unknown connector {name}")
        with c.lock:
            log.info("Setting connector %s state to PAUSED", c.name)
            self._set_target(c, PAUSED)
            self._apply_pause(c)
            if c.process is None and c.state == STOPPED:
                self._start_processes(c)
            elif c.state in (RUNNING, UNASSIGNED):
                c.state = PAUSED
        # As Kafka Connect's standalone worker, answer once the connector has paused (bounded: a busy process
        # may take longer, and its status says RUNNING until it has).
        ack, deadline = pause_ack_file(c.files.pause), time.monotonic() + _PAUSE_WAIT_S
        while c.process is not None and c.target == PAUSED and not ack.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        if ack.exists():
            log.info("Connector %s paused: its sources stopped reading", c.name)

    def resume(self, name: str) -> None:
        c = self._get(name, "Unknown connector {name}")
        with c.lock:
            log.info("Setting connector %s state to STARTED", c.name)
            self._set_target(c, RUNNING)
            self._apply_pause(c)
            if c.process is None and (c.state in (STOPPED, UNASSIGNED) or c.no_tasks):
                self._start_processes(c)
            elif c.state == PAUSED:
                c.state = RUNNING

    def stop(self, name: str) -> None:
        """PUT /connectors/{name}/stop: the processes end cleanly; returns once they have."""
        # Kafka Connect answers 500 with this message (a defect: docs/kafka-connect-differences.md); 404 here.
        c = self._get(name, "No connector `{name}` configured")
        with c.lock:
            log.info("Setting connector %s state to STOPPED", c.name)
            self._set_target(c, STOPPED)
            self._stop_processes(c)
            c.state = STOPPED
            c.trace = None

    def restart(self, name: str, include_tasks: bool = False, only_failed: bool = False) -> dict[str, Any]:
        """Restart the connector's processes (all of them: they share a fate) unless `only_failed` and
        nothing failed; a STOPPED connector stays stopped. Returns the status, RESTARTING where restarting."""
        c = self._get(name)
        with c.lock:
            if c.target != STOPPED and (not only_failed or c.state == FAILED):
                self._bounce(c)
        return self.status(name)

    def restart_task(self, name: str, task: int) -> None:
        c = self._get(name)
        if c.target == STOPPED or not 0 <= task < c.tasks:
            raise NotFoundError(f"Task {name}-{task} not found")
        with c.lock:
            self._bounce(c)

    # offsets -------------------------------------------------------------------------

    def _file_source(self, c: _Connector) -> bool:
        cls, _kind = connector_kind(c.config)
        return cls is not None and any(n.endswith("FileStreamSourceConnector") for n in cls.CLASS_NAMES)

    def offsets(self, name: str) -> dict[str, Any]:
        c = self._get(name)
        if c.kind == "sink":
            return {"offsets": offset_ops.present_sink(offset_ops.group_offsets(self.settings.worker,
                                                                                 f"connect-{name}"))}
        positions = self._initial_positions(c)
        positions.update(offset_ops.stored_positions(c.files.recovery, offset_ops.source_step_id(name)))
        return {"offsets": offset_ops.present_source(positions, self._file_source(c))}

    def _initial_positions(self, c: _Connector) -> dict[str, Any]:
        try:
            document = json.loads(c.files.positions.read_text(encoding="utf-8"))
            return dict(document.get("positions", {}))
        except (OSError, ValueError, AttributeError):
            return {}

    def _require_stopped(self, c: _Connector) -> None:
        if c.target != STOPPED or c.process is not None:
            raise BadRequestError(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done "
                f"for the specified connector by issuing a 'PUT' request to the '/connectors/{c.name}/stop' endpoint")

    def alter_offsets(self, name: str, body: Any) -> dict[str, str]:
        """PATCH /connectors/{name}/offsets (STOPPED only): what the next start resumes from."""
        c = self._get(name)
        with c.lock:
            self._require_stopped(c)
            pairs = offset_ops.request_entries(body)
            step = offset_ops.source_step_id(name)
            if c.kind == "sink":
                changes = offset_ops.sink_changes(pairs)
                offset_ops.alter_group_offsets(self.settings.worker, f"connect-{name}", changes)
                offset_ops.forget_positions(c.files.recovery, step, [f"{t}-{p}" for t, p in changes])
            else:
                source_changes = offset_ops.source_changes(pairs, self._file_source(c))
                initial = self._initial_positions(c)
                for key, position in source_changes.items():
                    if position is None:
                        initial.pop(key, None)
                    else:
                        initial[key] = position
                c.files.directory.mkdir(parents=True, exist_ok=True)
                write_json_atomically(c.files.positions, {"connector": name, "positions": initial})
                offset_ops.forget_positions(c.files.recovery, step, list(source_changes))
        return {"message": offset_ops.ALTERED}

    def reset_offsets(self, name: str) -> dict[str, str]:
        """DELETE /connectors/{name}/offsets (STOPPED only): the next start begins from nothing."""
        c = self._get(name)
        with c.lock:
            self._require_stopped(c)
            if c.kind == "sink":
                offset_ops.delete_group(self.settings.worker, f"connect-{name}")
            c.files.positions.unlink(missing_ok=True)
            remove_tree(c.files.recovery)
        return {"message": offset_ops.RESET}


def invalid_config_message(issues: list[ConfigIssue]) -> str:
    """Kafka Connect's message for a config that does not validate."""
    lines = [f"Connector configuration is invalid and contains the following {len(issues)} error(s):"]
    lines += [str(i) for i in issues]
    lines.append("You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}"
                 "/config/validate`")
    return "\n".join(lines)


_PAUSE_WAIT_S = 5.0
"""How long `pause` waits for the connector's processes to say their sources stopped reading."""


def _adopt_standalone_store(legacy: Path, recovery: Path, name: str) -> None:
    """A connector's first start under the REST worker continues from the positions that runs without it
    (`--no-rest`, `--stop-at-end`, earlier versions) kept in `offset.storage.file.filename` itself: its own
    store starts as a copy of that one (Bytewax reads only the snapshots of the connector's own steps)."""
    parts = sorted(legacy.glob("part-*.sqlite3"))
    if not parts:
        return
    recovery.mkdir(parents=True)
    for part in parts:
        shutil.copy2(part, recovery / part.name)
    log.info("Connector '%s' continues from the positions stored in %s", name, legacy)


def default_root() -> Path:
    """Connectors' directories of a worker without `offset.storage.file.filename`: a new temporary
    directory (nothing survives the worker)."""
    return Path(tempfile.mkdtemp(prefix="pyconnect-flow-worker-"))

