"""Databases of their own for tests that run the portal's commands in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

REPO = Path(__file__).resolve().parents[1]


def _postgresql_url(settings: dict, name: str) -> str:
    credentials = quote(settings["USER"] or "", safe="") + (":" + quote(settings["PASSWORD"], safe="") if settings["PASSWORD"] else "")
    # The test server's host is its socket directory: a path, percent-encoded in a URL.
    host = quote(settings["HOST"] or "", safe="")
    return f"postgres://{credentials}@{host}:{settings['PORT'] or ''}/{name}"


def shared_database_url() -> str:
    """The test database itself as a DATABASE_URL, for another process of the portal to work on
    what this test committed (PostgreSQL only: the SQLite pass's database is in this process's
    memory)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.fail(f"another process cannot open the {connection.vendor} test database")
    return _postgresql_url(connection.settings_dict, connection.settings_dict["NAME"])


@contextmanager
def empty_database(directory: Path) -> Iterator[str]:
    """The URL of a new database (no tables yet) on the same kind of server as the test
    database: a SQLite file in ``directory``, or a database created on the test's PostgreSQL
    server and dropped afterwards."""
    from django.db import connection

    if connection.vendor == "sqlite":
        yield f"sqlite:///{directory / 'portal.sqlite3'}"
        return
    if connection.vendor != "postgresql":
        pytest.fail(f"no empty database can be made on {connection.vendor}")
    import psycopg

    settings = connection.settings_dict
    server = {"host": settings["HOST"] or None, "port": settings["PORT"] or None, "user": settings["USER"] or None, "password": settings["PASSWORD"] or None}
    name = f"restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **{k: v for k, v in server.items() if v}) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield _postgresql_url(settings, name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_portal(database_url: str, var_dir: Path, *args: str, stdin: bytes | None = None, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run ``python <args>`` from the repository with the test settings on ``database_url``;
    fail the test with its output if it fails."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings_database_url",
        "DATABASE_URL": database_url,
        "PORTAL_VAR_DIR": str(var_dir),
    }
    result = subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, input=stdin, capture_output=True, timeout=timeout
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout.decode(errors='replace')}\n{result.stderr.decode(errors='replace')}",
            pytrace=False,
        )
    return result
