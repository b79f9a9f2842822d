"""The citizens' forms under a guide, as a browser without JavaScript posts them: a vote or a
report, then a redirect back to the guide with a thank-you that no cache shares; refused from
other sites, bots (honeypot) and floods (rate limit); bad input refused with the text kept."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.models import ErrorReport, ReportStatus, UsefulnessTally

pytestmark = pytest.mark.django_db

ORIGIN = {"HTTP_ORIGIN": "http://testserver"}
CODE = "T-JY-0001"


@pytest.fixture
def guide(publish_guide):
    return publish_guide()


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    from django.core.cache import caches

    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def votes(guide) -> tuple[int, int]:
    rows = UsefulnessTally.objects.filter(guide=guide)
    return sum(row.yes for row in rows), sum(row.no for row in rows)


def test_the_guide_page_offers_both_forms_without_a_csrf_token(client, guide):
    html = client.get(guide.url).content.decode()
    assert f'action="/feedback/{CODE}/useful/"' in html
    assert f'action="/feedback/{CODE}/report/"' in html
    assert "这条指南有用吗？" in html and "报告错误" in html
    assert 'name="answer" value="yes"' in html and 'name="answer" value="no"' in html
    assert "csrfmiddlewaretoken" not in html


def test_a_vote_is_counted_and_the_reader_is_sent_back_with_thanks(client, guide):
    response = client.post(f"/feedback/{CODE}/useful/", {"answer": "yes", "channel": "web"}, **ORIGIN)
    assert response.status_code == 303
    assert response["Location"] == f"{guide.url}?feedback=thanks#feedback"
    assert response["Cache-Control"] == "no-store"
    client.post(f"/feedback/{CODE}/useful/", {"answer": "no"}, **ORIGIN)
    assert votes(guide) == (1, 1)
    thanks = client.get(f"{guide.url}?feedback=thanks")
    assert thanks.status_code == 200
    assert "谢谢您的反馈！" in thanks.content.decode()
    assert "no-store" in thanks["Cache-Control"]


def test_the_thank_you_is_never_shared_from_the_page_cache(client, guide):
    client.get(guide.url)  # the shared copy
    client.get(f"{guide.url}?feedback=thanks")
    with CaptureQueriesContext(connection) as again:
        second = client.get(f"{guide.url}?feedback=thanks")
    assert len(again.captured_queries) > 0, "the thank-you page was answered from the shared cache"
    assert "谢谢您的反馈！" in second.content.decode()
    plain = client.get(guide.url).content.decode()
    assert "谢谢您的反馈" not in plain


def test_a_cached_guide_page_still_offers_working_forms(client, guide):
    client.get(guide.url)
    with CaptureQueriesContext(connection) as cached:
        page = client.get(guide.url)
    assert len(cached.captured_queries) == 0  # answered from the shared cache
    html = page.content.decode()
    assert f'action="/feedback/{CODE}/useful/"' in html
    response = client.post(f"/feedback/{CODE}/useful/", {"answer": "yes"}, **ORIGIN)
    assert response.status_code == 303
    assert votes(guide) == (1, 0)


def test_a_no_vote_opens_the_report_form(client, guide):
    response = client.post(f"/feedback/{CODE}/useful/", {"answer": "no"}, **ORIGIN)
    html = client.get(response["Location"].split("#")[0]).content.decode()
    assert '<details class="feedback-report" open>' in html
    assert "哪里不对？请在下面告诉我们。" in html


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_ORIGIN": "https://evil.example"}, {"HTTP_ORIGIN": "null"}, {"HTTP_REFERER": "https://evil.example/page"}],
    ids=["no origin", "other site", "opaque origin", "other site's referer"],
)
def test_posts_from_other_sites_are_refused(client, guide, headers):
    vote = client.post(f"/feedback/{CODE}/useful/", {"answer": "yes"}, **headers)
    report = client.post(f"/feedback/{CODE}/report/", {"part": "materials", "message": "材料写错了一项"}, **headers)
    assert vote.status_code == report.status_code == 403
    assert votes(guide) == (0, 0)
    assert not ErrorReport.objects.exists()


def test_a_post_with_this_sites_referer_and_no_origin_is_taken(client, guide):
    response = client.post(f"/feedback/{CODE}/useful/", {"answer": "yes"}, HTTP_REFERER=f"http://testserver{guide.url}")
    assert response.status_code == 303
    assert votes(guide) == (1, 0)


def test_a_bad_answer_is_refused(client, guide):
    response = client.post(f"/feedback/{CODE}/useful/", {"answer": "maybe"}, **ORIGIN)
    assert response.status_code == 400
    assert "请点按“有用”或“没用”。" in response.content.decode()
    assert votes(guide) == (0, 0)


def test_an_unknown_guide_is_not_found(client, guide):
    assert client.post("/feedback/NO-SUCH/useful/", {"answer": "yes"}, **ORIGIN).status_code == 404


def test_the_honeypot_takes_nothing_and_tells_the_bot_nothing(client, guide):
    vote = client.post(f"/feedback/{CODE}/useful/", {"answer": "yes", "website": "http://spam.example"}, **ORIGIN)
    report = client.post(
        f"/feedback/{CODE}/report/",
        {"part": "materials", "message": "buy cheap pills here", "website": "x"},
        **ORIGIN,
    )
    assert vote.status_code == report.status_code == 303  # as if taken
    assert votes(guide) == (0, 0)
    assert not ErrorReport.objects.exists()


def test_one_client_cannot_flood(client, guide, settings):
    settings.FEEDBACK_RATE_LIMIT = "3/minute"
    statuses = [client.post(f"/feedback/{CODE}/useful/", {"answer": "yes"}, **ORIGIN).status_code for _ in range(5)]
    assert statuses == [303, 303, 303, 429, 429]
    assert votes(guide) == (3, 0)
    refused = client.post(
        f"/feedback/{CODE}/report/", {"part": "flow", "message": "流程第二步写错了"}, **ORIGIN
    )
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "流程第二步写错了" in refused.content.decode()  # the text is kept for the next try
    assert not ErrorReport.objects.exists()
    # Another client is not held up by the first one.
    other = client.post(f"/feedback/{CODE}/useful/", {"answer": "no"}, REMOTE_ADDR="10.0.0.9", **ORIGIN)
    assert other.status_code == 303
    assert votes(guide) == (3, 1)


def test_a_report_keeps_what_the_citizen_typed_and_nothing_else(client, guide):
    response = client.post(
        f"/feedback/{CODE}/report/",
        {"part": "materials", "message": "  营业执照应为原件，不是复印件  ", "phone": "138 0013 8000", "channel": "web"},
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="Mozilla/5.0 (test)",
        **ORIGIN,
    )
    assert response.status_code == 303
    assert response["Location"] == f"{guide.url}?feedback=reported#feedback"
    report = ErrorReport.objects.get()
    assert (report.guide_id, report.part, report.message, report.phone) == (
        guide.pk, "materials", "营业执照应为原件，不是复印件", "13800138000",
    )
    assert report.status == ReportStatus.NEW
    assert report.checklist_version == guide.checklist_version
    stored = " ".join(str(value) for value in ErrorReport.objects.values().get().values())
    assert "203.0.113.7" not in stored and "Mozilla" not in stored
    html = client.get(response["Location"].split("#")[0]).content.decode()
    assert "谢谢，您的报告已收到" in html


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"part": "materials", "message": "长" * 501}, "最多 500 个字（现在 501 个字）"),
        ({"part": "materials", "message": "不对"}, "请至少写 5 个字"),
        ({"part": "materials", "message": ""}, "请写下哪里不对"),
        ({"part": "nonsense", "message": "材料清单有误"}, "nonsense"),
        ({"part": "materials", "message": "材料清单有误", "phone": "12"}, "电话号码无效"),
        ({"part": "materials", "message": "材料清单有误", "phone": "1" * 21}, "电话号码最多 20 位"),
    ],
    ids=["too long", "too short", "empty", "unknown part", "bad phone", "phone too long"],
)
def test_a_bad_report_is_refused_with_the_text_kept(client, guide, data, error):
    response = client.post(f"/feedback/{CODE}/report/", data, **ORIGIN)
    assert response.status_code == 400
    html = response.content.decode()
    assert error in html
    if data["message"]:
        assert data["message"] in html
    assert "no-store" in response["Cache-Control"]
    assert not ErrorReport.objects.exists()


def test_the_kiosk_guide_offers_the_forms_and_comes_back_to_the_kiosk(client, guide):
    html = client.get(f"/kiosk/g/{CODE}/").content.decode()
    assert f'action="/feedback/{CODE}/useful/"' in html
    assert 'name="channel" value="kiosk"' in html
    response = client.post(f"/feedback/{CODE}/useful/", {"answer": "yes", "channel": "kiosk"}, **ORIGIN)
    assert response["Location"] == f"/kiosk/g/{CODE}/?feedback=thanks#feedback"
    thanks = client.get(f"/kiosk/g/{CODE}/?feedback=thanks")
    assert "谢谢您的反馈！" in thanks.content.decode()
    assert "no-store" in thanks["Cache-Control"]
    report = client.post(
        f"/feedback/{CODE}/report/", {"part": "place", "message": "窗口号已经改为12号", "channel": "kiosk"}, **ORIGIN
    )
    assert report["Location"] == f"/kiosk/g/{CODE}/?feedback=reported#feedback"
    assert ErrorReport.objects.get().channel == "kiosk"
    assert votes(guide) == (1, 0)


def test_english_pages_post_and_come_back_in_english(client, guide):
    path = guide.url  # (the Chinese address: the test's language is Chinese until a request says otherwise)
    html = client.get(f"/en{path}").content.decode()
    assert f'action="/en/feedback/{CODE}/useful/"' in html
    assert "Was this guide useful?" in html
    response = client.post(f"/en/feedback/{CODE}/useful/", {"answer": "yes"}, **ORIGIN)
    assert response["Location"] == f"/en{path}?feedback=thanks#feedback"
    bad = client.post(f"/en/feedback/{CODE}/report/", {"part": "materials", "message": "x"}, **ORIGIN)
    assert "Please write at least 5 characters" in bad.content.decode()


def test_the_report_form_has_a_page_of_its_own(client, guide):
    response = client.get(f"/feedback/{CODE}/report/")
    assert response.status_code == 200
    assert f'action="/feedback/{CODE}/report/"' in response.content.decode()
