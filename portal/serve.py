"""``make serve``: the production stack on one machine, in the foreground. gunicorn serves the
portal (``portal.gunicorn``) and ``manage.py db_worker`` runs the background tasks; Ctrl-C (or a
SIGTERM) stops both, and so does either one ending. Run under ``portal.settings.production``
after migrate and collectstatic (the Makefile does both)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STOP_SECONDS = 40  # gunicorn's graceful timeout (30 s) and some


def commands() -> dict[str, list[str]]:
    """gunicorn, and the task worker where tasks are queued (TASKS_BACKEND=database)."""
    python = sys.executable
    found = {"web": [python, "-m", "gunicorn", "-c", "python:portal.gunicorn", "portal.wsgi"]}
    if os.environ.get("TASKS_BACKEND") == "database":
        found["tasks"] = [python, str(ROOT / "manage.py"), "db_worker", "--no-reload"]
    return found


def main() -> int:
    processes = {name: subprocess.Popen(command, cwd=ROOT) for name, command in commands().items()}
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(process.poll() is None for process in processes.values()):
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes.values():
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    failed = [name for name, process in processes.items() if process.returncode not in (0, -signal.SIGTERM)]
    return 1 if failed and not stopping else 0


if __name__ == "__main__":
    sys.exit(main())
