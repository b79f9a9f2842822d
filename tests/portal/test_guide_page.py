import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guides.models import ChecklistVersion
from tests.conftest import make_record

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def html_of(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def checklist_rows(html):
    body = html.split('<table class="checklist">', 1)[1].split("</table>", 1)[0]
    return [name.strip() for name in re.findall(r'<span class="material-name">([^<]+)', body)]


def test_guide_page_shows_item_flow_checklist_windows_and_fingerprint(client, publish_guide):
    page = publish_guide()
    html = html_of(client, page.url)
    version = ChecklistVersion.objects.get(guide=page)

    # The checklist first (what people come for), then flow, windows and hours, fees, the item.
    order = [html.index(f'id="{anchor}"') for anchor in ("materials", "flow", "windows", "fees", "item")]
    assert order == sorted(order)
    assert "食品经营许可证核发" in html and "T-JY-0001" in html and "行政许可" in html
    meta = re.search(r'<meta name="checklist-fingerprint" content="([0-9a-f]{64})">', html)
    assert meta and meta.group(1) == version.fingerprint == page.checklist_fingerprint
    assert "受理清单第 1 版" in html

    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    ET.fromstring(svg)  # well-formed
    for step in ("申请", "受理", "审查", "现场核查", "出件"):
        assert step in svg
    assert "不计入办结时限" in html
    assert checklist_rows(html) == ["食品经营许可申请书", "营业执照", "授权委托书", "受托人身份证"]
    assert "综合受理窗口（1-9号）" in html and "一楼东区" in html
    assert "承诺时限" in html and "10个工作日" in html and "20个工作日" in html


def test_situation_answers_filter_the_checklist_without_javascript(client, publish_guide):
    page = publish_guide()
    key = page.situations.get().key
    assert checklist_rows(html_of(client, page.url, **{key: "否"})) == ["食品经营许可申请书", "营业执照"]
    html = html_of(client, page.url, **{key: "是"})
    assert checklist_rows(html) == ["食品经营许可申请书", "营业执照", "授权委托书", "受托人身份证"]
    assert "是否委托他人办理？ 是" in html
    assert f'name="{key}" value="是" checked' in html
    # Unknown answers are ignored rather than failing the shared link.
    assert len(checklist_rows(html_of(client, page.url, **{key: "也许"}))) == 4


def test_short_url_redirects_and_keeps_situation_answers(client, publish_guide):
    page = publish_guide()
    response = client.get("/g/T-JY-0001/?s1=%E5%90%A6")
    assert response.status_code == 302
    assert response["Location"] == f"{page.url}?s1=%E5%90%A6"
    assert client.get("/g/t-jy-0001/").status_code == 302
    assert client.get("/g/NOPE-1/").status_code == 404
    page.unpublish()
    assert client.get("/g/T-JY-0001/").status_code == 404


def test_json_ld_describes_a_government_service(client, publish_guide):
    page = publish_guide()
    html = html_of(client, page.url)
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(block)
    assert data["@type"] == "GovernmentService"
    assert data["identifier"] == "T-JY-0001"
    assert data["provider"]["name"] == "测试区市场监督管理局"
    assert data["additionalProperty"]["value"] == page.checklist_fingerprint
    assert data["availableChannel"]["servicePhone"]["telephone"] == "020-81380512"


def test_user_text_is_escaped_everywhere(client, publish_guide):
    hostile = '<script>alert("x")</script>'
    record = make_record(summary=hostile, conditions=hostile)
    record["materials"][0]["name"] = "申请书" + hostile
    record["steps"][0]["name"] = "申请" + hostile
    page = publish_guide(**{k: record[k] for k in ("summary", "conditions", "materials", "steps")})
    html = html_of(client, page.url)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "</script" not in block.lower()


def test_open_now_follows_the_holiday_calendar(publish_guide):
    from guides.presentation import hall_status
    from guides.serializers import serialize_guide

    record = serialize_guide(publish_guide())
    working_saturday = datetime(2026, 10, 10, 10, 0, tzinfo=SHANGHAI)
    national_day = datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI)
    lunch = datetime(2026, 11, 26, 12, 30, tzinfo=SHANGHAI)
    assert hall_status(record, working_saturday).is_open
    closed = hall_status(record, national_day)
    # A holiday is a day off, not "已下班" (closed for the evening).
    assert not closed.is_open and closed.label == "今日休息"
    assert "10月8日" in closed.next_opening and "09:00" in closed.next_opening
    assert "13:30" in hall_status(record, lunch).next_opening


def queries_of_uncached_page(client, page) -> int:
    """Queries of a page whose record and rendering are not cached (Wagtail's site-root paths
    are, as on any running server)."""
    from guides.serializers import bump_reference_version

    client.get(page.url)
    bump_reference_version()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page.url).status_code == 200
    return len(queries)


