"""The feed's rate limit is one count per client across processes: two processes sharing a file
cache (as two gunicorn workers on one machine do without CACHE_URL) let through exactly the
limit between them, no more (each counting alone would allow twice as many; an increment lost
between two processes would allow more)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 150
REQUESTS_PER_PROCESS = 200

# One serving process: the feed's own check_rate_limit for requests of one client, started at the
# same moment as the other process.
CLIENT = """
import json, sys, time
import django
django.setup()
from django.test import RequestFactory
from feed.api import check_rate_limit
start, count = float(sys.argv[1]), int(sys.argv[2])
factory = RequestFactory()
while time.time() < start:
    time.sleep(0.001)
allowed = 0
for _ in range(count):
    limited, headers = check_rate_limit(factory.get("/api/v1/changes/", REMOTE_ADDR="203.0.113.5"))
    allowed += limited is None
print(json.dumps({"allowed": allowed}))
"""


def _run_two(tmp_path: Path, cache_url: str | None) -> list[int]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CACHE_", "FEED_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.dev",
        PORTAL_VAR_DIR=str(tmp_path / "var"),
        FEED_RATE_LIMIT=f"{LIMIT}/hour",
    )
    if cache_url:
        env["CACHE_URL"] = cache_url
    start = time.time() + 8  # both processes set up, then count at once
    if start % 3600 > 3600 - 60:  # counted in hourly windows: not across the turn of an hour
        start += 3600 - start % 3600 + 1
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, str(start), str(REQUESTS_PER_PROCESS)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(2)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1])["allowed"])
    return results


def test_two_processes_sharing_a_file_cache_allow_the_limit_once(tmp_path):
    allowed = _run_two(tmp_path, f"file://{tmp_path / 'shared-cache'}")
    assert sum(allowed) == LIMIT, allowed


def test_without_cache_url_the_processes_of_a_machine_share_a_file_cache(tmp_path):
    """The default: the counters live in a file cache under PORTAL_VAR_DIR."""
    allowed = _run_two(tmp_path, None)
    assert sum(allowed) == LIMIT, allowed
    assert (tmp_path / "var" / "cache" / "ratelimit").is_dir()
