"""Throw-away PostgreSQL server for the test suite (and for trying the portal on PostgreSQL).

The server comes from Debian's ``postgresql`` package (``/usr/lib/postgresql/<version>/bin``; the
Makefile installs it). ``start()`` creates a cluster with ``initdb`` in a temporary directory and
runs ``postgres`` on it, listening only on a Unix socket in that directory: no TCP port, so it
cannot collide with any other server on the machine. PostgreSQL refuses to run as root, so when
the tests run as root (CI) the cluster belongs to an unprivileged account. ``stop()`` shuts the
server down and removes the directory; a server still running when the process exits is stopped
too, and the kernel stops it if the process dies (Linux). Only the standard library is used, so
the module can be imported without Django.

``PostgresServer(directory=DIR)`` keeps the cluster in ``DIR`` instead (the benchmarks'
``--workdir``): ``start()`` creates it there the first time and starts the existing one after
that, ``stop()`` shuts the server down and leaves the directory, so the next run finds its data.

The cluster is made for tests: no fsync, no full-page writes, UTF-8 with the ``C.UTF-8`` locale
(code-point collation, the order SQLite sorts text in; character classes that know Chinese, which
the full-text parser needs). Its superuser is ``portal``, trusted on the socket, and it holds an
empty database ``portal``.

Usage::

    with PostgresServer() as server:
        print(server.url)   # postgres://portal@%2Ftmp%2Fpostgresql-…/portal

Command line::

    python -m portal.testing.pg_server run   # a server in the foreground; prints DATABASE_URL

Environment variables (all optional):

``PG_SERVER_BIN``
    Directory of ``initdb`` and ``postgres``; by default the newest
    ``/usr/lib/postgresql/*/bin`` that has them.
``PG_SERVER_USER``
    Account the server runs as when the tests run as root; defaults to ``nobody``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import weakref
from collections import deque
from pathlib import Path

DEBIAN_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "portal"
DATABASE = "portal"
# The socket's file is named after the port; no TCP port is opened.
SOCKET_PORT = 5432
# The longest path a Unix socket may have (sun_path, with its terminating NUL, on Linux).
MAX_SOCKET_PATH = 107
DEFAULT_STARTUP_TIMEOUT = 60.0
DEFAULT_STOP_TIMEOUT = 30.0
LOG_TAIL_LINES = 40
# A test cluster: durability traded for speed, and no background noise in the log.
SERVER_OPTIONS = {
    "listen_addresses": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "50",
    "log_min_messages": "warning",
}


class PostgresServerError(RuntimeError):
    """The server could not be found, created or started (the message says why)."""


def find_bin_dir() -> Path:
    """The directory of the server binaries: ``PG_SERVER_BIN`` or the newest Debian version."""
    explicit = os.environ.get("PG_SERVER_BIN")
    candidates = [Path(explicit)] if explicit else sorted(
        DEBIAN_ROOT.glob("*/bin"),
        key=lambda path: [int(part) for part in re.findall(r"\d+", path.parent.name)],
        reverse=True,
    )
    for candidate in candidates:
        if all(os.access(candidate / name, os.X_OK) for name in ("initdb", "postgres", "pg_isready")):
            return candidate
    where = explicit or f"{DEBIAN_ROOT}/*/bin"
    raise PostgresServerError(f"no PostgreSQL server binaries in {where} (apt-get install postgresql)")


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return "".join(deque(handle, maxlen=lines))
    except OSError as error:
        return f"<could not read {path}: {error}>"


def _set_parent_death_signal() -> None:  # pragma: no cover - runs in the child
    """Have the kernel stop the server (fast shutdown) if the process that started it dies."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGINT)


_LIVE_SERVERS: weakref.WeakSet[PostgresServer] = weakref.WeakSet()


@atexit.register
def _stop_leftover_servers() -> None:
    for server in list(_LIVE_SERVERS):
        with contextlib.suppress(Exception):
            server.stop(timeout=10)


