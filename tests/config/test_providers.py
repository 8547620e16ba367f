"""Config providers: `${env:…}`, `${file:…:…}`, `${directory:…:…}`, worker-declared aliases, safe display."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyconnect_flow.config import ConfigException, ConfigIssue, ResolvedConfig, is_secret_key, resolve_config
from pyconnect_flow.config import providers as providers_module
from pyconnect_flow.config.properties import MAX_CONFIG_BYTES
from pyconnect_flow.config.providers import REFERENCE

SECRET = "s3cr3t-Value!"
FILE_CLASS = "org.apache.kafka.common.config.provider.FileConfigProvider"
ENV_CLASS = "org.apache.kafka.common.config.provider.EnvVarConfigProvider"
DIR_CLASS = "org.apache.kafka.common.config.provider.DirectoryConfigProvider"


@pytest.fixture
def secrets_file(tmp_path: Path) -> Path:
    path = tmp_path / "db.properties"
    path.write_text(f"user=app\npassword={SECRET}\nescaped=a\\tb\\u00e9\n")
    return path


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    (directory / "db_password").write_text(SECRET)
    (directory / "with_newline").write_text("line\n")
    (directory / "sub").mkdir()
    return directory


def assert_no_secret(resolved: ResolvedConfig) -> None:
    for issue in resolved.issues:
        assert SECRET not in str(issue)
    assert SECRET not in repr(resolved)
    assert SECRET not in str(resolved.display())


# env ---------------------------------------------------------------------------------------------

def test_env_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCF_DB_PASSWORD", SECRET)
    resolved = resolve_config({"database.password": "${env:PCF_DB_PASSWORD}", "topic": "orders"})
    assert dict(resolved) == {"database.password": SECRET, "topic": "orders"}
    assert resolved.from_provider == {"database.password"}
    assert resolved.issues == []


def test_env_reference_with_empty_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCF_HOST", "db1")
    assert resolve_config({"host": "${env::PCF_HOST}"})["host"] == "db1"


def test_several_references_in_one_value_keep_the_text_around(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCF_HOST", "db1")
    monkeypatch.setenv("PCF_PORT", "5432")
    resolved = resolve_config({"connection.url": "jdbc:postgresql://${env:PCF_HOST}:${env:PCF_PORT}/app?x=${y}"})
    assert resolved["connection.url"] == "jdbc:postgresql://db1:5432/app?x=${y}"
    assert resolved.issues == []


def test_missing_env_var_is_an_issue_and_the_reference_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PCF_NOT_SET", raising=False)
    resolved = resolve_config({"a": "x-${env:PCF_NOT_SET}"})
    assert resolved["a"] == "x-${env:PCF_NOT_SET}"
    assert resolved.from_provider == set()
    assert resolved.issues == [
        ConfigIssue("a", "cannot resolve ${env:PCF_NOT_SET}: environment variable PCF_NOT_SET is not set")]


def test_env_with_a_path_is_an_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCF_X", "1")
    resolved = resolve_config({"a": "${env:some/path:PCF_X}"})
    assert [i.message for i in resolved.issues] == [
        "cannot resolve ${env:some/path:PCF_X}: a path is not supported by EnvVarConfigProvider (got 'some/path'); "
        "write ${env:PCF_X}"]


def test_resolved_values_are_not_resolved_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCF_INDIRECT", "${env:PCF_OTHER}")
    monkeypatch.setenv("PCF_OTHER", "nope")
    assert resolve_config({"a": "${env:PCF_INDIRECT}"})["a"] == "${env:PCF_OTHER}"


def test_text_without_a_reference_is_untouched() -> None:
    config = {"a": "plain", "b": "${NO_COLON}", "c": "$", "d": "${", "e": "", "f": "price: $5 {x:y}"}
    resolved = resolve_config(config)
    assert dict(resolved) == config
    assert resolved.issues == [] and resolved.from_provider == set()


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        ("${file:/a/b.properties:k}", ("file", "/a/b.properties", "k")),
        ("${env:NAME}", ("env", None, "NAME")),
        ("${env::NAME}", ("env", "", "NAME")),
        ("${vault:secret/data/db:password}", ("vault", "secret/data/db", "password")),
    ],
)
def test_reference_pattern_is_kafkas(text: str, groups: tuple[str | None, ...]) -> None:
    match = REFERENCE.fullmatch(text)
    assert match is not None and match.groups() == groups


# file --------------------------------------------------------------------------------------------

def test_file_reference(secrets_file: Path) -> None:
    resolved = resolve_config({
        "connection.user": f"${{file:{secrets_file}:user}}",
        "connection.password": f"${{file:{secrets_file}:password}}",
        "escaped": f"${{file:{secrets_file}:escaped}}",
    })
    assert dict(resolved) == {"connection.user": "app", "connection.password": SECRET, "escaped": "a\tbé"}
    assert resolved.from_provider == {"connection.user", "connection.password", "escaped"}


def test_file_is_read_once_per_resolution(secrets_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = providers_module.load_properties

    def counting(path: object) -> dict[str, str]:
        calls.append(path)
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(providers_module, "load_properties", counting)
    resolved = resolve_config({"a": f"${{file:{secrets_file}:user}}", "b": f"${{file:{secrets_file}:password}}"})
    assert resolved["a"] == "app" and len(calls) == 1


def test_missing_file_and_missing_key_are_issues(secrets_file: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.properties"
    resolved = resolve_config({
        "a": f"${{file:{missing}:user}}",
        "b": f"${{file:{secrets_file}:nope}}",
    })
    assert [i.key for i in resolved.issues] == ["a", "b"]
    assert f"{missing}: cannot read properties file: No such file or directory" in resolved.issues[0].message
    assert resolved.issues[1].message == f"cannot resolve ${{file:{secrets_file}:nope}}: key nope not found in " \
                                         f"properties file {secrets_file}"
    assert_no_secret(resolved)


def test_file_reference_without_a_path_is_an_issue() -> None:
    resolved = resolve_config({"a": "${file:user}"})
    assert resolved.issues[0].message == "cannot resolve ${file:user}: a path is required, as ${provider:path:key}"


# directory ---------------------------------------------------------------------------------------

def test_directory_reference_reads_the_whole_file(secrets_dir: Path) -> None:
    resolved = resolve_config({
        "db.password": f"${{directory:{secrets_dir}:db_password}}",
        "other": f"${{directory:{secrets_dir}:with_newline}}",
    })
    assert dict(resolved) == {"db.password": SECRET, "other": "line\n"}
    assert resolved.from_provider == {"db.password", "other"}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("absent", "no file absent in directory"),
        ("sub", "no file sub in directory"),
        ("../secrets/db_password", "'../secrets/db_password' is not a file name"),
        ("..", "'..' is not a file name"),
    ],
)
def test_directory_issues(secrets_dir: Path, name: str, message: str) -> None:
    resolved = resolve_config({"a": f"${{directory:{secrets_dir}:{name}}}"})
    assert len(resolved.issues) == 1 and message in resolved.issues[0].message
    assert_no_secret(resolved)


def test_directory_that_is_not_a_directory(secrets_file: Path) -> None:
    resolved = resolve_config({"a": f"${{directory:{secrets_file}:x}}"})
    assert resolved.issues[0].message.endswith(f"{secrets_file} is not a directory")


# worker-declared providers ----------------------------------------------------------------------

def test_worker_declared_aliases(secrets_file: Path, secrets_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCF_TOPIC", "orders")
    worker = {
        "config.providers": "props, secrets ,vars",
        "config.providers.props.class": FILE_CLASS,
        "config.providers.secrets.class": DIR_CLASS,
        "config.providers.vars.class": ENV_CLASS,
    }
    resolved = resolve_config({
        "user": f"${{props:{secrets_file}:user}}",
        "password": f"${{secrets:{secrets_dir}:db_password}}",
        "topic": "${vars:PCF_TOPIC}",
        "builtin": "${env:PCF_TOPIC}",
    }, worker)
    assert dict(resolved) == {"user": "app", "password": SECRET, "topic": "orders", "builtin": "orders"}
    assert resolved.issues == []


def test_worker_config_resolves_its_own_references(secrets_file: Path) -> None:
    worker = {
        "config.providers": "props",
        "config.providers.props.class": FILE_CLASS,
        "sasl.jaas.config": f'org.apache.kafka.common.security.plain.PlainLoginModule required '
                            f'username="${{props:{secrets_file}:user}}" password="${{props:{secrets_file}:password}}";',
    }
    resolved = resolve_config(worker)
    assert resolved["sasl.jaas.config"].endswith(f'username="app" password="{SECRET}";')
    assert resolved.display()["sasl.jaas.config"] == "[hidden]"


def test_connector_cannot_declare_providers_when_a_worker_is_given(secrets_file: Path) -> None:
    connector = {"config.providers": "props", "config.providers.props.class": FILE_CLASS,
                 "a": f"${{props:{secrets_file}:user}}"}
    resolved = resolve_config(connector, worker={})
    assert [i.message.split(": ", 1)[1] for i in resolved.issues] == [
        "unknown config provider 'props' (known: directory, env, file; declare more with config.providers and "
        "config.providers.props.class)"]


def test_a_declared_alias_overrides_a_builtin_name(secrets_dir: Path) -> None:
    worker = {"config.providers": "file", "config.providers.file.class": DIR_CLASS}
    resolved = resolve_config({"a": f"${{file:{secrets_dir}:db_password}}"}, worker)
    assert resolved["a"] == SECRET


def test_unknown_provider_class_and_missing_class(monkeypatch: pytest.MonkeyPatch) -> None:
    worker = {
        "config.providers": "vault,nothing",
        "config.providers.vault.class": "com.example.VaultConfigProvider",
    }
    resolved = resolve_config({"a": "${vault:secret/db:password}", "b": "${nothing:x}", "c": "${vault:p:k}"}, worker)
    assert [i.key for i in resolved.issues] == ["a", "b", "c"]
    assert "config provider class com.example.VaultConfigProvider (config.providers.vault.class) is not available" \
        in resolved.issues[0].message
    assert FILE_CLASS in resolved.issues[0].message
    assert "config provider 'nothing' is listed in config.providers but config.providers.nothing.class is not set" \
        in resolved.issues[1].message


def test_a_builtin_alias_listed_without_class_keeps_its_provider_and_takes_params(tmp_path: Path) -> None:
    (tmp_path / "ok.properties").write_text("k=v\n")
    worker = {"config.providers": "file", "config.providers.file.param.allowed.paths": str(tmp_path / "ok.properties")}
    resolved = resolve_config({"a": f"${{file:{tmp_path}/ok.properties:k}}", "b": "${file:/etc/hosts:x}"}, worker)
    assert resolved["a"] == "v"
    assert [i.key for i in resolved.issues] == ["b"] and resolved.issues[0].message.endswith("outside allowed.paths")


def test_file_provider_allowed_paths(secrets_file: Path, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "ok.properties").write_text("k=v\n")
    worker = {"config.providers": "file", "config.providers.file.class": FILE_CLASS,
              "config.providers.file.param.allowed.paths": str(allowed)}
    resolved = resolve_config({
        "ok": f"${{file:{allowed}/ok.properties:k}}",
        "outside": f"${{file:{secrets_file}:password}}",
        "sneaky": f"${{file:{allowed}/../db.properties:password}}",
    }, worker)
    assert resolved["ok"] == "v"
    assert {i.key: i.message.rsplit(": ", 1)[1] for i in resolved.issues} == {
        "outside": f"path {secrets_file} is outside allowed.paths",
        "sneaky": f"path {allowed}/../db.properties is outside allowed.paths",
    }
    assert_no_secret(resolved)


def test_misconfigured_allowed_paths(tmp_path: Path) -> None:
    worker = {"config.providers": "file,dir",
              "config.providers.file.class": FILE_CLASS, "config.providers.file.param.allowed.paths": "relative/dir",
              "config.providers.dir.class": DIR_CLASS,
              "config.providers.dir.param.allowed.paths": str(tmp_path / "absent")}
    resolved = resolve_config({"a": "${file:/x:k}", "b": "${dir:/x:k}"}, worker)
    assert resolved.issues[0].message.endswith(
        "config provider 'file' is misconfigured: param allowed.paths: path relative/dir is not absolute")
    assert resolved.issues[1].message.endswith(f"param allowed.paths: path {tmp_path / 'absent'} does not exist")


def test_env_allowlist_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECT_TOPIC", "t")
    monkeypatch.setenv("HOME_SECRET", SECRET)
    worker = {"config.providers": "env", "config.providers.env.class": ENV_CLASS,
              "config.providers.env.param.allowlist.pattern": "CONNECT_.*"}
    resolved = resolve_config({"a": "${env:CONNECT_TOPIC}", "b": "${env:HOME_SECRET}"}, worker)
    assert resolved["a"] == "t"
    assert resolved.issues[0].message.endswith("environment variable HOME_SECRET is not allowed by allowlist.pattern")
    assert_no_secret(resolved)


# every issue, at once ----------------------------------------------------------------------------

def test_every_issue_is_collected(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PCF_OK", SECRET)
    monkeypatch.delenv("PCF_NO1", raising=False)
    monkeypatch.delenv("PCF_NO2", raising=False)
    resolved = resolve_config({
        "one": "${env:PCF_NO1}-${env:PCF_OK}-${env:PCF_NO2}",
        "two": "${nope:x}",
        "three": f"${{file:{tmp_path}/none.properties:k}}",
        "fine": "${env:PCF_OK}",
    })
    assert [i.key for i in resolved.issues] == ["one", "one", "two", "three"]
    assert resolved["one"] == f"${{env:PCF_NO1}}-{SECRET}-${{env:PCF_NO2}}"
    assert resolved.from_provider == {"one", "fine"}
    with pytest.raises(ConfigException) as info:
        resolved.raise_for_issues("my-connector")
    message = str(info.value)
    assert message.startswith("Invalid configuration for connector 'my-connector' (4 problems):")
    assert "one: cannot resolve ${env:PCF_NO1}" in message and "three: cannot resolve" in message
    assert SECRET not in message
    assert_no_secret(resolved)


def test_raise_for_issues_is_quiet_without_issues() -> None:
    resolve_config({"a": "b"}).raise_for_issues("c")
    assert resolve_config({"a": "b"}).issues == []


# display -----------------------------------------------------------------------------------------

def test_display_shows_references_and_hides_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCF_PW", SECRET)
    monkeypatch.setenv("PCF_HOST", "db1")
    resolved = resolve_config({
        "connection.url": "jdbc:postgresql://${env:PCF_HOST}/app",
        "connection.password": "${env:PCF_PW}",
        "literal.password": SECRET,
        "mixed.password": "prefix-${env:PCF_PW}",
        "custom.field": SECRET,
        "topic": "orders",
    })
    assert resolved.display(secret_keys=["custom.field"]) == {
        "connection.url": "jdbc:postgresql://${env:PCF_HOST}/app",
        "connection.password": "${env:PCF_PW}",
        "literal.password": "[hidden]",
        "mixed.password": "[hidden]",
        "custom.field": "[hidden]",
        "topic": "orders",
    }
    assert resolved.display()["custom.field"] == SECRET  # only hidden when the caller says so
    assert resolved["connection.url"] == "jdbc:postgresql://db1/app"


def test_secret_keys_given_to_resolve_config_are_hidden_in_display_and_repr() -> None:
    resolved = resolve_config({"custom.field": SECRET, "topic": "t"}, secret_keys={"custom.field"})
    assert resolved.display() == {"custom.field": "[hidden]", "topic": "t"}
    assert repr(resolved) == "ResolvedConfig({'custom.field': '[hidden]', 'topic': 't'})"
    assert resolved["custom.field"] == SECRET


def test_resolved_config_is_a_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCF_X", "1")
    resolved = resolve_config({"b": "${env:PCF_X}", "a": "2"})
    assert list(resolved) == ["b", "a"] and len(resolved) == 2 and resolved.get("c") is None
    assert resolved.originals == {"b": "${env:PCF_X}", "a": "2"}
    assert dict(resolved.items()) == {"b": "1", "a": "2"}


@pytest.mark.parametrize(
    "name",
    ["database.password", "ssl.key.password", "sasl.jaas.config", "basic.auth.user.info", "aws.secret.access.key",
     "s3.access.key", "aws_secret_key", "api.token", "gcp.credentials.json", "client.secret", "API_KEY",
     "connection.PASSWORD", "elastic.apikey"],
)
def test_secret_key_names(name: str) -> None:
    assert is_secret_key(name)


@pytest.mark.parametrize(
    "name",
    ["topic", "key.converter", "key.converter.schemas.enable", "transforms.x.field", "pk.mode", "key.ignore",
     "tasks.max", "connection.url", "connection.user", "keystore.type"],
)
def test_non_secret_key_names(name: str) -> None:
    assert not is_secret_key(name)


# size limit --------------------------------------------------------------------------------------

def test_file_reference_to_dev_zero_is_an_issue_naming_the_key_the_file_and_the_limit() -> None:
    resolved = resolve_config({"database.password": "${file:/dev/zero:k}"})
    assert [str(i) for i in resolved.issues] == [
        "database.password: cannot resolve ${file:/dev/zero:k}: /dev/zero: properties file is larger than 1 MiB, "
        "the limit for config files (is it the right file?)"]
    assert resolved["database.password"] == "${file:/dev/zero:k}"


def test_directory_file_larger_than_the_limit_is_an_issue(secrets_dir: Path) -> None:
    (secrets_dir / "huge").write_bytes(b"x" * (MAX_CONFIG_BYTES + 1))
    resolved = resolve_config({"a": f"${{directory:{secrets_dir}:huge}}"})
    assert resolved.issues[0].message == (f"cannot resolve ${{directory:{secrets_dir}:huge}}: {secrets_dir / 'huge'}: "
                                          "secret file is larger than 1 MiB, the limit for config files "
                                          "(is it the right file?)")


def test_env_value_larger_than_the_limit_is_an_issue() -> None:
    provider = providers_module.EnvVarConfigProvider({"BIG": "é" * (MAX_CONFIG_BYTES // 2 + 1)})
    with pytest.raises(providers_module.ProviderError, match="^environment variable BIG is larger than 1 MiB, "
                                                             "the limit for config values$"):
        provider.get("", "BIG")


def test_many_references_to_one_large_value_stop_at_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.properties"
    path.write_text("k=" + "x" * (MAX_CONFIG_BYTES // 4) + "\n")
    value = f"${{file:{path}:k}}" * 1000
    resolved = resolve_config({"a": value})
    assert [str(i) for i in resolved.issues] == [
        "a: the value with its references resolved is larger than 1 MiB, the limit for config values"]
    assert resolved["a"] == value


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://app:s3cr3t@db:5432/orders", "postgresql://app:[hidden]@db:5432/orders"),
    ("postgresql://app:p@ss/w@db/x", "postgresql://app:[hidden]@db/x"),
    ("postgresql://db:5432/orders", "postgresql://db:5432/orders"),
    ("jdbc:postgresql://db/orders?user=app&password=x1&ssl=true",
     "jdbc:postgresql://db/orders?user=app&password=[hidden]&ssl=true"),
    ("sqlite:///tmp/a.db", "sqlite:///tmp/a.db"),
    ("not a url: hunter2", "[hidden]"),
])
def test_a_secret_url_is_shown_with_only_its_password_hidden(url: str, shown: str) -> None:
    assert resolve_config({"connection.url": url}).display(secret_keys=["connection.url"]) == {"connection.url": shown}
