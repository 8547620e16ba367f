"""Kafka's config providers: `${provider:path:key}` references in config values, resolved.

Any value may hold references, several of them, with text around (KIP-297, and the
same pattern as Kafka's `ConfigTransformer`)::

    database.password=${env:DB_PASSWORD}                 environment variable (EnvVarConfigProvider)
    database.password=${env::DB_PASSWORD}                the same, with Kafka's empty path spelled out
    database.user=${file:/etc/connect/db.properties:user}  key of a properties file (FileConfigProvider)
    ssl.key.password=${directory:/run/secrets:ssl_key}   contents of a file in a directory (DirectoryConfigProvider)
    connection.url=jdbc:postgresql://${env:DB_HOST}:5432/app

`env`, `file` and `directory` are always available. A worker config declares more, or
re-declares these, as Kafka's does::

    config.providers=vault_files,secrets
    config.providers.vault_files.class=org.apache.kafka.common.config.provider.FileConfigProvider
    config.providers.vault_files.param.allowed.paths=/etc/connect
    config.providers.secrets.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider

Only Kafka's three provider classes can run here; a reference to another class, to an
undeclared provider, to a variable, file or key that does not exist, is a `ConfigIssue`
on the key holding it (every one is reported, and the reference is left as written).
Kafka would leave such a reference unresolved silently; failing loudly is kinder. Resolved
values are not scanned again, and messages never contain a resolved value. Files are read, and
values kept, up to `MAX_CONFIG_BYTES` (1 MiB): beyond it the reference is an issue too, so
`${file:/dev/zero:k}` fails at once naming the key and the file.

`ResolvedConfig.display()` is the config safe to print: provider values shown as their
`${…}` reference, and secret keys (`is_secret_key`'s name rule, plus any the caller names)
as `[hidden]`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from pyconnect_flow.config.definition import HIDDEN, ConfigException, ConfigIssue
from pyconnect_flow.config.properties import (
    MAX_CONFIG_BYTES,
    ConfigFileError,
    load_properties,
    read_config_bytes,
    size_text,
)

REFERENCE = re.compile(r"\$\{([^}]*?):(?:([^}]*?):)?([^}]*?)\}")
"""A reference, exactly Kafka's `ConfigTransformer.DEFAULT_PATTERN`: groups provider, path (or None), key."""

_SECRET_WORDS = ("password", "passwd", "secret", "token", "credential", "jaas.config", "api.key", "apikey",
                 "user.info", "private.key")


def is_secret_key(name: str) -> bool:
    """Whether a config key, by its name alone, holds a secret that must never be printed.

    True when the name, lower-cased, contains `password`, `passwd`, `secret`, `token`,
    `credential`, `jaas.config`, `api.key`, `apikey`, `user.info` or `private.key`, or ends in
    `.key` or `_key` (`aws.access.key`, `s3.secret_key`). This errs on the side of hiding:
    it covers Kafka's own PASSWORD keys (`ssl.key.password`, `sasl.jaas.config`,
    `basic.auth.user.info`) and the usual names of cloud credentials.

    >>> is_secret_key("database.password"), is_secret_key("topic")
    (True, False)
    """
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS) or lowered.endswith((".key", "_key"))


class ProviderError(Exception):
    """A reference a provider cannot resolve; the message is safe to show (it names, never reveals)."""


class ConfigProvider:
    """One of Kafka's `ConfigProvider`s: the value of `key` under `path`.

    `configure` takes the `config.providers.<alias>.param.*` settings (prefix stripped).
    An instance lives for one `resolve_config` call, so it may cache what it reads.
    """

    CLASS = ""
    """The Kafka class name that selects this provider in `config.providers.<alias>.class`."""

    def configure(self, params: Mapping[str, str]) -> None:
        """Apply `param.*` settings; raise ProviderError when one is invalid."""

    def get(self, path: str, key: str) -> str:
        """The value of `key` under `path`; raise ProviderError when there is none."""
        raise NotImplementedError


