"""What portal.js and the contrast styles add to the public pages, in Debian's Chromium
(tests/browser.py) under the site's strict Content-Security-Policy: the web search box's
suggestions, the read-aloud button (语音朗读), and the forced-colors and prefers-contrast styles.
Each page also works without them: the tests look at it with JavaScript off too."""

from __future__ import annotations

import re

import pytest

from tests.browser import RECORD_CSP_VIOLATIONS

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DESKTOP = {"width": 1280, "height": 900}
OPTIONS = "#q + .suggestions [role=option]"
# The list answers the code fragment 0001: two guides, each saying it matched by its code.
CODE_OPTIONS = f"""() => {{
  const options = Array.from(document.querySelectorAll({OPTIONS!r}));
  return !document.querySelector("#q + .suggestions").hidden && options.length === 2
    && options.every((option) => option.textContent.includes("事项编码"));
}}"""

# The browser's speech engine is outside the portal: it is replaced by one that writes down what
# it was given (headless Chromium has no voices to speak with).
RECORD_SPEECH = """
window.__spoken = [];
window.__cancelled = 0;
if (window.speechSynthesis) {
  window.speechSynthesis.speak = function (utterance) {
    window.__spoken.push({text: utterance.text, lang: utterance.lang, rate: utterance.rate});
  };
  window.speechSynthesis.cancel = function () { window.__cancelled += 1; };
}
"""


@pytest.fixture
def guides(publish_guide):
    food = publish_guide(online=True)
    permit = publish_guide(code="T-GM-0001", name="居住证申领", category="公民类", department="测试区公安分局")
    return {"food": food, "permit": permit}


def open_page(browser, url: str, **options):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", **options)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    return context, page, errors


def csp_violations(page) -> list[str]:
    return list(page.evaluate("window.__cspViolations || []"))


def test_search_box_suggests_from_the_suggest_endpoint_and_is_keyboard_operable(browser, live_server, guides):  # noqa: F811
    context, page, errors = open_page(browser, f"{live_server.url}/search/")
    try:
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url) if "/api/v1/search/suggest/" in request.url else None)
        search_box = page.locator("#q")
        assert search_box.get_attribute("role") == "combobox" and search_box.get_attribute("aria-expanded") == "false"

        # Pinyin initials of 食品经营: the guide named so comes first.
        search_box.click()
        page.keyboard.type("spjy")
        page.locator(OPTIONS).first.wait_for()
        assert any(url.endswith("?q=spjy") for url in asked), asked
        assert page.locator(OPTIONS).first.inner_text().split("\n")[0] == "食品经营许可证核发"
        assert search_box.get_attribute("aria-expanded") == "true"

        # A code fragment both guides share: two suggestions, walked with the arrow keys.
        page.keyboard.press("Control+A")
        page.keyboard.type("0001")
        page.wait_for_function(CODE_OPTIONS)
        texts = page.locator(OPTIONS).all_inner_texts()
        assert sorted(text.split("\n")[0] for text in texts) == ["居住证申领", "食品经营许可证核发"], texts
        assert re.search(r"\b2\b", page.locator("#q ~ [role=status]").inner_text())
        options = page.locator(OPTIONS)
        page.keyboard.press("ArrowDown")
        assert options.nth(0).get_attribute("aria-selected") == "true"
        assert search_box.get_attribute("aria-activedescendant") == options.nth(0).get_attribute("id")
        page.keyboard.press("ArrowDown")
        assert options.nth(1).get_attribute("aria-selected") == "true"
        assert options.nth(0).get_attribute("aria-selected") == "false"
        page.keyboard.press("ArrowDown")  # wraps to the first
        page.keyboard.press("ArrowUp")  # and back to the last
        assert search_box.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
        page.keyboard.press("Escape")
        assert page.locator("#q + .suggestions").is_hidden()
        assert search_box.get_attribute("aria-expanded") == "false"

        # Opened again, Enter on the chosen suggestion goes to that guide, not to the result list.
        page.keyboard.press("Backspace")
        page.keyboard.type("1")
        page.wait_for_function(CODE_OPTIONS)
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        chosen = page.locator(OPTIONS).nth(1).inner_text().split("\n")[0]
        page.keyboard.press("Enter")
        target = guides["food"] if chosen == "食品经营许可证核发" else guides["permit"]
        page.wait_for_url(f"**{target.url}")
        assert page.locator("h1").inner_text() == chosen
        assert csp_violations(page) == [] and errors == []
    finally:
        context.close()


