"""GET /api/v1/guides/…: the list with its filters and keyset cursor, the full record, the
checklist in force on a day, and the verification of a counter's fingerprint."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from feed.models import ChangeEvent
from guides.models import ChecklistVersion, Department, GuideMaterial, GuidePage
from guides.serializers import serialize_guide
from tests.feed.conftest import CATALOGUE, add_copy, publish_edit

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def codes(response) -> list[str]:
    return [item["code"] for item in response.data["items"]]


def walk(api, params: dict, between_pages=None) -> list[str]:
    """Follow next_cursor until has_more is false; call between_pages(n) after page n."""
    seen, cursor, page = [], None, 0
    while True:
        response = api("guides/", {**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.data
        seen += codes(response)
        cursor = response.data["next_cursor"]
        page += 1
        if between_pages:
            between_pages(page)
        if not response.data["has_more"]:
            return seen


# --- the list -----------------------------------------------------------------------------------


def test_the_list_has_every_published_guide_in_publish_order(catalogue, api):
    response = api("guides/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert codes(response) == [c["code"] for c in CATALOGUE]
    item = response.data["items"][0]
    page = catalogue[0]
    assert item == {
        "code": "T-JY-0001",
        "name": "食品经营许可证核发",
        "section": "经营类",
        "section_slug": "jy",
        "department": "测试区市场监督管理局",
        "department_code": page.department.code,
        "item_type": "行政许可",
        "checklist_version": 1,
        "checklist_fingerprint": page.checklist_fingerprint,
        "url": "http://testserver/guides/t-jy-0001/",
        "api_url": "http://testserver/api/v1/guides/T-JY-0001/",
        "updated_at": GuidePage.objects.get(pk=page.pk).last_published_at.astimezone(SHANGHAI).isoformat(),
    }
    assert response.data["has_more"] is False
    events = list(ChangeEvent.objects.order_by("id").values_list("id", flat=True))
    assert len(events) == 10 and response.data["changes_cursor"] == str(events[-1])
    # UTF-8, not \u escapes.
    assert "食品经营许可证核发".encode() in response.content


def test_an_unpublished_guide_leaves_the_list(catalogue, api):
    catalogue[1].unpublish()
    assert "T-JY-0002" not in codes(api("guides/"))


FILTER_CASES = [
    ({"section": "jy"}, ["T-JY-0001", "T-JY-0002"]),
    ({"section": "经营类"}, ["T-JY-0001", "T-JY-0002"]),
    ({"section": "gm"}, ["T-GM-0001", "T-GM-0002"]),
    ({"section": "工程类"}, ["T-GC-0001"]),
    ({"item_type": "行政许可"}, ["T-JY-0001", "T-GC-0001"]),
    ({"item_type": "行政确认", "section": "gm"}, ["T-GM-0002"]),
    ({}, [c["code"] for c in CATALOGUE]),
]


def test_filters(catalogue, api):
    # One catalogue for all cases: publishing is the slow part of these tests.
    for params, expected in FILTER_CASES:
        assert codes(api("guides/", params)) == expected, params


def test_department_filter_takes_the_code(catalogue, api):
    police = Department.objects.get(name="测试区公安分局")
    assert codes(api("guides/", {"department": police.code})) == ["T-GM-0001", "T-GM-0002"]


def test_updated_since_takes_a_date_or_a_datetime(catalogue, api):
    stamps = list(
        GuidePage.objects.filter(code__in=[c["code"] for c in CATALOGUE]).order_by("last_published_at").values_list(
            "last_published_at", flat=True
        )
    )
    since = stamps[2].astimezone(SHANGHAI)
    assert codes(api("guides/", {"updated_since": since.isoformat()})) == ["T-GC-0001", "T-GM-0001", "T-GM-0002"]
    # The same instant in UTC, and as a naive China Standard Time.
    assert len(codes(api("guides/", {"updated_since": since.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")}))) == 3
    assert len(codes(api("guides/", {"updated_since": since.replace(tzinfo=None).isoformat()}))) == 3
    today = since.date()
    assert len(codes(api("guides/", {"updated_since": today.isoformat()}))) == 5
    assert codes(api("guides/", {"updated_since": (today + dt.timedelta(days=1)).isoformat()})) == []


BAD_PARAMETERS = [
    ("section", ""),
    ("cursor", ""),
    ("limit", ""),
    ("section", "xx"),
    ("section", "经营"),
    ("department", "NOPE"),
    ("department", "../etc"),
    ("department", "D\x00"),
    ("item_type", "许可"),
    ("updated_since", "2025-13-01"),
    ("updated_since", "yesterday"),
    ("updated_since", "0001-01-01T00:00:00"),
    ("cursor", "!!!!!!!!!"),
    ("cursor", "bm90LWEtY3Vyc29y"),
    ("cursor", "MjAyNS0wMS0wMXxhYmM"),
    ("limit", "0"),
    ("limit", "201"),
    ("limit", "-1"),
    ("limit", "abc"),
    ("limit", "1e3"),
]


def test_bad_parameters_are_400_problems(site, api):
    for parameter, value in BAD_PARAMETERS:
        response = api("guides/", {parameter: value})
        assert response.status_code == 400, (parameter, value)
        assert response["Content-Type"] == "application/problem+json; charset=utf-8"
        assert response.data["status"] == 400
        assert response.data["title"] == "参数错误"
        assert response.data["parameter"] == parameter
        assert response.data["detail"]


def test_limit_bounds(catalogue, api):
    assert len(codes(api("guides/", {"limit": "1"}))) == 1
    assert len(codes(api("guides/", {"limit": "200"}))) == 5


def test_pagination_visits_every_guide_once(catalogue, api):
    for limit in (1, 2, 4, 5):
        assert walk(api, {"limit": limit}) == [c["code"] for c in CATALOGUE]
    first = api("guides/", {"limit": 2})
    assert first.data["next"].startswith("http://testserver/api/v1/guides/?")
    assert api(first.data["next"].removeprefix("http://testserver")).data["items"][0]["code"] == "T-GC-0001"


def test_publishing_during_pagination_misses_nothing(catalogue, api, publish_guide):
    """Guides published while a client pages through move to the end of the order: the client
    sees every guide, including the republished ones, in their latest state."""
    by_code = {p.code: p for p in catalogue}

    def publish_between(page):
        if page == 1:  # T-JY-0001 and T-JY-0002 seen
            publish_edit(by_code["T-JY-0001"], add_copy(by_code["T-JY-0001"]))  # seen: comes again
            publish_edit(by_code["T-GM-0001"], lambda p: setattr(p, "summary", "新简介"))  # unseen: moves
            publish_guide(code="T-GM-0003", name="新事项", category="公民类")
        if page == 2:
            by_code["T-GM-0002"].unpublish()

    seen = walk(api, {"limit": 2}, between_pages=publish_between)
    assert seen == ["T-JY-0001", "T-JY-0002", "T-GC-0001", "T-GM-0002", "T-JY-0001", "T-GM-0001", "T-GM-0003"]
    # A poller that kept the last cursor gets only what is published afterwards.
    cursor = api("guides/", {"limit": 200}).data["next_cursor"]
    assert codes(api("guides/", {"cursor": cursor})) == []
    publish_edit(by_code["T-GC-0001"], lambda p: None)
    after = api("guides/", {"cursor": cursor})
    assert codes(after) == ["T-GC-0001"]
    assert after.data["items"][0]["checklist_version"] == 1


def test_the_list_makes_no_query_per_guide(catalogue, api, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.middleware import bump_content_version

    api("guides/", {"limit": 1})  # warm per-process caches (content types, site root paths)
    # Answers are shared from the cache until the content changes: count the view's own queries.
    bump_content_version()
    with CaptureQueriesContext(connection) as one:
        api("guides/", {"limit": 1})
    with CaptureQueriesContext(connection) as five:
        api("guides/", {"limit": 5})
    assert len(five) == len(one) > 0
    bump_content_version()
    with django_assert_max_num_queries(4):
        api("guides/", {"limit": 5})


# --- the record ---------------------------------------------------------------------------------


def test_the_record_is_the_serializer_output_plus_feed_fields(catalogue, api):
    page = GuidePage.objects.get(code="T-JY-0001")
    page = publish_edit(page, lambda p: None, note="更新咨询电话")
    response = api("guides/T-JY-0001/")
    assert response.status_code == 200
    record = json.loads(json.dumps(serialize_guide(page), ensure_ascii=False))
    data = response.data
    assert {key: data[key] for key in record} == record
    assert data["checklist_version"] == 1
    assert data["checklist_fingerprint"] == page.checklist_fingerprint
    assert data["url"] == "http://testserver/guides/t-jy-0001/"
    assert data["pdf_url"] == "http://testserver/g/T-JY-0001/pdf/"
    assert data["short_url"] == "http://testserver/g/T-JY-0001/"
    assert data["updated_at"] == page.last_published_at.astimezone(SHANGHAI).isoformat()
    assert data["change_note"] == "更新咨询电话"


def test_the_record_validates_against_the_published_json_schema(catalogue, api):
    schema = api("schemas/guide.json").data
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for entry in CATALOGUE:
        record = api(f"guides/{entry['code']}/").data
        validator.validate(record)
        # Every key of the record is described: a field added to serialize_guide must be
        # added to the schema too.
        assert set(record) == set(schema["properties"])


def test_unknown_unpublished_and_malformed_codes_are_404_problems(catalogue, api):
    catalogue[0].unpublish()
    for path in ("guides/T-JY-0001/", "guides/NOPE-1/", "guides/%E4%B8%AD/", "guides/T-JY-0002/extra/", "guides/-x/"):
        response = api(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/problem+json; charset=utf-8"
        assert response.data["status"] == 404


# --- the checklist on a day ---------------------------------------------------------------------


@pytest.fixture
def two_versions(publish_guide):
    """T-JY-0001 with v1 published on 1 March 2025 and v2 at 00:30 on 6 March 2025 (China
    Standard Time), which is still 5 March in UTC."""
    page = publish_guide()
    page = publish_edit(page, add_copy(page))
    ChecklistVersion.objects.filter(guide=page, version=1).update(published_at=dt.datetime(2025, 3, 1, 10, 0, tzinfo=SHANGHAI))
    ChecklistVersion.objects.filter(guide=page, version=2).update(published_at=dt.datetime(2025, 3, 6, 0, 30, tzinfo=SHANGHAI))
    return page


def test_the_checklist_in_force_at_the_end_of_a_day(two_versions, api):
    for at, version in [("2025-03-01", 1), ("2025-03-05", 1), ("2025-03-06", 2), ("2030-01-01", 2), ("9999-12-31", 2)]:
        response = api("guides/T-JY-0001/checklist/", {"at": at})
        assert response.status_code == 200, at
        assert (response.data["version"], response.data["at"]) == (version, at)
        stored = ChecklistVersion.objects.get(guide=two_versions, version=version)
        assert response.data["fingerprint"] == stored.fingerprint
        assert response.data["checklist"] == stored.checklist
        assert response.data["current"] is (version == 2)


def test_before_the_first_version_is_a_404_problem(two_versions, api):
    response = api("guides/T-JY-0001/checklist/", {"at": "2025-02-28"})
    assert response.status_code == 404
    assert "2025-02-28" in response.data["detail"]


def test_without_at_the_current_checklist(two_versions, api):
    response = api("guides/T-JY-0001/checklist/")
    assert (response.data["version"], response.data["current"], response.data["at"]) == (2, True, None)
    assert response.data["short_fingerprint"] == two_versions.checklist_fingerprint[:12]


def test_the_history_stays_readable_after_unpublishing(two_versions, api):
    two_versions.unpublish()
    assert api("guides/T-JY-0001/checklist/").status_code == 404
    response = api("guides/T-JY-0001/checklist/", {"at": "2025-03-02"})
    assert (response.status_code, response.data["version"], response.data["current"]) == (200, 1, False)


def test_malformed_days_are_400_problems(two_versions, api):
    for at in ["", "2025-3-1", "20250301", "2025-02-30", "yesterday", "2025-03-01T00:00"]:
        response = api("guides/T-JY-0001/checklist/", {"at": at})
        assert (response.status_code, response.data["parameter"]) == (400, "at"), at


# --- verifying a counter's checklist ------------------------------------------------------------


@pytest.fixture
def revised(publish_guide):
    """v1, then v2: a material added, one removed, one changed, and the promised limit shortened."""
    page = publish_guide()
    v1 = page.checklist_fingerprint

    def revise(p):
        materials = list(p.materials.all())
        materials[1].copy_count = 2
        p.materials = [*materials[:3], GuideMaterial(name="场所平面图", original_count=1)]
        p.promised_limit_value = 8

    page = publish_edit(page, revise)
    return page, v1


def test_an_old_fingerprint_gets_the_changes(revised, api):
    page, v1 = revised
    response = api("guides/T-JY-0001/checklist/verify/", {"fingerprint": v1})
    assert response.status_code == 200
    assert response.data == {
        "code": "T-JY-0001",
        "current": False,
        "version": 2,
        "fingerprint": page.checklist_fingerprint,
        "published_at": response.data["published_at"],
        "your_version": 1,
        "your_fingerprint": v1,
        "changes": {
            "added": ["场所平面图"],
            "removed": ["受托人身份证"],
            "changed": ["营业执照"],
            "other_fields": ["promised_limit"],
        },
    }


def test_the_current_fingerprint_in_full_short_or_upper_case(revised, api):
    page, _ = revised
    for fingerprint in (page.checklist_fingerprint, page.checklist_fingerprint[:12], page.checklist_fingerprint.upper()):
        data = api("guides/T-JY-0001/checklist/verify/", {"fingerprint": fingerprint}).data
        assert (data["current"], data["version"], data["your_version"]) == (True, 2, 2)
        assert data["changes"] == {"added": [], "removed": [], "changed": [], "other_fields": []}


def test_an_unknown_fingerprint(revised, api):
    data = api("guides/T-JY-0001/checklist/verify/", {"fingerprint": "0" * 64}).data
    assert (data["current"], data["version"], data["your_version"], data["changes"]) == (False, 2, None, None)


def test_a_missing_or_malformed_fingerprint_is_a_400_problem(revised, api):
    for params in [{}, {"fingerprint": ""}, {"fingerprint": "xyz"}, {"fingerprint": "abc123"}, {"fingerprint": "a" * 65}]:
        response = api("guides/T-JY-0001/checklist/verify/", params)
        assert (response.status_code, response.data["parameter"]) == (400, "fingerprint"), params
