"""FileStreamSink: one line per record value, durable at flush."""

from __future__ import annotations

from pathlib import Path

from pyconnect_flow.connectors.file import FileSink, java_string
from pyconnect_flow.data import INT32_SCHEMA, OPTIONAL_STRING_SCHEMA, SchemaBuilder, Struct
from pyconnect_flow.record import Record


def test_values_are_written_one_per_line_and_flushed(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    sink = FileSink(str(out))
    sink.preflight()
    writer = sink.open("t-0", None)
    writer.write([Record("t", value="a"), Record("t", value="b")])
    writer.write([Record("t", value=None)])
    writer.flush()
    assert out.read_text() == "a\nb\nnull\n"


def test_two_partitions_share_one_file(tmp_path: Path) -> None:
    out = tmp_path / "shared.txt"
    sink = FileSink(str(out))
    w0, w1 = sink.open("t-0", None), sink.open("t-1", None)
    w0.write([Record("t", value="x")])
    w1.write([Record("t", value="y")])
    w0.flush()
    w1.flush()
    assert sorted(out.read_text().splitlines()) == ["x", "y"]


def test_values_print_like_java_string_value_of() -> None:
    schema = SchemaBuilder.struct().field("id", INT32_SCHEMA).field("name", OPTIONAL_STRING_SCHEMA).build()
    assert java_string(Struct(schema, {"id": 1, "name": "n"})) == "Struct{id=1,name=n}"
    assert java_string(Struct(schema, {"id": 1})) == "Struct{id=1}"
    assert java_string({"a": 1, "b": [1, 2]}) == "{a=1, b=[1, 2]}"
    assert java_string(True) == "true"
    assert java_string(2.0) == "2.0"
    assert java_string(None) == "null"


def test_missing_directory_is_rejected_before_data_moves(tmp_path: Path) -> None:
    sink = FileSink(str(tmp_path / "no" / "such" / "out.txt"))
    try:
        sink.preflight()
    except Exception as exc:
        assert "does not exist" in str(exc)
    else:
        raise AssertionError("preflight accepted a missing directory")


def test_doubles_print_as_java_does() -> None:
    assert java_string(1e10) == "1.0E10"
    assert java_string(0.0001) == "1.0E-4"
    assert java_string(12.5) == "12.5"
