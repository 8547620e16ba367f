"""The field/struct SMTs against the shared Kafka vectors (`data/smt-vectors.json`)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from vectors import assert_record, decode_record, expected_error, vectors_for

from pyconnect_flow.transforms import (
    cast,
    extract_field,
    flatten,
    hoist_field,
    insert_field,
    mask_field,
    replace_field,
    set_schema_metadata,
    value_to_key,
)

TRANSFORMS = {
    name: cls
    for module in (cast, extract_field, flatten, hoist_field, insert_field, mask_field, replace_field,
                   set_schema_metadata, value_to_key)
    for name, cls in module.TRANSFORMS.items()
}
PREFIXES = ("Cast", "ExtractField", "Flatten", "HoistField", "InsertField", "MaskField", "ReplaceField",
            "SetSchemaMetadata", "ValueToKey")
VECTORS = vectors_for(PREFIXES)

# Where a sample's expectation is not what Kafka does, verified against Kafka's sources (and a
# run of Kafka's own classes): the sample is corrected here, in the open, instead of bending
# the transform to it.
CORRECTIONS: dict[str, dict[str, Any]] = {
    # Cast.getOrBuildSchema builds the whole-value schema with SchemaUtil.copySchemaBasics, which
    # copies the input schema's name and version: Kafka returns a STRING schema still named
    # org.apache.kafka.connect.data.Timestamp (version 1). CastTest only asserts the type, and
    # the sample wrote a bare string schema.
    "CastTest#castWholeDateRecordValueWithSchemaString": {
        "value_schema": {"type": "string", "optional": False,
                         "name": "org.apache.kafka.connect.data.Timestamp", "version": 1},
    },
}


def test_vectors_are_found_and_all_name_a_known_transform() -> None:
    assert len(VECTORS) >= 19  # the sample holds none for SetSchemaMetadata
    assert {v["transform"] for v in VECTORS} <= set(TRANSFORMS)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector(vector: dict[str, Any]) -> None:
    transform_cls = TRANSFORMS[vector["transform"]]
    error = expected_error(vector["expected_record"])
    record = decode_record(vector["input_record"])
    if error is not None:
        exc_type, message = error
        with pytest.raises(exc_type) as info:
            transform_cls.from_config(vector["config"])(record)
        if message is not None:
            assert str(info.value) == message
        return
    expected_obj = copy.deepcopy(vector["expected_record"])
    expected_obj.update(CORRECTIONS.get(vector["name"], {}))
    actual = transform_cls.from_config(vector["config"])(record)
    assert_record(actual, decode_record(expected_obj))


def test_corrections_refer_to_existing_vectors() -> None:
    names = {v["name"] for v in VECTORS}
    assert set(CORRECTIONS) <= names
