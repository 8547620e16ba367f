"""`from_config` / `check_config`: the connector's transforms and predicates keys, as Kafka's `ConnectorConfig`."""

from __future__ import annotations

import pickle
import sys
import types
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from pyconnect_flow.config.definition import ConfigDef, ConfigException, ConfigKey, ConfigType
from pyconnect_flow.data import SchemaBuilder, Struct, logical
from pyconnect_flow.record import Record
from pyconnect_flow.transforms import Chain, Conditional, Transform, check_config, from_config

P = "org.apache.kafka.connect.transforms."


def issues_of(config: Mapping[str, Any]) -> dict[str, str]:
    return {i.key: i.message for i in check_config(config)}


# the docs example and the whole set of built-ins ------------------------------------------

def test_kafka_docs_example() -> None:
    xform = from_config({
        "transforms": "Filter,Extract",
        "transforms.Filter.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.Filter.predicate": "IsFoo",
        "transforms.Extract.type": "org.apache.kafka.connect.transforms.ExtractField$Key",
        "transforms.Extract.field": "other_field",
        "transforms.Extract.predicate": "IsBar",
        "transforms.Extract.negate": "true",
        "predicates": "IsFoo,IsBar",
        "predicates.IsFoo.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        "predicates.IsFoo.pattern": "foo",
        "predicates.IsBar.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        "predicates.IsBar.pattern": "bar",
    })
    key = {"other_field": 42}
    assert xform(Record("foo", key=key)) is None                          # filtered
    assert xform(Record("bar", key=key)) == Record("bar", key=key)       # negate: not extracted
    assert xform(Record("baz", key=key)) == Record("baz", key=42)        # extracted
    assert xform.aliases == ("Filter", "Extract")
    assert all(isinstance(stage, Conditional) for stage in xform.stages)


ALL_BUILTINS = {
    "name": "all-builtins",
    "transforms": "insert,rename,mask,cast,ts,flatten,toKey,extract,hoist,meta,hdrFrom,hdr,dropHdr,route,tsRoute,drop",
    "transforms.insert.type": P + "InsertField$Value", "transforms.insert.topic.field": "origin",
    "transforms.rename.type": P + "ReplaceField$Value", "transforms.rename.renames": "name:full_name",
    "transforms.mask.type": P + "MaskField$Value", "transforms.mask.fields": "secret",
    "transforms.cast.type": P + "Cast$Value", "transforms.cast.spec": "id:string",
    "transforms.ts.type": P + "TimestampConverter$Value", "transforms.ts.field": "ts",
    "transforms.ts.target.type": "string", "transforms.ts.format": "yyyy-MM-dd",
    "transforms.flatten.type": P + "Flatten$Value", "transforms.flatten.delimiter": "_",
    "transforms.toKey.type": P + "ValueToKey", "transforms.toKey.fields": "id",
    "transforms.extract.type": P + "ExtractField$Key", "transforms.extract.field": "id",
    "transforms.hoist.type": P + "HoistField$Key", "transforms.hoist.field": "key_id",
    "transforms.meta.type": P + "SetSchemaMetadata$Value", "transforms.meta.schema.name": "com.example.V",
    "transforms.meta.predicate": "hasSchema",
    "transforms.hdrFrom.type": P + "HeaderFrom$Value", "transforms.hdrFrom.fields": "full_name",
    "transforms.hdrFrom.headers": "name", "transforms.hdrFrom.operation": "copy",
    "transforms.hdr.type": P + "InsertHeader", "transforms.hdr.header": "source", "transforms.hdr.value.literal": "pcf",
    "transforms.dropHdr.type": P + "DropHeaders", "transforms.dropHdr.headers": "drop-me",
    "transforms.route.type": P + "RegexRouter", "transforms.route.regex": "(.*)",
    "transforms.route.replacement": "$1-routed",
    "transforms.tsRoute.type": P + "TimestampRouter", "transforms.tsRoute.timestamp.format": "yyyyMM",
    "transforms.drop.type": P + "Filter", "transforms.drop.predicate": "isTmp",
    "predicates": "isTmp,hasSchema,unused",
    "predicates.isTmp.type": P + "predicates.TopicNameMatches", "predicates.isTmp.pattern": "tmp-.*",
    "predicates.hasSchema.type": P + "predicates.HasHeaderKey", "predicates.hasSchema.name": "schema",
    "predicates.unused.type": P + "predicates.RecordIsTombstone",
}


