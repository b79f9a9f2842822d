"""The admin is Chinese throughout: every screen of the demo site, for each role, read as a user
reads it (text and the labels of controls), holds no English beyond names and formats. The
project's catalogue (locale/zh_Hans) supplies what the libraries' Chinese catalogues lack."""

from __future__ import annotations

import gettext
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from tests.editorial.admin_crawl import english_in

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
# Labels Wagtail builds without gettext, so that no catalogue can translate them: the columns of
# the site listing (wagtail/sites/views.py names them after the fields). Administrators only.
UNTRANSLATABLE = {"/admin/sites/": {"Port", "Site name", "Root page"}}
# Strings the issue found in English, each on a screen the crawl visits.
KNOWN_GAPS = ("1-50 of 75", "Date updated", "Toggle checks", "There are no", "Moderators approval", "Submit to")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo site, loaded once for the module's tests (each reads it in a transaction of its
    own) and rolled back after them: loading it is most of what these tests cost."""
    from portal.demo.loader import load_demo

    with django_db_blocker.unblock(), override_settings(VAR_DIR=tmp_path_factory.mktemp("demo")), transaction.atomic():
        load_demo(StringIO())
        yield
        transaction.set_rollback(True)


def screens(role: str) -> list[str]:
    from wagtail.models import Revision

    from guides.models import (
        Department,
        DepartmentFolderPage,
        GuideIndexPage,
        GuidePage,
        LifeEvent,
        ServiceHall,
    )
    from search.models import Synonym

    page = GuidePage.objects.get(code="YX-SC-0001") if GuidePage.objects.filter(code="YX-SC-0001").exists() else (
        GuidePage.objects.filter(department__code="YXSCJG").order_by("code").first()
    )
    folder = DepartmentFolderPage.objects.get(department=page.department)
    revision = Revision.page_revisions.filter(object_id=str(page.pk)).order_by("-pk").first()
    common = [
        "/admin/", f"/admin/pages/{GuideIndexPage.objects.get(alias_of__isnull=True).pk}/", f"/admin/pages/{folder.pk}/",
        "/admin/guides/", "/admin/guides/?status=live&section=经营类", f"/admin/pages/{page.pk}/edit/",
        f"/admin/pages/{page.pk}/history/", f"/admin/pages/{page.pk}/usage/",
        f"/admin/pages/{page.pk}/revisions/compare/earliest...{revision.pk}/",
        f"/admin/pages/add/guides/guidepage/{folder.pk}/", "/admin/pages/usage/guides/guidepage/",
        "/admin/documents/", "/admin/reports/site-history/", "/admin/reports/aging-pages/", "/admin/account/",
        "/admin/editorial/excel/",
    ]
    if role == "editor":
        return common
    centre = common + [
        "/admin/editorial/queue/", f"/admin/editorial/review/{page.pk}/", f"/admin/pages/{page.pk}/move/",
        f"/admin/pages/{page.pk}/unpublish/", f"/admin/pages/{page.pk}/delete/", "/admin/reports/locked/",
        "/admin/reports/workflow/", "/admin/reports/workflow_tasks/",
    ]
    if role == "reviewer":
        return centre
    snippets = [
        reverse(model.snippet_viewset.get_url_name("list")) for model in (Department, ServiceHall, LifeEvent, Synonym)
    ]
    return centre + snippets + [
        reverse(Synonym.snippet_viewset.get_url_name("add")),
        f"/admin/snippets/guides/department/edit/{Department.objects.first().pk}/",
        "/admin/snippets/guides/servicewindow/", "/admin/snippets/", "/admin/search_query_stats/",
        "/admin/images/", "/admin/feed/webhooks/", "/admin/feed/deliveries/", "/admin/feed/events/", "/admin/users/",
        "/admin/groups/", "/admin/workflows/list/", "/admin/workflows/tasks/index/",
        "/admin/reports/page-types-usage/", "/admin/searchpicks/", "/admin/redirects/", "/admin/sites/",
        "/admin/editorial/roles/", "/admin/collections/",
    ]


def site_data() -> frozenset[str]:
    """Values of the site a screen shows as they are: codes, slugs, names, hosts."""
    from wagtail.models import Page, Site

    from guides.models import Department, LifeEvent

    values = set(get_user_model().objects.values_list("username", flat=True))
    values |= set(Department.objects.values_list("code", flat=True))
    values |= set(LifeEvent.objects.values_list("slug", flat=True))
    values |= set(Page.objects.values_list("slug", flat=True))
    # The demo's English guides (translations) are named in English, and the listings name each
    # page's language (its locale) in its own tongue.
    values |= set(Page.objects.filter(locale__language_code="en").values_list("title", flat=True))
    values |= {name for _code, name in settings.LANGUAGES}
    values |= set(Site.objects.values_list("hostname", flat=True))
    return frozenset(values)


@pytest.mark.parametrize("role", ["admin", "reviewer", "editor"])
def test_every_screen_of_the_admin_is_chinese(demo, role):
    client = Client()
    client.force_login(get_user_model().objects.get(username=role))
    data = site_data()
    english = {}
    for url in screens(role):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        found = english_in(response.content.decode(), data) - UNTRANSLATABLE.get(url, set())
        if found:
            english[url] = sorted(found)
    assert not english, english


def test_the_gaps_the_issue_found_are_filled(demo):
    """The listing that showed "1-50 of 75", the editor's "Toggle checks", an empty listing's
    "There are no 同义词 to display" and the submit button named after Wagtail's default workflow."""
    from guides.models import GuidePage
    from search.models import Synonym

    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    listing = client.get("/admin/pages/usage/guides/guidepage/").content.decode()
    assert re.search(r"共 \d+ 个办事指南，当前第 1-50 个", listing) and "更新日期" in listing
    edit = client.get(f"/admin/pages/{GuidePage.objects.order_by('pk').first().pk}/edit/").content.decode()
    assert "显示/隐藏检查结果" in edit and "提交给办事指南审核" in edit
    empty = client.get(reverse(Synonym.snippet_viewset.get_url_name("list"))).content.decode()
    assert "没有可显示的同义词" in empty
    for gap in KNOWN_GAPS:
        assert gap not in listing + edit + empty, gap


