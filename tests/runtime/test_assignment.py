"""The leader's plan (`runtime.assignment.rebalance`): sticky, balanced, deterministic; and its record."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from pyconnect_flow.runtime.assignment import Assignment, rebalance, worker_id_of


def _loads(plan: dict[str, str], workers: list[str]) -> list[int]:
    counts = Counter(plan.values())
    return [counts.get(w, 0) for w in workers]


def test_new_connectors_go_to_the_least_loaded_workers() -> None:
    plan = rebalance({}, [f"c{i}" for i in range(7)], ["a:1", "b:1", "c:1"])
    assert sorted(_loads(plan, ["a:1", "b:1", "c:1"])) == [2, 2, 3]


def test_a_leave_moves_only_the_departed_workers_connectors() -> None:
    workers = ["a:1", "b:1", "c:1"]
    before = rebalance({}, [f"c{i}" for i in range(9)], workers)
    after = rebalance(before, before.keys(), ["a:1", "c:1"])
    moved = {name for name in before if before[name] != after[name]}
    assert moved == {name for name, owner in before.items() if owner == "b:1"}
    assert sorted(_loads(after, ["a:1", "c:1"])) == [4, 5]


def test_a_join_moves_only_what_balance_needs() -> None:
    before = rebalance({}, [f"c{i}" for i in range(9)], ["a:1", "b:1"])
    after = rebalance(before, before.keys(), ["a:1", "b:1", "c:1"])
    moved = [name for name in before if before[name] != after[name]]
    assert len(moved) == 3 and all(after[name] == "c:1" for name in moved)
    assert _loads(after, ["a:1", "b:1", "c:1"]) == [3, 3, 3]


def test_an_unchanged_group_changes_nothing_and_the_plan_is_deterministic() -> None:
    names = [f"c{i}" for i in range(10)]
    plan = rebalance({}, names, ["x:1", "y:1", "z:1"])
    assert rebalance(plan, names, ["z:1", "y:1", "x:1"]) == plan
    assert rebalance({}, list(reversed(names)), ["y:1", "x:1", "z:1"]) == plan
    assert rebalance(plan, names, []) == {}


@pytest.mark.parametrize("seed", range(20))
def test_random_changes_stay_balanced_and_sticky(seed: int) -> None:
    rng = random.Random(seed)
    workers = [f"w{i}:8083" for i in range(rng.randint(1, 5))]
    names = [f"c{i}" for i in range(rng.randint(0, 30))]
    plan = rebalance({}, names, workers)
    for _ in range(10):
        if rng.random() < 0.5 and len(workers) > 1:
            workers.remove(rng.choice(workers))
        else:
            workers.append(f"w{rng.randint(5, 99)}:8083")
        new = rebalance(plan, names, workers)
        loads = _loads(new, sorted(set(workers)))
        assert max(loads) - min(loads) <= 1
        kept = [n for n in names if plan[n] in workers]
        moved = sum(plan[n] != new[n] for n in kept)
        # Only what balance needs moves off a worker that stayed.
        assert moved <= max(0, max(Counter(plan[n] for n in kept).values(), default=0) - len(names) // len(set(workers)))\
            * len(set(workers))
        plan = new


def test_the_plan_round_trips_as_a_record() -> None:
    plan = Assignment(7, "h1:8083", "http://h1:8083", {"h1:8083": "http://h1:8083"}, {"c": "h1:8083"})
    assert Assignment.from_json(plan.to_json()) == plan
    assert plan.owned_by("h1:8083") == {"c"}
    assert worker_id_of("https://pod-0.workers.ns.svc:8443/") == "pod-0.workers.ns.svc:8443"
