"""The one plugin lookup: built-in names, Kafka packages, import paths, did-you-mean."""

from __future__ import annotations

import collections
import sys
import types
from collections.abc import Iterator

import pytest

from pyconnect_flow.plugins import (
    ImportPathError,
    PluginLookup,
    PluginNotFound,
    add_import_paths,
    close_matches,
    did_you_mean,
    import_object,
    is_import_path,
    loaded,
)

PACKAGE = "org.example.plugins."


def _lookup(**options: object) -> PluginLookup:
    return PluginLookup("gadget", lambda: {"Widget": loaded("widget"), "Gizmo$Key": loaded("gizmo")},
                        packages=(PACKAGE,), **options)  # type: ignore[arg-type]


@pytest.fixture
def userpkg(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    pkg = types.ModuleType("userpkg")
    pkg.__path__ = []  # type: ignore[attr-defined]
    mod = types.ModuleType("userpkg.mod")
    mod.Thing = type("Thing", (), {"Inner": 42})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "userpkg", pkg)
    monkeypatch.setitem(sys.modules, "userpkg.mod", mod)
    yield mod


def test_builtin_names_full_short_and_padded() -> None:
    lookup = _lookup()
    assert lookup.resolve("Widget") == "widget"
    assert lookup.resolve(f" {PACKAGE}Gizmo$Key ") == "gizmo"
    assert lookup.names() == ["Widget", "Gizmo$Key"]
    assert lookup.is_builtin(PACKAGE + "Widget") and not lookup.is_builtin("Nope")


def test_builtins_are_loaded_only_when_named() -> None:
    calls: list[str] = []
    lookup = PluginLookup("gadget", lambda: {"A": lambda: calls.append("A"), "B": lambda: calls.append("B")})
    lookup.resolve("B")
    assert calls == ["B"]


def test_import_paths(userpkg: types.ModuleType) -> None:
    lookup = _lookup()
    assert lookup.resolve("userpkg.mod:Thing") is userpkg.Thing  # type: ignore[attr-defined]
    assert lookup.resolve("userpkg.mod.Thing") is userpkg.Thing  # type: ignore[attr-defined]
    assert lookup.resolve("userpkg.mod:Thing.Inner") == 42
    assert lookup.resolve("userpkg.mod.Thing.Inner") == 42
    assert lookup.resolve("collections:OrderedDict") is collections.OrderedDict


def test_dotted_paths_can_be_refused(userpkg: types.ModuleType) -> None:
    lookup = _lookup(dotted=False)
    assert lookup.resolve("userpkg.mod:Thing") is userpkg.Thing  # type: ignore[attr-defined]
    with pytest.raises(PluginNotFound) as info:
        lookup.resolve("userpkg.mod.Thing")
    assert info.value.import_error is None


def test_names_in_a_kafka_package_are_never_imported() -> None:
    with pytest.raises(PluginNotFound) as info:
        _lookup().resolve(PACKAGE + "Widgit")
    assert info.value.import_error is None
    assert info.value.short == "Widgit" and info.value.suggestions == ["Widget"]


def test_suggestions() -> None:
    with pytest.raises(PluginNotFound) as info:
        _lookup().resolve("WIDGIT")
    assert info.value.suggestions == []
    with pytest.raises(PluginNotFound) as info:
        _lookup(ignore_case=True).resolve("WIDGIT")
    assert info.value.suggestions == ["Widget"]
    assert close_matches("gizmo$kye", ["Gizmo$Key", "Widget"], n=2, ignore_case=True) == ["Gizmo$Key"]
    assert did_you_mean(["A", "B"]) == "did you mean 'A' or 'B'?"
    assert did_you_mean([]) == ""


def test_import_failures_name_the_module_and_attribute(userpkg: types.ModuleType) -> None:
    with pytest.raises(ImportPathError) as info:
        import_object("userpkg.mod:Nope")
    assert (info.value.module, info.value.attribute) == ("userpkg.mod", "Nope")
    assert isinstance(info.value.error, AttributeError)
    with pytest.raises(ImportPathError) as info:
        import_object("userpkg.mod.Thing.Nope")
    assert (info.value.module, info.value.attribute) == ("userpkg.mod", "Thing.Nope")
    with pytest.raises(ImportPathError) as info:
        import_object("nopkg.nomod.fn")
    assert (info.value.module, info.value.attribute) == ("nopkg.nomod", "fn")
    assert str(info.value) == "ModuleNotFoundError: No module named 'nopkg'"
    # a prefix that imports but lacks the rest: the longest prefix's failure says more
    with pytest.raises(ImportPathError) as info:
        import_object("userpkg.mood.Thing")
    assert info.value.module == "userpkg.mood" and isinstance(info.value.error, ModuleNotFoundError)


def test_a_module_failing_its_own_imports_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = "No module named 'some_dependency'"
    real = __import__("importlib").import_module

    def fake_import(name: str, *args: object) -> object:
        if name == "brokenpkg":
            raise ModuleNotFoundError(broken, name="some_dependency")
        return real(name, *args)

    monkeypatch.setattr("importlib.import_module", fake_import)
    with pytest.raises(ImportPathError, match="some_dependency") as info:
        import_object("brokenpkg.fn")
    assert info.value.module == "brokenpkg"


@pytest.mark.parametrize(("text", "dotted", "expected"), [
    ("a.b:C", True, True), ("a:C", False, True), ("a.b.C", True, True), ("a.b.C", False, False),
    ("json:", True, False), (":X", True, False), (".a", True, False), ("a.", True, False), ("Name", True, False),
])
def test_is_import_path(text: str, dotted: bool, expected: bool) -> None:
    assert is_import_path(text, dotted=dotted) is expected


def test_a_module_found_nowhere_gets_a_hint_where_to_put_it() -> None:
    with pytest.raises(PluginNotFound) as info:
        _lookup().resolve("nowhere_module_xyz:Thing")
    assert info.value.import_error is not None
    assert "plugin.path" in info.value.import_error.hint


def test_a_module_that_fails_its_own_imports_gets_no_hint(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "breaks_on_import.py").write_text("import not_installed_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginNotFound) as info:
        _lookup().resolve("breaks_on_import:Thing")
    assert info.value.import_error is not None
    assert "not_installed_dependency_xyz" in str(info.value.import_error)
    assert info.value.import_error.hint == ""


def test_add_import_paths_appends_existing_entries_once_and_returns_the_missing(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "my_plugin_module_xyz.py").write_text("VALUE = 7\n")
    assert add_import_paths(["plugins", " missing "], tmp_path) == ["missing"]
    assert add_import_paths([str(tmp_path / "plugins")], tmp_path) == []
    assert sys.path.count(str(tmp_path / "plugins")) == 1 and sys.path[-1] == str(tmp_path / "plugins")
    assert import_object("my_plugin_module_xyz:VALUE") == 7
    monkeypatch.delitem(sys.modules, "my_plugin_module_xyz")
