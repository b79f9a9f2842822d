"""The journey on paper, at the kiosk and in the sitemap."""

import re
import time

import pytest

from journeys.records import build_journey_view
from printing.pending import renders
from tests.printing.conftest import pdf_text

pytestmark = pytest.mark.django_db


def flat(text):
    return re.sub(r"\s+", "", text)


def test_journey_sheet_prints_steps_and_the_merged_checklist(client, journey, members, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = client.get("/j/baby/pdf/", {"q1": "否"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = flat(pdf_text(response.content))
    assert "新生儿出生一件事" in text and "共需4份材料（分项合计6份）" in text
    for number, title in ((1, "出生医学证明"), (2, "落户"), (3, "参保")):
        assert f"第{number}步：{title}" in text
    for page in members.values():
        assert page.checklist_fingerprint in text
    assert build_journey_view(journey, {"q1": "否"}).merged.fingerprint in text
    assert "授权委托书" not in text and "户口簿" in text and "居民户口簿" not in text
    assert client.get("/j/nothing/pdf/").status_code == 404


def test_journey_sheet_still_rendering_answers_202_and_then_the_sheet(client, journey, members, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PRINTING_RESPONSE_WAIT = 0
    pending = client.get("/j/baby/pdf/", {"q1": "是"})
    assert pending.status_code == 202 and pending["Retry-After"] == "3"
    page = pending.content.decode()
    assert '<html lang="zh-Hans">' in page and "正在生成打印版" in page and f'href="{journey.url}"' in page
    deadline = time.monotonic() + 120
    while (response := client.get("/j/baby/pdf/", {"q1": "是"})).status_code == 202 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "共需5份材料（分项合计8份）" in flat(pdf_text(response.content))
    assert renders.rendering() == 0


def test_kiosk_lists_journeys_and_shows_one(client, journey):
    start = client.get("/kiosk/").content.decode()
    assert 'href="/kiosk/j/baby/"' in start and "新生儿出生一件事" in start
    html = client.get("/kiosk/j/baby/", {"q1": "是"}).content.decode()
    assert "共需 5 份材料（分项合计 8 份）" in html
    assert 'href="/kiosk/g/T-GM-0102/"' in html
    assert 'href="/j/baby/pdf/?q1=%E6%98%AF"' in html
    assert 'aria-current="true">是</a>' in html
    assert client.get("/kiosk/j/nothing/").status_code == 404


def test_sitemap_lists_the_journeys(client, journey):
    xml = client.get("/sitemap.xml").content.decode()
    assert "/journeys/</loc>" in xml and "/journeys/baby/</loc>" in xml
