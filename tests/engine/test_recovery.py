"""A damaged recovery store is reported with its path, the setting naming it and how to start again."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from bytewax.recovery import init_db_dir

from pyconnect_flow import cli
from pyconnect_flow.engine import runner
from pyconnect_flow.engine.explain import explain
from pyconnect_flow.engine.recovery import RecoveryStoreError, check_recovery_store, store_failure

SETTING = "offset.storage.file.filename"


def new_store(path: Path, parts: int = 1) -> Path:
    path.mkdir()
    init_db_dir(path, parts)
    return path


def sql(statement: str) -> Callable[[Path], None]:
    def apply(store: Path) -> None:
        with sqlite3.connect(store / "part-0.sqlite3") as conn:
            conn.executescript(statement)
    return apply


def garbage(store: Path) -> None:
    (store / "part-0.sqlite3").write_bytes(bytes(range(256)) * 128)


def truncated(store: Path) -> None:
    with (store / "part-0.sqlite3").open("r+b") as f:
        f.truncate(100)


def damaged_page(store: Path) -> None:
    with (store / "part-0.sqlite3").open("r+b") as f:
        f.seek(4096)
        f.write(b"\xde\xad" * 2048)


def empty_file(store: Path) -> None:
    (store / "part-0.sqlite3").write_bytes(b"")


def missing_part(store: Path) -> None:
    (store / "part-1.sqlite3").unlink()


def part_of_another_store(store: Path) -> None:
    other = new_store(store.parent / "other", 3)
    (store / "part-1.sqlite3").write_bytes((other / "part-1.sqlite3").read_bytes())


@pytest.mark.parametrize(("damage", "problem"), [
    (garbage, "part-0.sqlite3 cannot be read as a SQLite database (file is not a database)"),
    (truncated, "part-0.sqlite3 cannot be read as a SQLite database (database disk image is malformed)"),
    (damaged_page, "part-0.sqlite3 cannot be read as a SQLite database (database disk image is malformed)"),
    (empty_file, "part-0.sqlite3 is not a Bytewax recovery part (no table commits, exs, fronts, parts, snaps)"),
    (sql("DROP TABLE snaps"), "part-0.sqlite3 is not a Bytewax recovery part (no table snaps)"),
    (sql("DROP TABLE snaps; CREATE TABLE snaps (x INTEGER)"),
     "part-0.sqlite3 is not a Bytewax recovery part (table snaps has no column created_at, ser_change, snap_epoch, "
     "state_key, step_id)"),
    (sql("DELETE FROM parts"), "part-0.sqlite3 does not say which partition it is (0 rows in its table parts)"),
    (missing_part, "part(s) 1 of 2 are missing"),
    (part_of_another_store, "its part files disagree on the number of partitions (2, 3)"),
], ids=["garbage", "truncated", "damaged-page", "empty-file", "no-table", "wrong-columns", "no-part-row",
        "missing-part", "other-store-part"])
def test_damaged_stores_are_refused_naming_what_is_wrong(tmp_path: Path, damage: Callable[[Path], None],
                                                         problem: str) -> None:
    store = new_store(tmp_path / "offsets", 2)
    damage(store)
    with pytest.raises(RecoveryStoreError) as info:
        check_recovery_store(store, SETTING)
    assert info.value.problem == problem
    assert str(info.value) == (
        f"Recovery store '{store}' ({SETTING}) cannot be used: {problem}. It holds the connectors' positions. "
        f"To start again without them, move the directory away (e.g. `mv {store} {store}.broken`): sink "
        "connectors then resume from their consumer group's committed offsets (connect-<name>), source "
        "connectors from the start of their input, so some records may be delivered again.")


def test_new_and_sound_stores_pass(tmp_path: Path) -> None:
    check_recovery_store(tmp_path / "not-yet", SETTING)
    (tmp_path / "empty").mkdir()
    check_recovery_store(tmp_path / "empty", SETTING)
    check_recovery_store(new_store(tmp_path / "offsets", 3), "--recovery-dir")


def test_a_file_where_the_store_should_be_is_refused(tmp_path: Path) -> None:
    (tmp_path / "offsets.txt").write_text("")
    with pytest.raises(RecoveryStoreError, match=r"^Recovery store '.*offsets.txt' \(--recovery-dir\) cannot be "
                                                 r"used: it is a file, not a directory\. "):
        check_recovery_store(tmp_path / "offsets.txt", "--recovery-dir")


def test_validate_reports_a_damaged_store_before_anything_runs(tmp_path: Path) -> None:
    store = new_store(tmp_path / "offsets")
    garbage(store)
    (tmp_path / "w.properties").write_text(f"bootstrap.servers=127.0.0.1:1\n{SETTING}={store}\n")
    (tmp_path / "c.properties").write_text("name=c\nconnector.class=FileStreamSource\nfile=a.txt\ntopic=t\n")
    done = subprocess.run([sys.executable, "-m", "pyconnect_flow", "validate", str(tmp_path / "w.properties"),
                           str(tmp_path / "c.properties")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith(f"pyconnect-flow: Recovery store '{store}' ({SETTING}) cannot be used: "
                                  "part-0.sqlite3 cannot be read as a SQLite database (file is not a database).")


def bytewax_panic_on(store: Path) -> BaseException:
    """What Bytewax raises when it resumes from `store` (a tiny flow, run without the store check)."""
    import bytewax.operators as op
    from bytewax.connectors.stdio import StdOutSink
    from bytewax.dataflow import Dataflow
    from bytewax.recovery import RecoveryConfig
    from bytewax.testing import TestingSource, run_main

    flow = Dataflow("pyconnect")
    op.output("out", op.input("in", flow, TestingSource([1])), StdOutSink())
    with pytest.raises(Exception) as info:  # noqa: PT011 - whatever Bytewax raises is what explain gets
        run_main(flow, epoch_interval=dt.timedelta(seconds=1), recovery_config=RecoveryConfig(str(store)))
    return info.value


def test_explain_turns_bytewax_store_panics_into_the_store_message(tmp_path: Path) -> None:
    store = new_store(tmp_path / "offsets")
    garbage(store)
    panic = bytewax_panic_on(store)
    assert "unwrap()" in str(panic) and "SqliteFailure" in str(panic)
    assert store_failure(panic) == "file is not a database (SQLite NotADatabase)"
    assert explain(panic, (store, SETTING)).startswith(
        f"Recovery store '{store}' ({SETTING}) cannot be used: file is not a database (SQLite NotADatabase). "
        "It holds the connectors' positions. To start again without them, move the directory away")
    unnamed = explain(panic)
    assert unnamed.startswith("The recovery store (the directory named by offset.storage.file.filename or "
                              "--recovery-dir) cannot be used: file is not a database (SQLite NotADatabase).")
    assert "unwrap" not in unnamed and "SqliteFailure" not in unnamed


def test_a_store_failing_mid_run_is_named_by_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    store = new_store(tmp_path / "offsets")
    damaged = new_store(tmp_path / "damaged")
    sql("DROP TABLE snaps; CREATE TABLE snaps (x INTEGER)")(damaged)
    panic = bytewax_panic_on(damaged)  # a real panic text, raised as if the sound store failed during the run

    def failing_run(options: runner.RunOptions) -> None:
        raise panic

    monkeypatch.setattr(cli, "run_connectors", failing_run)
    (tmp_path / "w.properties").write_text("bootstrap.servers=127.0.0.1:1\n")
    (tmp_path / "c.properties").write_text("name=c\nconnector.class=FileStreamSource\nfile=a.txt\ntopic=t\n")
    status = cli.main(["standalone", "--no-rest", "--recovery-dir", str(store), str(tmp_path / "w.properties"),
                       str(tmp_path / "c.properties")])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith(f"pyconnect-flow: Recovery store '{store}' (--recovery-dir) cannot be used: cannot join "
                          "using column step_id - column not present in both tables (SQLite Unknown). ")
    assert "unwrap" not in err and "SqliteFailure" not in err
