"""What the kiosk's screens promise, on the demo site of `make run`, in Debian's Chromium: the
typing examples of the start screen find guides, the start screen offers popular items, themes
and today's hours, nothing widens the screen beyond the display (portrait 1080×1920 and landscape
1920×1080, with a very long department name), and a guide opened from results has 返回结果, FAQ
questions that look like buttons, situation buttons whose look follows the answer, and a print
message that stays clear of the content."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader

from tests.browser import screenshot
from tests.kiosk.conftest import LANDSCAPE, LONG_DEPARTMENT, PORTRAIT
from tests.kiosk.test_kiosk_browser import wait_ready

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BLUE = "rgb(11, 79, 156)"  # --blue of kiosk.css: the fill of a chosen answer
WHITE = "rgb(255, 255, 255)"


def type_on_keyboard(page, text: str) -> None:
    for char in text:
        page.locator(f'[data-key="{char}"]').tap()


def clear_keyboard(page) -> None:
    page.locator('[data-key="clear"]').tap()
    page.locator('#kiosk-results[data-query=""]').wait_for(state="attached")


def assert_fits_viewport(page, viewport) -> None:
    """Nothing is wider than the display: no sideways scrolling, every key fully on screen."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= viewport["width"], f"the page is {width} px wide on a {viewport['width']} px display"
    for box in (key.bounding_box() for key in page.locator(".key").all()):
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 0.5, box


def test_start_screen_examples_tiles_hours_and_width(demo, kiosk_page, live_server, settings):
    settings.KIOSK_IDLE_SECONDS = 600
    page = kiosk_page(PORTRAIT)
    page.goto(f"{live_server.url}/kiosk/")
    wait_ready(page)

    # Every typing example the screen shows finds guides when typed on the on-screen keyboard.
    examples = [kbd.get_attribute("data-example") for kbd in page.locator(".kiosk-search .kiosk-example").all()]
    assert examples == ["yyzz", "spjy", "0024"]
    for example in examples:
        type_on_keyboard(page, example)
        page.locator(f'#kiosk-results[data-query="{example}"]').wait_for(state="attached")
        assert page.locator("#kiosk-results a.result").count() > 0, f"{example} finds nothing"
        assert page.locator("#kiosk-empty").is_hidden()
        clear_keyboard(page)
    # A query that finds nothing says so without claiming a prefix match.
    type_on_keyboard(page, "qqqq")
    page.locator('#kiosk-results[data-query="qqqq"]').wait_for(state="attached")
    empty = page.locator("#kiosk-empty")
    assert empty.is_visible() and "开头" not in empty.inner_text() and "QQQQ" in empty.inner_text()
    clear_keyboard(page)

    # Popular items and themes for those who do not know an item's official name.
    popular = page.locator(".tile-popular")
    themes = page.locator(".tile-theme")
    assert popular.count() > 0 and themes.count() > 0
    themes.first.tap()
    page.wait_for_url("**/kiosk/theme/**")
    wait_ready(page)
    assert page.locator(".tile-guide").count() > 0
    page.go_back()
    wait_ready(page)

    # Today's hours of the hall, and whether it is open now.
    today = page.locator("#kiosk-today")
    assert today.is_visible()
    assert "今天" in today.inner_text()

    # The long department name wraps inside its tile, in portrait and in landscape.
    tile = page.locator(".tile-department", has_text=LONG_DEPARTMENT)
    assert tile.count() == 1
    assert_fits_viewport(page, PORTRAIT)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "kiosk-start.png")
    landscape = kiosk_page(LANDSCAPE)
    landscape.goto(f"{live_server.url}/kiosk/")
    wait_ready(landscape)
    assert landscape.locator(".tile-department", has_text=LONG_DEPARTMENT).count() == 1
    assert_fits_viewport(landscape, LANDSCAPE)
    screenshot(landscape, "kiosk-start-landscape.png")


