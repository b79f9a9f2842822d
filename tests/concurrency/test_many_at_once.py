"""Many people at once on the embedded default: a served portal on SQLite answers concurrent
readers without a 5xx while imports write, two imports wait for each other, a writer holding the
lock delays no search, and the search query log reaches the database, also when the server stops.

Each test runs real processes: ``manage.py runserver`` (as ``make run``), ``manage.py
import_guides`` and the load script ``benchmarks.load``."""

from __future__ import annotations

import http.client
import json
import sqlite3
import subprocess
import sys
import threading
import time
from urllib.parse import urlencode, urlsplit

import pytest

from tests.concurrency.conftest import DEMO_GUIDES, REPO_DIR

# These tests start portals of their own on SQLite files (the embedded default), whatever the
# pass's test database: run once, in the SQLite pass.
pytestmark = pytest.mark.sqlite

SEARCHES = ["营业执照", "身份证丢了", "yyzz", "食品经营许可", "居住证"]
# Guides the short load run requests, their sheets rendered first.
LOAD_GUIDES = 4


@pytest.fixture(scope="module")
def served(demo_portal):
    with demo_portal.server() as url:
        yield demo_portal, url


def guide_lines(prefix: str, count: int) -> str:
    """``count`` demo guides under new codes and names: an import of them writes new pages."""
    lines = []
    for number, line in enumerate(DEMO_GUIDES.read_text(encoding="utf-8").splitlines()[:count]):
        record = json.loads(line)
        record["code"] = f"{prefix}-{number:04d}"
        record["name"] = f"{record['name']}（{prefix}{number}）"
        lines.append(json.dumps(record, ensure_ascii=False))
    return "\n".join(lines) + "\n"


