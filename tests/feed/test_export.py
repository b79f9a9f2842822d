"""The full export (``GET /api/v1/guides.ndjson``): every published guide as the full record of
``guides/{code}/``, one JSON object per line, streamed in a bounded number of queries."""

from __future__ import annotations

import gzip
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guides.models import GuidePage
from tests.feed.conftest import CATALOGUE, add_copy, publish_edit

pytestmark = pytest.mark.django_db


def export(client, params=None, **headers):
    response = client.get("/api/v1/guides.ndjson", params or {}, **headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def lines(body: bytes) -> list[dict]:
    assert body.endswith(b"\n")
    return [json.loads(line) for line in body.decode("utf-8").splitlines()]


def test_every_line_is_the_full_record_of_the_detail_endpoint(catalogue, client, api):
    response, body = export(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    records = lines(body)
    assert [r["code"] for r in records] == [entry["code"] for entry in CATALOGUE]  # publish order
    for record in records:
        assert record == api(f"guides/{record['code']}/").data
    assert response["X-Total-Count"] == str(len(CATALOGUE))


def test_filters_are_those_of_the_list(catalogue, client, api):
    for params in ({"section": "gm"}, {"department": catalogue[1].department.code}, {"item_type": "行政备案"}):
        listed = [item["code"] for item in api("guides/", params).data["items"]]
        _, body = export(client, params)
        assert [r["code"] for r in lines(body)] == listed
        assert listed  # the filter selects something


def test_bad_filters_are_400_problems_before_anything_is_streamed(catalogue, client):
    for params in ({"section": "nope"}, {"department": "NO-SUCH"}, {"updated_since": "yesterday"}, {"section": ""}):
        response, body = export(client, params)
        assert response.status_code == 400, params
        assert response["Content-Type"].startswith("application/problem+json")
        assert json.loads(body)["parameter"] == next(iter(params))


def test_the_changes_cursor_header_lets_a_client_continue_with_the_change_log(catalogue, client, api):
    response, body = export(client)
    cursor = response["X-Changes-Cursor"]
    assert api("changes/", {"since": cursor}).data["events"] == []
    publish_edit(catalogue[0], add_copy(catalogue[0]), note="多收一份复印件")
    events = api("changes/", {"since": cursor}).data["events"]
    assert {event["code"] for event in events} == {catalogue[0].code}


def test_the_weak_etag_holds_until_something_is_published(catalogue, client):
    first, body = export(client)
    etag = first["ETag"]
    assert etag.startswith('W/"')
    again, again_body = export(client, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again_body == b""
    publish_edit(catalogue[2], add_copy(catalogue[2]))
    changed, changed_body = export(client, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    # The republished guide moved to the end, with its new checklist version.
    last = lines(changed_body)[-1]
    assert last["code"] == catalogue[2].code and last["checklist_version"] == 2
    # Another filter is another document.
    filtered, _ = export(client, {"section": "gm"})
    assert filtered["ETag"] != changed["ETag"]


def test_an_unpublished_guide_is_not_exported(catalogue, client):
    catalogue[3].unpublish()
    _, body = export(client)
    assert catalogue[3].code not in {r["code"] for r in lines(body)}


def test_gzip_streams_the_same_lines(catalogue, client):
    plain, body = export(client)
    packed, packed_body = export(client, HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed_body) == body
    assert packed["ETag"] == plain["ETag"][:-1] + '-gzip"'


def test_head_sends_the_headers_without_the_body(catalogue, client):
    response = client.head("/api/v1/guides.ndjson")
    assert response.status_code == 200
    assert response["X-Total-Count"] == str(len(CATALOGUE))
    assert b"".join(response.streaming_content) == b""


def test_queries_do_not_grow_with_the_number_of_guides(catalogue, client, publish_guide):
    from django.core.cache import cache

    def measure() -> int:
        cache.clear()  # no cached records: every record is serialized from the batch prefetch
        with CaptureQueriesContext(connection) as queries:
            export(client)
        return len(queries)

    export(client)  # per-process caches (content types, site root paths)
    five = measure()
    for number in range(3, 9):
        publish_guide(code=f"T-GM-000{number}", category="公民类")
    assert GuidePage.objects.live().count() == 11
    assert measure() == five
    # Cached records: no prefetch at all.
    with CaptureQueriesContext(connection) as warm:
        export(client)
    assert len(warm) < five


def test_batch_loaded_records_are_the_records_of_single_pages(catalogue, settings, tmp_path):
    """The export serializes uncached guides in batches (attach_serializable); every record must
    be what serialize_guide makes of the page read on its own (documents, themes, hall hours)."""
    from django.core.cache import cache
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model

    from guides.models import LifeEvent
    from guides.serializers import encode_record, iter_live_records, serialize_guide

    settings.MEDIA_ROOT = tmp_path
    form = get_document_model().objects.create(title="申请书空表", file=ContentFile(b"%PDF-1.4", name="form.pdf"))
    events = [LifeEvent.objects.create(name=name, slug=slug) for name, slug in (("开办企业", "kaiban"), ("餐饮", "canyin"))]

    def edit(page):
        materials = list(page.materials.all())
        materials[0].blank_form = form
        materials[1].sample = form
        page.materials = materials
        page.themes = events

    publish_edit(catalogue[0], edit)
    live = GuidePage.objects.live()
    cache.clear()  # every record of the batch is serialized from the batch load
    batch = {page.pk: record for page, record in iter_live_records(live, [page.pk for page in catalogue])}
    assert len(batch) == len(catalogue)
    for pk, record in batch.items():
        single = json.loads(encode_record(serialize_guide(live.get(pk=pk))))
        assert record == single, record["code"]
    record = batch[catalogue[0].pk]
    assert record["themes"] == ["canyin", "kaiban"]
    assert record["materials"][0]["blank_form_url"] and record["materials"][1]["sample_url"]
    assert record["hall"]["closed_days"]  # the hall's calendar came along
