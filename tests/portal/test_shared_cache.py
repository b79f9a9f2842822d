"""The shared cache across processes. With ``CACHE_URL=redis://…`` (a real redis-server started by
the test setup), two web processes of the portal (real processes: ``manage.py runserver`` on the
test database, configured from the environment as a deployment is) and a third process that
writes (this test, as an import or an editor's save in another process would) see the same
synonyms, promoted results, feed rate-limit counters and page invalidations.

Without a shared cache each process keeps its own memory cache, and each of these stays stale in
the other processes for minutes; the test fails so when the web processes are started without
``CACHE_URL``. It runs in the PostgreSQL pass: other processes cannot open the SQLite pass's
in-memory database.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from portal.testing import find_free_port
from tests.conftest import jsonl, make_record
from tests.databases import shared_database_url

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 120
GUIDE = "T-JY-0001"

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


class WebProcess:
    """``manage.py runserver`` in a process of its own, configured like a deployment: settings
    from the environment (DATABASE_URL, CACHE_URL), on a free port of the loopback."""

    def __init__(self, name: str, environment: dict[str, str], log_dir: Path):
        self.name = name
        self.environment = environment
        self.log = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> WebProcess:
        for _attempt in range(5):  # a port found free may be taken before the server binds it
            port = find_free_port()
            self.url = f"http://127.0.0.1:{port}"
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
                    cwd=REPO, env=self.environment, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                )
            if self._wait_until_serving():
                return self
        raise AssertionError(f"{self.name} found no free port:\n{self.log.read_text(errors='replace')[-3000:]}")

    def _wait_until_serving(self) -> bool:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.log.read_text(errors="replace")
                if "already in use" in output:
                    return False
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{output[-3000:]}")
            with contextlib.suppress(OSError):
                self.get("/api/v1/")
                return True
            time.sleep(0.2)
        raise AssertionError(f"{self.name} did not serve within {STARTUP_TIMEOUT} s:\n{self.log.read_text(errors='replace')[-3000:]}")

    def get(self, path: str, params: dict | None = None) -> tuple[int, dict[str, str], bytes]:
        url = self.url + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def search(self, query: str) -> list[dict]:
        status, _headers, body = self.get("/api/v1/search/", {"q": query})
        assert status == 200, (self.name, query, body[:500])
        return json.loads(body)["results"]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def shared_cache(redis_server):
    """This process's cache is the shared one too, emptied before and after."""
    import redis

    shared = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_server.url}
    # As the settings make them of CACHE_URL: the default cache's keys carry the release (portal.release).
    caches = {
        "default": {**shared, "KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"]},
        "ratelimit": shared,
        "versions": shared,
    }
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    with override_settings(CACHES=caches):
        yield client
    client.flushdb()


@pytest.fixture
def web_processes(transactional_db, site, shared_cache, redis_server, tmp_path):
    """Two web processes on the test database and the shared cache (stopped before the database
    is emptied)."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
        "DEBUG": "false",
        "DATABASE_URL": shared_database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "CACHE_URL": redis_server.url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PORTAL_VAR_DIR": str(tmp_path),
    }
    processes = [WebProcess(name, environment, tmp_path) for name in ("web-1", "web-2")]
    try:
        yield [process.start() for process in processes]
    finally:
        for process in processes:
            process.stop()


def response_keys(client) -> list[bytes]:
    return client.keys("*portal:response:*")


def test_web_processes_share_synonyms_promotions_rate_limits_and_page_invalidations(web_processes, shared_cache):
    from wagtail.contrib.search_promotions.models import Query, SearchPromotion

    from guides.importer import import_guides
    from guides.models import GuidePage
    from search.models import Synonym

    first, second = web_processes
    import_guides(jsonl(make_record(code=GUIDE), make_record(code="T-JY-0002", name="食品经营备案")), publish=True)
    pick = GuidePage.objects.get(code="T-JY-0002")

    # Synonyms: both processes have read (and cached) the synonyms; an editor's new one is
    # seen by both at the next search.
    for process in web_processes:
        assert process.search("阿拉丁神灯") == [], process.name
    Synonym.objects.create(phrases="阿拉丁神灯", expansions="食品经营许可证核发")
    for process in web_processes:
        assert [hit["code"] for hit in process.search("阿拉丁神灯")][:1] == [GUIDE], process.name

    # Promoted results: both processes have cached that no query has picks; an editor's pick
    # comes first in both at once.
    for process in web_processes:
        assert not any(hit["promoted"] for hit in process.search("食品经营")), process.name
    SearchPromotion.objects.create(query=Query.get("食品经营"), page=pick, sort_order=0)
    for process in web_processes:
        hits = process.search("食品经营")
        assert (hits[0]["code"], hits[0]["promoted"]) == ("T-JY-0002", True), process.name

    # Rate limits: requests to either process count against the same allowance of the client.
    if time.time() % 60 > 55:  # the counters are per minute: start the count in a fresh one
        time.sleep(61 - time.time() % 60)
    remaining = []
    for process in (first, second, first, second):
        status, headers, _body = process.get("/api/v1/guides/")
        assert status == 200, process.name
        remaining.append(int(headers["X-RateLimit-Remaining"]))
    assert remaining == [remaining[0] - step for step in range(4)], remaining
    assert len(shared_cache.keys("*feed:rate:*")) == 1  # one counter, in the shared cache

    # Page invalidation: the page the first process rendered is served by the second from the
    # shared cache; a publish in a third process (this one) reaches both.
    path = GuidePage.objects.get(code=GUIDE).url
    searches = set(response_keys(shared_cache))  # the searches above are shared answers too
    status, _headers, before = first.get(path)
    assert status == 200 and "从事食品销售和餐饮服务" in before.decode()
    page_keys = set(response_keys(shared_cache)) - searches
    assert len(page_keys) == 1
    assert second.get(path)[2] == before
    assert set(response_keys(shared_cache)) - searches == page_keys  # served from what the first process stored
    page = GuidePage.objects.get(code=GUIDE)
    latest = page.get_latest_revision_as_object()
    latest.summary = "跨进程可见的新事项简介"
    latest.save_revision().publish()
    for process in web_processes:
        status, _headers, after = process.get(path)
        assert status == 200 and "跨进程可见的新事项简介" in after.decode(), process.name
