"""The registry: Kafka names (full and short), import paths, did-you-mean, and the built-in tables."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator

import pytest

from pyconnect_flow.transforms import Predicate, Transform
from pyconnect_flow.transforms import registry as reg
from pyconnect_flow.transforms.registry import (
    KAFKA_PREDICATES_PACKAGE,
    KAFKA_TRANSFORMS_PACKAGE,
    UnknownPluginError,
    available_predicates,
    available_transforms,
    predicate_names,
    resolve_predicate,
    resolve_transform,
    short_name,
    transform_names,
)

KAFKA_TRANSFORMS = [  # META-INF/services/org.apache.kafka.connect.transforms.Transformation
    "Cast$Key", "Cast$Value", "DropHeaders", "ExtractField$Key", "ExtractField$Value", "Filter", "Flatten$Key",
    "Flatten$Value", "HeaderFrom$Key", "HeaderFrom$Value", "HoistField$Key", "HoistField$Value", "InsertField$Key",
    "InsertField$Value", "InsertHeader", "MaskField$Key", "MaskField$Value", "RegexRouter", "ReplaceField$Key",
    "ReplaceField$Value", "SetSchemaMetadata$Key", "SetSchemaMetadata$Value", "TimestampConverter$Key",
    "TimestampConverter$Value", "TimestampRouter", "ValueToKey",
]
KAFKA_PREDICATES = ["HasHeaderKey", "RecordIsTombstone", "TopicNameMatches"]


def test_every_kafka_transform_and_predicate_is_built_in() -> None:
    assert transform_names() == sorted(KAFKA_TRANSFORMS)
    assert predicate_names() == KAFKA_PREDICATES
    transforms = available_transforms()
    assert sorted(transforms) == sorted(KAFKA_TRANSFORMS)
    assert all(isinstance(cls, type) and issubclass(cls, Transform) for cls in transforms.values())
    predicates = available_predicates()
    assert all(isinstance(cls, type) and issubclass(cls, Predicate) for cls in predicates.values())


@pytest.mark.parametrize("module", sorted(reg.TRANSFORM_MODULES))
def test_table_matches_each_module(module: str) -> None:
    mod = importlib.import_module(f"pyconnect_flow.transforms.{module}")
    assert sorted(mod.TRANSFORMS) == sorted(reg.TRANSFORM_MODULES[module])


def test_predicate_table_matches_module() -> None:
    from pyconnect_flow.transforms import predicates

    assert sorted(predicates.PREDICATES) == sorted(reg.PREDICATE_MODULES["predicates"])


@pytest.mark.parametrize("name", KAFKA_TRANSFORMS)
def test_full_and_short_transform_names(name: str) -> None:
    assert resolve_transform(KAFKA_TRANSFORMS_PACKAGE + name) is resolve_transform(name)
    assert resolve_transform(f"  {name} ") is resolve_transform(name)


@pytest.mark.parametrize("name", KAFKA_PREDICATES)
def test_full_and_short_predicate_names(name: str) -> None:
    assert resolve_predicate(KAFKA_PREDICATES_PACKAGE + name) is resolve_predicate(name)


def test_short_name() -> None:
    assert short_name("org.apache.kafka.connect.transforms.InsertField$Value") == "InsertField$Value"
    assert short_name("org.apache.kafka.connect.transforms.predicates.HasHeaderKey") == "HasHeaderKey"
    assert short_name("my.mod:fn") == "my.mod:fn"


@pytest.mark.parametrize(("name", "suggestion"), [
    ("InsertField.Value", "InsertField$Value"), ("insertfield$value", "InsertField$Value"),
    (KAFKA_TRANSFORMS_PACKAGE + "TimestampRoutr", "TimestampRouter"), ("ValueToKy", "ValueToKey"),
])
def test_unknown_transform_suggests(name: str, suggestion: str) -> None:
    with pytest.raises(UnknownPluginError, match=rf"did you mean '{suggestion.replace('$', '[$]')}'"):
        resolve_transform(name)


def test_unknown_name_lists_what_exists() -> None:
    with pytest.raises(UnknownPluginError) as info:
        resolve_transform("Zzz")
    assert "built-in transforms: Cast$Key, Cast$Value" in str(info.value)
    assert "did you mean" not in str(info.value)
    with pytest.raises(UnknownPluginError, match="built-in predicates: HasHeaderKey, RecordIsTombstone"):
        resolve_predicate("Zzz")


def test_wrong_kind() -> None:
    with pytest.raises(UnknownPluginError, match="is a predicate, not a transform; configure it as predicates"):
        resolve_transform("HasHeaderKey")
    with pytest.raises(UnknownPluginError, match="is a transform, not a predicate; configure it as transforms"):
        resolve_predicate(KAFKA_TRANSFORMS_PACKAGE + "Filter")


@pytest.mark.parametrize("value", ["", "   ", None, 42])
def test_empty_or_not_a_name(value: object) -> None:
    with pytest.raises(UnknownPluginError, match="must be a non-empty class name"):
        resolve_transform(value)  # type: ignore[arg-type]


def test_objects_pass_through() -> None:
    def fn(record: object) -> object:
        return record

    assert resolve_transform(fn) is fn


@pytest.fixture
def package(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    pkg = types.ModuleType("userpkg")
    pkg.__path__ = []  # type: ignore[attr-defined]
    mod = types.ModuleType("userpkg.smts")
    mod.identity = lambda record: record  # type: ignore[attr-defined]
    mod.holder = types.SimpleNamespace(inner=len)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "userpkg", pkg)
    monkeypatch.setitem(sys.modules, "userpkg.smts", mod)
    yield


def test_import_paths(package: None) -> None:
    smts = sys.modules["userpkg.smts"]
    assert resolve_transform("userpkg.smts:identity") is smts.identity  # type: ignore[attr-defined]
    assert resolve_transform("userpkg.smts.identity") is smts.identity  # type: ignore[attr-defined]
    assert resolve_transform("userpkg.smts:holder.inner") is len
    assert resolve_transform("userpkg.smts.holder.inner") is len
    assert resolve_predicate("userpkg.smts:identity") is smts.identity  # type: ignore[attr-defined]
    assert resolve_transform("collections:OrderedDict") is importlib.import_module("collections").OrderedDict


def test_import_path_errors(package: None) -> None:
    with pytest.raises(UnknownPluginError, match="AttributeError"):
        resolve_transform("userpkg.smts:nope")
    with pytest.raises(UnknownPluginError, match="ModuleNotFoundError"):
        resolve_transform("nopkg.nomod.fn")
    with pytest.raises(UnknownPluginError, match="ModuleNotFoundError"):
        resolve_transform("nopkg.nomod:fn")


def test_a_module_failing_its_own_imports_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_import(name: str, *args: object) -> object:
        if name == "brokenpkg":
            raise ModuleNotFoundError("No module named 'some_dependency'", name="some_dependency")
        return real(name, *args)

    real = importlib.import_module
    monkeypatch.setattr(reg.importlib, "import_module", fake_import)
    with pytest.raises(UnknownPluginError, match="some_dependency"):
        resolve_transform("brokenpkg.fn")


def test_a_missing_builtin_module_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(reg._TRANSFORM_OWNER, "Ghost", "ghost_module")
    with pytest.raises(ModuleNotFoundError, match="ghost_module"):
        resolve_transform("Ghost")
    monkeypatch.setitem(reg._TRANSFORM_OWNER, "Ghost", "filter")
    with pytest.raises(RuntimeError, match=r"does not define TRANSFORMS\['Ghost'\]"):
        resolve_transform("Ghost")
