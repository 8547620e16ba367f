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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyconnect_flow.data.exceptions import ConnectException

log = logging.getLogger(__name__)

_PAUSED = threading.Event()
_INITIAL: dict[str, dict[str, Any]] = {}
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
