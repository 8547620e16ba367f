"""Options of a run (`pyconnect-flow standalone`, `RunOptions`): every refusal names the option and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyconnect_flow.cli import parser
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.engine.runner import RunOptions, load


@pytest.mark.parametrize(("value", "message"), [("0", "must be at least 1, not 0"),
                                                ("-3", "must be at least 1, not -3"),
                                                ("two", "must be a whole number of at least 1, not 'two'")])
@pytest.mark.parametrize("option", ["--processes", "--epoch-interval-ms"])
def test_processes_and_epoch_below_one_are_refused_by_the_command_line(
        capsys: pytest.CaptureFixture[str], option: str, value: str, message: str) -> None:
    with pytest.raises(SystemExit) as info:
        parser().parse_args(["standalone", option, value, "w.properties", "c.properties"])
    assert info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == \
        f"pyconnect-flow standalone: error: argument {option}: {message}"


def test_processes_of_at_least_one_are_taken() -> None:
    args = parser().parse_args(["standalone", "--processes", "1", "w.properties", "c.properties"])
    assert args.processes == 1


@pytest.mark.parametrize("processes", [0, -3])
def test_run_options_with_processes_below_one_are_refused(tmp_path: Path, processes: int) -> None:
    (tmp_path / "w.properties").write_text("bootstrap.servers=127.0.0.1:1\n")
    (tmp_path / "c.properties").write_text("name=c\nconnector.class=FileStreamSource\nfile=a.txt\ntopic=t\n")
    options = RunOptions(str(tmp_path / "w.properties"), [str(tmp_path / "c.properties")], processes=processes)
    with pytest.raises(ConnectException, match=f"^processes \\(--processes\\) must be at least 1, not {processes}$"):
        load(options)
