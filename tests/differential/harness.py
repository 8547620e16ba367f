"""Run the same connectors in Kafka Connect and in pyconnect-flow, and compare what they wrote.

A :class:`Run` holds the connectors of one comparison, each given once as a config template: ``{side}``
in a value becomes ``kc`` on Kafka Connect's side and ``py`` on ours, so each side writes its own topics
and files. Both sides run at the same time: ours as ``python -m pyconnect_flow standalone worker.properties
<connectors>.json --stop-at-end``, Kafka Connect's through the REST API of a running worker (see
:mod:`tests.reference.connect_standalone`). Outputs are then compared byte for byte: records of a topic
partition by partition (key, value, headers, in order), lines of files as bytes.

Seeds: every suite draws its cases from ``random.Random(f"{seed}:{suite}")``; the seed is
``$PYCONNECT_DIFF_SEED`` (``random`` draws a fresh one), else :data:`DEFAULT_SEED`, so that the test suite
gives the same answer on every run; every failure message says how to replay it. The number of
cases is ``$PYCONNECT_DIFF_CASES`` (all suites together), shared out by each suite's weight.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.integration.kafka_helpers import REPO, cli_env
from tests.reference.connect_standalone import ConnectorOutcome, KafkaConnect

SEED_ENV = "PYCONNECT_DIFF_SEED"
CASES_ENV = "PYCONNECT_DIFF_CASES"
DEFAULT_CASES = 400
#: The seed of runs that name none: the suite must give the same answer on every machine. Long runs with
#: fresh seeds (``PYCONNECT_DIFF_SEED=random PYCONNECT_DIFF_CASES=10000``) are how new differences are found.
DEFAULT_SEED = 20261204

#: pyconnect-flow prints numbers as the JDK named here does (see pyconnect_flow.data.java_numbers).
JDK_ENV = "PYCONNECT_FLOW_JDK"

SIDES = ("kc", "py")


def seed() -> int:
    """The seed of this run: ``$PYCONNECT_DIFF_SEED`` (``random``: one drawn once per process), else
    :data:`DEFAULT_SEED`."""
    global _SEED
    if _SEED is None:
        text = os.environ.get(SEED_ENV, "").strip()
        if text == "random":
            _SEED = random.SystemRandom().randrange(1, 2**31)
        else:
            _SEED = int(text) if text else DEFAULT_SEED
    return _SEED


_SEED: int | None = None


def rng(suite: str) -> random.Random:
    """The random source of one suite, from the run's seed."""
    return random.Random(f"{seed()}:{suite}")


def case_count(weight: float, minimum: int = 1) -> int:
    """This suite's share of ``$PYCONNECT_DIFF_CASES`` (default 400) by its weight (the weights add to 1)."""
    total = int(os.environ.get(CASES_ENV, "").strip() or DEFAULT_CASES)
    return max(minimum, round(total * weight))


def replay_hint() -> str:
    return f"seed {seed()}: replay with {SEED_ENV}={seed()} {CASES_ENV}={os.environ.get(CASES_ENV, DEFAULT_CASES)}"


def fill(template: Any, side: str) -> Any:
    """``template`` with every ``{side}`` in its strings replaced by ``side``."""
    if isinstance(template, str):
        return template.replace("{side}", side)
    if isinstance(template, Mapping):
        return {fill(k, side): fill(v, side) for k, v in template.items()}
    if isinstance(template, (list, tuple)):
        return [fill(v, side) for v in template]
    return template


def unside(data: bytes | None, side: str) -> bytes | None:
    """Kafka Connect's output with its side marker turned into ours, so topic names inside values compare."""
    if data is None or side == "py":
        return data
    return data.replace(b"kc" + _MARK, b"py" + _MARK)


#: Topic and file names start with ``<side><_MARK>``: rare enough to never occur in generated data.
_MARK = b"Q7"
NAME_MARK = _MARK.decode()


def run_id() -> str:
    """A short name no other run uses (topics outlive a run on a broker someone keeps)."""
    import uuid

    return uuid.uuid4().hex[:10]


def sided(stem: str) -> str:
    """A topic or connector name template: ``kcQ7<stem>`` on Kafka Connect's side, ``pyQ7<stem>`` on ours."""
    return "{side}" + NAME_MARK + stem