def test_suggestions_follow_a_click_and_the_box_works_without_javascript(browser, live_server, guides):  # noqa: F811
    context, page, errors = open_page(browser, f"{live_server.url}/")
    try:
        page.locator("#q").click()
        page.keyboard.type("居住")
        page.locator(OPTIONS).first.wait_for()
        page.locator(OPTIONS).first.click()
        page.wait_for_url(f"**{guides['permit'].url}")
        assert csp_violations(page) == [] and errors == []
    finally:
        context.close()

    context, page, _errors = open_page(browser, f"{live_server.url}/", java_script_enabled=False)
    try:
        page.locator("#q").fill("居住证")
        page.keyboard.press("Enter")
        page.wait_for_url("**/search/?q=*")
        assert page.locator(".suggestions").count() == 0
        assert "居住证申领" in page.locator(".search-results").inner_text()
    finally:
        context.close()


def test_read_aloud_reads_the_guide_in_order_with_the_browsers_speech(browser, live_server, guides):  # noqa: F811
    food = guides["food"]
    key = food.situations.get().key
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    try:
        context.add_init_script(RECORD_CSP_VIOLATIONS)
        context.add_init_script(RECORD_SPEECH)
        page = context.new_page()
        page.goto(f"{live_server.url}{food.url}?{key}=%E5%90%A6")
        button = page.locator("button.read-aloud")
        assert button.is_visible() and button.inner_text() == "语音朗读"
        assert button.get_attribute("aria-pressed") == "false"
        button.click()
        assert button.inner_text() == "停止朗读" and button.get_attribute("aria-pressed") == "true"
        spoken = page.evaluate("window.__spoken")
        texts = [item["text"] for item in spoken]
        assert {item["lang"] for item in spoken} == {"zh-CN"} and {item["rate"] for item in spoken} == {1}
        assert texts[0] == "食品经营许可证核发"
        materials = texts.index("需要准备的材料")
        assert texts.index("办理流程") > materials
        checklist = " ".join(texts[materials:texts.index("办理流程")])
        # The checklist of the answers on the page: the delegation's papers are left out.
        assert "食品经营许可申请书" in checklist and "营业执照" in checklist and "授权委托书" not in checklist
        # Not the controls: the question form, the buttons.
        assert not any("回答以下问题" in text or "打印 / 下载办事指南" in text or "语音朗读" in text for text in texts)
        assert page.evaluate("window.__cancelled") == 1

        button.click()  # stops
        assert button.inner_text() == "语音朗读" and button.get_attribute("aria-pressed") == "false"
        assert page.evaluate("window.__cancelled") == 2 and len(page.evaluate("window.__spoken")) == len(spoken)
        assert csp_violations(page) == []

        # In the elderly mode it reads more slowly.
        page.goto(f"{live_server.url}/mode/elderly/?next={food.url}")
        page.locator("button.read-aloud").click()
        assert {round(item["rate"], 2) for item in page.evaluate("window.__spoken")} == {0.85}
    finally:
        context.close()

    # Without JavaScript the button, which could do nothing, is not shown.
    context, page, _errors = open_page(browser, f"{live_server.url}{food.url}", java_script_enabled=False)
    try:
        assert page.locator("button.read-aloud").count() == 1 and page.locator("button.read-aloud").is_hidden()
    finally:
        context.close()