def test_every_builtin_from_kafka_keys() -> None:
    assert check_config(ALL_BUILTINS) == []
    xform = pickle.loads(pickle.dumps(from_config(ALL_BUILTINS)))  # Bytewax pickles the plan
    record = Record("orders", value={"id": 7, "name": "a", "ts": 86_401_234, "secret": "x", "nested": {"k": 1}},
                    headers=(("drop-me", 1), ("keep", 2)), timestamp=1483425001864)
    assert xform(record) == Record(
        "orders-routed-201701", key={"key_id": "7"},
        value={"id": "7", "full_name": "a", "ts": "1970-01-02", "secret": "", "nested_k": 1, "origin": "orders"},
        headers=(("keep", 2), ("name", "a"), ("source", "pcf")), timestamp=1483425001864)
    assert xform(Record("tmp-1", value={"id": 1, "ts": 0, "name": "n", "secret": "s"}, timestamp=0)) is None
    assert len(xform) == 16


def test_short_names_and_schemas() -> None:
    schema = SchemaBuilder.struct().field("ts", logical.TIMESTAMP_SCHEMA).build()
    xform = from_config({
        "transforms": "meta,unix",
        "transforms.meta.type": "SetSchemaMetadata$Value", "transforms.meta.schema.name": "com.example.V",
        "transforms.unix.type": "TimestampConverter$Value", "transforms.unix.field": "ts",
        "transforms.unix.target.type": "unix",
    })
    out = xform(Record("t", value=Struct(schema).put("ts", logical.timestamp_from_millis(5)), value_schema=schema))
    assert out.value_schema.name == "com.example.V"
    assert out.value.get("ts") == 5


def test_no_transforms_is_an_empty_chain() -> None:
    for config in ({}, {"transforms": ""}, {"transforms": " "}, {"name": "x", "topic": "t"}):
        xform = from_config(config)
        assert isinstance(xform, Chain) and not xform
        record = Record("t", value=1)
        assert xform(record) is record


def test_list_values_from_json_configs() -> None:
    xform = from_config({"transforms": ["a"], "transforms.a.type": "DropHeaders", "transforms.a.headers": ["h"]})
    assert xform(Record("t", headers=(("h", 1),))).headers == ()


# validation: every problem at once ---------------------------------------------------------

def test_duplicate_aliases_are_rejected() -> None:
    config = {"transforms": "a,b,a", "transforms.a.type": "Filter", "transforms.b.type": "Filter",
              "predicates": "p,p", "predicates.p.type": "RecordIsTombstone"}
    assert issues_of(config) == {"transforms": "Duplicate alias provided.", "predicates": "Duplicate alias provided."}
    with pytest.raises(ConfigException, match="Duplicate alias provided."):
        from_config(config)


def test_empty_alias_is_rejected() -> None:
    assert issues_of({"transforms": "a,,b", "transforms.a.type": "Filter", "transforms.b.type": "Filter"}) == {
        "transforms": "Empty alias provided."}


def test_missing_type() -> None:
    issues = issues_of({"transforms": "a", "predicates": "p", "transforms.a.regex": "x"})
    assert set(issues) == {"transforms.a.type", "predicates.p.type"}
    assert issues["transforms.a.type"].startswith("missing required key")


def test_unknown_type_with_did_you_mean() -> None:
    issues = issues_of({"transforms": "a,b", "transforms.a.type": P + "InsertFeld$Value",
                        "transforms.b.type": "regexrouter", "predicates": "p", "predicates.p.type": "TopicNameMatch"})
    assert "did you mean 'InsertField$Value'" in issues["transforms.a.type"]
    assert "did you mean 'RegexRouter'" in issues["transforms.b.type"]
    assert "did you mean 'TopicNameMatches'" in issues["predicates.p.type"]
    assert "TimestampRouter" in issues["transforms.a.type"]  # the list of what exists


