"""The Bytewax recovery store that holds source and sink positions (`offset.storage.file.filename`).

The store is a directory of SQLite files, `part-<i>.sqlite3`, one per store partition. Bytewax
opens them with `unwrap()`: a damaged file makes it panic with a Rust message that names neither
the file nor the setting. `check_recovery_store` opens every part before the run and reports
what is wrong with the path, the setting that names it and how to start again; `store_failure`
recognises the panic when the store fails during a run anyway, for `runtime.errors.explain`.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shlex
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from pyconnect_flow.data.exceptions import ConnectException

log = logging.getLogger(__name__)

STORE_SETTINGS = "offset.storage.file.filename or --recovery-dir"
"""The settings that name the store, for messages where it is not known which one did."""

_SQLITE_PANIC = re.compile(r'SqliteFailure\(Error \{ code: (\w+), extended_code: \d+ \}, Some\("([^"]*)"\)\)')
_BYTEWAX_STORE_ERRORS = ("NoPartitionsError", "MissingPartitionsError", "InconsistentPartitionsError")


class RecoveryStoreError(ConnectException):
    """The recovery store cannot be used; the message names its path and setting and says how to start again."""

    def __init__(self, path: str | Path | None, setting: str | None, problem: str, advice: str | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.setting = setting
        self.problem = problem
        if path is None:
            where, move = f"The recovery store (the directory named by {STORE_SETTINGS})", "mv STORE STORE.broken"
        else:
            where = f"Recovery store {str(path)!r} ({setting or STORE_SETTINGS})"
            move = f"mv {shlex.quote(str(path))} {shlex.quote(str(path) + '.broken')}"
        if advice is None:
            advice = (f"It holds the connectors' positions. To start again without them, move the directory away "
                      f"(e.g. `{move}`): sink connectors then resume from their consumer group's committed offsets "
                      "(connect-<name>), source connectors from the start of their input, so some records may be "
                      "delivered again.")
        super().__init__(f"{where} cannot be used: {problem}. {advice}")


def check_recovery_store(path: str | Path, setting: str) -> None:
    """Raise RecoveryStoreError when the store at `path` exists but cannot be resumed from.

    A missing directory, or one without part files, is a new store (`prepare_recovery_dir` creates
    it). Otherwise every `part-*.sqlite3` must open as SQLite, pass `PRAGMA quick_check`, hold
    Bytewax's tables and say which partition it is, and together the parts must be one complete
    set. `setting` is what named the path (`offset.storage.file.filename` or `--recovery-dir`).
    """
    directory = Path(path)
    if not directory.exists():
        return
    if not directory.is_dir():
        raise RecoveryStoreError(path, setting, "it is a file, not a directory",
                                 "pyconnect-flow keeps positions in a Bytewax recovery directory: point the setting "
                                 "at a directory path (it is created on first use).")
    try:
        names = sorted(n for n in os.listdir(directory) if n.startswith("part-") and n.endswith(".sqlite3"))
    except OSError as exc:
        raise RecoveryStoreError(path, setting, f"the directory cannot be read ({exc.strerror or exc})") from None
    parts: dict[str, tuple[int, int]] = {}
    for name in names:
        parts[name] = _check_part(directory / name, path, setting)
    if not parts:
        return
    counts = sorted({count for _, count in parts.values()})
    if len(counts) > 1:
        raise RecoveryStoreError(path, setting, f"its part files disagree on the number of partitions "
                                                f"({', '.join(map(str, counts))})")
    missing = sorted(set(range(counts[0])) - {index for index, _ in parts.values()})
    if missing:
        raise RecoveryStoreError(path, setting, f"part(s) {', '.join(map(str, missing))} of {counts[0]} are missing")


def _check_part(file: Path, path: str | Path, setting: str) -> tuple[int, int]:
    """(part index, part count) of one part file; RecoveryStoreError when it is not a sound Bytewax part."""
    try:
        uri = file.resolve().as_uri() + "?mode=rw"  # never creates a file
        with closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
            schema_problem = _schema_problem(_schema(conn))
            if schema_problem:
                raise RecoveryStoreError(path, setting, f"{file.name} is not a Bytewax recovery part "
                                                        f"({schema_problem})")
            check = [row[0] for row in conn.execute("PRAGMA quick_check")]
            if check != ["ok"]:
                raise RecoveryStoreError(path, setting, f"{file.name} is damaged ({check[0]})")
            rows = conn.execute("SELECT part_index, part_count FROM parts").fetchall()
    except sqlite3.Error as exc:
        raise RecoveryStoreError(path, setting, f"{file.name} cannot be read as a SQLite database ({exc})") from None
    if len(rows) != 1:
        raise RecoveryStoreError(path, setting, f"{file.name} does not say which partition it is "
                                                f"({len(rows)} rows in its table parts)")
    return int(rows[0][0]), int(rows[0][1])


def _schema(conn: sqlite3.Connection) -> dict[str, frozenset[str]]:
    """Table name → column names of a SQLite database."""
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: frozenset(row[0] for row in conn.execute("SELECT name FROM pragma_table_info(?)", (t,)))
            for t in tables}


@functools.cache
def _bytewax_schema() -> dict[str, frozenset[str]]:
    """The tables and columns this Bytewax version puts in a part file, read from a new one."""
    from bytewax.recovery import init_db_dir

    with tempfile.TemporaryDirectory() as tmp:
        init_db_dir(Path(tmp), 1)
        with closing(sqlite3.connect(Path(tmp) / "part-0.sqlite3")) as conn:
            return _schema(conn)


def _schema_problem(schema: dict[str, frozenset[str]]) -> str | None:
    """What a part file's schema lacks of Bytewax's, or None."""
    expected = _bytewax_schema()
    missing_tables = sorted(set(expected) - set(schema))
    if missing_tables:
        return f"no table {', '.join(missing_tables)}"
    for table, columns in sorted(expected.items()):
        missing = sorted(columns - schema[table])
        if missing:
            return f"table {table} has no column {', '.join(missing)}"
    return None


def store_failure(exc: BaseException) -> str | None:
    """What a Bytewax failure says about its recovery store (a SQLite error in its panic text), else None."""
    text = str(exc)
    match = _SQLITE_PANIC.search(text)
    if match:
        return f"{match.group(2)} (SQLite {match.group(1)})"
    if type(exc).__name__ in _BYTEWAX_STORE_ERRORS or "recovery partitions" in text:
        return text.replace("; can't resume", "").rstrip(".")
    return None


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