class EnvVarConfigProvider(ConfigProvider):
    """`${env:NAME}` (or `${env::NAME}`): an environment variable; param `allowlist.pattern` limits which."""

    CLASS = "org.apache.kafka.common.config.provider.EnvVarConfigProvider"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._allowlist: re.Pattern[str] | None = None

    def configure(self, params: Mapping[str, str]) -> None:
        pattern = params.get("allowlist.pattern")
        if pattern is not None:
            try:
                self._allowlist = re.compile(pattern)
            except re.error as exc:
                raise ProviderError(f"param allowlist.pattern is not a valid regular expression: {exc}") from None

    def get(self, path: str, key: str) -> str:
        if path:
            raise ProviderError(f"a path is not supported by EnvVarConfigProvider (got '{path}'); write ${{env:{key}}}")
        if self._allowlist is not None and not self._allowlist.fullmatch(key):
            raise ProviderError(f"environment variable {key} is not allowed by allowlist.pattern")
        value = self._environ.get(key)
        if value is None:
            raise ProviderError(f"environment variable {key} is not set")
        if _too_large(value):
            raise ProviderError(f"environment variable {key} is larger than {size_text(MAX_CONFIG_BYTES)}, "
                                "the limit for config values")
        return value


class _PathProvider(ConfigProvider):
    """Base of the providers that read files: param `allowed.paths` (comma-separated absolute paths) limits where."""

    def __init__(self) -> None:
        self._allowed: list[Path] | None = None

    def configure(self, params: Mapping[str, str]) -> None:
        value = params.get("allowed.paths")
        if not value:
            return
        allowed = []
        for item in value.split(","):
            p = Path(os.path.normpath(item.strip()))
            if not p.is_absolute():
                raise ProviderError(f"param allowed.paths: path {item.strip()} is not absolute")
            if not p.exists():
                raise ProviderError(f"param allowed.paths: path {item.strip()} does not exist")
            allowed.append(p)
        self._allowed = allowed

    def _checked(self, path: str) -> Path:
        if not path:
            raise ProviderError("a path is required, as ${provider:path:key}")
        if self._allowed is None:
            return Path(path)
        normalised = Path(os.path.normpath(path))
        if not any(normalised.is_relative_to(a) for a in self._allowed):
            raise ProviderError(f"path {path} is outside allowed.paths")
        return normalised


class FileConfigProvider(_PathProvider):
    """`${file:/path/to/file.properties:key}`: a key of a `.properties` file (read once per resolution)."""

    CLASS = "org.apache.kafka.common.config.provider.FileConfigProvider"

    def __init__(self) -> None:
        super().__init__()
        self._files: dict[str, dict[str, str] | ProviderError] = {}

    def get(self, path: str, key: str) -> str:
        if path not in self._files:
            try:
                self._files[path] = load_properties(self._checked(path))
            except (ConfigFileError, ProviderError) as exc:
                self._files[path] = ProviderError(str(exc))
        data = self._files[path]
        if isinstance(data, ProviderError):
            raise data
        if key not in data:
            raise ProviderError(f"key {key} not found in properties file {path}")
        return data[key]


class DirectoryConfigProvider(_PathProvider):
    """`${directory:/run/secrets:name}`: the whole contents (UTF-8, kept exactly) of file `name` in a directory."""

    CLASS = "org.apache.kafka.common.config.provider.DirectoryConfigProvider"

    def get(self, path: str, key: str) -> str:
        directory = self._checked(path)
        if not directory.is_dir():
            raise ProviderError(f"{path} is not a directory")
        # As Kafka, the key is a name listed in the directory: no sub-paths, no "..".
        if not key or key in (".", "..") or "/" in key or os.sep in key or (os.altsep and os.altsep in key):
            raise ProviderError(f"'{key}' is not a file name")
        file = directory / key
        if not file.is_file():
            raise ProviderError(f"no file {key} in directory {path}")
        try:
            return read_config_bytes(file, "secret").decode("utf-8", errors="replace")
        except ConfigFileError as exc:
            raise ProviderError(str(exc)) from None


PROVIDER_CLASSES: dict[str, type[ConfigProvider]] = {
    cls.CLASS: cls for cls in (EnvVarConfigProvider, FileConfigProvider, DirectoryConfigProvider)
}
"""Kafka provider class name → the provider that implements it here."""