def test_own_keys_of_each_transform_and_predicate_are_checked() -> None:
    issues = issues_of({
        "transforms": "route,ts,cast", "transforms.route.type": "RegexRouter", "transforms.route.regex": "(",
        "transforms.route.replacement": "x",
        "transforms.ts.type": "TimestampConverter$Value", "transforms.ts.target.type": "string",
        "transforms.cast.type": "Cast$Value", "transforms.cast.spec": "a:nonsense",
        "predicates": "p", "predicates.p.type": "TopicNameMatches",
    })
    assert issues["transforms.route.regex"].startswith("Invalid regex")
    assert "requires format option" in issues["transforms.ts.format"]
    assert "transforms.cast.spec" in issues
    assert issues["predicates.p.pattern"].startswith("missing required key")


def test_unknown_keys_under_an_alias_with_did_you_mean() -> None:
    issues = issues_of({"transforms": "r", "transforms.r.type": "RegexRouter", "transforms.r.regex": "(.*)",
                        "transforms.r.replacment": "x", "transforms.r.replacement": "y",
                        "predicates": "p", "predicates.p.type": "HasHeaderKey", "predicates.p.name": "h",
                        "predicates.p.nmae": "h"})
    assert set(issues) == {"transforms.r.replacment", "predicates.p.nmae"}
    assert issues["transforms.r.replacment"].startswith("unknown key; did you mean 'transforms.r.replacement'")
    assert issues["predicates.p.nmae"].startswith("unknown key; did you mean 'predicates.p.name'")


def test_negate_without_predicate() -> None:
    issues = issues_of({"transforms": "a", "transforms.a.type": "Filter", "transforms.a.negate": "true"})
    assert issues == {"transforms.a.negate": "Config 'transforms.a.negate' was provided but there is no config "
                                             "'transforms.a.predicate' defining a predicate to be negated."}


def test_invalid_negate_value() -> None:
    issues = issues_of({"transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": "p",
                        "transforms.a.negate": "yes", "predicates": "p", "predicates.p.type": "RecordIsTombstone"})
    assert list(issues) == ["transforms.a.negate"]


def test_undefined_predicate() -> None:
    config = {"transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": "IsFoo",
              "predicates": "IsBar", "predicates.IsBar.type": "RecordIsTombstone",
              "predicates.IsFoo.type": "RecordIsTombstone"}  # defined keys but not listed in 'predicates'
    assert issues_of(config) == {"transforms.a.predicate": "predicate 'IsFoo' is not defined: list it in 'predicates' "
                                                           "and set 'predicates.IsFoo.type' (defined predicates: IsBar)"}


def test_unused_predicate_is_allowed() -> None:
    config = {"transforms": "a", "transforms.a.type": "Filter",
              "predicates": "unused", "predicates.unused.type": "RecordIsTombstone"}
    assert check_config(config) == []
    assert from_config(config)(Record("t")) is None


def test_all_problems_reported_together_with_full_key_names() -> None:
    config = {"name": "my-connector", "transforms": "a,b,c", "transforms.a.type": "Nope",
              "transforms.b.type": "RegexRouter", "transforms.c.type": "Filter", "transforms.c.negate": "true",
              "transforms.c.extra": "1", "predicates": "p", "predicates.p.type": "TopicNameMatches",
              "predicates.p.pattern": ""}
    keys = [i.key for i in check_config(config)]
    assert keys == ["transforms.a.type", "transforms.b.regex", "transforms.b.replacement", "transforms.c.negate",
                    "transforms.c.extra", "predicates.p.pattern"]
    with pytest.raises(ConfigException) as info:
        from_config(config)
    assert info.value.connector == "my-connector"
    assert [i.key for i in info.value.issues] == keys
    assert "6 problems" in str(info.value)


def test_other_connector_keys_are_ignored() -> None:
    assert check_config({"name": "x", "connector.class": "FileStreamSource", "transformz": "a", "tasks.max": "1"}) == []


# user transforms by import path -----------------------------------------------------------