class Searcher(threading.Thread):
    """Searches one after another over a keep-alive connection until stopped."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.address = urlsplit(url)
        self.stop = threading.Event()
        self.results: list[tuple[int | str, float]] = []

    def run(self) -> None:
        connection = http.client.HTTPConnection(self.address.hostname, self.address.port, timeout=60)
        number = 0
        while not self.stop.is_set():
            query = SEARCHES[number % len(SEARCHES)]
            number += 1
            start = time.perf_counter()
            try:
                connection.request("GET", "/search/?" + urlencode({"q": query}))
                response = connection.getresponse()
                response.read()
                self.results.append((response.status, time.perf_counter() - start))
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException) as error:
                self.results.append((type(error).__name__, time.perf_counter() - start))
                connection.close()


def live_codes(portal, prefix: str) -> set[str]:
    rows = portal.query(
        "SELECT g.code FROM guides_guidepage g JOIN wagtailcore_page p ON p.id = g.page_ptr_id "
        "WHERE p.live AND g.code LIKE ?", [f"{prefix}-%"],
    )
    return {code for (code,) in rows}


def test_the_load_script_gets_no_5xx(served, tmp_path):
    from benchmarks.load import Server, discover

    portal, url = served
    # As in production (and as the script asks), the sheets are rendered before the load: a cold
    # render on a loaded machine may overrun its time limit, which is the render's budget, not
    # the load's. The run keeps to the guides whose sheets were rendered.
    guides = discover(Server.from_url(url), LOAD_GUIDES, timeout=60)
    portal.run("render_pdfs", "--workers", "1", *(f"--code={guide.code}" for guide in guides))
    figures = tmp_path / "load.json"
    process = subprocess.run(
        [sys.executable, "-m", "benchmarks.load", url, "--clients", "8", "--duration", "5",
         "--max-guides", str(LOAD_GUIDES), "--json", str(figures)],
        cwd=REPO_DIR, capture_output=True, text=True, timeout=600,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    result = json.loads(figures.read_text(encoding="utf-8"))
    assert result["failed"] == 0 and not any(status.startswith("5") for status in result["statuses"])
    assert result["requests"] >= 8
    # Every kind of the mix ran and was answered.
    from benchmarks.load import MIX

    assert set(result["kinds"]) == set(MIX), result["kinds"].keys()
    for kind, row in result["kinds"].items():
        answered = sum(count for status, count in row["statuses"].items() if status.isdigit() and int(status) < 400)
        assert answered, f"{kind}: {row['statuses']}"
    assert "requests/s" in process.stdout and "speed probe" in process.stdout


def test_searches_while_importing_both_succeed(served, tmp_path):
    portal, url = served
    source = tmp_path / "import.jsonl"
    source.write_text(guide_lines("LA", 20), encoding="utf-8")
    searchers = [Searcher(url) for _ in range(4)]
    for searcher in searchers:
        searcher.start()
    time.sleep(1)
    importing = portal.manage("import_guides", str(source), "--publish", "--no-progress")
    started = time.perf_counter()
    out, err = importing.communicate(timeout=900)
    import_seconds = time.perf_counter() - started
    time.sleep(1)
    for searcher in searchers:
        searcher.stop.set()
    for searcher in searchers:
        searcher.join(timeout=120)

    assert importing.returncode == 0, out + err
    assert live_codes(portal, "LA") == {f"LA-{n:04d}" for n in range(20)}
    results = [result for searcher in searchers for result in searcher.results]
    statuses = {status for status, _ in results}
    assert statuses == {200}, statuses
    # The searches ran while the import wrote, not only before or after it.
    assert len(results) >= 8 and import_seconds > 1


def test_two_imports_at_once_both_succeed(served, tmp_path):
    portal, _url = served
    sources = []
    for prefix in ("LB", "LC"):
        source = tmp_path / f"{prefix}.jsonl"
        source.write_text(guide_lines(prefix, 12), encoding="utf-8")
        sources.append(source)
    processes = [portal.manage("import_guides", str(source), "--publish", "--no-progress") for source in sources]
    outputs = [process.communicate(timeout=900) for process in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, out + err
    assert live_codes(portal, "LB") == {f"LB-{n:04d}" for n in range(12)}
    assert live_codes(portal, "LC") == {f"LC-{n:04d}" for n in range(12)}


def test_a_writer_holding_the_lock_delays_no_search_and_the_log_follows(served):
    portal, url = served
    query = "锁住时的搜索"
    address = urlsplit(url)
    writer = sqlite3.connect(portal.database, timeout=30, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # the one write lock, held as a long import holds it
        writer.execute("UPDATE guides_department SET sort_order = sort_order")
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
        for _ in range(3):
            start = time.perf_counter()
            connection.request("GET", "/search/?" + urlencode({"q": query}))
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - start
            assert response.status == 200
            # Far below the 20 s the server would wait for the lock if a search needed it.
            assert elapsed < 10, f"a search took {elapsed:.1f} s while a writer held the lock"
        connection.close()
        time.sleep(2.5)  # the log's writer (every second here) tried meanwhile and waits
    finally:
        writer.execute("COMMIT")
        writer.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = portal.query("SELECT hits FROM portal_search_searchquerystat WHERE query = ?", [query])
        if rows:
            break
        time.sleep(0.5)
    assert rows == [(3,)]


def test_the_query_log_is_written_when_the_server_stops(demo_portal):
    query = "停机前的搜索"
    # A write interval the test does not wait for: only the write at exit can log the searches.
    with demo_portal.server(SEARCH_LOG_FLUSH_SECONDS="3600") as url:
        address = urlsplit(url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
        for _ in range(2):
            connection.request("GET", "/api/v1/search/?" + urlencode({"q": query}))
            response = connection.getresponse()
            response.read()
            assert response.status == 200
        connection.close()
        assert not demo_portal.query("SELECT 1 FROM portal_search_searchquerystat WHERE query = ?", [query])
    assert demo_portal.query("SELECT hits FROM portal_search_searchquerystat WHERE query = ?", [query]) == [(2,)]


def test_a_writer_that_waits_in_vain_is_told_to_retry_and_loses_nothing(demo_portal):
    """An editor's change (here: logging in, which writes the session and the login time) while
    another writer holds the database past the wait: 503 with Retry-After, nothing half-saved,
    and the same form sent again succeeds."""
    password = demo_portal.database.with_name(f"{demo_portal.database.name}-admin-password.txt").read_text(encoding="utf-8").strip()
    with demo_portal.server(DATABASE_BUSY_TIMEOUT="1") as url:
        address = urlsplit(url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
        connection.request("GET", "/admin/login/")
        response = connection.getresponse()
        html = response.read().decode()
        cookie = next(
            value.split(";", 1)[0] for name, value in response.getheaders() if name.lower() == "set-cookie" and value.startswith("csrftoken=")
        )
        token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        form = urlencode({"csrfmiddlewaretoken": token, "username": "admin", "password": password, "next": "/admin/"})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Referer": url + "/admin/login/"}

        def log_in():
            connection.request("POST", "/admin/login/", body=form, headers=headers)
            answer = connection.getresponse()
            answer.read()
            return answer

        before = demo_portal.query("SELECT last_login FROM auth_user WHERE username = 'admin'")
        writer = sqlite3.connect(demo_portal.database, timeout=30, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")
            refused = log_in()
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        assert refused.status == 503 and refused.getheader("Retry-After")
        assert demo_portal.query("SELECT last_login FROM auth_user WHERE username = 'admin'") == before
        assert log_in().status == 302
        assert demo_portal.query("SELECT last_login FROM auth_user WHERE username = 'admin'") != before
        connection.close()
