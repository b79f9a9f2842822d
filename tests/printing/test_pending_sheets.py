"""A sheet whose render has not finished is never a 503 after a long wait: the reader gets a 202
page that asks again by itself within PRINTING_RESPONSE_WAIT seconds, the render goes on in the
background (one render for every reader asking for it), and the next request after it finished
gets the sheet. Against pytest-django's live server (a real HTTP server) with the render held up."""

from __future__ import annotations

import http.client
import time
from urllib.parse import quote, urlsplit

import pytest

from printing.pending import renders
from tests.printing.conftest import pdf_text

# The live server's database is emptied after the test; the serialized rollback puts back what
# the migrations created (Wagtail's root page) for later tests.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def get(live_server, path: str) -> tuple[int, dict[str, str], bytes, float]:
    parts = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    started = time.monotonic()
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body, time.monotonic() - started
    finally:
        connection.close()


def test_a_sheet_still_rendering_answers_202_and_then_the_sheet(live_server, publish_guide, held_renders, settings):
    settings.PRINTING_RESPONSE_WAIT = 0.5
    page = publish_guide()
    key = page.situations.get().key
    path = f"/g/{page.code}/pdf/?{key}={quote('否')}"

    status, headers, body, seconds = get(live_server, path)
    assert status == 202 and seconds < 10
    assert headers["retry-after"] == "3"
    assert "no-store" in headers["cache-control"]
    text = body.decode()
    assert "正在生成打印版" in text and '<meta http-equiv="refresh" content="3">' in text
    assert f'href="{page.url}"' in text  # the web page, readable meanwhile

    # Asked again while it renders: the same one render, not a second.
    status, _headers, _body, _seconds = get(live_server, path)
    assert status == 202
    assert renders.rendering() == 1

    held_renders.release()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, headers, body, _seconds = get(live_server, path)
        if status != 202:
            break
        time.sleep(0.2)
    assert status == 200 and headers["content-type"] == "application/pdf"
    sheet = pdf_text(body)
    assert page.title in sheet and "受托人身份证" not in sheet
    assert renders.rendering() == 0


def test_a_sheet_ready_within_the_wait_is_served_at_once(live_server, publish_guide, settings):
    settings.PRINTING_RESPONSE_WAIT = 60
    page = publish_guide()
    status, headers, body, _seconds = get(live_server, f"/g/{page.code}/counter.pdf")
    assert status == 200 and headers["content-type"] == "application/pdf"
    assert page.title in pdf_text(body)
