"""The Bytewax recovery store that holds source and sink positions (`offset.storage.file.filename`)."""

from __future__ import annotations

import logging
from pathlib import Path

from pyconnect_flow.data.exceptions import ConnectException

log = logging.getLogger(__name__)


def prepare_recovery_dir(path: str | Path, partitions: int = 1) -> Path:
    """Create and initialise the recovery directory when it is new; reuse it when it holds a store."""
    from bytewax.recovery import init_db_dir

    directory = Path(path)
    if directory.exists() and not directory.is_dir():
        raise ConnectException(
            f"Offset storage {str(directory)!r} is a file; pyconnect-flow keeps positions in a Bytewax recovery "
            "directory. Point offset.storage.file.filename (or --recovery-dir) at a directory path.")
    directory.mkdir(parents=True, exist_ok=True)
    if not any(directory.glob("part-*.sqlite3")):
        init_db_dir(directory, max(1, partitions))
        log.info("Initialised recovery store %s with %d partition(s)", directory, partitions)
    return directory