class Tag(Transform):
    """A user Transform subclass: declares its keys, built with from_config."""

    CONFIG = ConfigDef([ConfigKey("label", ConfigType.STRING, doc="The label.")])

    def __init__(self, label: str) -> None:
        self.label = label

    @classmethod
    def _from_values(cls, values: Mapping[str, Any]) -> Tag:
        return cls(values["label"])

    def __call__(self, record: Record) -> Record:
        return record.replace(headers=(*record.headers, ("label", self.label)))


class Suffix:
    """A plain class: called with the alias' other keys as a dict."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.suffix = config.get("suffix", "")

    def __call__(self, record: Record) -> Record:
        return record.replace(topic=record.topic + self.suffix)


class Broken:
    def __init__(self, config: dict[str, Any]) -> None:
        raise RuntimeError("cannot start")


def upper(record: Record) -> Record:
    return record.replace(topic=record.topic.upper())


def is_big(record: Record) -> bool:
    return bool(record.value and record.value > 100)


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    module = types.ModuleType("my_plugins")
    module.Tag, module.Suffix, module.Broken = Tag, Suffix, Broken  # type: ignore[attr-defined]
    module.upper, module.is_big = upper, is_big  # type: ignore[attr-defined]
    module.ns = types.SimpleNamespace(upper=upper)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "my_plugins", module)
    yield "my_plugins"


def test_user_transforms_by_import_path(plugins: str) -> None:
    xform = from_config({
        "transforms": "tag,suffix,up,up2",
        "transforms.tag.type": f"{plugins}:Tag", "transforms.tag.label": "x",
        "transforms.suffix.type": f"{plugins}.Suffix", "transforms.suffix.suffix": "-s",
        "transforms.up.type": f"{plugins}.upper", "transforms.up.predicate": "big",
        "transforms.up2.type": f"{plugins}:ns.upper", "transforms.up2.predicate": "big", "transforms.up2.negate": "false",
        "predicates": "big", "predicates.big.type": f"{plugins}:is_big",
    })
    assert xform(Record("t", value=1)) == Record("t-s", value=1, headers=(("label", "x"),))
    assert xform(Record("t", value=500)) == Record("T-S", value=500, headers=(("label", "x"),))


def test_user_transform_keys_are_checked(plugins: str) -> None:
    issues = issues_of({"transforms": "tag,fn,cls", "transforms.tag.type": f"{plugins}:Tag",
                        "transforms.tag.lable": "x",
                        "transforms.fn.type": f"{plugins}:upper", "transforms.fn.mode": "x",
                        "transforms.cls.type": f"{plugins}:Suffix", "transforms.cls.anything": "goes"})
    assert issues["transforms.tag.label"].startswith("missing required key")
    assert issues["transforms.tag.lable"].startswith("unknown key; did you mean 'transforms.tag.label'")
    assert issues["transforms.fn.mode"].endswith("(a function takes no configuration keys)")
    assert set(issues) == {"transforms.tag.label", "transforms.tag.lable", "transforms.fn.mode"}


def test_user_transform_import_errors(plugins: str) -> None:
    issues = issues_of({"transforms": "a,b,c", "transforms.a.type": f"{plugins}:missing",
                        "transforms.b.type": "no_such_module.fn", "transforms.c.type": "io.debezium.transforms.Unwrap"})
    assert "AttributeError" in issues["transforms.a.type"]
    assert "ModuleNotFoundError" in issues["transforms.b.type"]
    assert "not a built-in Kafka Connect transform" in issues["transforms.c.type"]


def test_user_transform_that_fails_to_start(plugins: str) -> None:
    with pytest.raises(ConfigException, match="could not create the transform: RuntimeError: cannot start") as info:
        from_config({"transforms": "b", "transforms.b.type": f"{plugins}:Broken"})
    assert info.value.issues[0].key == "transforms.b.type"


def test_predicate_given_as_transform_and_back() -> None:
    issues = issues_of({"transforms": "a", "transforms.a.type": P + "predicates.TopicNameMatches",
                        "predicates": "p", "predicates.p.type": P + "Filter"})
    assert issues["transforms.a.type"].startswith("'org.apache.kafka.connect.transforms.predicates.TopicNameMatches' "
                                                  "is a predicate, not a transform")
    assert "is a transform, not a predicate" in issues["predicates.p.type"]
