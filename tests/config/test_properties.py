"""`.properties` parsing: every case below was checked against Java 17's `java.util.Properties.load`."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pyconnect_flow.config import ConfigFileError, load_properties, parse_properties
from pyconnect_flow.config import properties as properties_module
from pyconnect_flow.config.properties import MAX_CONFIG_BYTES, PropertiesSyntaxError, decode_properties

KAFKA_CONFIG = Path(__file__).parent.parent / "data" / "kafka-config"

# (text, what java.util.Properties.load(Reader) gives)
JAVA_VECTORS = [
    # separators: first unescaped '=', ':' or blank; blanks around them dropped
    ("a=1\nb:2\nc 3\n", {"a": "1", "b": "2", "c": "3"}),
    ("key = value with spaces  \n", {"key": "value with spaces  "}),
    ("key\t:\t value\n", {"key": "value"}),
    ("key   value\n", {"key": "value"}),
    ("a b c\n", {"a": "b c"}),
    ("a==b\n", {"a": "=b"}),
    ("a=:b\n", {"a": ":b"}),
    ("a :=b\n", {"a": "=b"}),
    ("a = = b\n", {"a": "= b"}),
    # empty values and empty keys
    ("key=\n", {"key": ""}),
    ("key\n", {"key": ""}),
    ("key:\n", {"key": ""}),
    ("=value\n", {"": "value"}),
    (":value\n", {"": "value"}),
    # comments: '#' or '!' first on a line (after blanks); elsewhere they are text
    ("  # comment\n\t! also\nk=v # not a comment\n", {"k": "v # not a comment"}),
    ("k=v\n#x=y\n!z=w\n", {"k": "v"}),
    ("\\#notcomment=1\n", {"#notcomment": "1"}),
    ("# comment ending in backslash \\\nk=v\n", {"k": "v"}),
    # continuation: odd number of trailing backslashes; leading blanks of the next line dropped
    ("k=a\\\n   b\\\n\tc\n", {"k": "abc"}),
    ("k=a\\\\\nb=c\n", {"k": "a\\", "b": "c"}),
    ("k=a\\\\\\\ncontinued\n", {"k": "a\\continued"}),
    ("k=v\\\\\\\\\n", {"k": "v\\\\"}),
    ("k=a\\\n# not a comment\n", {"k": "a# not a comment"}),
    ("k=a\\\n\nnext=x\n", {"k": "a", "next": "x"}),
    ("k=v\\\n   \n", {"k": "v"}),
    ("k=a\\", {"k": "a"}),
    ("k=a\\\n", {"k": "a"}),
    ("k\\\n  ey=v\n", {"key": "v"}),
    ("\\\n", {"": ""}),
    # escapes
    ("tab=\\t\nnl=\\n\ncr=\\r\nff=\\f\nbs=\\\\\n", {"tab": "\t", "nl": "\n", "cr": "\r", "ff": "\f", "bs": "\\"}),
    ("eq=\\=\ncolon=\\:\nhash=\\#\nbang=\\!\nsp=\\ \n", {"eq": "=", "colon": ":", "hash": "#", "bang": "!", "sp": " "}),
    ("other=\\q\\b\\z\n", {"other": "qbz"}),
    ("key\\ with\\ spaces=v\n", {"key with spaces": "v"}),
    ("key\\=with\\:seps = v\n", {"key=with:seps": "v"}),
    ("u=\\u0041\\u00e9\\u20AC\n", {"u": "Aé€"}),
    ("emoji=\\ud83d\\ude00\n", {"emoji": "😀"}),
    ("lone=\\ud83d\n", {"lone": "\ud83d"}),
    ("é=ü\n", {"é": "ü"}),
    # line endings
    ("crlf=1\r\nnext=2\r\n", {"crlf": "1", "next": "2"}),
    ("cr=1\rnext=2\r", {"cr": "1", "next": "2"}),
    ("cont=a\\\r\n  b\r\n", {"cont": "ab"}),
    ("cont=a\\\r  b\r", {"cont": "ab"}),
    # blanks, duplicates
    ("  indented = v\n", {"indented": "v"}),
    ("\f\tff=1\n", {"ff": "1"}),
    ("dup=1\ndup=2\n", {"dup": "2"}),
    ("", {}),
    ("\n\n   \n# only comments\n", {}),
]


@pytest.mark.parametrize(("text", "expected"), JAVA_VECTORS, ids=[repr(t)[:40] for t, _ in JAVA_VECTORS])
def test_parses_as_java_does(text: str, expected: dict[str, str]) -> None:
    assert parse_properties(text) == expected


@pytest.mark.parametrize("text", ["bad=\\u00g1\n", "bad=\\u12\n", "ok=1\n\nbad\\uXYZW=1\n"])
def test_malformed_unicode_escape_is_an_error_with_its_line(text: str) -> None:
    with pytest.raises(PropertiesSyntaxError, match=r"line \d+: malformed \\uxxxx encoding") as info:
        parse_properties(text)
    assert info.value.line == text.count("\n", 0, text.index("\\u")) + 1


def test_syntax_error_message_does_not_quote_the_text() -> None:
    with pytest.raises(PropertiesSyntaxError) as info:
        parse_properties("password=hunter2\\u12")
    assert "hunter2" not in str(info.value)


def test_later_duplicates_win_and_key_order_is_first_appearance() -> None:
    assert list(parse_properties("b=1\na=2\nb=3\n").items()) == [("b", "3"), ("a", "2")]


def test_continued_line_keeps_escaped_leading_blank() -> None:
    # Only unescaped leading blanks of a continuation line are dropped.
    assert parse_properties("k=a\\\n  \\ b\n") == {"k": "a b"}


def test_line_of_an_error_counts_crlf_and_cr_once() -> None:
    with pytest.raises(PropertiesSyntaxError) as info:
        parse_properties("a=1\r\nb=2\rc=3\nd=\\u1\n")
    assert info.value.line == 4


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("é=€\n".encode(), "é=€\n"),
        ("\ufeffkey=v\n".encode(), "key=v\n"),  # a UTF-8 BOM is not part of the first key
        ("é=ü\n".encode("latin-1"), "é=ü\n"),  # not valid UTF-8: read as ISO-8859-1, as Java does
        (b"k=\xe9\xff\n", "k=éÿ\n"),
    ],
)
def test_decodes_utf8_and_falls_back_to_latin1(data: bytes, text: str) -> None:
    assert decode_properties(data) == text


def test_load_properties_reads_utf8_and_latin1_files(tmp_path: Path) -> None:
    utf8 = tmp_path / "utf8.properties"
    utf8.write_bytes("greeting=grüß dich\nescaped=\\u00fc\n".encode())
    latin1 = tmp_path / "latin1.properties"
    latin1.write_bytes("greeting=grüß dich\n".encode("latin-1"))
    assert load_properties(utf8) == {"greeting": "grüß dich", "escaped": "ü"}
    assert load_properties(str(latin1)) == {"greeting": "grüß dich"}


def test_load_properties_names_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.properties"
    with pytest.raises(ConfigFileError, match="nope.properties: cannot read properties file: No such file") as info:
        load_properties(missing)
    assert info.value.path == str(missing)


def test_load_properties_names_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=str(tmp_path)):
        load_properties(tmp_path)


def test_load_properties_names_the_file_on_a_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.properties"
    path.write_text("a=1\nb=\\u12\n")
    with pytest.raises(ConfigFileError, match=r"bad.properties: invalid properties file, line 2: malformed"):
        load_properties(path)


def test_stock_kafka_connect_standalone_properties() -> None:
    assert load_properties(KAFKA_CONFIG / "connect-standalone.properties") == {
        "bootstrap.servers": "localhost:9092",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "true",
        "value.converter.schemas.enable": "true",
        "offset.storage.file.filename": "/tmp/connect.offsets",
        "offset.flush.interval.ms": "10000",
    }


def test_stock_kafka_connect_file_source_properties() -> None:
    assert load_properties(KAFKA_CONFIG / "connect-file-source.properties") == {
        "name": "local-file-source",
        "connector.class": "FileStreamSource",
        "tasks.max": "1",
        "file": "test.txt",
        "topic": "connect-test",
    }


def test_stock_kafka_connect_file_sink_properties() -> None:
    assert load_properties(KAFKA_CONFIG / "connect-file-sink.properties") == {
        "name": "local-file-sink",
        "connector.class": "FileStreamSink",
        "tasks.max": "1",
        "file": "test.sink.txt",
        "topics": "connect-test",
    }


def test_stock_files_keep_their_apache_license_header() -> None:
    for name in ("connect-standalone", "connect-file-source", "connect-file-sink"):
        text = (KAFKA_CONFIG / f"{name}.properties").read_text()
        assert text.startswith("# Licensed to the Apache Software Foundation (ASF)")
        assert "http://www.apache.org/licenses/LICENSE-2.0" in text


def test_a_realistic_connector_file() -> None:
    text = (
        "# JDBC sink\n"
        "name = pg-sink\n"
        "connector.class : io.confluent.connect.jdbc.JdbcSinkConnector\n"
        "topics=orders,\\\n"
        "       customers\n"
        "connection.url=jdbc:postgresql://localhost:5432/app?ssl\\=true\n"
        "transforms=route\n"
        "transforms.route.regex=(.*)\\\\.v1\n"
        "windows.path=C:\\\\data\\\\in\n"
    )
    assert parse_properties(text) == {
        "name": "pg-sink",
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": "orders,customers",
        "connection.url": "jdbc:postgresql://localhost:5432/app?ssl=true",
        "transforms": "route",
        "transforms.route.regex": "(.*)\\.v1",
        "windows.path": "C:\\data\\in",
    }


# bounded reads ------------------------------------------------------------------------------------

def test_a_config_file_up_to_the_limit_is_read_and_a_larger_one_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "big.properties"
    path.write_bytes(b"a=" + b"x" * (MAX_CONFIG_BYTES - 3) + b"\n")
    assert len(load_properties(path)["a"]) == MAX_CONFIG_BYTES - 3
    path.write_bytes(b"a=" + b"x" * (MAX_CONFIG_BYTES - 2) + b"\n")
    with pytest.raises(ConfigFileError) as info:
        load_properties(path)
    assert str(info.value) == f"{path}: properties file is larger than 1 MiB, the limit for config files " \
                              "(is it the right file?)"


def test_dev_zero_as_a_config_file_is_refused_at_once() -> None:
    with pytest.raises(ConfigFileError, match=r"^/dev/zero: properties file is larger than 1 MiB"):
        load_properties("/dev/zero")


def test_a_fifo_nobody_writes_to_fails_after_a_deadline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    monkeypatch.setattr(properties_module, "DEVICE_READ_SECONDS", 0.2)
    started = time.monotonic()
    with pytest.raises(ConfigFileError, match="no end of data within 0.2 s"):
        load_properties(fifo)
    assert time.monotonic() - started < 5


def test_a_pipe_with_a_writer_is_read_like_a_file() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"a=1\n")
    os.close(write_end)
    try:
        assert load_properties(f"/proc/self/fd/{read_end}") == {"a": "1"}
    finally:
        os.close(read_end)


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="cannot read properties file: Is a directory"):
        load_properties(tmp_path)