@dataclass
class Ours:
    """How pyconnect-flow's run ended."""

    returncode: int
    stderr: str
    seconds: float


@dataclass
class Run:
    """One comparison: connectors (templates), run on both sides at once."""

    workdir: Path
    connectors: dict[str, dict[str, Any]]
    worker: dict[str, Any] = field(default_factory=dict)
    outcomes: dict[str, ConnectorOutcome] = field(default_factory=dict)
    ours: Ours | None = None

    def execute(self, connect: KafkaConnect, done: Mapping[str, Any], *, timeout: float = 180.0,
                jdk: int | None = None) -> None:
        """Run the connectors on both sides; ``done[name]`` tells when Kafka Connect's has consumed its input."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        worker = {"bootstrap.servers": connect.bootstrap_servers,
                  "key.converter": "org.apache.kafka.connect.json.JsonConverter",
                  "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                  "offset.storage.file.filename": str(self.workdir / "py-offsets"),
                  "offset.flush.interval.ms": 1000, **self.worker}
        worker_file = self.workdir / "worker.properties"
        worker_file.write_text("".join(f"{k}={_escape(v)}\n" for k, v in worker.items()))
        files = []
        for name, config in self.connectors.items():
            path = self.workdir / f"connector-{len(files)}.json"
            path.write_text(json.dumps({"name": fill(name, "py"), "config": fill(config, "py")}))
            files.append(str(path))
        env = {JDK_ENV: str(jdk or connect.java_version)}
        started = time.monotonic()
        ours = subprocess.Popen([sys.executable, "-m", "pyconnect_flow", "standalone", str(worker_file), *files,
                                 "--stop-at-end"], cwd=self.workdir, env=cli_env(**env), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            kc = {fill(name, "kc"): {k: str(v) for k, v in fill(config, "kc").items()}
                  for name, config in self.connectors.items()}
            if self.worker:
                for config in kc.values():  # worker-level settings the test varies go to each connector
                    for key in ("key.converter", "value.converter", "header.converter"):
                        if key in self.worker:
                            config.setdefault(key, str(self.worker[key]))
            self.outcomes = connect.run(kc, {fill(name, "kc"): check for name, check in done.items()},
                                        timeout=timeout)
            _, stderr = ours.communicate(timeout=timeout)
        finally:
            if ours.poll() is None:
                ours.kill()
                ours.communicate()
        self.ours = Ours(ours.returncode, stderr, time.monotonic() - started)

    def outcome(self, name: str) -> ConnectorOutcome:
        return self.outcomes[fill(name, "kc")]


def _escape(value: Any) -> str:
    return str(value).replace("\\", "\\\\")


@dataclass(frozen=True)
class Rec:
    """A record as read back from a topic: what the comparison looks at."""

    partition: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...]


def topic_records(bootstrap: str, topic: str, side: str) -> list[Rec]:
    """Every record of ``topic``, partition by partition in offset order, side markers removed."""
    return topics_records(bootstrap, [topic], side)[topic]


def topics_records(bootstrap: str, topics: Sequence[str], side: str, timeout: float = 60.0) -> dict[str, list[Rec]]:
    """Every record of each of ``topics`` (read by one consumer up to their current ends), as
    :func:`topic_records` gives them."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "pcf-differential", "enable.auto.commit": False,
                         "enable.partition.eof": True})
    try:
        metadata = consumer.list_topics(timeout=30).topics
        assigned = [TopicPartition(t, p, 0) for t in topics for p in sorted(metadata[t].partitions)]
        out: dict[str, list[Any]] = {t: [] for t in topics}
        if not assigned:
            return {t: [] for t in topics}
        consumer.assign(assigned)
        remaining = {(tp.topic, tp.partition) for tp in assigned}
        deadline = time.monotonic() + timeout
        while remaining and time.monotonic() < deadline:
            for m in consumer.consume(10000, 0.5):
                err = m.error()
                if err is not None:
                    if err.code() == -191:  # KafkaError._PARTITION_EOF
                        remaining.discard((m.topic(), m.partition()))
                    continue
                out[m.topic()].append(m)
        if remaining:
            raise TimeoutError(f"topic partitions not read to their end in {timeout:g} s: {sorted(remaining)}")
    finally:
        consumer.close()
    result = {}
    for topic, messages in out.items():
        messages.sort(key=lambda m: (m.partition(), m.offset()))
        result[topic] = [Rec(m.partition(), unside(m.key(), side), unside(m.value(), side),
                             tuple((k, unside(v, side)) for k, v in (m.headers() or []))) for m in messages]
    return result


