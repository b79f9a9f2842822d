"""A translated guide is one guide to citizens' feedback and to the quality checks: a vote or a
report sent from its English page counts for the Chinese guide (the record, GuidePage.sources),
and the editors' dashboard (feedback and lint sections), the error report inbox and
``manage.py lint_guides`` count the guide once, never its translation beside it."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils import translation as django_translation

from feedback.models import ErrorReport, UsefulnessTally
from guides.models import GuidePage
from tests.editorial.conftest import OTHER, OWN, accounts, guides  # noqa: F401

pytestmark = pytest.mark.django_db

ORIGIN = {"HTTP_ORIGIN": "http://testserver"}
ENGLISH = {"title": "Food business licence", "summary": "Issue a licence to run a food business."}


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    from django.core.cache import caches

    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.fixture
def english(guides):  # noqa: F811
    """The English translation of the own department's guide, published."""
    from guides.translations import translate

    return translate(guides["own"], "en", ENGLISH)


def english_path(page) -> str:
    with django_translation.override("zh-hans"):
        return f"/en{page.url}"


def form_action(html: str, form_class: str) -> str:
    return re.search(rf'<form class="{form_class}" method="post" action="([^"]+)"', html).group(1)


def votes(guide) -> tuple[int, int]:
    rows = UsefulnessTally.objects.filter(guide=guide)
    return sum(row.yes for row in rows), sum(row.no for row in rows)


def test_a_vote_and_a_report_from_the_english_page_count_for_the_chinese_guide(client, guides, english):  # noqa: F811
    source = guides["own"]
    assert GuidePage.objects.filter(code=OWN).count() == 2  # the guide and its translation
    path = english_path(source)
    html = client.get(path).content.decode()
    assert f"<h1>{ENGLISH['title']}</h1>" in html

    vote_url = form_action(html, "feedback-vote")
    assert vote_url == f"/en/feedback/{OWN}/useful/"
    response = client.post(vote_url, {"answer": "yes", "channel": "web"}, **ORIGIN)
    assert response.status_code == 303
    assert response["Location"] == f"{path}?feedback=thanks#feedback"
    client.post(f"/feedback/{OWN}/useful/", {"answer": "no", "channel": "web"}, **ORIGIN)
    assert votes(source) == (1, 1)
    assert not UsefulnessTally.objects.filter(guide=english).exists()

    # The report form's own page names the guide in the reader's language.
    report_page = client.get(f"/en/feedback/{OWN}/report/")
    assert report_page.status_code == 200
    assert ENGLISH["title"] in report_page.content.decode()
    assert "食品经营许可证核发" in client.get(f"/feedback/{OWN}/report/").content.decode()
    response = client.post(
        f"/en/feedback/{OWN}/report/", {"part": "materials", "message": "The second material is wrong", "channel": "web"}, **ORIGIN
    )
    assert response.status_code == 303 and response["Location"] == f"{path}?feedback=reported#feedback"
    report = ErrorReport.objects.get()
    assert report.guide_id == source.pk and report.checklist_version == source.checklist_version


def dashboard(client, user) -> str:
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    start = html.find('id="editors-dashboard')
    assert start >= 0, "no editors' panel"
    return html[start:]


def test_the_editors_dashboard_counts_a_translated_guide_once(client, accounts, guides, english):  # noqa: F811
    from guides.dashboard import findings_by_department

    source = guides["own"]
    # The guide and its translation are both overdue for review, and the guide has votes.
    GuidePage.objects.filter(code=OWN).update(last_reviewed_at=timezone.now() - timedelta(days=200))
    UsefulnessTally.objects.create(guide=source, day=date(2026, 12, 1), yes=1, no=3)
    ErrorReport.objects.create(guide=source, part="materials", message="材料写错了")

    html = dashboard(client, accounts["editor"])
    stale = html.split('id="dashboard-stale"', 1)[1].split("</section>", 1)[0]
    assert '<span class="w-status">1</span>' in stale
    assert stale.count(source.title) == 1 and ENGLISH["title"] not in stale
    useful = html.split('id="dashboard-feedback"', 1)[1].split("</section>", 1)[0]
    assert useful.count(source.title) == 1 and "25%（1/4）" in useful
    assert "1 份新的纠错报告" in useful

    # The lint section: the guide has warnings only (the test record's materials lack acceptance
    # standards), counted once although its translation was checked on its own revision too.
    assert english.lint_warnings is not None
    (row,) = findings_by_department([source.department])
    assert (row.blocking, row.warnings, row.unchecked) == (0, 1, 0)
    lint = html.split('id="dashboard-lint"', 1)[1].split("</section>", 1)[0]
    department = re.escape(source.department.display_name)
    assert re.search(rf"<td>{department}</td>\s*<td>0</td>\s*<td><a href=\"[^\"]+\">1</a></td>\s*<td>0</td>", lint), lint
    # Its link opens the guide list on the guides counted, not their translations beside them.
    assert "lint_status=warnings&amp;locale=zh-hans" in lint


def test_the_inbox_offers_the_guide_once_in_its_filter(client, accounts, guides, english):  # noqa: F811
    client.force_login(accounts["editor"])
    html = client.get("/admin/error_reports/").content.decode()
    select = re.search(r'<select name="guide"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'<option value="(\d+)"', select) == [str(guides["own"].pk)]


def test_lint_guides_checks_a_translated_guide_once(guides, english):  # noqa: F811
    out = io.StringIO()
    call_command("lint_guides", "--format", "json", "--today", "2026-11-30", stdout=out)
    report = json.loads(out.getvalue())
    assert sorted(guide["code"] for guide in report["guides"]) == sorted([OWN, OTHER])
    assert report["summary"]["guides"] == 2
    assert [guide["name"] for guide in report["guides"] if guide["code"] == OWN] == [guides["own"].title]
    text = io.StringIO()
    call_command("lint_guides", "--department", guides["own"].department.code, "--today", "2026-11-30", stdout=text)
    assert "共 1 条指南" in text.getvalue()
    assert text.getvalue().count(f"{OWN} ") == 1 and ENGLISH["title"] not in text.getvalue()
