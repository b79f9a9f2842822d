"""Places where Wagtail's admin lists pages: a department's roles see their department's guides
only there too; drafts never reach citizens or the feed."""

from __future__ import annotations

import pytest
from django.test import Client

from guides.models import DepartmentFolderPage
from tests.editorial.conftest import write_draft

pytestmark = pytest.mark.django_db

OTHER_TITLE = "居民身份证换领"
OWN_TITLE = "食品经营许可证核发"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["editor", "approver"])
def test_department_roles_see_no_other_departments_guide_in_any_listing(guides, accounts, role):
    client = logged_in(accounts[role])
    listings = {
        "pages using 办事指南": "/admin/pages/usage/guides/guidepage/",
        "guide list": "/admin/guides/",
        "explorer": f"/admin/pages/{guides['own'].get_parent().get_parent().pk}/",
    }
    for name, url in listings.items():
        response = client.get(url, follow=True)  # (the explorer takes them to their folder)
        assert response.status_code == 200, name
        html = response.content.decode()
        assert OTHER_TITLE not in html, name
    assert OWN_TITLE in client.get("/admin/pages/usage/guides/guidepage/").content.decode()
    other_folder = DepartmentFolderPage.objects.get(department=guides["other"].department)
    response = client.get(f"/admin/pages/{other_folder.pk}/", follow=True)
    assert OTHER_TITLE not in response.content.decode() and OWN_TITLE in response.content.decode()


def test_the_centre_sees_every_department(guides, accounts):
    html = logged_in(accounts["reviewer"]).get("/admin/pages/usage/guides/guidepage/").content.decode()
    assert OTHER_TITLE in html and OWN_TITLE in html


def test_drafts_reach_neither_citizens_nor_the_feed(guides, accounts):
    page = guides["own"]
    write_draft(page, accounts["editor"], summary="草稿中的新简介", copies=5)
    client = Client()
    assert "草稿中的新简介" not in client.get(page.url).content.decode()
    record = client.get(f"/api/v1/guides/{page.code}/").json()
    assert record["summary"] != "草稿中的新简介" and record["materials"][1]["copies"] == 1
    export = b"".join(client.get("/api/v1/guides.ndjson").streaming_content).decode()
    assert OWN_TITLE in export and "草稿中的新简介" not in export
    assert client.get(f"/admin/pages/{page.pk}/edit/preview/").status_code == 302  # to the login