BUILTIN_PROVIDERS: dict[str, type[ConfigProvider]] = {
    "env": EnvVarConfigProvider, "file": FileConfigProvider, "directory": DirectoryConfigProvider,
}
"""Aliases usable without any `config.providers` declaration."""


class ResolvedConfig(Mapping[str, str]):
    """A config with its `${provider:…}` references resolved.

    A Mapping of the resolved values, plus `from_provider` (keys whose value came, wholly
    or partly, from a reference: secret, whatever their name), `issues` (every reference
    that could not be resolved; such a reference stays as written), `originals`
    (the values as written) and `secret_keys` (names the caller declared secret). Its
    repr is `display()`, so printing it reveals nothing.
    """

    def __init__(self, values: dict[str, str], originals: Mapping[str, str], from_provider: set[str],
                 issues: list[ConfigIssue], secret_keys: Iterable[str] = ()) -> None:
        self._values = values
        self.originals = dict(originals)
        self.from_provider = from_provider
        self.issues = issues
        self.secret_keys = frozenset(secret_keys)

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def display(self, secret_keys: Iterable[str] = ()) -> dict[str, str]:
        """The config as safe to print or log.

        A value that came from a provider is shown as its reference (`${env:DB_PASSWORD}`);
        a secret key (`is_secret_key`, or named in `secret_keys` here or at `resolve_config`,
        e.g. a ConfigDef's PASSWORD keys) shows `[hidden]`, unless its value is nothing but
        references, which reveal no secret.
        """
        extra = self.secret_keys.union(secret_keys)
        shown: dict[str, str] = {}
        for key, value in self._values.items():
            original = self.originals.get(key, value)
            if key in extra or is_secret_key(key):
                shown[key] = original if _only_references(original) else _url_with_password_hidden(original)
            elif key in self.from_provider:
                shown[key] = original
            else:
                shown[key] = value
        return shown

    def raise_for_issues(self, name: str, what: str = "connector") -> None:
        """Raise ConfigException listing every unresolved reference, if there is any."""
        if self.issues:
            raise ConfigException(name, self.issues, what)

    def __repr__(self) -> str:
        return f"ResolvedConfig({self.display()!r})"


def resolve_config(config: Mapping[str, str], worker: Mapping[str, str] | None = None, *,
                   secret_keys: Iterable[str] = ()) -> ResolvedConfig:
    """Resolve every `${provider:path:key}` reference in the values of `config`.

    Providers are the built-in `env`, `file` and `directory`, plus those declared by
    `config.providers` in `worker` (or, when no worker config is given, in `config`
    itself, which is how a worker config resolves its own references). `secret_keys` names
    keys to hide in `display()` and the repr besides those `is_secret_key` finds. For example, with
    `DB_HOST=db1` in the environment::

        resolved = resolve_config({"connection.url": "jdbc:postgresql://${env:DB_HOST}/app"})
        resolved["connection.url"]   # 'jdbc:postgresql://db1/app'
        resolved.display()           # {'connection.url': 'jdbc:postgresql://${env:DB_HOST}/app'}
    """
    providers = _Providers(config if worker is None else worker)
    values: dict[str, str] = {}
    from_provider: set[str] = set()
    issues: list[ConfigIssue] = []
    for key, value in config.items():
        if isinstance(value, str) and "${" in value:
            value, resolved_any = _resolve_value(key, value, providers, issues)
            if resolved_any:
                from_provider.add(key)
        values[key] = value
    return ResolvedConfig(values, config, from_provider, issues, secret_keys)


def _resolve_value(key: str, value: str, providers: _Providers, issues: list[ConfigIssue]) -> tuple[str, bool]:
    """`value` with its references replaced, and whether any was; an issue on `key` per failed one."""
    parts: list[str] = []
    resolved_any = False
    end = 0
    size = 0
    for match in REFERENCE.finditer(value):
        parts.append(value[end:match.start()])
        end = match.end()
        provider, path, name = match.group(1), match.group(2) or "", match.group(3)
        try:
            parts.append(providers.get(provider).get(path, name))
            resolved_any = True
        except ProviderError as exc:
            issues.append(ConfigIssue(key, f"cannot resolve {match.group(0)}: {exc}"))
            parts.append(match.group(0))
        size += len(parts[-2]) + len(parts[-1])
        if size > MAX_CONFIG_BYTES:  # stop early: many references to one large value
            break
    else:
        parts.append(value[end:])
        result = "".join(parts)
        if not _too_large(result):
            return result, resolved_any
    issues.append(ConfigIssue(key, f"the value with its references resolved is larger than "
                                   f"{size_text(MAX_CONFIG_BYTES)}, the limit for config values"))
    return value, False


