"""The kiosk in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright), against
the app served by pytest-django's live server: type pinyin initials on the on-screen keyboard,
open the guide, answer a situation, print, and wait for the idle reset."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from search.analysis import pinyin_initials
from tests.browser import screenshot
from tests.kiosk.conftest import FOOD_CODE, LANDSCAPE, PORTRAIT
from tests.printing.conftest import pdf_text

MIN_TOUCH = 64


# The bytes behind the blob: address a frame printed, base64-encoded (see RECORD_BLOBS).
PRINTED_SHEET = """
async (address) => {
  const blob = window.__blobs[address];
  if (!blob) throw new Error("no blob recorded for " + address);
  return await new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result.split(",")[1]);
    reader.readAsDataURL(blob);
  });
}
"""


def wait_ready(page):
    page.locator("body[data-kiosk-ready]").wait_for()


# The transactional database of the live server empties the tables at the end of the test; the
# serialized rollback puts back what the migrations created (Wagtail's root page) for later tests.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def checklist(page) -> list[str]:
    return [name.strip() for name in page.locator("#checklist .material-name").all_inner_texts()]


def assert_touch_size(locator, minimum=MIN_TOUCH):
    box = locator.bounding_box()
    assert box is not None
    assert box["width"] >= minimum and box["height"] >= minimum, box


def test_kiosk_search_guide_situation_print_and_idle_reset(
    catalogue, kiosk_page, live_server, settings
):
    settings.KIOSK_IDLE_SECONDS = 60
    key = catalogue["food"].situations.get().key
    page = kiosk_page(PORTRAIT)
    page.goto(f"{live_server.url}/kiosk/")
    wait_ready(page)
    assert page.locator("body").get_attribute("data-idle-seconds") == "60"
    assert page.locator(".tile-section").count() == 3

    # Tap the initials of 食品经营 on the on-screen keyboard; results arrive as the user taps.
    initials = pinyin_initials("食品经营")
    assert initials == "spjy"
    assert_touch_size(page.locator('[data-key="s"]'))
    for letter in initials:
        page.locator(f'[data-key="{letter}"]').tap()
    page.locator('#kiosk-results[data-query="spjy"]').wait_for()
    result = page.locator("#kiosk-results a.result", has_text="食品经营许可证核发")
    result.wait_for()
    assert page.locator("#kiosk-query").inner_text() == "SPJY"
    assert any("/api/v1/search/suggest/?q=spjy" in url for url in page.requests), page.requests
    assert_touch_size(result)
    screenshot(page, "kiosk.png")

    # Open the guide: large type, the situation buttons and the whole checklist.
    result.tap()
    page.wait_for_url(re.compile(rf"/kiosk/g/{FOOD_CODE}/\?back=%2Fkiosk%2F%3Fq%3Dspjy$"))
    wait_ready(page)
    assert page.locator("h1").inner_text() == "食品经营许可证核发"
    assert checklist(page) == ["食品经营许可申请书", "营业执照", "授权委托书", "受托人身份证"]
    no_button = page.locator(f'[data-question="{key}"] .choice[data-answer="否"]')
    assert_touch_size(no_button)

    # Tap 否 (not delegated): the page reloads with the answer and the checklist shrinks.
    no_button.tap()
    page.wait_for_url(re.compile(rf"/kiosk/g/{FOOD_CODE}/\?{key}="))
    wait_ready(page)
    assert checklist(page) == ["食品经营许可申请书", "营业执照"]
    assert "is-selected" in page.locator(
        f'[data-question="{key}"] .choice[data-answer="否"]'
    ).get_attribute("class")
    screenshot(page, "kiosk-guide.png")

    # One tap prints the A4 sheet for these answers, without leaving the page.
    print_button = page.locator("#kiosk-print")
    assert_touch_size(print_button)
    with page.expect_request(lambda request: f"/g/{FOOD_CODE}/pdf/" in request.url) as pdf_request:
        print_button.tap()
    pdf_url = pdf_request.value.url
    assert parse_qs(urlsplit(pdf_url).query) == {key: ["否"]}
    page.wait_for_function("() => window.__printCalls.length > 0 && window.__kioskPrinted")
    # print() ran once, in the frame that holds the fetched sheet, not in the kiosk page.
    calls = page.evaluate("window.__printCalls")
    assert len(calls) == 1 and calls[0].startswith(f"blob:{live_server.url}/"), calls
    assert page.evaluate("window.__kioskPrinted") == f"/g/{FOOD_CODE}/pdf/?{key}=%E5%90%A6"
    # That frame is still on the page, and what it printed is the real sheet of the guide, for
    # the answer 否.
    assert calls[0] in [frame.url for frame in page.frames], [frame.url for frame in page.frames]
    sheet = base64.b64decode(page.evaluate(PRINTED_SHEET, calls[0]))
    text = pdf_text(sheet)
    assert "食品经营许可证核发" in text and "食品经营许可申请书" in text
    assert "受托人身份证" not in text, text
    assert urlsplit(page.url).path == f"/kiosk/g/{FOOD_CODE}/"
    page.locator("#kiosk-toast").wait_for()

    # Nothing was fetched from anywhere but the kiosk's own server.
    origin = live_server.url
    assert all(url.startswith(origin) for url in page.requests if url.startswith("http")), (
        page.requests
    )

    # Idle: with a short timeout, the kiosk returns to a clean start screen by itself.
    settings.KIOSK_IDLE_SECONDS = 2
    page.reload()
    assert page.locator("body").get_attribute("data-idle-seconds") == "2"
    page.wait_for_url(f"{origin}/kiosk/", timeout=15_000)
    wait_ready(page)
    assert page.locator("#kiosk-query").inner_text() == ""
    assert page.locator("#kiosk-results li").count() == 0

    # A query typed on the start screen is cleared as well.
    with page.expect_navigation(url=f"{origin}/kiosk/", timeout=15_000):
        page.locator('[data-key="s"]').tap()
        page.locator('[data-key="p"]').tap()
        assert page.locator("#kiosk-query").inner_text() == "SP"
        assert page.url == f"{origin}/kiosk/?q=sp"
    wait_ready(page)
    assert page.url == f"{origin}/kiosk/"
    assert page.locator("#kiosk-query").inner_text() == ""
    assert page.locator("#kiosk-results li").count() == 0


def test_one_tap_prints_a_sheet_that_is_still_being_rendered(catalogue, kiosk_page, live_server, settings, held_renders):
    """The sheet's render is held up past the server's wait: the server answers 202, the kiosk
    says the sheet is being prepared and asks again until it gets the sheet, then prints it."""
    settings.PRINTING_RESPONSE_WAIT = 0.2
    page = kiosk_page(PORTRAIT)
    page.goto(f"{live_server.url}/kiosk/g/{FOOD_CODE}/")
    wait_ready(page)
    statuses = []
    page.on("response", lambda response: statuses.append(response.status) if "/pdf/" in response.url else None)
    page.locator("#kiosk-print").tap()
    page.locator("#kiosk-toast", has_text="正在生成材料清单，请稍候").wait_for()
    assert statuses and set(statuses) == {202}, statuses
    assert page.evaluate("window.__printCalls.length") == 0

    held_renders.release()
    page.wait_for_function("() => window.__printCalls.length > 0 && window.__kioskPrinted", timeout=60_000)
    assert statuses[-1] == 200 and statuses.count(200) == 1, statuses
    calls = page.evaluate("window.__printCalls")
    text = pdf_text(base64.b64decode(page.evaluate(PRINTED_SHEET, calls[0])))
    assert "食品经营许可证核发" in text and "受托人身份证" in text
    # The toast said so (it hides itself after a few seconds).
    assert page.locator("#kiosk-toast").text_content() == "正在打印，请到打印机出口取纸"


def test_kiosk_landscape_layout(catalogue, kiosk_page, live_server, settings):
    settings.KIOSK_IDLE_SECONDS = 60
    page = kiosk_page(LANDSCAPE)
    page.goto(f"{live_server.url}/kiosk/?q=spjy")
    wait_ready(page)
    page.locator("#kiosk-results a.result").first.wait_for()
    # Keyboard and tiles side by side.
    search_box = page.locator(".kiosk-search").bounding_box()
    browse_box = page.locator(".kiosk-browse").bounding_box()
    assert browse_box["x"] >= search_box["x"] + search_box["width"] - 1
    for selector in ('[data-key="a"]', ".tile-section", ".tile-department"):
        assert_touch_size(page.locator(selector).first)
    screenshot(page, "kiosk-landscape.png")

    page.goto(f"{live_server.url}/kiosk/g/{FOOD_CODE}/")
    wait_ready(page)
    primary = page.locator(".guide-primary").bounding_box()
    secondary = page.locator(".guide-secondary").bounding_box()
    assert secondary["x"] > primary["x"] + primary["width"] - 1
    assert page.locator(".qr-online svg.qr").is_visible()
    screenshot(page, "kiosk-landscape-guide.png")
