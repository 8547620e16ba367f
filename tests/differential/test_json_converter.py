"""JsonConverter over random schemas and values: Kafka Connect's own (in a JVM) against ours, byte for byte.

Each case is an envelope read by a JsonConverter (``toConnectData``) and written by another
(``fromConnectData``), as a worker reads and writes a record, with random settings on each side:
``schemas.enable`` both ways, ``decimal.format`` BASE64/NUMERIC, ``replace.null.with.default``, key or
value. Both must write the same bytes, or both refuse the case. Ours runs one by one and through the batch
paths. The cases run against the reference JDK and one of the other ``Double.toString`` family.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from pyconnect_flow.converters import JsonConverter
from pyconnect_flow.data import java_numbers
from tests.differential import jdks
from tests.differential.connect_data import random_envelope
from tests.differential.harness import case_count, replay_hint, rng, show
from tests.reference import maven
from tests.reference.jackson import KafkaError, ReadWrite, kafka_read_write


def lone_surrogate_in_a_key(data: str) -> bool:
    """Whether an object key of the JSON text holds a lone surrogate: Jackson cannot read those, and we
    read them on purpose (docs/kafka-connect-differences.md)."""
    def walk(node: Any) -> bool:
        if isinstance(node, dict):
            return any(_lone(k) or walk(v) for k, v in node.items())
        if isinstance(node, list):
            return any(walk(v) for v in node)
        return False
    return walk(json.loads(data))


def _lone(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def random_settings(rnd: Any, reading: bool) -> dict[str, str]:
    settings = {"schemas.enable": rnd.choice(("true", "false"))}
    if rnd.random() < 0.5:
        settings["replace.null.with.default"] = rnd.choice(("true", "false"))
    if not reading and rnd.random() < 0.6:
        settings["decimal.format"] = rnd.choice(("BASE64", "NUMERIC"))
    return settings


def cases() -> list[ReadWrite]:
    rnd = rng("json-converter")
    out = []
    for _ in range(case_count(0.25, minimum=20)):
        data, with_schema = random_envelope(rnd)
        read = random_settings(rnd, True)
        if with_schema and rnd.random() < 0.8:
            read["schemas.enable"] = "true"
        out.append(ReadWrite(data, read, random_settings(rnd, False), key=rnd.random() < 0.3))
    return out


def _converter(settings: dict[str, str], key: bool) -> JsonConverter:
    converter = JsonConverter()
    converter.configure(settings, is_key=key)
    return converter


def ours_one(case: ReadWrite) -> bytes | None | Exception:
    try:
        schema, value = _converter(dict(case.read), case.key).to_connect("topic", case.data.encode("utf-8", "surrogatepass"))
        return _converter(dict(case.write), case.key).from_connect("topic", schema, value)
    except Exception as exc:  # noqa: BLE001 - any refusal is compared with Kafka's
        return exc


def ours_batches(batch: list[ReadWrite]) -> list[bytes | None]:
    """The same cases through to_connect_batch and from_connect_batch (one call per settings)."""
    first = batch[0]
    datas = [c.data.encode("utf-8", "surrogatepass") for c in batch]
    read = _converter(dict(first.read), first.key).to_connect_batch("topic", datas)
    return _converter(dict(first.write), first.key).from_connect_batch("topic", read)


@pytest.fixture(scope="module", params=["reference", "other"])
def jdk(request: pytest.FixtureRequest) -> Iterator[str | None]:
    home = None if request.param == "reference" else jdks.other_family(maven.java_version(maven.java()))
    before = java_numbers.jdk()
    java_numbers.set_jdk(maven.java_version(maven.java(home)))
    try:
        yield home
    finally:
        java_numbers.set_jdk(before)


def test_random_schemas_and_values_read_and_written_as_kafka_does(jdk: str | None) -> None:
    all_cases = cases()
    expected = kafka_read_write(all_cases, java_home=jdk)
    problems = []
    ok: dict[Any, list[int]] = defaultdict(list)
    for i, (case, kafka) in enumerate(zip(all_cases, expected)):
        ours = ours_one(case)
        describe = f"case {i}: {case.data[:300]!r} read {case.read} write {case.write} key={case.key}"
        if isinstance(kafka, KafkaError) and not isinstance(ours, Exception) and lone_surrogate_in_a_key(case.data):
            continue  # a documented difference: Kafka cannot read the key, we can
        if not isinstance(kafka, KafkaError) and isinstance(ours, Exception) and "out of Python's" in str(ours):
            continue  # a documented limit: dates before year 1 or after 9999
        if isinstance(kafka, KafkaError) or isinstance(ours, Exception):
            if isinstance(kafka, KafkaError) != isinstance(ours, Exception):
                problems.append(f"{describe}\n  Kafka: {kafka if isinstance(kafka, KafkaError) else show(kafka)}\n"
                                f"  ours:  {ours!r}"[:2000])
            continue
        if ours != kafka:
            problems.append(f"{describe}\n  Kafka: {show(kafka, 1000)}\n  ours:  {show(ours, 1000)}")
            continue
        group = (tuple(sorted(case.read.items())), tuple(sorted(case.write.items())), case.key)
        ok[group].append(i)
    for indexes in ok.values():
        batch = [all_cases[i] for i in indexes]
        try:
            written = ours_batches(batch)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"batch of cases {indexes} raised {exc!r}")
            continue
        for i, got in zip(indexes, written):
            if got != expected[i]:
                problems.append(f"case {i} through the batch paths: {all_cases[i].data[:300]!r}\n"
                                f"  Kafka: {show(expected[i], 1000)}\n  ours:  {show(got, 1000)}")  # type: ignore[arg-type]
    assert not problems, f"{len(problems)} of {len(all_cases)} cases differ ({replay_hint()}):\n" + "\n".join(problems[:10])
