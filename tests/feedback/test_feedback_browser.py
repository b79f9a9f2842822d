"""The feedback forms in Debian's Chromium on a phone and at the kiosk, under the site's strict
CSP: a vote and a report go through without JavaScript's help, the reader comes back to the guide
with the thank-you, targets are touch-sized, and the browser reports no CSP violation."""

from __future__ import annotations

import re

import pytest

from feedback.models import ErrorReport, UsefulnessTally
from tests.browser import RECORD_CSP_VIOLATIONS, screenshot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = {"width": 390, "height": 844}
KIOSK = {"width": 1080, "height": 1920}


def open_tab(browser, viewport, **options):
    context = browser.new_context(viewport=viewport, locale="zh-CN", **options)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(30_000)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" and re.search(r"Content Security Policy|Refused to", message.text) else None)
    return context, page, console


def violations(page, console) -> list[str]:
    return console + list(page.evaluate("window.__cspViolations || []"))


def test_vote_and_report_on_a_phone(browser, live_server, publish_guide):
    guide = publish_guide()
    context, page, console = open_tab(browser, PHONE)
    try:
        page.goto(live_server.url + guide.url)
        no = page.get_by_role("button", name="没用")
        no.scroll_into_view_if_needed()
        assert no.bounding_box()["height"] >= 44
        assert page.locator("#feedback-vote-trap").bounding_box()["x"] < 0  # off screen
        no.click()
        page.wait_for_url(re.compile(r"\?feedback=thanks-no#feedback$"))
        assert page.locator(".feedback-thanks[role=status]").inner_text() == "谢谢您的反馈。哪里不对？请在下面告诉我们。"
        # The report form is open after a "no".
        page.get_by_label("哪一部分有误？").select_option("materials")
        page.get_by_label("哪里不对？").fill("营业执照应交原件，不是复印件")
        page.get_by_label("联系电话（选填）").fill("13800138000")
        screenshot(page, "feedback-phone.png")
        page.get_by_role("button", name="提交报告").click()
        page.wait_for_url(re.compile(r"\?feedback=reported#feedback$"))
        assert "谢谢，您的报告已收到" in page.locator(".feedback-thanks[role=status]").inner_text()
        assert violations(page, console) == []
    finally:
        context.close()
    tally = UsefulnessTally.objects.get(guide=guide)
    assert (tally.yes, tally.no) == (0, 1)
    report = ErrorReport.objects.get()
    assert (report.part, report.message, report.phone, report.channel) == ("materials", "营业执照应交原件，不是复印件", "13800138000", "web")


def test_a_too_long_report_comes_back_with_the_text(browser, live_server, publish_guide):
    guide = publish_guide()
    context, page, console = open_tab(browser, PHONE)
    try:
        page.goto(live_server.url + guide.url)
        page.get_by_text("报告错误", exact=True).click()
        # The browser's own checks stop a text too short; a text too long cannot be typed
        # (maxlength): what the server refuses is the phone number.
        page.get_by_label("哪里不对？").fill("窗口号已改")
        page.get_by_label("联系电话（选填）").fill("12")
        page.get_by_role("button", name="提交报告").click()
        assert page.get_by_role("alert").inner_text() == "请按提示修改后再提交。"
        assert page.get_by_label("哪里不对？").input_value() == "窗口号已改"
        assert "电话号码无效" in page.locator("#feedback-phone-error").inner_text()
        assert violations(page, console) == []
    finally:
        context.close()
    assert not ErrorReport.objects.exists()


def test_vote_at_the_kiosk(browser, live_server, publish_guide):
    guide = publish_guide()
    context, page, console = open_tab(browser, KIOSK)
    try:
        page.goto(f"{live_server.url}/kiosk/g/{guide.code}/")
        yes = page.get_by_role("button", name="有用")
        yes.scroll_into_view_if_needed()
        assert yes.bounding_box()["height"] >= 64
        yes.click()
        page.wait_for_url(re.compile(rf"/kiosk/g/{guide.code}/\?feedback=thanks#feedback$"))
        assert page.locator(".feedback-thanks[role=status]").inner_text() == "谢谢您的反馈！"
        assert violations(page, console) == []
    finally:
        context.close()
    assert UsefulnessTally.objects.get(guide=guide).yes == 1
