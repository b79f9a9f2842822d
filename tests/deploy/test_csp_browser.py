"""The Content-Security-Policy in a real browser (Debian's Chromium through Playwright) against the
production server: the public page types and the kiosk (including its one-tap print, which loads
the sheet into a frame from a blob: address) run without a single violation under the strict
policy, and the Wagtail admin (dashboard, explorer, page editor with its live preview) runs
without one under its own policy."""

from __future__ import annotations

import re

import pytest

from tests.browser import RECORD_CSP_VIOLATIONS as RECORD_VIOLATIONS
from tests.browser import chromium as launch_chromium
from tests.deploy.conftest import ADMIN_PASSWORD, ADMIN_USER, fetch
from tests.kiosk.conftest import RECORD_PRINT

# These tests start portals of their own on SQLite files (the embedded default), whatever the
# pass's test database: run once, in the SQLite pass.
pytestmark = pytest.mark.sqlite

CODE = "YX-JY-0001"


@pytest.fixture(scope="module")
def chromium():
    with launch_chromium() as browser:
        yield browser


class Visit:
    """A browser tab that keeps every CSP complaint: the console's and the violation events."""

    def __init__(self, browser, **context_options):
        self.context = browser.new_context(locale="zh-CN", **context_options)
        self.context.add_init_script(RECORD_PRINT)
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.console: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type == "error" and re.search(r"Content Security Policy|Refused to", message.text):
            self.console.append(message.text)

    def open(self, url: str) -> None:
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status in (200, 400, 404), (url, response and response.status)
        self.page.wait_for_load_state("networkidle")

    def violations(self) -> list[str]:
        return self.console + list(self.page.evaluate("window.__cspViolations || []"))

    def close(self) -> None:
        self.context.close()


def _guide_path(server) -> str:
    status, headers, _ = fetch(f"{server.url}/g/{CODE}/")
    assert status == 302
    return headers["Location"]


def test_the_collector_sees_a_violation(chromium, production_server):
    """The check below can fail: an inline event handler on a public page is reported."""
    visit = Visit(chromium)
    try:
        visit.open(f"{production_server.url}/")
        visit.page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=\"data:,\" onerror=\"document.title=1\">')")
        visit.page.wait_for_timeout(500)
        assert any("script-src" in violation for violation in visit.violations()), visit.violations()
    finally:
        visit.close()


def test_public_pages_and_the_kiosk_run_under_the_strict_policy(chromium, production_server):
    base = production_server.url
    guide = _guide_path(production_server)
    pages = [
        "/",
        "/guides/",
        guide,
        f"{guide}?s1=%E6%98%AF",
        "/search/?q=%E5%BC%80%E5%A5%B6%E8%8C%B6%E5%BA%97",
        "/search/?q=yyzz&page=%D9%A9",
        "/api/v1/docs/",
        "/no-such-page/",
        "/kiosk/",
        "/kiosk/?q=spjy",
        f"/kiosk/g/{CODE}/",
    ]
    visit = Visit(chromium, viewport={"width": 1080, "height": 1920}, has_touch=True)
    try:
        for path in pages:
            visit.open(base + path)
        # The kiosk's print page fetches the sheet and prints it from a frame.
        visit.open(f"{base}/kiosk/g/{CODE}/print/")
        visit.page.wait_for_function("window.__printCalls && window.__printCalls.length > 0", timeout=60_000)
        assert visit.violations() == []
    finally:
        visit.close()


def test_the_admin_runs_under_its_own_policy(chromium, production_server):
    from tests.deploy.conftest import admin_guide_id

    base = production_server.url
    visit = Visit(chromium, viewport={"width": 1400, "height": 1000})
    try:
        visit.open(f"{base}/admin/login/")
        visit.page.fill("#id_username", ADMIN_USER)
        visit.page.fill("#id_password", ADMIN_PASSWORD)
        visit.page.click("button[type=submit]")
        visit.page.wait_for_url(f"{base}/admin/")
        visit.page.wait_for_load_state("networkidle")
        page_id = admin_guide_id(production_server, CODE)
        for path in ["/admin/", "/admin/pages/", f"/admin/pages/{page_id}/edit/"]:
            visit.open(base + path)
        # The live preview panel renders the page in a frame.
        visit.page.get_by_role("button", name=re.compile("预览|Preview")).first.click()
        visit.page.locator("iframe[id*=preview]").first.wait_for()
        visit.page.wait_for_timeout(2000)
        assert visit.violations() == []
    finally:
        visit.close()