class PostgresServer:
    """One PostgreSQL cluster in a temporary directory (or the kept ``directory``), served on a
    Unix socket there."""

    def __init__(
        self,
        *,
        directory: str | Path | None = None,
        run_as: str | None = None,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
    ):
        self.run_as = run_as or os.environ.get("PG_SERVER_USER", "nobody")
        self.startup_timeout = startup_timeout
        self.directory = Path(directory).resolve() if directory is not None else None
        self.bin_dir: Path | None = None
        self._workdir: Path | None = None
        self._process: subprocess.Popen | None = None
        self._log = None

    # ------------------------------------------------------------------ where it is

    @property
    def workdir(self) -> Path:
        if self._workdir is None:
            raise PostgresServerError("the server has not been started")
        return self._workdir

    @property
    def socket_dir(self) -> Path:
        return self.workdir / "socket"

    @property
    def log_file(self) -> Path:
        return self.workdir / "server.log"

    @property
    def url(self) -> str:
        """A ``DATABASE_URL`` for the ``portal`` database (the host is the socket directory)."""
        return self.database_url(DATABASE)

    def database_url(self, name: str) -> str:
        """A ``DATABASE_URL`` for the database ``name`` on this server."""
        host = urllib.parse.quote(str(self.socket_dir), safe="")
        return f"postgres://{SUPERUSER}@{host}:{SOCKET_PORT}/{name}"

    def connection_settings(self) -> dict[str, str]:
        """What Django's ``DATABASES`` entry needs to reach the ``portal`` database."""
        return {"NAME": DATABASE, "USER": SUPERUSER, "PASSWORD": "", "HOST": str(self.socket_dir), "PORT": str(SOCKET_PORT)}

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return _tail(self.log_file, lines) if self._workdir else ""

    # -------------------------------------------------------------------- lifecycle

    def start(self) -> PostgresServer:
        """Create the cluster (unless the kept directory holds one) and start the server;
        returns once it accepts connections."""
        if self.is_running():
            return self
        self.bin_dir = find_bin_dir()
        account = self._account()
        if self.directory is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="postgresql-"))
        else:
            self._workdir = self.directory
            socket_file = self.socket_dir / f".s.PGSQL.{SOCKET_PORT}"
            if len(os.fsencode(socket_file)) > MAX_SOCKET_PATH:
                self._workdir = None
                raise PostgresServerError(f"{socket_file} is longer than a Unix socket path may be; choose a shorter directory")
            self._workdir.mkdir(parents=True, exist_ok=True)
        created = not (self.workdir / "data" / "PG_VERSION").exists()
        try:
            self.socket_dir.mkdir(exist_ok=True)
            if account is not None:
                for path in (self._workdir, self.socket_dir):
                    os.chown(path, account.pw_uid, account.pw_gid)
            if created:
                self._initdb(account)
            self._launch(account)
            self._wait_until_ready(time.monotonic() + self.startup_timeout)
            if created:
                self._run("createdb", DATABASE)
        except BaseException:
            self.stop(timeout=5)
            raise
        _LIVE_SERVERS.add(self)
        return self

    def stop(self, *, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        """Fast shutdown (SIGINT; SIGKILL after ``timeout``), then remove the cluster (unless
        it is in the kept ``directory``)."""
        process = self._process
        if process is not None:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGINT)
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        _LIVE_SERVERS.discard(self)
        if self._workdir is not None and self.directory is None:
            shutil.rmtree(self._workdir, ignore_errors=True)
        self._workdir = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -------------------------------------------------------------------- internals

    def _account(self) -> pwd.struct_passwd | None:
        """The unprivileged account to run as, if we are root."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(self.run_as)
        except KeyError as error:
            raise PostgresServerError(
                f"running as root and user {self.run_as!r} does not exist; set PG_SERVER_USER to an unprivileged account"
            ) from error

    def _as_account(self, account: pwd.struct_passwd | None) -> dict[str, object]:
        if account is None:
            return {}
        return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def _environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env.update({"LC_ALL": "C.UTF-8", "HOME": str(self.workdir)})
        return env

    def _initdb(self, account: pwd.struct_passwd | None) -> None:
        assert self.bin_dir is not None
        command = [
            str(self.bin_dir / "initdb"), "--pgdata", str(self.workdir / "data"),
            "--username", SUPERUSER, "--auth", "trust",
            "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync",
        ]
        result = subprocess.run(
            command, cwd=self.workdir, env=self._environment(), capture_output=True, text=True,
            timeout=120, check=False, **self._as_account(account),
        )
        if result.returncode != 0:
            raise PostgresServerError(f"initdb failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-4000:]}")

    def _launch(self, account: pwd.struct_passwd | None) -> None:
        assert self.bin_dir is not None
        options = {**SERVER_OPTIONS, "port": str(SOCKET_PORT), "unix_socket_directories": str(self.socket_dir)}
        command = [str(self.bin_dir / "postgres"), "-D", str(self.workdir / "data")]
        for name, value in options.items():
            command += ["-c", f"{name}={value}"]
        self._log = self.log_file.open("ab")
        kwargs: dict[str, object] = self._as_account(account)
        if sys.platform.startswith("linux"):
            kwargs["preexec_fn"] = _set_parent_death_signal
        self._process = subprocess.Popen(
            command, cwd=self.workdir, env=self._environment(), stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True, **kwargs,
        )

    def _wait_until_ready(self, deadline: float) -> None:
        assert self._process is not None and self.bin_dir is not None
        while True:
            if self._process.poll() is not None:
                raise PostgresServerError(
                    f"postgres exited with code {self._process.returncode} during startup.\n"
                    f"--- {self.log_file} (tail) ---\n{self.log_tail()}"
                )
            ready = subprocess.run(
                [str(self.bin_dir / "pg_isready"), "--quiet", "--host", str(self.socket_dir), "--port", str(SOCKET_PORT)],
                env=self._environment(), check=False,
            )
            if ready.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise PostgresServerError(
                    f"postgres was not ready within {self.startup_timeout:.0f}s.\n"
                    f"--- {self.log_file} (tail) ---\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def _run(self, program: str, *args: str) -> None:
        """A client program of the server's version, connected to it as the superuser."""
        assert self.bin_dir is not None
        command = [str(self.bin_dir / program), "--host", str(self.socket_dir), "--port", str(SOCKET_PORT), "--username", SUPERUSER, *args]
        result = subprocess.run(command, env=self._environment(), capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            raise PostgresServerError(f"{program} failed (exit {result.returncode}): {result.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m portal.testing.pg_server",
        description="Run a throw-away PostgreSQL server in the foreground (removed when stopped).",
    )
    parser.add_argument("command", choices=["run"])
    parser.parse_args(argv)
    server = PostgresServer()
    try:
        server.start()
    except PostgresServerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    def _handle_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _handle_signal)
    print(f"PostgreSQL running; data in {server.workdir}. Ctrl-C stops it and removes the data.")
    print(f"DATABASE_URL={server.url}", flush=True)
    try:
        while server.is_running():
            time.sleep(1)
        print("the server exited unexpectedly:\n" + server.log_tail(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
