"""AvroData vectors from Confluent's AvroDataTest (confluentinc/schema-registry, avro-data/src/test)."""

from __future__ import annotations

import json

from pyconnect_flow.converters.avro_data import AvroData, AvroDataConfig, avro_schema_json, scrub_name
from pyconnect_flow.data.logical import decimal_builder
from pyconnect_flow.data.schema import INT8_SCHEMA, INT64_SCHEMA, STRING_SCHEMA, SchemaBuilder


def test_from_connect_structs_with_null_name() -> None:
    # testFromConnectStructsWithNullName: the inner struct is ConnectDefault2, defined once, then named
    inner = SchemaBuilder.struct().field("value", INT64_SCHEMA).optional().build()
    outer = SchemaBuilder.struct().field("struct", inner).field("array", SchemaBuilder.array(inner).build()).build()
    assert avro_schema_json(AvroData().from_connect_schema(outer)) == (
        '{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":['
        '{"name":"struct","type":["null",{"type":"record","name":"ConnectDefault2","fields":['
        '{"name":"value","type":"long"}]}],"default":null},'
        '{"name":"array","type":{"type":"array","items":["null","ConnectDefault2"]}}]}')


def test_int_with_connect_default() -> None:
    # testIntWithConnectDefault
    avro = {"type": "record", "name": "SomeThing", "namespace": "com.acme.property",
            "fields": [{"name": "f", "type": {"type": "int", "connect.default": 42, "connect.version": 1}}]}
    schema = AvroData(AvroDataConfig(schemas_cache_size=0)).to_connect_schema(avro)
    f = schema.field("f")
    assert f is not None and f.schema.default == 42 and f.schema.version == 1
    assert schema.name == "com.acme.property.SomeThing"


def test_int8_map_and_decimal_props() -> None:
    schema = (SchemaBuilder.struct().name("com.example.R")
              .field("b", INT8_SCHEMA)
              .field("m", SchemaBuilder.map(INT8_SCHEMA, STRING_SCHEMA).build())
              .field("d", decimal_builder(2).parameter("connect.decimal.precision", "10").build())
              .build())
    avro = AvroData().from_connect_schema(schema)
    assert json.loads(avro_schema_json(avro)) == {
        "type": "record", "name": "R", "namespace": "com.example", "fields": [
            {"name": "b", "type": {"type": "int", "connect.type": "int8"}},
            {"name": "m", "type": {"type": "array", "items": {
                "type": "record", "name": "MapEntry", "namespace": "io.confluent.connect.avro", "fields": [
                    {"name": "key", "type": {"type": "int", "connect.type": "int8"}},
                    {"name": "value", "type": "string"}]}}},
            {"name": "d", "type": {"type": "bytes", "scale": 2, "precision": 10, "connect.version": 1,
                                   "connect.parameters": {"scale": "2", "connect.decimal.precision": "10"},
                                   "connect.name": "org.apache.kafka.connect.data.Decimal",
                                   "logicalType": "decimal"}}],
        "connect.name": "com.example.R"}
    assert AvroData().to_connect_schema(avro) == schema


def test_scrub_invalid_names() -> None:
    # AvroDataTest.testScrubInvalidNames / doScrubName
    vectors = {"": "", "abc_DEF_123": "abc_DEF_123", "abc+-.*_": "abc_2B____", "abc-def": "abc_def",
               "abc+def": "abc_2Bdef", "abc  def": "abc__def", "abc.def": "abc_def", "0abc.def": "x0abc_def",
               "0abc": "x0abc", "abc": "abc"}
    assert {name: scrub_name(name) for name in vectors} == vectors
    assert scrub_name("a-b.c d") == "a_b_c_d"
    schema = SchemaBuilder.struct().name("org.acme.bad-name").field("weird field", STRING_SCHEMA).build()
    avro = AvroData(AvroDataConfig(scrub_invalid_names=True)).from_connect_schema(schema)
    assert (avro["name"], avro["fields"][0]["name"]) == ("bad_name", "weird_field")


def test_connect_meta_data_off_writes_bare_types() -> None:
    schema = SchemaBuilder.struct().name("com.example.R").version(2).doc("d").field("b", INT8_SCHEMA).build()
    avro = AvroData(AvroDataConfig(connect_meta_data=False)).from_connect_schema(schema)
    assert avro_schema_json(avro) == \
        '{"type":"record","name":"R","namespace":"com.example","fields":[{"name":"b","type":"int"}]}'
