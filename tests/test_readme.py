"""README.md stays true: its Python examples run, and its two commands are the ones CI uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def test_python_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert len(blocks) >= 2
    for block in blocks:
        namespace: dict[str, object] = {}
        exec(compile(block, "README.md", "exec"), namespace)


def test_transform_example_gives_the_documented_result() -> None:
    namespace: dict[str, object] = {}
    exec(re.findall(r"```python\n(.*?)```", README, re.S)[0], namespace)
    from pyconnect_flow import Record

    pipeline, hoist = namespace["pipeline"], namespace["hoist"]
    assert pipeline(Record(topic="orders", value={"amount": "12.5"})).value == {"amount": 12.5, "source": "file"}
    assert pipeline(Record(topic="other", value={"amount": "12.5"})).value == {"amount": "12.5", "source": "file"}
    assert pipeline(Record(topic="orders", value={"amount": None})) is None
    assert hoist(Record(topic="x", value="hello")).value == {"line": "hello"}


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"```bash\n(.*?)```", README, re.S)
    assert commands[0].strip() == 'python3 -m pip install -e ".[embedded]" && python3 -m pyconnect_flow.demo'
    test_command = commands[1].strip()
    assert test_command == 'python3 -m pip install -e ".[test]" && python3 -m pytest'
    ci = (REPO / ".ci" / "run").read_text()
    assert '-m pip install --disable-pip-version-check -q -e ".[test]"' in ci
    assert '"$PYTHON" -m pytest\n' in ci and "PYTHON=${PYTHON:-python3}" in ci


def test_the_flow_example_runs_against_a_broker(kafka, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                unique_name: str) -> None:
    import json

    from bytewax.testing import run_main

    from tests.integration.kafka_helpers import read_topic

    block = next(b for b in re.findall(r"```python\n(.*?)```", README, re.S) if "build_flow(" in b)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.txt").write_text("first\nsecond\n")
    code = block.replace("localhost:9092", kafka.bootstrap_servers).replace('"lines"', repr(unique_name))
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    run_main(namespace["flow"])
    values = [json.loads(m.value)["payload"] for m in read_topic(kafka.bootstrap_servers, unique_name, 2)]
    assert values == [{"line": "first", "via": "python"}, {"line": "second", "via": "python"}]
