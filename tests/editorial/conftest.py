"""Two departments with a published guide each, one account per editorial role, and the admin
driven the way a browser drives it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.test.utils.form_data import querydict_from_html

# (escapes, cases) of the permission matrix run, for the summary at the end of the test run
MATRIX_RESULTS: list[tuple[int, int]] = []

OWN = "T-JY-0001"  # 测试区市场监督管理局
OTHER = "T-GM-0001"  # 测试区公安分局
OTHER_RECORD = {
    "code": OTHER, "name": "居民身份证换领", "category": "公民类", "department": "测试区公安分局",
    "item_type": "公共服务",
}


def browser_form_data(html: str, form_id: str = "page-edit-form"):
    """The form as a browser submits it: a checked box without a value sends "on", and text
    areas send their line breaks as CR LF (Wagtail's querydict_from_html does neither)."""
    data = querydict_from_html(html, form_id=form_id)
    for name in re.findall(r'<input type="checkbox" name="([^"]+)"[^>]*\bchecked\b', html):
        values = data.getlist(name)
        if values == [""]:
            data.setlist(name, ["on"])
    for name in re.findall(r'<textarea[^>]*\bname="([^"]+)"', html):
        if name in data:
            # (the line break that follows <textarea> is not part of the value)
            value = data[name].removeprefix("\n")
            data[name] = value.replace("\r\n", "\n").replace("\n", "\r\n")
    return data


def now_minute() -> str:
    return timezone.localtime().strftime("%Y-%m-%d %H:%M")

def client_for(user):
    """A test client logged in as ``user``."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def edit_data(client, page):
    """The edit form of ``page`` as a browser would submit it."""
    response = client.get(f"/admin/pages/{page.pk}/edit/")
    assert response.status_code == 200
    return browser_form_data(response.content.decode())


@pytest.fixture
def guides(publish_guide):
    """{"own": guide of 测试区市场监督管理局, "other": guide of 测试区公安分局}, both published."""
    return {"own": publish_guide(), "other": publish_guide(**OTHER_RECORD)}


@pytest.fixture
def accounts(guides):
    """One user per role: department editor and approver of the own guide's department, a
    centre reviewer, an administrator, and an author who edits in both departments."""
    from editorial.models import Role
    from editorial.roles import grant_centre_role, grant_department_role

    User = get_user_model()
    own, other = guides["own"].department, guides["other"].department
    users = {name: User.objects.create_user(name, f"{name}@example.invalid", "pw") for name in
             ("editor", "approver", "reviewer", "author", "approver2")}
    users["admin"] = User.objects.create_superuser("admin", "admin@example.invalid", "pw")
    grant_department_role(users["editor"], own, Role.EDITOR)
    grant_department_role(users["approver"], own, Role.APPROVER)
    grant_centre_role(users["reviewer"], Role.REVIEWER)
    for department in (own, other):
        grant_department_role(users["author"], department, Role.EDITOR)
        grant_department_role(users["approver2"], department, Role.APPROVER)
    return users


def write_draft(page, user, *, summary: str | None = None, copies: int | None = None, note: str | None = None):
    """A new revision of ``page`` by ``user`` (a prose change, or a checklist change with
    ``copies``), not published."""
    draft = page.get_latest_revision_as_object()
    if summary is not None:
        draft.summary = summary
    if copies is not None:
        materials = list(draft.materials.all())
        materials[1].copy_count = copies
        draft.materials = materials
    draft.change_note = note
    return draft.save_revision(user=user)


def pytest_terminal_summary(terminalreporter):
    for escapes, cases in MATRIX_RESULTS:
        terminalreporter.write_line(f"permission matrix: {escapes} escapes over {cases} cases")
