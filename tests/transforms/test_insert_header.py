"""InsertHeader, modelled on Kafka's `InsertHeaderTest`."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.record import Record
from pyconnect_flow.transforms import InsertHeader
from pyconnect_flow.transforms.insert_header import TRANSFORMS


def source_record(headers: tuple[tuple[str, object], ...]) -> Record:
    return Record("topic", key="key", value="value", partition=0, headers=headers, timestamp=0,
                  source_partition={"foo": "bar"}, source_offset={"baz": "quxx"})


def config(header: str | None, value_literal: str | None) -> dict[str, str | None]:
    return {"header": header, "value.literal": value_literal}


def test_insertion_with_existing_other_header() -> None:
    xform = InsertHeader.from_config(config("inserted", "inserted-value"))
    original = source_record((("existing", "existing-value"),))
    xformed = xform(original)
    assert xformed.replace(headers=()) == original.replace(headers=())
    assert tuple(xformed.headers) == (("existing", "existing-value"), ("inserted", "inserted-value"))


def test_insertion_with_existing_same_header() -> None:
    xform = InsertHeader.from_config(config("existing", "inserted-value"))
    xformed = xform(source_record((("existing", "preexisting-value"),)))
    assert tuple(xformed.headers) == (("existing", "preexisting-value"), ("existing", "inserted-value"))


def test_insertion_with_byte_header() -> None:
    xform = InsertHeader.from_config(config("inserted", "1"))
    xformed = xform(source_record((("existing", "existing-value"),)))
    assert tuple(xformed.headers) == (("existing", "existing-value"), ("inserted", 1))


@pytest.mark.parametrize(("literal", "value"), [
    ("true", True), ("3.5", 3.5), ("[1, 2]", [1, 2]), ('{"a": 1}', {"a": 1}), ("null", None),
    ("2019-08-23", dt.date(2019, 8, 23)), ("hello world", "hello world"), ("", ""),
])
def test_literals_are_parsed_as_values_parse_string(literal: str, value: object) -> None:
    assert InsertHeader(header="h", value_literal=literal)(Record("t")).headers == (("h", value),)


@pytest.mark.parametrize("props", [config(None, "1"), config("inserted", None), {"header": "x"}, {"value.literal": "x"}])
def test_config_rejects_missing_or_null(props: dict[str, str | None]) -> None:
    assert InsertHeader.check_config(props)
    with pytest.raises(ConfigException):
        InsertHeader.from_config(props)


def test_pickles_and_repr() -> None:
    xform = pickle.loads(pickle.dumps(InsertHeader(header="h", value_literal="1")))
    assert xform(Record("t")).headers == (("h", 1),)
    assert repr(xform) == "InsertHeader(header='h', value_literal='1')"
    assert TRANSFORMS == {"InsertHeader": InsertHeader}