def _too_large(value: str) -> bool:
    """True when `value`, as UTF-8, is larger than `MAX_CONFIG_BYTES`."""
    return len(value) > MAX_CONFIG_BYTES or len(value.encode("utf-8", "surrogatepass")) > MAX_CONFIG_BYTES


def _only_references(text: str) -> bool:
    """True when `text` is one or more references and blanks, nothing else (so it shows no secret)."""
    return REFERENCE.search(text) is not None and not REFERENCE.sub("", text).strip()


class _Providers:
    """The providers of one resolution, by alias, built when first used."""

    def __init__(self, declarations: Mapping[str, str]) -> None:
        self._declarations = declarations
        self._declared = {alias.strip() for alias in declarations.get("config.providers", "").split(",")
                          if alias.strip()}
        self._instances: dict[str, ConfigProvider | ProviderError] = {}

    def get(self, alias: str) -> ConfigProvider:
        if alias not in self._instances:
            try:
                self._instances[alias] = self._build(alias)
            except ProviderError as exc:
                self._instances[alias] = exc
        provider = self._instances[alias]
        if isinstance(provider, ProviderError):
            raise provider
        return provider

    def _build(self, alias: str) -> ConfigProvider:
        prefix = f"config.providers.{alias}."
        if alias not in self._declared:
            if alias in BUILTIN_PROVIDERS:
                return BUILTIN_PROVIDERS[alias]()
            known = sorted(BUILTIN_PROVIDERS.keys() | self._declared)
            raise ProviderError(f"unknown config provider '{alias}' (known: {', '.join(known)}; "
                                f"declare more with config.providers and {prefix}class)")
        class_name = self._declarations.get(prefix + "class", "").strip()
        if not class_name and alias in BUILTIN_PROVIDERS:  # listed only to give it params
            class_name = BUILTIN_PROVIDERS[alias].CLASS
        if not class_name:
            raise ProviderError(f"config provider '{alias}' is listed in config.providers but {prefix}class is not set")
        cls = PROVIDER_CLASSES.get(class_name)
        if cls is None:
            supported = ", ".join(PROVIDER_CLASSES)
            raise ProviderError(f"config provider class {class_name} ({prefix}class) is not available; "
                                f"pyconnect-flow runs {supported}")
        provider = cls()
        params = {k[len(prefix + "param."):]: v for k, v in self._declarations.items()
                  if k.startswith(prefix + "param.")}
        try:
            provider.configure(params)
        except ProviderError as exc:
            raise ProviderError(f"config provider '{alias}' is misconfigured: {exc}") from None
        return provider


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.:-]*://")
_PASSWORD_PARAM = re.compile(r"(?i)([?&;](?:password|passwd|pwd|secret|token|sslpassword|access_?key)=)[^&;#]*")


def _url_with_password_hidden(value: str) -> str:
    """A secret that is a URL (`connection.url`), shown with its password hidden and the rest readable
    (`postgresql://app:[hidden]@db:5432/orders`, `jdbc:postgresql://db/orders?user=app&password=[hidden]`);
    any other secret is hidden whole. Everything between the first ':' of the user info and its last '@'
    is hidden, so an unescaped '@' or '/' in a password reveals nothing."""
    scheme = _SCHEME.match(value)
    if scheme is None or any(c.isspace() for c in value):
        return HIDDEN
    rest = value[scheme.end():]
    query_at = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    at = rest.rfind("@", 0, query_at)
    userinfo = ""
    if at >= 0:
        user, colon, _password = rest[:at].partition(":")
        userinfo = user + (":" + HIDDEN if colon else "") + "@"
        rest = rest[at + 1:]
    return scheme.group() + userinfo + _PASSWORD_PARAM.sub(lambda m: m.group(1) + HIDDEN, rest)