MARKED = [
    {"name": "食品经营许可申请书", "original": 1, "copies": 0, "form": "纸质", "necessity": "必要",
     "source": "申请人自备", "note": "", "situation": None, "marks": ["告知承诺"]},
    {"name": "营业执照", "original": 0, "copies": 1, "form": "纸质或电子", "necessity": "必要",
     "source": "政府部门核发", "note": "", "situation": None, "marks": ["免提交"]},
    {"name": "场所使用证明", "original": 0, "copies": 1, "form": "纸质", "necessity": "容缺后补",
     "source": "申请人自备", "note": "", "situation": None, "marks": ["容缺后补"]},
]

STYLE_OF = """(selector) => Array.from(document.querySelectorAll(selector)).map((element) => {
  const style = getComputedStyle(element);
  return {text: element.textContent.trim(), border: style.borderTopStyle, width: parseFloat(style.borderTopWidth),
          color: style.color, background: style.backgroundColor};
})"""
FOCUS_STYLE = """() => { const style = getComputedStyle(document.activeElement);
  return {outline: style.outlineStyle, width: parseFloat(style.outlineWidth), color: style.outlineColor}; }"""


def marks_and_tags(page) -> list[dict]:
    return page.evaluate(STYLE_OF, ".checklist .necessity, .checklist .mark strong")


def test_forced_colors_keep_marks_selection_and_focus_visible(browser, live_server, publish_guide):  # noqa: F811
    """Forced colours (Windows' high-contrast themes) drop backgrounds: the checklist's
    necessity tags and marks, the chosen suggestion and the focus must still show, by a border,
    an outline and their words."""
    guide = publish_guide(materials=MARKED)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    try:
        context.add_init_script(RECORD_CSP_VIOLATIONS)
        page = context.new_page()
        page.goto(f"{live_server.url}{guide.url}")
        # Without forced colours the tags are told apart by their backgrounds alone.
        assert {item["border"] for item in marks_and_tags(page)} == {"none"}

        page.emulate_media(forced_colors="active")
        assert page.evaluate("matchMedia('(forced-colors: active)').matches")
        tags = marks_and_tags(page)
        assert {item["text"] for item in tags} >= {"必要", "容缺后补", "告知承诺", "免提交"}
        for item in tags:
            assert item["border"] == "solid" and item["width"] >= 1, item
            assert item["color"] != item["background"], item

        # The focused link keeps a visible outline in a system colour.
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.matches('.guide-actions a.button')"):
                break
        else:
            raise AssertionError("the print button is not reachable with Tab")
        focus = page.evaluate(FOCUS_STYLE)
        assert focus["outline"] == "solid" and focus["width"] >= 2, focus

        # The suggestion chosen with the arrow keys is outlined, not only tinted.
        page.goto(f"{live_server.url}/search/")
        page.locator("#q").click()
        page.keyboard.type("spjy")
        page.locator(OPTIONS).first.wait_for()
        page.keyboard.press("ArrowDown")
        chosen = page.evaluate("""() => { const style = getComputedStyle(document.querySelector('.suggestions [aria-selected=true] a'));
            return [style.outlineStyle, parseFloat(style.outlineWidth)]; }""")
        assert chosen[0] == "solid" and chosen[1] >= 2, chosen
        assert csp_violations(page) == []
    finally:
        context.close()


def test_prefers_contrast_more_darkens_text_and_borders_the_tags(browser, live_server, publish_guide):  # noqa: F811
    guide = publish_guide(materials=MARKED)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}{guide.url}")
        assert page.evaluate("getComputedStyle(document.body).color") != "rgb(0, 0, 0)"
        page.emulate_media(contrast="more")
        assert page.evaluate("matchMedia('(prefers-contrast: more)').matches")
        assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
        assert page.evaluate("getComputedStyle(document.querySelector('.breadcrumb a')).textDecorationLine") == "underline"
        for item in marks_and_tags(page):
            assert item["border"] == "solid" and item["width"] >= 1, item
    finally:
        context.close()
