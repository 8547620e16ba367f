"""DropHeaders, modelled on Kafka's `DropHeadersTest`."""

from __future__ import annotations

import pickle

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.record import Record
from pyconnect_flow.transforms import DropHeaders
from pyconnect_flow.transforms.drop_headers import TRANSFORMS


def source_record(headers: tuple[tuple[str, object], ...]) -> Record:
    return Record("topic", key="key", value="value", partition=0, headers=headers, timestamp=0,
                  source_partition={"foo": "bar"}, source_offset={"baz": "quxx"})


def assert_non_headers(original: Record, xformed: Record) -> None:
    assert original.replace(headers=()) == xformed.replace(headers=())


def test_drop_existing_header() -> None:
    xform = DropHeaders.from_config({"headers": "to-drop"})
    original = source_record((("existing", "existing-value"), ("to-drop", "existing-value")))
    xformed = xform(original)
    assert_non_headers(original, xformed)
    assert tuple(xformed.headers) == (("existing", "existing-value"),)


def test_drop_existing_header_with_multiple_values() -> None:
    xform = DropHeaders.from_config({"headers": "to-drop"})
    original = source_record((("to-drop", "v1"), ("existing", "existing-value"), ("to-drop", "v2")))
    assert tuple(xform(original).headers) == (("existing", "existing-value"),)


def test_drop_non_existing_header() -> None:
    xform = DropHeaders.from_config({"headers": "to-drop"})
    original = source_record((("existing", "existing-value"),))
    assert xform(original) == original


def test_drop_several_names() -> None:
    xform = DropHeaders(headers=["a", "b"])
    original = source_record((("a", 1), ("c", 2), ("b", 3), ("A", 4)))
    assert tuple(xform(original).headers) == (("c", 2), ("A", 4))


def test_config_rejects_empty_list() -> None:
    issues = DropHeaders.check_config({"headers": ""})
    assert [(i.key, i.message) for i in issues] == [("headers", "Empty list")]
    with pytest.raises(ConfigException, match="Empty list"):
        DropHeaders(headers=[])
    assert [i.key for i in DropHeaders.check_config({})] == ["headers"]


def test_pickles() -> None:
    xform = pickle.loads(pickle.dumps(DropHeaders(headers="x")))
    assert xform(source_record((("x", 1),))).headers == ()
    assert TRANSFORMS == {"DropHeaders": DropHeaders}
