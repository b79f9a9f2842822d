"""Stopping a server stops everything it started: after a sheet was rendered (so that a web process
forked its PDF render worker, printing.render.RenderWorker), a SIGTERM to the server (what a
service manager sends) leaves the port free and no process of the server behind, for the stack
of `make serve` (gunicorn, its workers, the task worker) and for runserver. The render worker
used to keep the inherited listening socket, and with it the port, for ever."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.deploy.conftest import fetch, port_is_free, start_server

# These tests start portals of their own on SQLite files (the embedded default), whatever the
# pass's test database: run once, in the SQLite pass.
pytestmark = pytest.mark.sqlite

CODE = "YX-JY-0001"
SETTLE_SECONDS = 20


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie holds no socket and runs nothing


@pytest.mark.parametrize("kind", ["serve", "runserver"])
def test_stopping_the_server_frees_the_port_and_leaves_no_process(demo_deployment, tmp_path, kind):
    server = start_server(demo_deployment, tmp_path, kind)
    started = set()
    try:
        serving = server.descendants()
        status, headers, body = fetch(f"{server.url}/g/{CODE}/pdf/")
        assert status == 200 and body.startswith(b"%PDF"), (status, body[:200])
        started = {server.process.pid} | server.descendants()
        workers = started - serving - {server.process.pid}
        assert workers, "no render worker was forked: the sheet was not rendered in one"
    finally:
        server.stop(signal.SIGTERM)

    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        left = {pid for pid in started if _alive(pid)}
        if not left and port_is_free(server.port):
            break
        time.sleep(0.25)
    left = {pid for pid in started if _alive(pid)}
    for pid in left:  # the test cleans up after a failure, then reports it
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes of the stopped {kind} server still running: {sorted(left)}"
    assert port_is_free(server.port), f"port {server.port} still bound after the {kind} server stopped"
