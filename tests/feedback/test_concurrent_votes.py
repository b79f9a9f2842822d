"""Many citizens voting at once on the same guide: every vote counts, none fails on a lock. On
PostgreSQL with threads on the test server; on SQLite (the embedded default) with processes on
a database file, as the web processes of one machine share it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing

import pytest
from django.db import connection

from feedback.models import UsefulnessTally
from tests.databases import REPO, run_portal
from tests.portal.conftest import migrated_sqlite, sqlite_copy  # noqa: F401

THREADS = 8
VOTES_EACH = 10


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_votes_in_threads_all_count(publish_guide, settings):
    from django.test import Client

    settings.FEEDBACK_RATE_LIMIT = "0"
    guide = publish_guide()
    start = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def voter():
        client = Client(HTTP_ORIGIN="http://testserver")
        start.wait()
        try:
            for number in range(VOTES_EACH):
                status = client.post(f"/feedback/{guide.code}/useful/", {"answer": "yes" if number % 2 else "no"}).status_code
                with lock:
                    statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=voter) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303] * (THREADS * VOTES_EACH)
    rows = UsefulnessTally.objects.filter(guide=guide)
    assert rows.count() == 1
    assert (rows.get().yes, rows.get().no) == (THREADS * VOTES_EACH // 2, THREADS * VOTES_EACH // 2)


PROCESSES = 4
VOTES_PER_PROCESS = 25


@pytest.mark.sqlite
def test_concurrent_votes_in_processes_all_count_on_sqlite(sqlite_copy, tmp_path):  # noqa: F811
    url, path = sqlite_copy
    run_portal(url, tmp_path, "-m", "tests.portal.sqlite_writer", "seed")
    env = {
        **os.environ,
        # The settings a served portal runs with (WAL, IMMEDIATE transactions, the busy wait).
        "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
        "DATABASE_URL": url,
        "PORTAL_VAR_DIR": str(tmp_path),
        "FEEDBACK_RATE_LIMIT": "0",
    }
    voters = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.feedback.voter", "T-BAK-0001", str(VOTES_PER_PROCESS)],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(PROCESSES)
    ]
    outputs = [voter.communicate(timeout=600) for voter in voters]
    for voter, (out, err) in zip(voters, outputs, strict=True):
        assert voter.returncode == 0, err
        assert out.strip() == str(VOTES_PER_PROCESS), err
    with closing(sqlite3.connect(path)) as db:
        yes, no = db.execute("SELECT SUM(yes), SUM(no) FROM feedback_usefulnesstally").fetchone()
    assert yes + no == PROCESSES * VOTES_PER_PROCESS
    assert no == PROCESSES * len(range(0, VOTES_PER_PROCESS, 3))