def po_entries(path: Path) -> dict[str, str]:
    """msgid (with its plural, NUL-joined as in a .mo) → first msgstr, read from a .po file."""
    entries = {}
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        fields = {
            key: "".join(re.findall(r'"(.*)"', value)).encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
            for key, value in re.findall(r'^(msgid|msgid_plural|msgstr(?:\[0\])?) ((?:"[^\n]*"\n?)+)', block, re.M)
        }
        if fields.get("msgid"):
            key = fields["msgid"] + ("\x00" + fields["msgid_plural"] if "msgid_plural" in fields else "")
            entries[key] = fields.get("msgstr", fields.get("msgstr[0]", ""))
    return entries


def test_the_compiled_catalogue_is_the_catalogue():
    """The .mo in the repository is compiled from the .po beside it (recompile after editing:
    python manage.py compilemessages -l zh_Hans --ignore '.venv/*')."""
    with open(CATALOGUE / "django.mo", "rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog
    compiled_entries = {
        (key[0] + "\x00" + catalog.get(("__plural__", key[0]), "") if isinstance(key, tuple) else key): value
        for key, value in catalog.items()
        if key and (not isinstance(key, tuple) or key[1] == 0)
    }
    written = po_entries(CATALOGUE / "django.po")
    assert written, "the catalogue is empty"
    singular = {key.split("\x00")[0]: value for key, value in written.items()}
    compiled_singular = {
        (key[0] if isinstance(key, tuple) else key): value
        for key, value in catalog.items()
        if key and (not isinstance(key, tuple) or key[1] == 0)
    }
    assert compiled_singular == singular
    assert compiled_entries  # (plural keys are looked up by their singular)
