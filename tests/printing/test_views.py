"""HTTP: /g/<code>/pdf/ and /g/<code>/counter.pdf, the storage cache, conditional requests, the
fallback to the last good PDF, and the preview helper for GuidePage.serve_preview."""

from __future__ import annotations

import io
import logging
import re

import pytest
from django.core.files.storage import default_storage
from django.test import RequestFactory

import printing.cache
from printing.render import RenderError, RenderTimeout
from printing.views import preview_pdf_response
from tests.conftest import BASE_RECORD
from tests.printing.conftest import pdf_text

pytestmark = pytest.mark.django_db
URL = "/g/T-JY-0001/pdf/"
COUNTER_URL = "/g/T-JY-0001/counter.pdf"


def stored(code="T-JY-0001") -> list[str]:
    if not default_storage.exists(f"pdf/{code}"):
        return []
    names = []
    directories, _files = default_storage.listdir(f"pdf/{code}")
    for directory in directories:
        names += [f"{directory}/{f}" for f in default_storage.listdir(f"pdf/{code}/{directory}")[1]]
    return sorted(names)


def body(response) -> bytes:
    """The body of a response; a PDF served from storage is streamed from its file."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def fail_rendering(monkeypatch, error=None):
    def broken(*args, **kwargs):
        raise error or RenderError("WeasyPrint fell over")

    monkeypatch.setattr(printing.cache, "render_guide_pdf_limited", broken)


def test_citizen_sheet_is_served_inline_as_pdf(client, publish_guide):
    page = publish_guide()
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="T-JY-0001.pdf"'
    # The kiosk's print page and Wagtail's preview show the sheet in a same-origin frame.
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["ETag"].startswith('"') and response["Last-Modified"].endswith("GMT")
    assert body(response).startswith(b"%PDF-")
    text = pdf_text(body(response))
    assert "食品经营许可证核发" in text and page.checklist_fingerprint in text
    assert [name.split("/")[0] for name in stored()] == [str(page.live_revision_id)]
    assert stored()[0].split("/")[1].startswith("all-citizen-")


def test_conditional_requests_answer_304(client, publish_guide):
    publish_guide()
    first = client.get(URL)
    again = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"] and not body(again)
    since = client.get(URL, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    other = client.get(URL, HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == 200 and body(other) == body(first)


def test_cached_pdf_is_served_without_rendering_again(client, publish_guide, monkeypatch):
    publish_guide()
    first = client.get(URL)
    fail_rendering(monkeypatch)
    second = client.get(URL)
    assert second.status_code == 200
    assert body(second) == body(first) and second["ETag"] == first["ETag"]
    assert "private" not in second["Cache-Control"]


def test_situation_answers_select_the_sheet_and_junk_answers_share_the_full_one(client, publish_guide):
    page = publish_guide()
    key = page.situations.get().key
    full = client.get(URL)
    no = client.get(URL, {key: "否"})
    assert no.status_code == 200 and no["ETag"] != full["ETag"]
    text = pdf_text(body(no))
    assert "营业执照" in text and "授权委托书" not in text
    junk = client.get(URL, {key: "也许", "other": "x" * 50})
    assert junk["ETag"] == full["ETag"]
    assert len(stored()) == 2


def test_a_new_revision_renders_a_new_sheet(client, publish_guide):
    page = publish_guide()
    first = client.get(URL)
    publish_guide(summary="修改后的事项简介。")
    page.refresh_from_db()
    second = client.get(URL)
    assert second["ETag"] != first["ETag"]
    assert "修改后的事项简介" in pdf_text(body(second))
    assert {name.split("/")[0] for name in stored()} == {
        str(page.live_revision_id),
        first_revision(stored(), page.live_revision_id),
    }


def first_revision(names, live_revision_id):
    return next(name.split("/")[0] for name in names if name.split("/")[0] != str(live_revision_id))


def test_counter_checklist_url(client, publish_guide):
    materials = [{**m, "acceptance_standard": f"核对要点：{m['name']}"} for m in BASE_RECORD["materials"]]
    page = publish_guide(materials=materials)
    key = page.situations.get().key
    response = client.get(COUNTER_URL, {key: "否"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="T-JY-0001-counter.pdf"'
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    text = pdf_text(body(response)).replace("\n", "")
    for m in materials:
        assert m["acceptance_standard"] in text
    assert page.checklist_fingerprint in text


def test_unknown_and_unpublished_guides_are_404(client, publish_guide):
    assert client.get("/g/NOPE-1/pdf/").status_code == 404
    assert client.get("/g/NOPE-1/counter.pdf").status_code == 404
    page = publish_guide()
    assert client.get("/g/t-jy-0001/pdf/").status_code == 200  # codes are case-insensitive
    page.unpublish()
    assert client.get(URL).status_code == 404
    assert client.get(COUNTER_URL).status_code == 404


def test_only_safe_methods(client, publish_guide):
    publish_guide()
    assert client.post(URL).status_code == 405
    assert client.head(URL).status_code == 200


def test_a_failing_render_serves_the_last_good_pdf(client, publish_guide, monkeypatch, caplog):
    publish_guide()
    good = client.get(URL)
    publish_guide(summary="新版本的事项简介。")
    fail_rendering(monkeypatch)
    with caplog.at_level(logging.ERROR, logger="printing"):
        response = client.get(URL)
    assert response.status_code == 200
    assert body(response) == body(good)
    assert "private" in response["Cache-Control"]
    messages = [r.getMessage() for r in caplog.records if r.name == "printing"]
    assert any("failed" in m and "serving" in m for m in messages), messages


def test_a_timeout_with_nothing_to_fall_back_on_is_503(client, publish_guide, monkeypatch, caplog):
    publish_guide()
    fail_rendering(monkeypatch, RenderTimeout("too slow"))
    with caplog.at_level(logging.ERROR, logger="printing"):
        response = client.get(URL)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "打印版暂时无法生成" in body(response).decode()
    assert any("no earlier PDF" in r.getMessage() for r in caplog.records)
    assert stored() == []


def test_preview_renders_the_edited_page_uncached(publish_guide):
    page = publish_guide()
    request = RequestFactory().get("/", {page.situations.get().key: "否"})
    response = preview_pdf_response(page, request)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(body(response))
    assert "受理清单第 1 版" in text and "授权委托书" not in text

    # An unpublished edit of the checklist is labelled as a draft.
    page.title = "食品经营许可证核发（修订）"
    text = pdf_text(body(preview_pdf_response(page, RequestFactory().get("/"), "counter")))
    assert "食品经营许可证核发（修订）" in text
    assert "草稿预览：清单尚未发布" in text
    assert not default_storage.exists("pdf")


def test_a_repeated_request_is_served_from_its_file_without_a_query(client, publish_guide, django_assert_num_queries):
    publish_guide()
    first = client.get(URL)
    with django_assert_num_queries(0):
        again = client.get(URL)
    assert again.streaming  # straight from the stored file
    assert body(again) == body(first) and again["ETag"] == first["ETag"]
    assert again["Last-Modified"] == first["Last-Modified"]
    assert again["Content-Disposition"] == first["Content-Disposition"]
    assert again["Link"] == first["Link"] and "public" in again["Cache-Control"]
    with django_assert_num_queries(0):
        assert client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


@pytest.mark.parametrize("storage", ["filesystem", "in-memory"])
def test_a_stored_sheet_is_streamed_from_its_file_or_through_the_storage(client, publish_guide, settings, storage):
    """A storage with files on disk hands FileResponse the file itself; others (object storage;
    Django's in-memory one stands in here) open it themselves."""
    from printing.views import guide_pdf

    if storage == "in-memory":
        settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    publish_guide()
    first = client.get(URL)
    served = guide_pdf(RequestFactory().get(URL), code="T-JY-0001")
    assert served.streaming
    handle = served.file_to_stream
    assert body(served) == body(first)
    (name,) = stored()
    if storage == "in-memory":
        assert not isinstance(handle, io.BufferedReader)
    else:
        assert isinstance(handle, io.BufferedReader)
        assert handle.name == default_storage.path(f"pdf/T-JY-0001/{name}")


def test_a_lost_file_is_rendered_again(client, publish_guide):
    publish_guide()
    first = client.get(URL)
    for name in stored():
        default_storage.delete(f"pdf/T-JY-0001/{name}")
    again = client.get(URL)
    assert again.status_code == 200

    def without_print_time(text: str) -> str:
        # The sheet prints the minute it was rendered; two renders may fall either side of one.
        return re.sub(r"(\d{4}-)?\d{2}-\d{2} \d{2}:\d{2}", "<printed>", text)

    assert without_print_time(pdf_text(body(again))) == without_print_time(pdf_text(body(first)))
    assert len(stored()) == 1


def test_changed_hall_hours_print_a_new_sheet(client, publish_guide):
    page = publish_guide()
    first = client.get(URL)
    hall = page.intake_window.hall
    hall.phone = "0571-87654321"
    hall.save()
    again = client.get(URL)
    assert again["ETag"] != first["ETag"]
    assert "0571-87654321" in pdf_text(body(again))
