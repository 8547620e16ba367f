"""Positions kept by default when a connector flow runs under `python -m bytewax.run` without `-r`.

Kafka Connect always keeps its positions; a Bytewax flow keeps them only when `bytewax.run` is given a
recovery directory, so a second run of `python -m bytewax.run flows.file_to_kafka` would send the whole file
again. When `bytewax.run` imports a flow built by `connector_flow` and was given no recovery directory, the
flow gives it one: `offset.storage.file.filename` of the flow's settings, else `$PYCONNECT_POSITIONS`, else
`<connector name>.positions` in the working directory, created and initialised on first use.
`PYCONNECT_POSITIONS=none` runs without positions, as Bytewax does by default.

`bytewax.run` (pinned at 0.21) parses its arguments into a module-level dict, `kwargs`, imports the flow, then
passes that dict to `cli_main`; filling in its `recovery_config` while the flow is imported is the only hook
it offers, so this looks for exactly that shape and does nothing when it is not there.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyconnect_flow.engine.recovery import prepare_recovery_dir

log = logging.getLogger(__name__)

POSITIONS_ENV = "PYCONNECT_POSITIONS"


def _bytewax_run_arguments() -> dict[str, Any] | None:
    """The arguments `python -m bytewax.run` is about to run the flow with, when it is what runs."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is None or spec.name != "bytewax.run":
        return None
    arguments = getattr(main, "kwargs", None)
    if not isinstance(arguments, dict) or "recovery_config" not in arguments:
        return None
    return arguments


def positions_directory(name: str, worker: Mapping[str, str], cwd: Path | None = None) -> Path | None:
    """Where a flow named `name` keeps its positions by default (None: `PYCONNECT_POSITIONS=none`)."""
    configured = worker.get("offset.storage.file.filename") or os.environ.get(POSITIONS_ENV, "").strip()
    if configured.lower() == "none":
        return None
    if configured:
        return Path(configured)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name) or "flow"
    return (cwd or Path.cwd()) / f"{safe}.positions"


def keep_positions_by_default(name: str, worker: Mapping[str, str]) -> Path | None:
    """Give `python -m bytewax.run` a recovery store for this flow when it has none; the store's path."""
    arguments = _bytewax_run_arguments()
    if arguments is None or arguments.get("recovery_config") is not None:
        return None
    directory = positions_directory(name, worker)
    if directory is None:
        return None
    from bytewax.recovery import RecoveryConfig

    prepare_recovery_dir(directory)
    arguments["recovery_config"] = RecoveryConfig(str(directory))
    log.info("Connector %s keeps its positions in %s (python -m bytewax.run -r DIR chooses another store; "
             "%s=none keeps none)", name, directory, POSITIONS_ENV)
    return directory
