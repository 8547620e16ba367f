"""FileStreamSource: line splitting, positions, resume, tail, bad input."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import pytest

from pyconnect_flow.connectors.file import FileReader, FileSource, FileSourceError, decode_like_java
from pyconnect_flow.contract.source import EndOfInput
from pyconnect_flow.data.schema import STRING_SCHEMA
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter


def read_all(reader: FileReader, limit: int = 1000) -> list:
    out = []
    for _ in range(limit):
        try:
            out.extend(reader.read())
        except EndOfInput:
            return out
    raise AssertionError("reader never reached the end")


def reader(path: Path, position: int = 0, batch_size: int = 2000, stop_at_end: bool = True,
           tolerance: str = "none") -> FileReader:
    source = FileSource([str(path)], "lines", batch_size=batch_size, stop_at_end=stop_at_end,
                        errors=ErrorReporter("file-test", ErrorPolicy(tolerance=tolerance)))
    return source.open(str(path), position)


def test_lines_become_string_records_with_byte_positions(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_bytes(b"foo\nbar\n\nsai\n")
    records = read_all(reader(f))
    assert [r.value for r in records] == ["foo", "bar", "", "sai"]
    assert [r.source_offset["position"] for r in records] == [4, 8, 9, 13]
    first = records[0]
    assert first.topic == "lines" and first.key is None and first.key_schema is None
    assert first.value_schema == STRING_SCHEMA
    assert first.source_partition == {"filename": str(f)}
    assert first.partition is None
    assert abs(first.timestamp - time.time() * 1000) < 60_000  # the time of the poll, as FileStreamSourceTask's


def test_crlf_and_lone_cr_end_lines_like_kafka(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_bytes(b"a\r\nb\rc\nd")
    records = read_all(reader(f))
    assert [r.value for r in records] == ["a", "b", "c", "d"]
    assert [r.source_offset["position"] for r in records] == [3, 5, 7, 8]


def test_cr_at_the_end_of_a_complete_file_ends_the_last_line(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_bytes(b"a\nb\r")
    records = read_all(reader(f))
    assert [r.value for r in records] == ["a", "b"]
    assert records[-1].source_offset["position"] == 4


@pytest.mark.parametrize(("data", "text"), [
    (b"\xed\xa0\x80x", "\ufffdx"), (b"\xed\xbf\xbf\xed\xa0\x80", "\ufffd\ufffd"), (b"\xed\xa0x", "\ufffdx"),
    (b"\xed\xa0", "\ufffd"), (b"\xe0\x80\xaf", "\ufffd\ufffd\ufffd"), (b"\xe2\x82x", "\ufffdx"),
    (b"\xf0\x9f\x98x", "\ufffdx"), (b"\xf4\x90\x80\x80", "\ufffd" * 4), (b"\xc0\xaf", "\ufffd\ufffd"),
])
def test_bytes_that_are_not_utf8_are_grouped_as_java_groups_them(data: bytes, text: str) -> None:
    assert decode_like_java(data) == text


def test_unterminated_last_line_waits_when_tailing(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_bytes(b"one\ntw")
    r = reader(f, stop_at_end=False)
    assert [x.value for x in r.read()] == ["one"]
    assert r.read() == [] and r.wake_at() is not None
    with f.open("ab") as out:
        out.write(b"o\nthree\n")
    assert [x.value for x in r.read()] == ["two", "three"]
    assert r.position() == len(b"one\ntwo\nthree\n")


def test_batch_size_bounds_each_read(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_text("".join(f"line {i}\n" for i in range(25)))
    r = reader(f, batch_size=10)
    sizes = []
    while True:
        try:
            sizes.append(len(r.read()))
        except EndOfInput:
            break
    assert sizes == [10, 10, 5]


def test_resume_from_position_reads_only_the_rest(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_text("a\nb\nc\nd\n")
    r = reader(f, batch_size=2)
    assert [x.value for x in r.read()] == ["a", "b"]
    pos = pickle.loads(pickle.dumps(r.position()))
    r.close()
    assert [x.value for x in read_all(reader(f, position=pos))] == ["c", "d"]


def test_multibyte_utf8_is_decoded_and_positions_count_bytes(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_text("héllo\n日本\n", encoding="utf-8")
    records = read_all(reader(f))
    assert [r.value for r in records] == ["héllo", "日本"]
    assert records[-1].source_offset["position"] == len("héllo\n日本\n".encode())


@pytest.mark.parametrize("tolerance", ["none", "all"])
def test_invalid_utf8_is_read_as_replacement_characters_as_kafka_connect_does(tmp_path: Path, tolerance: str) -> None:
    f = tmp_path / "bad.txt"
    f.write_bytes(b"ok\nb\xffd\n\xed\xa0\x80\nfine\n")
    records = read_all(reader(f, tolerance=tolerance))
    # no line vanishes; an encoded surrogate is one U+FFFD, as Java's decoder reads it
    assert [r.value for r in records] == ["ok", "b\ufffdd", "\ufffd", "fine"]
    assert records[-1].source_offset["position"] == f.stat().st_size


def test_missing_file_is_a_clear_error_at_stop_at_end(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    source = FileSource([str(missing)], "t", stop_at_end=True)
    with pytest.raises(FileSourceError, match="nope.txt"):
        source.preflight()
    with pytest.raises(FileSourceError, match="nope.txt"):
        source.open(str(missing), None).read()


def test_tail_mode_waits_for_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "later.txt"
    source = FileSource([str(path)], "t", stop_at_end=False)
    source.preflight()
    r = source.open(str(path), None)
    assert r.read() == [] and r.wake_at() is not None
    path.write_text("now\n")
    assert [x.value for x in r.read()] == ["now"]


def test_each_file_is_its_own_partition(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    source = FileSource([str(a), str(b), str(a)], "t")
    assert source.partitions() == [str(a), str(b)]


def test_unreadable_directory_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileSourceError, match="is a directory"):
        FileSource([str(tmp_path)], "t", stop_at_end=True).preflight()
