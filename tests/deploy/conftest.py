"""The portal as deployed: a demo database made once with the product's own commands (migrate,
load_demo, collectstatic under ``portal.settings.production``), then real servers started from the
repo on it (gunicorn with ``portal.gunicorn``, or runserver), each on a free port chosen now and
stopped at the end."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 120
ADMIN_USER = "deploy-admin"
ADMIN_PASSWORD = "correct horse battery staple 7"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Nobody listens on ``port`` and a new server could take it, as servers bind (with
    SO_REUSEADDR, which connections of the old server left in TIME_WAIT do not hinder)."""
    with socket.socket() as client:
        client.settimeout(2)
        if client.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError:
            return False
        return True


def base_environment(workdir: Path, port: int, settings: str = "portal.settings.production") -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CACHE_", "PUBLIC_BASE_URL", "ELASTICSEARCH_", "FEED_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        SECRET_KEY="deploy-test-key-" + "x" * 50,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{workdir / 'portal.sqlite3'}",
        PORTAL_VAR_DIR=str(workdir),
        STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(workdir / "media"),
        TASKS_BACKEND="immediate",
        GUNICORN_ACCESS_LOG=str(workdir / "access.log"),
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    if completed.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")


@pytest.fixture(scope="session")
def demo_deployment(tmp_path_factory) -> Path:
    """A directory with the migrated demo database and the collected static files."""
    workdir = tmp_path_factory.mktemp("deployment")
    env = base_environment(workdir, free_port())
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "load_demo")
    manage({**env, "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD}, "createsuperuser", "--noinput",
           "--username", ADMIN_USER, "--email", "admin@example.org")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    return workdir


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    workdir: Path
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def descendants(self) -> set[int]:
        """The processes below the server's own (its workers and their render workers)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        found, todo = set(), [self.process.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def stop(self, signum: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(45)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_server(demo_deployment: Path, tmp_path: Path, kind: str = "serve") -> Server:
    """A copy of the demo deployment served by ``kind``, answering on a free port: "serve" is the
    stack of ``make serve`` (``python -m portal.serve``: gunicorn with ``portal.gunicorn`` and the
    task worker), "runserver" the server of ``make run``."""
    workdir = tmp_path / kind
    shutil.copytree(demo_deployment, workdir)
    port = free_port()
    if kind == "serve":
        env = {**base_environment(workdir, port), "TASKS_BACKEND": "database"}
        command = [sys.executable, "-m", "portal.serve"]
    else:
        env = base_environment(workdir, port, settings="portal.settings.dev")
        command = [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"]
    log = workdir / "server.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    server = Server(process, port, workdir, log, env)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the {kind} server exited with {process.returncode}:\n{server.output()}")
        try:
            with urllib.request.urlopen(f"{server.url}/", timeout=10) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    server.stop(signal.SIGKILL)
    pytest.fail(f"the {kind} server did not answer within {START_SECONDS} s:\n{server.output()}")


@pytest.fixture(scope="session")
def production_server(demo_deployment, tmp_path_factory):
    # The whole stack of `make serve`: gunicorn and the task worker polling the same SQLite
    # database (WAL, IMMEDIATE writes: portal.transactions) while the tests' requests write.
    server = start_server(demo_deployment, tmp_path_factory.mktemp("production"), "serve")
    yield server
    server.stop()


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET"):
    """(status, headers, body) of a request that is not redirected."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def admin_guide_id(server: Server, code: str) -> int:
    with sqlite3.connect(server.workdir / "portal.sqlite3") as connection:
        (page_id,) = connection.execute("SELECT page_ptr_id FROM guides_guidepage WHERE code = ?", [code]).fetchone()
    return page_id
