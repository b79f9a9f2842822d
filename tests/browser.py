"""Debian's Chromium driven by Playwright, shared by every browser test (kiosk, accessibility,
CSP): where the browser is, how it starts headless here, and where screenshots go."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("KIOSK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# One directory per pass: `make test` runs the SQLite and PostgreSQL passes at the same time.
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / os.environ.get("TEST_DATABASE", "sqlite")

# An init script that keeps every Content-Security-Policy violation of a page, in whichever frame,
# in window.top.__cspViolations: what was refused, by which rule, where.
RECORD_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  var seen = [];
  try { seen = window.top.__cspViolations = window.top.__cspViolations || []; } catch (error) {}
  seen.push(event.effectiveDirective + " " + (event.blockedURI || "inline") + " at " + event.documentURI);
}, true);
"""


@contextmanager
def chromium():
    """A launched Chromium; a missing Playwright or browser fails the test with the fix."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "playwright is not installed (pip install playwright; no browser download needed)",
            pytrace=False,
        )
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    assert path.exists() and path.stat().st_size > 20_000, f"{path} looks empty"
    return path