def create_topics(connect: KafkaConnect, names: Sequence[str], partitions: int = 1) -> None:
    """Create each topic template on both sides."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": connect.bootstrap_servers})
    unique = dict.fromkeys(fill(name, side) for name in names for side in SIDES)  # a name without {side}: once
    topics = [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in unique]
    for future in admin.create_topics(topics, operation_timeout=30).values():
        future.result(30)


def show(data: bytes | None, limit: int = 400) -> str:
    if data is None:
        return "null"
    text = repr(data)
    return text if len(text) <= limit else text[:limit] + f"… ({len(data)} bytes)"


def show_pair(a: bytes | None, b: bytes | None, limit: int = 400) -> tuple[str, str]:
    """Both texts, cut around their first difference when they are long."""
    if a is None or b is None or (len(a) <= limit // 2 and len(b) <= limit // 2):
        return show(a, limit), show(b, limit)
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    start = max(0, first - 80)
    cut = f"…(from byte {start} of {len(a)}/{len(b)}) " if start else ""
    return cut + repr(a[start:start + 200]), cut + repr(b[start:start + 200])


def compare_records(kc: list[Rec], py: list[Rec], describe: Any = None) -> list[str]:
    """The differences between Kafka Connect's records and ours (empty when identical)."""
    problems = []
    for i, (a, b) in enumerate(zip(kc, py)):
        if a != b:
            what = f" ({describe(i)})" if describe is not None else ""
            lines = [f"record {i}{what} differs:"]
            if a.partition != b.partition:
                lines.append(f"  partition: Kafka Connect {a.partition}, ours {b.partition}")
            if a.key != b.key:
                lines.append(f"  key: Kafka Connect {show(a.key)}\n       ours          {show(b.key)}")
            if a.value != b.value:
                x_text, y_text = show_pair(a.value, b.value)
                lines.append(f"  value: Kafka Connect {x_text}\n         ours          {y_text}")
            if a.headers != b.headers:
                lines.append(f"  headers: Kafka Connect {a.headers!r}\n           ours          {b.headers!r}")
            problems.append("\n".join(lines))
    if len(kc) != len(py):
        problems.append(f"Kafka Connect wrote {len(kc)} records, ours {len(py)}; the first extra: "
                        f"{(kc if len(kc) > len(py) else py)[min(len(kc), len(py))]!r}")
    return problems


def compare_files(kc: bytes, py: bytes, describe: Any = None) -> list[str]:
    """The differences between two FileStreamSink files, line by line, aligned (a line only one side
    wrote shows as such, not as a shift of every line after it)."""
    if kc == py:
        return []
    import difflib

    a, b = kc.split(b"\n"), py.split(b"\n")
    problems = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        what = f" ({describe(i1)})" if describe is not None else ""
        if tag == "delete":
            problems.append(f"lines {i1}-{i2 - 1}{what} only in Kafka Connect's file: " + ", ".join(map(show, a[i1:i2])))
        elif tag == "insert":
            problems.append(f"lines {j1}-{j2 - 1} only in ours, after Kafka Connect's line {i1 - 1}: "
                            + ", ".join(map(show, b[j1:j2])))
        else:
            for k in range(max(i2 - i1, j2 - j1)):
                x = a[i1 + k] if i1 + k < i2 else None
                y = b[j1 + k] if j1 + k < j2 else None
                x_text, y_text = show_pair(x, y)
                problems.append(f"line {i1 + k}{what}:\n  Kafka Connect {x_text}\n  ours          {y_text}")
    return problems


def report(problems: list[str], limit: int = 12) -> str:
    more = f"\n… and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} differences ({replay_hint()}):\n" + "\n".join(problems[:limit]) + more


__all__ = [
    "CASES_ENV", "JDK_ENV", "NAME_MARK", "REPO", "SEED_ENV", "Rec", "Run", "case_count", "compare_files",
    "compare_records", "create_topics", "fill", "replay_hint", "report", "rng", "run_id", "seed", "show", "sided",
    "topic_records", "topics_records",
]
