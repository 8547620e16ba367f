"""What any worker of a distributed cluster answers over the REST API, from the cluster's topics.

`ClusterRequests` is the REST face of `runtime.distributed.DistributedHerder`: reads come from the topics
(connector configs and task counts from the config topic, statuses from the status topic, source offsets
from the offsets topic, sink offsets from the consumer group `connect-<name>`), so every worker gives the same
answers; writes are made by the leader only (followers forward them: `rest.forward`) as config-topic records
that the worker running the connector follows. `PUT …/stop` answers once that worker reports STOPPED, and
offsets are changed only then.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from pyconnect_flow import __version__
from pyconnect_flow.engine.offsets_topic import is_file_source
from pyconnect_flow.runtime import offsets as offset_ops
from pyconnect_flow.runtime.assignment import AssignmentStore
from pyconnect_flow.runtime.herder import (
    FAILED,
    PAUSED,
    RESTARTING,
    RUNNING,
    STOPPED,
    UNASSIGNED,
    AlreadyExistsError,
    BadRequestError,
    ForbiddenError,
    Herder,
    HerderError,
    HerderSettings,
    NotFoundError,
    connector_kind,
    merged_secrets,
    visible_config,
)
from pyconnect_flow.runtime.kafka_store import (
    KafkaConfigStore,
    KafkaOffsetStore,
    KafkaStatusStore,
    RestartRequest,
    Status,
)
from pyconnect_flow.runtime.membership import GroupMembership
from pyconnect_flow.runtime.store import TARGET_STATES, StoredConnector

log = logging.getLogger(__name__)

FORWARDED_HEADER = "X-PyConnect-Forwarded-By"
"""Marks a request one worker sent another: the receiver answers it itself, never forwards it again."""

REBALANCING = "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"


class RebalanceError(HerderError):
    """Kafka Connect's 409 while no leader is known or this worker stopped leading."""

    status = 409


@dataclass
class ClusterSettings:
    """What makes a worker one of a cluster (from `connect-distributed.properties`)."""

    group_id: str
    url: str
    """This worker's REST URL (its `client.id` in the group; where others forward to it)."""
    session_timeout_s: float = 10.0
    restart_on_failure: bool = False
    """`pyconnect.restart.on.failure`: restart a FAILED connector by itself, with backoff."""
    restart_backoff_max_s: float = 60.0
    tick_s: float = 0.5


@dataclass
class ClusterStores:
    """The topics a cluster keeps its state in."""

    configs: KafkaConfigStore
    statuses: KafkaStatusStore
    offsets: KafkaOffsetStore
    assignments: AssignmentStore

    def start(self) -> None:
        for store in (self.configs, self.statuses, self.offsets, self.assignments):
            store.start()

    def close(self) -> None:
        for store in (self.configs, self.statuses, self.offsets, self.assignments):
            try:
                store.close()
            except Exception as exc:  # noqa: BLE001 - closing is best effort
                log.warning("Closing %s: %s", type(store).__name__, exc)


