"""The JVM's own text and number conversions against ours, on random inputs, under JDK 17 and JDK 19+.

- ``Double.toString``/``Float.toString``: every number Kafka Connect writes (Jackson's JSON, FileStreamSink
  lines, header and Cast texts) goes through them, and JDK 19 changed their digits. Ours follow
  ``set_jdk``/``PYCONNECT_FLOW_JDK``; both families are checked against a JVM of that family.
- UTF-8 decoding as FileStreamSourceTask's ``InputStreamReader`` does it (invalid bytes → U+FFFD, grouped
  as Java groups them).
- The bytes ``PrintStream.println`` writes for a string, as FileStreamSinkTask writes a line (lone
  surrogates become ``?``).
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyconnect_flow.connectors.file import FileSink
from pyconnect_flow.data import java_numbers
from pyconnect_flow.data.java_text import decode_like_java
from pyconnect_flow.record import Record
from tests.differential import jdks
from tests.differential.harness import case_count, replay_hint, rng
from tests.reference import maven
from tests.reference.java_text import java_answers


def random_double(rnd: random.Random) -> float:
    roll = rnd.random()
    if roll < 0.35:  # any bit pattern
        x = struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(64)))[0]
        return x if math.isfinite(x) else 1.5
    if roll < 0.55:  # short decimals of any size: the values people write
        return float(f"{rnd.randint(1, 10 ** rnd.randint(1, 17))}e{rnd.randint(-40, 40)}") * rnd.choice((1, -1))
    if roll < 0.65:  # integers up to 2^64
        return float(rnd.randint(-(2**64), 2**64))
    if roll < 0.75:  # powers of two, where the gap below is half the gap above
        return math.ldexp(rnd.choice((1.0, -1.0)), rnd.randint(-1074, 1023))
    if roll < 0.9:  # plain notation range
        return rnd.uniform(-1e7, 1e7) / 10 ** rnd.randint(0, 9)
    return struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(52)))[0]  # subnormal


def random_float(rnd: random.Random) -> float:
    while True:
        if rnd.random() < 0.6:
            f = struct.unpack("<f", struct.pack("<I", rnd.getrandbits(32)))[0]
        else:
            f = java_numbers.to_float32(float(f"{rnd.randint(1, 10 ** rnd.randint(1, 9))}e{rnd.randint(-45, 38)}"))
        if math.isfinite(f):
            return f


@pytest.fixture(scope="module", params=["reference", "other"])
def jdk_home(request: pytest.FixtureRequest) -> Iterator[tuple[str | None, int]]:
    """The reference JDK and one of the other Double.toString family, with ours set to print as it does."""
    home = None if request.param == "reference" else jdks.other_family(maven.java_version(maven.java()))
    version = maven.java_version(maven.java(home))
    before = java_numbers.jdk()
    java_numbers.set_jdk(version)
    try:
        yield home, version
    finally:
        java_numbers.set_jdk(before)


def test_numbers_print_as_the_jdk_prints_them(jdk_home: tuple[str | None, int]) -> None:
    home, version = jdk_home
    rnd = rng(f"numbers-{jdks.family(version)}")
    count = case_count(0.1, minimum=20) * 20  # cheap: twenty numbers per case
    requests: list[tuple[str, object]] = [("double", random_double(rnd)) for _ in range(count)]
    requests += [("float", random_float(rnd)) for _ in range(count // 3)]
    answers = java_answers(requests, home)
    ours = {"double": java_numbers.java_double_str, "float": java_numbers.java_float_str}
    problems = [f"{op} {x!r}: JDK {version} {answer}, ours {ours[op](x)}"  # type: ignore[arg-type]
                for (op, x), answer in zip(requests, answers) if ours[op](x) != answer]  # type: ignore[arg-type]
    assert not problems, f"{len(problems)} of {len(requests)} differ ({replay_hint()}):\n" + "\n".join(problems[:20])


UTF8_BYTES = [*range(0x20, 0x7F, 7), 0x0A, *range(0x80, 0x100)]


def test_invalid_utf8_decodes_as_javas_reader_and_string_decode_it() -> None:
    rnd = rng("utf8")
    count = case_count(0.05, minimum=20) * 20
    samples = [bytes(rnd.choice(UTF8_BYTES) for _ in range(rnd.randint(1, 12))) for _ in range(count)]
    requests: list[tuple[str, object]] = [(op, s) for s in samples for op in ("decode", "string")]
    answers = java_answers(requests)
    problems = [f"{op} {s!r}: Java {a!r}, ours {decode_like_java(s)!r}"  # type: ignore[arg-type]
                for (op, s), a in zip(requests, answers) if decode_like_java(s) != a]  # type: ignore[arg-type]
    assert not problems, f"{len(problems)} of {len(samples)} differ ({replay_hint()}):\n" + "\n".join(problems[:20])


def test_sink_lines_are_encoded_as_javas_print_stream_encodes_them(tmp_path: Path) -> None:
    rnd = rng("print")
    units = ["a", "é", "\U0001F600", "\ud800", "\udc00", "\udbff\udfff", "\ufffd", "\x00", "\u2028"]
    texts = ["".join(rnd.choice(units) for _ in range(rnd.randint(0, 6))) for _ in range(200)]
    answers = java_answers([("print", t) for t in texts])
    out = tmp_path / "sink.txt"
    writer = FileSink(str(out)).open("p", None)
    writer.write([Record(topic="t", value=t) for t in texts])
    writer.flush()
    writer.close()
    assert out.read_bytes() == b"".join(a for a in answers if isinstance(a, bytes)), replay_hint()


PATTERNS = ["yyyy-MM-dd", "yyyyMMdd", "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "yyyy-MM-dd HH:mm:ss.SSS", "HH:mm:ss",
            "dd/MM/yyyy HH:mm", "EEE, d MMM yyyy", "''yy''", "D", "MMMM", "a h:mm", "yy", "y", "yyyyMMddHHmmss",
            "k K", "G yyyy", "S", "MM", "d", "H:m:s", "yyyy-DDD", "z", "Z", "X"]
TEXTS = ["2023-11-14", "2023-11-14T10:20:30.400Z", "12:30:00.000Z", "1700000000000", "20231114", "42", "-7",
         "1582-10-10", "0001-01-01", "99", "13/13/2023 25:61", "Tue, 14 Nov 2023", "November", "PM 3:04",
         "2023-13-45 24:60:60.1000", "-0001-01-01", " 2023-1-1", "2023-11", "AD 1582", "123", "1e3", ""]


def test_date_formats_format_and_parse_as_javas_simple_date_format() -> None:
    from pyconnect_flow.data.dateformat import DateFormatError, SimpleDateFormat

    rnd = rng("dateformat")
    requests: list[tuple[str, object]] = []
    for _ in range(case_count(0.05, minimum=20) * 10):
        pattern = rnd.choice(PATTERNS)
        if rnd.random() < 0.5:
            millis = rnd.choice((0, -1, 1700000000000, -12219292800001, -12219292800000, -62135596800000,
                                 253402300799999)) + rnd.randint(-10**11, 10**11) * rnd.choice((0, 1))
            requests.append(("format", (pattern, millis)))
        else:
            requests.append(("parse", (pattern, rnd.choice(TEXTS))))
    answers = java_answers(requests)
    problems = []
    for (op, (pattern, value)), answer in zip(requests, answers):  # type: ignore[misc]
        try:
            fmt = SimpleDateFormat(pattern)
            ours: object = fmt.format(value) if op == "format" else str(fmt.parse(value))
        except DateFormatError:
            ours = "ERR"
        if ours != answer:
            problems.append(f"{op} {pattern!r} {value!r}: Java {answer!r}, ours {ours!r}")
    assert not problems, f"{len(problems)} of {len(requests)} differ ({replay_hint()}):\n" + "\n".join(problems[:30])


@pytest.mark.parametrize("which", ["reference", "other"])
def test_maps_the_smts_build_iterate_as_javas_hash_maps(which: str) -> None:
    """`new HashMap<>(map)` (whose sizing changed in JDK 19) and `new HashMap<>(n)`, then puts and removes."""
    from pyconnect_flow.data.java_hashmap import java_copied, java_ordered, java_sized

    home = None if which == "reference" else jdks.other_family(maven.java_version(maven.java()))
    version = maven.java_version(maven.java(home))
    rnd = rng(f"hashmap-{which}")
    pool = [f"{c}{i}" for c in "abcdefghijklmnopqrstuvwxyz" for i in range(3)] + ["Aa", "BB", "id", "name", "é😀"]
    requests: list[tuple[str, object]] = []
    for _ in range(case_count(0.05, minimum=20) * 5):
        keys = rnd.sample(pool, rnd.randint(0, 30))
        if rnd.random() < 0.7:
            # an SMT's copy gets puts (InsertField, Cast, MaskField, ...) or removes (HeaderFrom's move), not both
            puts = rnd.sample(pool, rnd.randint(0, 8)) if rnd.random() < 0.7 else []
            removes = [] if puts else rnd.sample(keys, min(len(keys), rnd.randint(0, 3)))
            requests.append(("copy", (keys, puts, removes)))
        else:
            requests.append(("sized", (rnd.randint(0, 40), keys)))
    answers = java_answers(requests, home)
    before = java_numbers.jdk()
    java_numbers.set_jdk(version)
    problems = []
    try:
        for (op, arg), answer in zip(requests, answers):
            if op == "copy":
                keys, puts, removes = arg  # type: ignore[misc]
                source = tuple(java_ordered(dict.fromkeys(keys, 1)))
                after = dict.fromkeys(source, 1)
                after.update(dict.fromkeys(puts, 2))
                for key in removes:
                    after.pop(key, None)
                ours = ",".join(java_copied(source, after))
            else:
                n, keys = arg  # type: ignore[misc]
                ours = ",".join(java_sized(n, dict.fromkeys(keys, 1)))
            if ours != answer:
                problems.append(f"{op} {arg!r}: Java {answer!r}, ours {ours!r}")
    finally:
        java_numbers.set_jdk(before)
    assert not problems, f"JDK {version}: {len(problems)} of {len(requests)} differ ({replay_hint()}):\n" + "\n".join(problems[:10])
