"""A portal served as ``make run`` serves it: the development settings on a SQLite file with the
demo content, ``manage.py runserver`` on a free port, and ``manage.py`` commands run beside it,
each in a process of its own."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
DEMO_GUIDES = REPO_DIR / "portal" / "demo" / "guides.jsonl"
START_TIMEOUT = 180
# Runs the rest of the command line in Python with SIGINT's default action restored: a shell
# starts background jobs with SIGINT ignored, a child inherits that, and Python then leaves it
# ignored instead of raising KeyboardInterrupt.
WITH_CTRL_C = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Portal:
    """A SQLite database with the demo content and the environment that names it."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.database = directory / "portal.sqlite3"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
            "PORTAL_VAR_DIR": str(directory),
            "DATABASE_URL": f"sqlite:///{self.database}",
            "MEDIA_ROOT": str(directory / "media"),
            "SEARCH_LOG_FLUSH_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
        }

    def manage(self, *args: str, **env: str) -> subprocess.Popen:
        """Start ``manage.py ARGS`` (not waited for), with Ctrl-C (SIGINT) as in a terminal
        even where the test run itself ignores it (started in the background)."""
        return subprocess.Popen(
            [sys.executable, "-c", WITH_CTRL_C, "manage.py", *args], cwd=REPO_DIR, env={**self.env, **env},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def run(self, *args: str, timeout: float = 900) -> str:
        process = self.manage(*args)
        out, err = process.communicate(timeout=timeout)
        assert process.returncode == 0, f"manage.py {' '.join(args)} failed:\n{out}\n{err}"
        return out

    def query(self, sql: str, params=()) -> list[tuple]:
        """Read the database file directly, as another process would."""
        with sqlite3.connect(self.database, timeout=30) as connection:
            return connection.execute(sql, params).fetchall()

    @contextmanager
    def server(self, **env: str):
        """``manage.py runserver`` on a free port; yields its base URL. Stopped with Ctrl-C
        (SIGINT), as a developer stops ``make run``. Its output goes to a file: a pipe nobody
        reads fills up and blocks the server in its request log."""
        port = free_port()
        log = self.directory / f"runserver-{port}.log"
        with log.open("w", encoding="utf-8") as output:
            process = subprocess.Popen(
                [sys.executable, "-c", WITH_CTRL_C, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=REPO_DIR, env={**self.env, **env}, stdout=output, stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(url, process, log)
            yield url
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                pytest.fail(f"runserver did not stop on SIGINT within 60 s:\n{tail(log)}")


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(url + "/", timeout=10) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    process.kill()
    pytest.fail(f"the server did not answer at {url} within {START_TIMEOUT} s")


@pytest.fixture(scope="session")
def demo_portal(tmp_path_factory) -> Portal:
    """What ``make demo`` builds, in a temporary directory: migrated, the demo site and guides
    loaded, the search text and index built."""
    portal = Portal(tmp_path_factory.mktemp("portal"))
    portal.run("migrate", "--noinput", "--verbosity", "0")
    portal.run("load_demo")
    portal.run("refresh_search_text", "--verbosity", "0")
    portal.run("update_index", "--verbosity", "0")
    return portal
