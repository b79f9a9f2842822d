"""Throw-away Redis server for the tests of the shared cache (``CACHE_URL=redis://…``).

Debian's ``redis-server`` (the Makefile installs it) on a free port of 127.0.0.1 chosen at start,
with no persistence and its working directory in a temporary directory; ``stop()`` shuts it down
and removes the directory, and the kernel stops it if the process that started it dies (Linux).
Only the standard library is used.

Usage::

    with RedisServer() as server:
        print(server.url)   # redis://127.0.0.1:<port>/0
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path

from portal.testing import find_free_port

DEFAULT_STARTUP_TIMEOUT = 30.0
# A port found free can be taken by someone else before the server binds it: try again.
PORT_ATTEMPTS = 5


class RedisServerError(RuntimeError):
    """The server could not be found or started (the message says why)."""


def _set_parent_death_signal() -> None:  # pragma: no cover - runs in the child
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


_LIVE_SERVERS: weakref.WeakSet[RedisServer] = weakref.WeakSet()


@atexit.register
def _stop_leftover_servers() -> None:
    for server in list(_LIVE_SERVERS):
        with contextlib.suppress(Exception):
            server.stop()


class RedisServer:
    host = "127.0.0.1"

    def __init__(self, executable: str | None = None, *, startup_timeout: float = DEFAULT_STARTUP_TIMEOUT):
        self.executable = executable or shutil.which("redis-server") or "/usr/bin/redis-server"
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self._workdir: Path | None = None
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RedisServerError("the server has not been started")
        return f"redis://{self.host}:{self.port}/0"

    @property
    def log_file(self) -> Path:
        if self._workdir is None:
            raise RedisServerError("the server has not been started")
        return self._workdir / "redis.log"

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> RedisServer:
        if self.is_running():
            return self
        if not os.access(self.executable, os.X_OK):
            raise RedisServerError(f"no redis-server at {self.executable} (apt-get install redis-server)")
        self._workdir = Path(tempfile.mkdtemp(prefix="redis-"))
        try:
            for _attempt in range(PORT_ATTEMPTS):
                self.port = find_free_port(self.host)
                self._launch()
                if self._wait_until_ready(time.monotonic() + self.startup_timeout):
                    _LIVE_SERVERS.add(self)
                    return self
            raise RedisServerError(f"redis-server found no free port in {PORT_ATTEMPTS} attempts:\n{self._log_tail()}")
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        process = self._process
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            self._process = None
        _LIVE_SERVERS.discard(self)
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _launch(self) -> None:
        assert self._workdir is not None and self.port is not None
        command = [
            self.executable, "--bind", self.host, "--port", str(self.port), "--dir", str(self._workdir),
            "--save", "", "--appendonly", "no", "--logfile", str(self.log_file), "--daemonize", "no",
        ]
        kwargs = {"preexec_fn": _set_parent_death_signal} if sys.platform.startswith("linux") else {}
        self._process = subprocess.Popen(
            command, cwd=self._workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT, start_new_session=True, **kwargs,
        )

    def _wait_until_ready(self, deadline: float) -> bool:
        """True once the server answers PING; False if it exited because the port was taken."""
        assert self._process is not None and self.port is not None
        while True:
            if self._process.poll() is not None:
                if "Address already in use" in self._log_tail():
                    self._process = None
                    return False
                raise RedisServerError(f"redis-server exited with code {self._process.returncode}:\n{self._log_tail()}")
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(64).startswith(b"+PONG"):
                    return True
            if time.monotonic() > deadline:
                raise RedisServerError(f"redis-server was not ready within {self.startup_timeout:.0f}s:\n{self._log_tail()}")
            time.sleep(0.05)

    def _log_tail(self) -> str:
        try:
            return "".join(self.log_file.read_text(errors="replace").splitlines(keepends=True)[-20:])
        except OSError as error:
            return f"<could not read {self.log_file}: {error}>"