def test_guide_from_results_back_faq_buttons_and_print_message(demo, kiosk_page, live_server, settings):
    from guides.models import GuidePage

    settings.KIOSK_IDLE_SECONDS = 600
    guide = (
        GuidePage.objects.live()
        .filter(situations__isnull=False, faqs__isnull=False)
        .distinct()
        .order_by("code")
        .first()
    )
    assert guide is not None, "the demo site has no guide with situations and a FAQ"
    code = guide.code.lower()
    digits = code.rsplit("-", 1)[-1]
    page = kiosk_page(PORTRAIT)
    page.goto(f"{live_server.url}/kiosk/")
    wait_ready(page)
    type_on_keyboard(page, digits)
    result = page.locator(f'#kiosk-results a.result[href*="/kiosk/g/{guide.code}/"]')
    result.wait_for()
    result.tap()
    page.wait_for_url(f"**/kiosk/g/{guide.code}/**")
    wait_ready(page)

    # 返回结果 leads back to the results of the query typed.
    back = page.locator("#kiosk-back")
    assert back.is_visible()
    assert parse_qs(urlsplit(back.get_attribute("href")).query) == {"q": [digits]}

    # No answer yet: no button looks chosen, 不确定 included.
    question = page.locator(".question").first
    choices = question.locator(".choice")
    for index in range(choices.count()):
        choice = choices.nth(index)
        assert choice.get_attribute("aria-current") is None
        assert choice.evaluate("el => getComputedStyle(el).backgroundColor") == WHITE, choice.inner_text()
    # Answer: that button alone is filled; 不确定 stays plain. The answer keeps 返回结果.
    question_key = question.get_attribute("data-question")
    first_answer = question.locator(".choice[data-answer]:not([data-answer=''])").first
    answer = first_answer.get_attribute("data-answer")
    first_answer.tap()
    page.wait_for_url(f"**/kiosk/g/{guide.code}/?**")
    wait_ready(page)
    question = page.locator(".question").first
    chosen = question.locator(f'.choice[data-answer="{answer}"]')
    assert chosen.get_attribute("aria-current") == "true"
    assert chosen.evaluate("el => getComputedStyle(el).backgroundColor") == BLUE
    unsure = question.locator(".choice-unsure")
    assert unsure.evaluate("el => getComputedStyle(el).backgroundColor") == WHITE
    assert page.locator("#kiosk-back").is_visible()

    # FAQ questions look like buttons: framed, a touch target tall, with an open/close mark.
    summary = page.locator("#faq summary").first
    box = summary.bounding_box()
    assert box["height"] >= 64
    look = summary.evaluate(
        "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el, '::after').content,"
        " getComputedStyle(el.parentElement).borderTopWidth]"
    )
    assert look[0] != "rgba(0, 0, 0, 0)" and look[1] == '"＋"' and look[2] != "0px", look
    summary.tap()
    assert page.locator("#faq details").first.get_attribute("open") is not None
    assert summary.evaluate("el => getComputedStyle(el, '::after').content") == '"－"'

    # The print message appears in the action bar, clear of the page's content and its buttons.
    page.locator(".answered").evaluate("el => el.scrollIntoView({block: 'center'})")
    page.locator("#kiosk-print").tap()
    toast = page.locator("#kiosk-toast")
    toast.wait_for()
    page.wait_for_function("() => window.__printCalls.length > 0")
    toast_box = toast.bounding_box()
    bar_box = page.locator(".action-bar").bounding_box()
    assert bar_box["y"] <= toast_box["y"] and toast_box["y"] + toast_box["height"] <= bar_box["y"] + bar_box["height"]
    for selector in (".answered", "#kiosk-print", "#kiosk-back"):
        other = page.locator(selector).bounding_box()
        overlaps = not (
            toast_box["y"] + toast_box["height"] <= other["y"] or other["y"] + other["height"] <= toast_box["y"]
        )
        assert not overlaps, (selector, toast_box, other)
    # One print, from the frame that holds the fetched sheet, never of the kiosk page itself;
    # the sheet is the A4 citizen sheet of these answers, on at most two pages.
    calls = page.evaluate("window.__printCalls")
    assert len(calls) == 1 and calls[0].startswith("blob:"), calls
    pdf_url = page.locator("#kiosk-print").get_attribute("data-pdf")
    assert parse_qs(urlsplit(pdf_url).query) == {question_key: [answer]}
    assert any(url.endswith(pdf_url) for url in page.requests), pdf_url
    sheet = page.request.get(f"{live_server.url}{pdf_url}")
    assert sheet.ok and sheet.headers["content-type"] == "application/pdf"
    assert 1 <= len(PdfReader(io.BytesIO(sheet.body())).pages) <= 2
    screenshot(page, "kiosk-guide-printing.png")

    # Back to the results.
    page.locator("#kiosk-back").tap()
    page.wait_for_url(f"**/kiosk/?q={digits}")
    wait_ready(page)
    assert page.locator(f'#kiosk-results a.result[href*="/kiosk/g/{guide.code}/"]').count() == 1
