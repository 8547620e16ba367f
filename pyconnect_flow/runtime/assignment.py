"""Which worker of a distributed cluster runs which connector: the leader's sticky, balanced plan.

The plan is one record, `assignment`, in the cluster's assignment topic (`runtime.membership`): its
generation, the leader that wrote it and where the leader's REST API is (followers forward writes there),
every live worker's REST URL, and connector → worker. Only the leader writes it; every worker reads it and
runs the connectors assigned to it.

`rebalance` keeps every connector on its worker while that worker lives (a join or a leave moves only the
connectors it must): a departed worker's connectors go to the least loaded workers, and when the loads
differ by more than one (a worker joined), connectors move from the most to the least loaded until they do
not, the newest-named first.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyconnect_flow.connectors.kafka_clients import client_config
from pyconnect_flow.runtime.kafka_store import TopicLog, TopicSpec, TopicStore

log = logging.getLogger(__name__)

ASSIGNMENT_KEY = b"assignment"


@dataclass(frozen=True)
class Assignment:
    """The leader's plan (see the module)."""

    generation: int = 0
    leader: str = ""
    """The leader's worker id (`host:port`)."""
    leader_url: str = ""
    """The leader's REST API, where followers forward writes."""
    workers: Mapping[str, str] = field(default_factory=dict)
    """Worker id → REST URL of every live worker."""
    connectors: Mapping[str, str] = field(default_factory=dict)
    """Connector → the worker id that runs it."""

    def owned_by(self, worker_id: str) -> set[str]:
        """The connectors assigned to `worker_id`."""
        return {name for name, owner in self.connectors.items() if owner == worker_id}

    def to_json(self) -> bytes:
        return json.dumps({"generation": self.generation, "leader": self.leader, "leader_url": self.leader_url,
                           "workers": dict(sorted(self.workers.items())),
                           "connectors": dict(sorted(self.connectors.items()))},
                          separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> Assignment:
        value: Any = json.loads(raw)
        if not isinstance(value, dict):
            raise ValueError("the assignment is not a JSON object")
        return cls(int(value["generation"]), str(value["leader"]), str(value.get("leader_url", "")),
                   {str(k): str(v) for k, v in dict(value.get("workers", {})).items()},
                   {str(k): str(v) for k, v in dict(value.get("connectors", {})).items()})


def worker_id_of(url: str) -> str:
    """A worker's id (`host:port`, as Kafka Connect's) from its REST URL (its `client.id` in the group)."""
    return url.split("://", 1)[-1].rstrip("/")


def rebalance(previous: Mapping[str, str], connectors: Iterable[str], workers: Iterable[str]) -> dict[str, str]:
    """Connector → worker for `connectors` over the live `workers`, moving as few as possible from `previous`.

    Deterministic: the same inputs give the same plan. No workers: nothing is assigned.
    """
    live = sorted(set(workers))
    if not live:
        return {}
    names = sorted(set(connectors))
    plan = {name: previous[name] for name in names if previous.get(name) in live}
    load = {worker: 0 for worker in live}
    for owner in plan.values():
        load[owner] += 1
    for name in names:
        if name not in plan:
            target = min(live, key=lambda w: (load[w], w))
            plan[name] = target
            load[target] += 1
    while True:
        most = max(live, key=lambda w: (load[w], w))
        least = min(live, key=lambda w: (load[w], w))
        if load[most] - load[least] <= 1:
            return plan
        moved = max(name for name, owner in plan.items() if owner == most)
        plan[moved] = least
        load[most] -= 1
        load[least] += 1


class AssignmentStore(TopicStore):
    """The latest plan in the cluster's assignment topic (one partition, compacted; key `assignment`).

    Args:
        worker: The worker's config (clients' settings).
        spec: The topic.
    """

    def __init__(self, worker: Mapping[str, str], spec: TopicSpec) -> None:
        self.spec = spec
        self.log = TopicLog(client_config(worker, "admin"), spec, self._apply)
        self.current = Assignment()

    def put(self, assignment: Assignment) -> None:
        """Write a new plan (the leader's job)."""
        self.log.write([(ASSIGNMENT_KEY, assignment.to_json())])
        self.log.refresh()

    def _apply(self, key: str, raw: bytes | None) -> None:
        if key.encode() != ASSIGNMENT_KEY or raw is None:
            return
        try:
            assignment = Assignment.from_json(raw)
        except (ValueError, KeyError, TypeError) as exc:
            log.error("Ignoring an unreadable assignment in topic %r: %s", self.spec.name, exc)
            return
        if assignment.generation >= self.current.generation:
            self.current = assignment