class ClusterRequests(Herder):
    """The REST requests of a distributed worker, over the cluster's topics (see the module)."""

    def __init__(self, settings: HerderSettings, cluster: ClusterSettings, stores: ClusterStores,
                 membership: GroupMembership) -> None:
        super().__init__(settings, stores.configs)
        self.cluster = cluster
        self.stores = stores
        self.configs = stores.configs
        self.membership = membership
        self._write_lock = threading.Lock()

    # who leads ---------------------------------------------------------------------

    @property
    def is_leader(self) -> bool:
        return self.membership.is_leader

    @property
    def worker_id(self) -> str:
        return self.settings.worker_id

    @property
    def leader_url(self) -> str | None:
        """Where writes go: this worker's URL when it leads, else the leader's of the latest plan."""
        if self.membership.is_leader:
            return self.cluster.url
        return self.stores.assignments.current.leader_url or None

    def _assign_now(self) -> None:
        """Have the connectors (re)assigned at once after a write (the worker's loop does it otherwise)."""

    # reading (any worker) --------------------------------------------------------------

    def _config_of(self, name: str, missing: str = "Connector {name} not found") -> dict[str, str]:
        self.configs.load()
        config = self.configs.configs.get(name)
        if config is None:
            raise NotFoundError(missing.format(name=name))
        return config

    def connectors(self) -> list[str]:
        self.configs.load()
        return sorted(self.configs.configs)

    def local_connectors(self) -> list[str]:
        """The connectors running on this worker (what its metrics cover)."""
        with self._lock:
            return sorted(self._connectors)

    def _task_count(self, name: str, config: dict[str, str]) -> int:
        if self.configs.target_state(name) == STOPPED:
            return 0
        committed = self.configs.task_configs.get(name)
        if committed is not None:
            return len(committed)
        try:
            return max(1, int(str(config.get("tasks.max", "1")).strip()))
        except ValueError:
            return 1

    def info(self, name: str) -> dict[str, Any]:
        config = self._config_of(name)
        tasks = [{"connector": name, "task": i} for i in range(self._task_count(name, config))]
        return {"name": name, "config": visible_config(config), "tasks": tasks, "type": connector_kind(config)[1]}

    def config(self, name: str) -> dict[str, str]:
        return visible_config(self._config_of(name))

    def status(self, name: str) -> dict[str, Any]:
        config = self._config_of(name, "No status found for connector {name}")
        self.stores.statuses.refresh()
        owner = self.stores.assignments.current.connectors.get(name, "")
        stored = self.stores.statuses.connectors.get(name)
        connector = _status_json(stored) if stored is not None else {"state": UNASSIGNED, "worker_id": owner,
                                                                       "version": __version__}
        tasks = []
        if connector["state"] != STOPPED:
            stored_tasks = self.stores.statuses.tasks.get(name, {})
            for i in range(self._task_count(name, config)):
                task = stored_tasks.get(i)
                tasks.append({"id": i, **(_status_json(task) if task is not None else
                                           {"state": UNASSIGNED, "worker_id": owner, "version": __version__})})
        return {"name": name, "connector": connector, "tasks": tasks, "type": connector_kind(config)[1]}

    def task_configs(self, name: str) -> list[dict[str, Any]]:
        config = self._config_of(name)
        shown = visible_config(config)
        cls, _kind = connector_kind(config)
        if cls is not None and cls.CLASS_NAMES:
            shown["task.class"] = cls.CLASS_NAMES[0].removesuffix("Connector") + "Task"
        return [{"id": {"connector": name, "task": i}, "config": shown} for i in range(self._task_count(name, config))]

    def topics(self, name: str) -> dict[str, Any]:
        """The connector's active topics, as recorded by the worker that runs it (asked over its REST API)."""
        if not self.settings.topic_tracking:
            raise ForbiddenError("Topic tracking is disabled.")
        self._config_of(name)
        if name in self.local_connectors():
            return super().topics(name)
        response = self._ask_owner(name, "GET", "topics")
        if response is None or response.status_code != 200:
            return {name: {"topics": []}}
        return dict(response.json())

    def reset_topics(self, name: str) -> None:
        if not self.settings.topic_tracking:
            raise ForbiddenError("Topic tracking is disabled.")
        if not self.settings.topic_tracking_reset:
            raise ForbiddenError("Topic tracking reset is disabled.")
        self._config_of(name)
        if name in self.local_connectors():
            super().reset_topics(name)
            return
        response = self._ask_owner(name, "PUT", "topics/reset")
        if response is None or response.status_code >= 300:
            raise RebalanceError(REBALANCING)

    def _ask_owner(self, name: str, method: str, path: str) -> Any:
        """A request to the REST API of the worker that runs `name` (None: no other worker runs it)."""
        import httpx

        assignment = self.stores.assignments.current
        url = assignment.workers.get(assignment.connectors.get(name, ""))
        if not url or url == self.cluster.url:
            return None
        try:
            return httpx.request(method, f"{url.rstrip('/')}/connectors/{name}/{path}",
                                 headers={FORWARDED_HEADER: self.settings.worker_id}, timeout=10.0)
        except httpx.HTTPError as exc:
            log.warning("Asking worker %s about connector %s: %s", url, name, exc)
            return None

    def offsets(self, name: str) -> dict[str, Any]:
        config = self._config_of(name)
        cls, kind = connector_kind(config)
        if kind == "sink":
            return super().offsets(name) if name in self.local_connectors() else {
                "offsets": offset_ops.present_sink(offset_ops.group_offsets(self.settings.worker, f"connect-{name}"))}
        return {"offsets": [{"partition": p, "offset": o} for p, o in self.stores.offsets.offsets(name)]}

    # writing (the leader) --------------------------------------------------------------

    def _require_leader(self) -> None:
        if not self.membership.is_leader:
            raise RebalanceError(REBALANCING)

    def _tasks_for(self, config: dict[str, str]) -> list[dict[str, str]]:
        try:
            count = max(1, int(str(config.get("tasks.max", "1")).strip()))
        except ValueError:
            count = 1
        return [dict(config) for _ in range(count)]

    def create(self, name: str, config: dict[str, str], initial_state: str | None = None) -> dict[str, Any]:
        self._require_leader()
        target = (initial_state or RUNNING).upper()
        if target not in TARGET_STATES:
            raise BadRequestError(f"Invalid initial state {initial_state!r}: one of {', '.join(TARGET_STATES)}")
        with self._write_lock:
            self.configs.load()
            if name in self.configs.configs:
                raise AlreadyExistsError(f"Connector {name} already exists")
            self._validate(config)
            self.configs.put(StoredConnector(name, dict(config), target))
            self.configs.put_task_configs(name, [] if target == STOPPED else self._tasks_for(config))
        self._assign_now()
        return self.info(name)

    def put_config(self, name: str, config: dict[str, str]) -> tuple[bool, dict[str, Any]]:
        self._require_leader()
        self.configs.load()
        old = self.configs.configs.get(name)
        if old is None:
            try:
                return True, self.create(name, config)
            except AlreadyExistsError:
                old = self._config_of(name)
        config = merged_secrets(config, old)
        self._validate(config)
        with self._write_lock:
            target = self.configs.target_state(name)
            self.configs.put(StoredConnector(name, dict(config), target))
            if target != STOPPED:
                self.configs.put_task_configs(name, self._tasks_for(config))
        return False, self.info(name)

    def _stored_config(self, name: str) -> dict[str, str]:
        return dict(self._config_of(name))

    def delete(self, name: str) -> None:
        self._require_leader()
        self._config_of(name)
        with self._write_lock:
            self.configs.remove(name)
        self._assign_now()

    def _set_target_state(self, name: str, target: str, missing: str) -> None:
        self._require_leader()
        config = self._config_of(name, missing)
        with self._write_lock:
            self.configs.put(StoredConnector(name, dict(config), target))
            if target == STOPPED:
                self.configs.put_task_configs(name, [])
            elif name not in self.configs.task_configs or not self.configs.task_configs[name]:
                self.configs.put_task_configs(name, self._tasks_for(config))

    def pause(self, name: str) -> None:
        self._set_target_state(name, PAUSED, "Unknown connector {name}")

    def resume(self, name: str) -> None:
        self._set_target_state(name, RUNNING, "Unknown connector {name}")

    def stop(self, name: str) -> None:
        """PUT /connectors/{name}/stop: answered once the connector's worker says it stopped (bounded)."""
        self._set_target_state(name, STOPPED, "No connector `{name}` configured")
        deadline = time.monotonic() + self.settings.stop_grace_s + 5
        while time.monotonic() < deadline:
            if self._stopped(name):
                return
            time.sleep(0.1)

    def _stopped(self, name: str) -> bool:
        self.stores.statuses.refresh()
        status = self.stores.statuses.connectors.get(name)
        return status is not None and status.state == STOPPED

    def restart(self, name: str, include_tasks: bool = False, only_failed: bool = False) -> dict[str, Any]:
        self._require_leader()
        self._config_of(name)
        status = self.status(name)
        if self.configs.target_state(name) == STOPPED:
            return status
        with self._write_lock:
            self.configs.request_restart(RestartRequest(name, include_tasks, only_failed))
        failed = status["connector"]["state"] == FAILED
        if not only_failed or failed:
            status["connector"]["state"] = RESTARTING
            if include_tasks:
                for task in status["tasks"]:
                    task["state"] = RESTARTING
        return status

    def restart_task(self, name: str, task: int) -> None:
        config = self._config_of(name)
        if not 0 <= task < self._task_count(name, config):
            raise NotFoundError(f"Task {name}-{task} not found")
        self.restart(name, include_tasks=True)

    def _require_stopped_cluster(self, name: str) -> None:
        if self.configs.target_state(name) != STOPPED or not self._stopped(name):
            raise BadRequestError(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done "
                f"for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint")

    def alter_offsets(self, name: str, body: Any) -> dict[str, str]:
        self._require_leader()
        config = self._config_of(name)
        self._require_stopped_cluster(name)
        pairs = offset_ops.request_entries(body)
        cls, kind = connector_kind(config)
        if kind == "sink":
            offset_ops.alter_group_offsets(self.settings.worker, f"connect-{name}", offset_ops.sink_changes(pairs))
        else:
            offset_ops.source_changes(pairs, cls is not None and is_file_source(cls))  # checks their shape
            self.stores.offsets.write(name, pairs)
        return {"message": offset_ops.ALTERED}

    def reset_offsets(self, name: str) -> dict[str, str]:
        self._require_leader()
        config = self._config_of(name)
        self._require_stopped_cluster(name)
        if connector_kind(config)[1] == "sink":
            offset_ops.delete_group(self.settings.worker, f"connect-{name}")
        else:
            self.stores.offsets.write(name, [(p, None) for p, _ in self.stores.offsets.offsets(name)])
        return {"message": offset_ops.RESET}


def _status_json(status: Status) -> dict[str, Any]:
    out: dict[str, Any] = {"state": status.state, "worker_id": status.worker_id,
                           "version": status.version or __version__}
    if status.trace:
        out["trace"] = status.trace
    return out
