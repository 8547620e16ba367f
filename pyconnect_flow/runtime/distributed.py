"""The distributed herder: connectors shared by the workers of one `group.id`, their state in Kafka.

Everything a worker knows lives in Kafka, so any worker can die and any can answer:

- configs, target states, task configs and restart requests in the config topic (`KafkaConfigStore`);
- statuses in the status topic, written by the worker that runs the connector (`KafkaStatusStore`);
- source positions in the offsets topic, written by the connector's processes once the sink made them
  durable (`engine.offsets_topic`); sink positions in the consumer group `connect-<name>`, as in standalone;
- who runs what in the assignment topic, written by the leader (`runtime.assignment`), whom Kafka's group
  coordinator chooses (`runtime.membership`).

Each worker runs a loop (`tick`, every half second): read the topics; if it leads, compare the group's
members with the plan and write a new plan when a worker joined or left or a connector was created or
deleted (a departed worker's connectors are marked UNASSIGNED first); then make its own connectors match the
plan and their target states, as processes of their own (`runtime.herder`), and write their statuses. A
connector that comes to a worker starts from a fresh recovery store and the positions in Kafka (the local
store is a cache of one run). A worker that has not reached Kafka for `session.timeout.ms` stops its
connectors: the group has expelled it by then and given them to others.

REST requests are `runtime.cluster.ClusterRequests`': reads from the topics on any worker, writes on the leader.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from pyconnect_flow import __version__
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.engine.offsets_topic import is_file_source
from pyconnect_flow.runtime import offsets as offset_ops
from pyconnect_flow.runtime.assignment import Assignment, rebalance, worker_id_of
from pyconnect_flow.runtime.cluster import ClusterRequests, ClusterSettings, ClusterStores
from pyconnect_flow.runtime.herder import (
    FAILED,
    PAUSED,
    RUNNING,
    STOPPED,
    UNASSIGNED,
    HerderSettings,
    _Connector,
    connector_kind,
)
from pyconnect_flow.runtime.kafka_store import (
    Status,
)
from pyconnect_flow.runtime.membership import GroupMembership
from pyconnect_flow.runtime.store import (
    ConnectorFiles,
    connector_dir,
    remove_tree,
    write_json_atomically,
)

log = logging.getLogger(__name__)

class _Owned(_Connector):
    """A connector this worker runs, with what the worker remembers of it."""

    def __init__(self, name: str, config: dict[str, str], target: str, files: ConnectorFiles,
                 restarts_seen: int) -> None:
        super().__init__(name, config, target, files)
        self.fresh = True
        """Not started on this worker yet: its first start reads its positions from Kafka."""
        self.reported: tuple[str, str | None, int] | None = None
        self.restarts_seen = restarts_seen
        self.failures = 0
        self.next_restart = 0.0
        self.running_since = 0.0


class DistributedHerder(ClusterRequests):
    """The herder of one worker of a distributed cluster (see the module): its loop, leading, and the
    connectors it runs; the REST requests are `ClusterRequests`'."""

    def __init__(self, settings: HerderSettings, cluster: ClusterSettings, stores: ClusterStores,
                 membership: GroupMembership) -> None:
        super().__init__(settings, cluster, stores, membership)
        self._last_contact = time.monotonic()
        self._fenced = False
        self._tick_thread: threading.Thread | None = None
        self._lead_lock = threading.Lock()

    # lifecycle -------------------------------------------------------------------

    def start(self, extra: Any = ()) -> None:
        """Read the topics, join the group and start reconciling."""
        if extra:
            raise ConnectException("A distributed worker takes no connector files: create connectors through "
                                   "its REST API (they are kept in the config topic)")
        self.stores.start()
        self.membership.start()
        self._tick_thread = threading.Thread(target=self._loop, name="pyconnect-flow-distributed", daemon=True)
        self._tick_thread.start()

    def shutdown(self) -> None:
        """Stop this worker's connectors cleanly (UNASSIGNED until another worker runs them), then leave."""
        self._closed.set()
        if self._tick_thread is not None:
            self._tick_thread.join(30)
        local = self._all()
        for c in local:
            self._signal(c, 15)
        for c in local:
            with c.lock:
                self._stop_processes(c)
            self._report_state(c, UNASSIGNED, None)
        self.membership.close()
        self.stores.close()

    def _loop(self) -> None:
        while not self._closed.wait(self.cluster.tick_s):
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - the loop must go on; Kafka may come back
                log.warning("Distributed worker %s: %s", self.settings.worker_id, exc)

    def tick(self) -> None:
        """One round: read the topics, lead if leading, run what is assigned here."""
        try:
            self.configs.load()
            self.stores.assignments.refresh()
            self.stores.statuses.refresh()
        except Exception as exc:  # noqa: BLE001 - Kafka unreachable: fence after a session timeout
            if time.monotonic() - self._last_contact > self.cluster.session_timeout_s and not self._fenced:
                log.error("Worker %s has not reached Kafka for %.0f s (%s): stopping its connectors, which the "
                          "group gives to other workers", self.settings.worker_id, self.cluster.session_timeout_s,
                          exc)
                self._fence()
            raise
        self._last_contact = time.monotonic()
        if self._fenced:
            log.info("Worker %s reaches Kafka again", self.settings.worker_id)
            self._fenced = False
        if self.membership.is_leader:
            self._lead()
        self._reconcile()

    def _fence(self) -> None:
        self._fenced = True
        for c in self._all():
            self._stop_in_background(c, forget=True)

    # leading ---------------------------------------------------------------------

    def _lead(self) -> None:
        with self._lead_lock:  # the loop and a REST write may both lead at once
            self._lead_locked()

    def _lead_locked(self) -> None:
        members = self.membership.members()
        if not members.stable:
            return
        workers = {worker_id_of(url): url for url in members.urls}
        current = self.stores.assignments.current
        plan = rebalance(current.connectors, self.configs.configs, workers)
        if (plan == dict(current.connectors) and workers == dict(current.workers)
                and current.leader == self.settings.worker_id):
            return
        departed = {name: owner for name, owner in current.connectors.items()
                    if owner not in workers and name in self.configs.configs}
        for name, owner in departed.items():
            status = self.stores.statuses.connectors.get(name)
            if status is not None and status.worker_id == owner and status.state != UNASSIGNED:
                self._write_status(name, UNASSIGNED, None, owner, current.generation)
        if departed:
            log.warning("Workers %s left the group: their connectors %s move to %s",
                        sorted(set(departed.values())), sorted(departed), {n: plan[n] for n in sorted(departed)})
        new = Assignment(current.generation + 1, self.settings.worker_id, self.cluster.url, workers, plan)
        self.stores.assignments.put(new)
        log.info("Assignment generation %d: %s", new.generation, dict(sorted(plan.items())))

    def _assign_now(self) -> None:
        try:
            self._lead()
        except Exception as exc:  # noqa: BLE001 - the loop assigns it at its next round
            log.warning("Assigning connectors: %s", exc)

    # running what is assigned here --------------------------------------------------

    def _reconcile(self) -> None:
        assignment = self.stores.assignments.current
        mine = assignment.owned_by(self.settings.worker_id) & set(self.configs.configs)
        for c in self._all():
            if c.name not in mine:
                self._stop_in_background(c, forget=True, deleted=c.name not in self.configs.configs)
        for name in sorted(mine):
            config = self.configs.configs[name]
            target = self.configs.target_state(name)
            with self._lock:
                known = self._connectors.get(name)
            if known is None:
                c = _Owned(name, dict(config), target, ConnectorFiles(connector_dir(self.settings.root, name)),
                           self.configs.restart_counts.get(name, 0))
                with self._lock:
                    self._connectors[name] = c
                log.info("Connector %s is assigned to this worker (%s)", name, self.settings.worker_id)
                if target == STOPPED:
                    c.state = STOPPED
                else:
                    self._start_owned(c)
            else:
                assert isinstance(known, _Owned)
                self._follow(known, config, target)
        for c in self._all():
            assert isinstance(c, _Owned)
            if c.lock.acquire(blocking=False):
                try:
                    self._check_exit(c)
                finally:
                    c.lock.release()
            self._maybe_restart_failed(c)
            self._report(c, assignment.generation)

    def _follow(self, c: _Owned, config: dict[str, str], target: str) -> None:
        """Apply a changed config, target state or restart request to a connector running here."""
        if not c.lock.acquire(blocking=False):
            return  # being started or stopped: next round
        try:
            requests = self.configs.restart_counts.get(c.name, 0)
            if c.config != config:
                c.config = dict(config)
                c.restarts_seen = requests
                if c.target != STOPPED:
                    self._bounce(c)
                    return
            if requests > c.restarts_seen:
                c.restarts_seen = requests
                request = self.configs.restart_requests.get(c.name)
                if c.target != STOPPED and (request is None or not request.only_failed or c.state == FAILED):
                    self._bounce(c)
                    return
            if target == c.target:
                return
            log.info("Connector %s: target state %s", c.name, target)
            c.target = target
            self._apply_pause(c)
            if target == STOPPED:
                c.fresh = True  # its offsets may be changed while stopped: the next start reads them from Kafka
                self._stop_in_background(c)
            elif c.process is None and c.state in (STOPPED, UNASSIGNED):
                self._start_owned(c)
            elif target == PAUSED and c.state in (RUNNING, UNASSIGNED):
                c.state = PAUSED
            elif target == RUNNING and c.state == PAUSED:
                c.state = RUNNING
        finally:
            c.lock.release()

    def _start_owned(self, c: _Owned) -> None:
        with c.lock:
            try:
                if c.fresh:
                    self._prepare_positions(c)
                    c.fresh = False
                self._start_processes(c)
                c.running_since = time.monotonic()
            except Exception as exc:  # noqa: BLE001 - shown as the connector's failure
                c.state, c.trace = FAILED, f"Cannot start the connector's processes: {exc}"

    def _prepare_positions(self, c: _Owned) -> None:
        """A fresh recovery store, and the source positions of the offsets topic as its initial positions."""
        f = c.files
        remove_tree(f.recovery)
        f.recovery.mkdir(parents=True, exist_ok=True)
        f.positions.unlink(missing_ok=True)
        cls, kind = connector_kind(c.config)
        if kind != "source" or cls is None:
            return
        pairs = self.stores.offsets.offsets(c.name)
        if not pairs:
            return
        try:
            positions = offset_ops.source_changes(list(pairs), is_file_source(cls))
        except ConnectException as exc:
            log.error("Connector %s: the offsets topic holds positions it cannot use (%s); it starts without them",
                      c.name, exc)
            return
        write_json_atomically(f.positions, {"connector": c.name,
                                            "positions": {k: v for k, v in positions.items() if v is not None}})
        log.info("Connector %s resumes from %d source position(s) of the offsets topic", c.name, len(positions))

    def _command(self, c: _Connector) -> list[str]:
        command = super()._command(c)
        command.append("--offsets-topic")
        # The connector's consumers leave a lost worker's group as fast as the worker leaves the cluster.
        raw = self.settings.worker
        if "consumer.session.timeout.ms" not in raw:
            command += ["--worker-override", f"consumer.session.timeout.ms={int(self.cluster.session_timeout_s * 1000)}"]
        return command

    def _stop_in_background(self, c: _Connector, forget: bool = False, deleted: bool = False) -> None:
        """Stop a connector's processes without holding up the loop; `forget`: it no longer runs here."""
        if forget:
            with self._lock:
                if self._connectors.get(c.name) is not c:
                    return
                del self._connectors[c.name]

        def run() -> None:
            with c.lock:
                self._stop_processes(c)
                if not forget:
                    c.state, c.trace = STOPPED, None
                    return
            if deleted:
                self._remove_statuses(c)
            elif not self._fenced and not self._closed.is_set():
                self._report_state(c, UNASSIGNED, None)
            log.info("Connector %s no longer runs on this worker", c.name)

        threading.Thread(target=run, name=f"pyconnect-flow-stop-{c.name}", daemon=True).start()

    def _maybe_restart_failed(self, c: _Owned) -> None:
        if c.state == RUNNING and c.failures and time.monotonic() - c.running_since > self.cluster.restart_backoff_max_s:
            c.failures = 0
        if not self._restarts_on_failure(c) or c.state != FAILED or c.target == STOPPED or c.process is not None:
            return
        now = time.monotonic()
        if c.next_restart == 0.0:
            delay = min(self.cluster.restart_backoff_max_s, 2.0 ** c.failures)
            c.next_restart = now + delay
            log.warning("Connector %s failed; restarting it in %.0f s (pyconnect.restart.on.failure)", c.name, delay)
            return
        if now >= c.next_restart:
            c.failures += 1
            c.next_restart = 0.0
            self._start_owned(c)

    def _restarts_on_failure(self, c: _Owned) -> bool:
        own = c.config.get("pyconnect.restart.on.failure")
        if own is not None:
            return own.strip().lower() == "true"
        return self.cluster.restart_on_failure

    # statuses ---------------------------------------------------------------------

    def _report(self, c: _Owned, generation: int) -> None:
        instance = self._instance(c)
        state, trace = str(instance["state"]), instance.get("trace")
        if c.reported == (state, trace, generation):
            return
        self._report_state(c, state, trace, generation)

    def _report_state(self, c: _Connector, state: str, trace: str | None, generation: int | None = None) -> None:
        if generation is None:
            generation = self.stores.assignments.current.generation
        if state == UNASSIGNED:
            status = self.stores.statuses.connectors.get(c.name)
            if status is not None and status.worker_id != self.settings.worker_id:
                return  # another worker runs it already
        try:
            self._write_status(c.name, state, trace, self.settings.worker_id, generation, c.tasks)
        except Exception as exc:  # noqa: BLE001 - written again next round
            log.warning("Cannot write the status of connector %s: %s", c.name, exc)
            return
        if isinstance(c, _Owned):
            c.reported = (state, trace, generation)

    def _write_status(self, name: str, state: str, trace: str | None, worker_id: str, generation: int,
                      tasks: int | None = None) -> None:
        statuses = self.stores.statuses
        if tasks is None:
            tasks = max(1, len(statuses.tasks.get(name, {})))
        status = Status(state, worker_id, generation, trace, __version__)
        with self._write_lock:
            statuses.put_connector(name, status)
            if state == STOPPED:
                stale = sorted(statuses.tasks.get(name, {}))
                if stale:
                    statuses.log.write([(f"status-task-{name}-{n}".encode(), None) for n in stale])
                    statuses.refresh()
                return
            for task in range(tasks):
                statuses.put_task(name, task, status)

    def _remove_statuses(self, c: _Connector) -> None:
        try:
            with self._write_lock:
                self.stores.statuses.remove(c.name, max(c.tasks, len(self.stores.statuses.tasks.get(c.name, {}))))
        except Exception as exc:  # noqa: BLE001 - a deleted connector's status is only cosmetic
            log.warning("Cannot remove the status of deleted connector %s: %s", c.name, exc)
