"""axe-core (installed by `make axe-core`, pinned in the Makefile) in Debian's Chromium on every
public page type: 0 violations of WCAG 2.1 A/AA and axe's best practices.

The one exception is the kiosk's ``user-scalable=no`` (axe's meta-viewport rules): the hall's
touch screen must not zoom under a stray pinch, and its pages are set in large type instead."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import resolve

from guides.models import Department, LifeEvent
from portal.demo.loader import add_journey, ensure_site_identity
from portal.models import HomePage, StatementPage
from search.clicks import flush as flush_clicks
from tests.browser import screenshot
from tests.journeys.conftest import JOURNEY
from tests.journeys.conftest import MEMBERS as JOURNEY_MEMBERS

AXE_JS = Path(__file__).resolve().parents[2] / ".cache" / "axe-core" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PHONE = {"width": 390, "height": 844}
KIOSK_EXCEPTIONS = ["meta-viewport", "meta-viewport-large"]
RUN_AXE = """async ([tags, disabled]) => {
  const rules = Object.fromEntries(disabled.map((rule) => [rule, {enabled: false}]));
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, rules});
  return result.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
}"""

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def catalogue(publish_guide):
    LifeEvent.objects.create(name="开办企业", slug="kaiban-qiye", audience="企业")
    food = publish_guide(themes=["kaiban-qiye"], popular=True, online=True)
    publish_guide(code="T-GM-0001", name="居住证申领", category="公民类", department="测试区公安分局", popular=True)
    # The demo's footer identity and accessibility statement, and a one-thing journey.
    ensure_site_identity(HomePage.objects.get())
    for code, fields in JOURNEY_MEMBERS.items():
        publish_guide(code=code, **fields)
    journey = add_journey(JOURNEY)
    return {
        "food": food,
        "department": Department.objects.get(name="测试区公安分局"),
        "statement": StatementPage.objects.get(),
        "journey": journey,
    }


def violations(browser, url: str, *, viewport: dict, disabled=(), status: int = 200) -> list[str]:  # noqa: F811
    # The test injects axe as an inline script, which the site's CSP rightly forbids.
    context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True)
    try:
        page = context.new_page()
        response = page.goto(url)
        assert response is not None and response.status == status, (url, response and response.status)
        page.add_script_tag(path=str(AXE_JS))
        return page.evaluate(RUN_AXE, [AXE_TAGS, list(disabled)])
    finally:
        context.close()


def test_every_public_page_type_has_no_axe_violations(browser, live_server, catalogue):  # noqa: F811
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is not installed at {AXE_JS} (make axe-core)", pytrace=False)
    food = catalogue["food"]
    key = food.situations.get().key
    pages = {
        "home": "/",
        "section": "/guides/section/jy/",
        "department": f"/guides/department/{catalogue['department'].code}/",
        "theme": "/guides/theme/kaiban-qiye/",
        "guide": food.url,
        "guide with answers": f"{food.url}?{key}=%E5%90%A6",
        # After a "no" vote: the thank-you and the open report form (feedback app).
        "guide after a vote": f"{food.url}?feedback=thanks-no",
        "error report form": f"/feedback/{food.code}/report/",
        "search": "/search/?q=%E9%A3%9F%E5%93%81",
        "search without results": "/search/?q=%E5%AE%8C%E5%85%A8%E4%B8%8D%E5%AD%98%E5%9C%A8",
        "empty search": "/search/",
        "hall": "/hall/",
        "accessibility statement": catalogue["statement"].url,
        "journeys": "/journeys/",
        "journey": catalogue["journey"].url,
        "journey with answers": f"{catalogue['journey'].url}?q1=%E5%A7%94%E6%89%98%E4%BB%96%E4%BA%BA%E5%8A%9E%E7%90%86",
    }
    assert pages["journeys"] == catalogue["journey"].get_parent().url
    found = {}
    for viewport in ({"width": 1280, "height": 900}, PHONE):
        for name, path in pages.items():
            if result := violations(browser, live_server.url + path, viewport=viewport):
                found[f"{name} at {viewport['width']}px"] = result
        if result := violations(browser, f"{live_server.url}/no-such-page/", viewport=viewport, status=404):
            found[f"not found at {viewport['width']}px"] = result
    kiosk_pages = {
        "kiosk start": "/kiosk/",
        "kiosk guide": f"/kiosk/g/{food.code}/",
        "kiosk guide after a vote": f"/kiosk/g/{food.code}/?feedback=thanks-no",
        "kiosk journey": f"/kiosk/j/{catalogue['journey'].slug}/",
    }
    for name, path in kiosk_pages.items():
        result = violations(browser, live_server.url + path, viewport={"width": 1080, "height": 1920}, disabled=KIOSK_EXCEPTIONS)
        if result:
            found[name] = result
    assert found == {}


def test_elderly_mode_is_large_high_contrast_and_screenshotted(browser, live_server, catalogue):  # noqa: F811
    """The guide page in 长者模式 on a phone: text of at least 18 px with a line height of 1.5,
    targets of at least 60 px, contrast of at least 7:1 (axe's AAA contrast rule), and a
    screenshot. The standard page is screenshotted beside it, on a desktop and a phone."""
    food = catalogue["food"]
    url = f"{live_server.url}{food.url}"
    for name, viewport in (("guide-desktop.png", {"width": 1280, "height": 900}), ("guide-phone.png", PHONE)):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        try:
            page = context.new_page()
            page.goto(url)
            screenshot(page, name)
        finally:
            context.close()

    context = browser.new_context(viewport=PHONE, locale="zh-CN", bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/mode/elderly/?next={food.url}")
        assert page.locator("html.elderly").count() == 1
        style = page.evaluate("() => { const s = getComputedStyle(document.body); return [parseFloat(s.fontSize), parseFloat(s.lineHeight)]; }")
        assert style[0] >= 18 and style[1] >= 1.5 * style[0], style
        for selector in (".mode-switch", ".situations .choice", ".guide-actions .button", ".breadcrumb a"):
            box = page.locator(selector).first.bounding_box()
            assert box is not None and box["height"] >= 60, (selector, box)
        screenshot(page, "guide-elderly.png")
        found = {}
        for path in (food.url, "/", "/search/?q=%E9%A3%9F%E5%93%81"):
            page.goto(live_server.url + path)
            page.add_script_tag(path=str(AXE_JS))
            if result := page.evaluate(RUN_AXE, [[*AXE_TAGS, "wcag2aaa"], []]):
                found[path] = result
        assert found == {}
    finally:
        context.close()


def tab_to(page, selector: str, *, backwards: bool = False, limit: int = 120) -> None:
    """Press Tab (Shift+Tab) until the focused element matches ``selector``."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"{selector} is not reachable with the keyboard")


def test_keyboard_only_search_guide_situation_sheet(browser, live_server, catalogue):  # noqa: F811
    food = catalogue["food"]
    key = food.situations.get().key
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/search/")
        tab_to(page, "input[name=q]")
        page.keyboard.type("食品经营")
        page.keyboard.press("Enter")  # no suggestion chosen: the form is submitted
        page.wait_for_url("**/search/?q=%E9%A3%9F%E5%93%81%E7%BB%8F%E8%90%A5")
        tab_to(page, ".search-results a")
        assert "食品经营许可证核发" in page.evaluate("() => document.activeElement.textContent")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**{food.url}*")

        # The situation: Tab into the question's radio group, arrows choose 否, Enter submits.
        tab_to(page, f"input[name='{key}']")
        for _ in range(3):
            if page.evaluate("() => document.activeElement.value") == "否":
                break
            page.keyboard.press("ArrowDown")
        assert page.evaluate("() => document.activeElement.value") == "否"
        tab_to(page, ".situations button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**{food.url}?{key}=*")
        names = [name.strip() for name in page.locator(".checklist .material-name").all_inner_texts()]
        assert names == ["食品经营许可申请书", "营业执照"]

        # Back up to the sheet link: it carries the same answers. (The sheet itself is rendered
        # in tests/printing; a render worker forked from the live server would outlive the run.)
        tab_to(page, ".guide-actions a.button", backwards=True)
        href = urlsplit(page.evaluate("() => document.activeElement.href"))
        assert resolve(href.path).url_name == "guide-pdf" and href.query == f"{key}=%E5%90%A6", href
        # The result was opened through its click link: the click counts.
        assert flush_clicks() == 1
    finally:
        context.close()
        flush_clicks()  # whatever is left, while the guide exists (not at exit, after the flush)
