"""Control of a running pipeline from outside its processes: pausing its sources, and the positions its
source partitions start from when none is stored.

Both serve the REST API's worker (`runtime.herder`), which runs each connector in processes of its own:

- **Pause**: while the file named by `--pause-file` exists, every source partition of the process returns
  empty batches (`engine.adapters._SourcePartition.next_batch`). Epochs go on, so sinks still flush and
  positions are still stored; nothing already read is dropped, and reading resumes where it paused once the
  file is gone. A thread polls the file, so a paused process costs a few wake-ups a second.
- **Initial positions** (`--positions-file`, JSON `{"connector": name, "positions": {partition key: position}}`):
  a source partition for which the recovery store holds no position starts from the one given here instead of
  its source's default. The worker writes it when a user sets a stopped connector's offsets
  (`PATCH /connectors/{name}/offsets`), and removes the partitions' stored positions at the same time, so the
  override wins exactly once: from the first stored epoch on, the store's position applies again.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pyconnect_flow.data.exceptions import ConnectException

log = logging.getLogger(__name__)

_PAUSED = threading.Event()
_INITIAL: dict[str, dict[str, Any]] = {}
_PUBLISHERS: dict[str, Callable[[str, Any], None]] = {}
_POLL_S = 0.1


def paused() -> bool:
    """True while this process's sources must not read (see the module)."""
    return _PAUSED.is_set()


def set_paused(flag: bool) -> None:
    """Pause (True) or resume (False) every source partition of this process."""
    if flag:
        _PAUSED.set()
    else:
        _PAUSED.clear()


def pause_ack_file(pause_file: str | os.PathLike[str]) -> Path:
    """The file a paused process writes once its sources have stopped reading (removed on resume by the
    worker), so a worker reports PAUSED only when the connector is."""
    pause = Path(pause_file)
    return pause.with_name(pause.name + ".ack")


def watch_pause_file(path: str | os.PathLike[str], interval_s: float = _POLL_S) -> None:
    """Pause this process's sources while `path` exists (checked now, then every `interval_s`)."""
    target = Path(path)
    set_paused(target.exists())

    ack = pause_ack_file(target)

    def watch() -> None:
        while True:
            now = target.exists()
            if now != paused():
                log.info("Sources %s", "paused" if now else "resumed")
                set_paused(now)
            elif now:
                # Paused for a whole interval: no read that began before the pause is still running.
                ack.touch(exist_ok=True)
            threading.Event().wait(interval_s)

    threading.Thread(target=watch, name="pyconnect-flow-pause-watch", daemon=True).start()


def set_initial_positions(connector: str, positions: Mapping[str, Any]) -> None:
    """Positions the source partitions of `connector` start from when the recovery store has none."""
    _INITIAL[connector] = dict(positions)


def initial_positions(connector: str) -> dict[str, Any]:
    """The initial positions set for `connector` (partition key → position; empty when none)."""
    return dict(_INITIAL.get(connector, {}))


def set_position_publisher(connector: str, publish: Callable[[str, Any], None] | None) -> None:
    """Have `publish(partition key, position)` called with every position of `connector`'s source partitions
    once its sink made it durable (distributed mode: `engine.offsets_topic`); None: no longer."""
    if publish is None:
        _PUBLISHERS.pop(connector, None)
    else:
        _PUBLISHERS[connector] = publish


def position_publisher(connector: str) -> Callable[[str, Any], None] | None:
    """What publishes `connector`'s durable source positions (None: nothing beyond its source's own)."""
    return _PUBLISHERS.get(connector)


def load_initial_positions(path: str | os.PathLike[str]) -> None:
    """Read an initial positions file (see the module); a missing file sets nothing."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    except (OSError, ValueError) as exc:
        raise ConnectException(f"Cannot read the initial positions file {str(path)!r}: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("positions"), dict):
        raise ConnectException(f"The initial positions file {str(path)!r} is not shaped "
                               '{"connector": name, "positions": {partition: position}}')
    set_initial_positions(str(document.get("connector", "")), document["positions"])


# -- topics tracking (KIP-558) ----------------------------------------------------------------------------

_TOPICS: dict[str, Any] = {"path": None, "seen": set(), "checked": 0.0}
_TOPICS_LOCK = threading.Lock()
_TOPICS_RECHECK_S = 1.0


def track_topics_file(path: str | os.PathLike[str] | None) -> None:
    """Record the topics this process's connector uses in `path` (`--topics-file`; None: record nothing).

    As Kafka Connect's tasks record their active topics (`topic.tracking.enable`): a source connector the
    topics its records were sent to (after its transforms), a sink connector the topics it consumed
    records from (before its transforms). Each topic is appended as one line the first time it is seen;
    every process of a connector appends to the same file (short `O_APPEND` writes do not interleave). The
    worker resets the set by removing the file: once that is seen (checked at most every second), topics are
    recorded again as records arrive, as Kafka Connect's tasks do after `PUT …/topics/reset`."""
    with _TOPICS_LOCK:
        _TOPICS["path"] = None if path is None else Path(path)
        _TOPICS["seen"] = set()
        _TOPICS["checked"] = 0.0


def tracking_topics() -> bool:
    """True when this process records its connector's active topics (see `track_topics_file`)."""
    return _TOPICS["path"] is not None


def note_topics(topics: set[str]) -> None:
    """Record `topics` as active (appended to the topics file once each; see `track_topics_file`)."""
    path: Path | None = _TOPICS["path"]
    if path is None:
        return
    seen: set[str] = _TOPICS["seen"]
    now = time.monotonic()
    if topics <= seen and now - _TOPICS["checked"] < _TOPICS_RECHECK_S:
        return
    with _TOPICS_LOCK:
        if now - _TOPICS["checked"] >= _TOPICS_RECHECK_S:
            _TOPICS["checked"] = now
            if seen and not path.exists():
                seen.clear()  # reset by the worker: record again
        new = sorted(topics - seen)
        if not new:
            return
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write("".join(t + "\n" for t in new))
        except OSError as exc:
            log.warning("Cannot record the active topics %s in %s: %s", new, path, exc)
            return
        seen.update(new)


def read_topics_file(path: str | os.PathLike[str]) -> list[str]:
    """The topics recorded in a topics file, sorted (none when it does not exist)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return sorted({line for line in text.splitlines() if line})