def test_guide_page_query_count_does_not_grow_with_materials_or_steps(client, publish_guide):
    template = make_record()
    small = publish_guide(
        code="T-Q-0001", materials=template["materials"][:1], steps=template["steps"][:1], situations=[]
    )
    materials = [dict(template["materials"][0], name=f"材料{i}") for i in range(12)]
    steps = [dict(template["steps"][2], name=f"环节{i}") for i in range(9)]
    large = publish_guide(code="T-Q-0002", materials=materials, steps=steps, situations=[])
    counts = queries_of_uncached_page(client, small), queries_of_uncached_page(client, large)
    assert counts[0] == counts[1], f"{counts[0]} queries for 1 material, {counts[1]} for 12"
    # The guide with its department and windows, its view restrictions, its seven inline
    # relations and the hall's hours and calendar.
    assert counts[0] <= 11


def queries_of_first_read_after_a_publish(client, page) -> tuple[int, list[str]]:
    client.get(page.url)
    latest = page.get_latest_revision_as_object()
    latest.summary += "（修订）"
    latest.save_revision().publish()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page.url)
    assert response.status_code == 200 and "（修订）" in response.content.decode()
    return len(queries), [q["sql"] for q in queries.captured_queries]


def test_the_first_reader_after_a_publish_reads_only_the_guide(client, publish_guide):
    """The site, its home page, the guide index and the hall stay cached across the publish of
    a guide: the first reader reads the guide, its view restrictions and its inline rows."""
    template = make_record()
    small = publish_guide(code="T-Q-0001", materials=template["materials"][:1], steps=template["steps"][:1])
    materials = [dict(template["materials"][0], name=f"材料{i}") for i in range(12)]
    large = publish_guide(code="T-Q-0002", materials=materials, steps=[dict(template["steps"][2], name=f"环节{i}") for i in range(9)])
    (count, statements), (large_count, _) = (queries_of_first_read_after_a_publish(client, page) for page in (small, large))
    assert count == large_count
    assert count <= 9, "\n".join(statements)
    assert not any("wagtailcore_site" in sql or "guides_hallsession" in sql for sql in statements)


def test_the_part_of_box_costs_no_query_once_the_journeys_are_cached(client, publish_guide):
    """A member guide's page shows which journey it is part of without reading the journeys again
    after a publish of a guide or a change of reference data: the live journeys are cached under
    the site tree version, which the publish of a journey moves."""
    from portal.demo.loader import add_journey

    template = make_record()
    member = publish_guide(code="T-Q-0001", materials=template["materials"][:1], steps=template["steps"][:1], situations=[])
    other = publish_guide(code="T-Q-0002", materials=template["materials"][:1], steps=template["steps"][:1], situations=[])
    uncached_without_journey = queries_of_uncached_page(client, member)
    add_journey({
        "slug": "q-journey", "title": "测试一件事", "audience": "person", "intro": "两个事项。",
        "steps": [{"title": "第一步", "logic": "and", "members": [["T-Q-0001", "required"]]},
                  {"title": "第二步", "logic": "and", "members": [["T-Q-0002", "required"]]}],
    })
    assert queries_of_uncached_page(client, member) == uncached_without_journey
    assert "（第 1 步，共 2 步）" in client.get(member.url).content.decode()
    count, statements = queries_of_first_read_after_a_publish(client, member)
    assert count <= 9, "\n".join(statements)
    assert not any("journeys_journeypage" in sql for sql in statements)
    assert 'rel="prev" href="/g/T-Q-0001/"' in client.get(other.url).content.decode()

    # A member's new code reaches its neighbour's box, though a guide's publish keeps the cache.
    latest = member.get_latest_revision_as_object()
    latest.code = "T-Q-0003"
    latest.save_revision().publish()
    assert 'rel="prev" href="/g/T-Q-0003/"' in client.get(other.url).content.decode()


def test_routing_follows_changes_to_the_site_tree(client, publish_guide):
    """What routing keeps cached (portal.routing) goes with a change of the guide index."""
    from guides.models import GuideIndexPage

    page = publish_guide()
    assert client.get(page.url).status_code == 200
    index = GuideIndexPage.objects.get()
    index.slug = "banshi"
    index.save_revision().publish()
    page.refresh_from_db()
    assert page.url.startswith("/banshi/")
    assert client.get(page.url).status_code == 200
    assert client.get(page.url.replace("/banshi/", "/guides/", 1)).status_code == 404


def test_rendered_page_is_cached_until_something_changes(client, publish_guide):
    page = publish_guide()
    first = client.get(page.url).content
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page.url).content == first
    assert len(queries) == 0  # served before routing

    # Publishing a new revision shows at once.
    latest = page.get_latest_revision_as_object()
    latest.summary = "新的事项简介"
    latest.save_revision().publish()
    assert "新的事项简介" in client.get(page.url).content.decode()

    # So does a change to the hall that the page embeds.
    window = page.intake_window
    window.location = "二楼北区"
    window.save()
    assert "二楼北区" in client.get(page.url).content.decode()


def test_restricted_pages_are_never_shared_from_the_cache(client, publish_guide):
    from wagtail.models import PageViewRestriction

    page = publish_guide()
    assert client.get(page.url).status_code == 200
    PageViewRestriction.objects.create(page=page, restriction_type="password", password="secret")
    for _ in range(2):
        response = client.get(page.url)
        assert "食品经营许可申请书" not in response.content.decode()


def test_sitemap_lists_guides(client, publish_guide):
    publish_guide()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert "/guides/t-jy-0001/" in response.content.decode()
