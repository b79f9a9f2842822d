"""The demo site of `make run` (``load_demo``): a district centre with its departments, hall,
journeys, English guides and one account per editorial role, loaded into an empty database and
then loaded again, which changes nothing. The two loads are made once for the module (rolled
back after it): loading the demo is most of what these tests cost."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from editorial.roles import roles_of
from guides.models import Department, GuidePage, ServiceWindow
from tests.i18n.test_guide_translations import OUT_OF_DATE, chinese_path

pytestmark = pytest.mark.django_db

# Five guides that foreign residents ask for (issue 19), translated into English.
ENGLISH_GUIDES = ["YX-GM-0001", "YX-GM-0004", "YX-GM-0027", "YX-JY-0001", "YX-JY-0002"]


def catalogue_counts() -> tuple[int, ...]:
    from journeys.models import JourneyPage

    return (
        GuidePage.objects.count(),
        Department.objects.count(),
        ServiceWindow.objects.count(),
        JourneyPage.objects.count(),
        get_user_model().objects.count(),
    )


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo loaded into the empty test database, and loaded a second time: the outputs of
    both loads, what the first one left, and the directory of the password files."""
    from portal.demo.loader import DEMO_ACCOUNTS, password_file

    var_dir = tmp_path_factory.mktemp("var")
    with django_db_blocker.unblock(), override_settings(VAR_DIR=var_dir), transaction.atomic():
        first, second = StringIO(), StringIO()
        call_command("load_demo", stdout=first)
        after_first = {
            "counts": catalogue_counts(),
            "passwords": {name: password_file(name).read_text().strip() for name, _role in DEMO_ACCOUNTS},
        }
        call_command("load_demo", stdout=second)
        with override_settings(VAR_DIR=var_dir):
            yield {"first": first.getvalue(), "second": second.getvalue(), "after_first": after_first, "var_dir": var_dir}
        transaction.set_rollback(True)


def test_the_demo_looks_like_a_district_centre(demo):
    from journeys.models import JourneyPage
    from journeys.records import build_journey_view

    assert "用户名：admin" in demo["first"]
    guides = GuidePage.objects.live()
    assert guides.count() >= 60
    assert Department.objects.count() >= 15
    assert {g.section for g in guides} == {"工程类", "经营类", "公民类"}
    assert guides.filter(situations__isnull=False).distinct().count() >= 40
    intake = ServiceWindow.objects.filter(role="intake", numbers="1-9").get()
    assert ServiceWindow.objects.filter(role="delivery", numbers="10-11").exists()
    assert ServiceWindow.objects.filter(role="consultation").exists()
    assert intake.hall.calendar_days.filter(date="2026-10-01", kind="closed").exists()
    assert intake.hall.calendar_days.filter(date="2026-10-10", kind="workday").exists()

    journeys = {j.slug: j for j in JourneyPage.objects.live()}
    assert {j.title for j in journeys.values()} >= {"新生儿出生一件事", "开办企业一件事", "身后一件事"}
    business_or = [j for j in journeys.values() if j.audience == "business" and any(b.value["logic"] == "or" for b in j.steps)]
    assert business_or, "a business journey with an “or” step"
    for journey in journeys.values():
        merged = build_journey_view(journey).merged
        assert merged.material_count < merged.item_material_count, journey.slug  # something merged


def test_a_second_load_changes_nothing(demo):
    assert "新建 0，更新 0" in demo["second"]
    assert demo["first"].split("密码：")[1].split()[0] == demo["second"].split("密码：")[1].split()[0]
    assert catalogue_counts() == demo["after_first"]["counts"]


def test_every_demo_guide_renders(client, demo):
    for page in GuidePage.sources.live():
        response = client.get(page.url)
        assert response.status_code == 200, page.code
        assert page.checklist_fingerprint in response.content.decode()


def test_one_account_per_role_once(demo):
    from portal.demo.loader import DEMO_ACCOUNTS, DEMO_DEPARTMENT_CODE, password_file

    User = get_user_model()
    passwords = demo["after_first"]["passwords"]
    for name, _role in DEMO_ACCOUNTS:
        assert password_file(name).parent == demo["var_dir"]  # (the test database is in memory)
        assert password_file(name).stat().st_mode & 0o777 == 0o600
        assert f"用户名：{name}  密码：{passwords[name]}" in demo["first"]
        # (django-axes refuses a login without a request: the password is checked directly)
        assert User.objects.get(username=name).check_password(passwords[name])
        # The second load kept every login and gave nobody a second group.
        assert password_file(name).read_text().strip() == passwords[name]
        assert User.objects.get(username=name).groups.count() == 1
    editor = roles_of(User.objects.get(username="editor"))
    approver = roles_of(User.objects.get(username="approver"))
    assert [d.code for d in editor.editable_departments()] == [DEMO_DEPARTMENT_CODE]
    assert [d.code for d in approver.approvable_departments()] == [DEMO_DEPARTMENT_CODE]
    assert roles_of(User.objects.get(username="reviewer")).is_centre_reviewer
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.count() == 4


def test_english_guides_once(client, demo):
    from guides.translations import is_out_of_date

    english = GuidePage.objects.live().filter(locale__language_code="en")
    assert sorted(english.values_list("code", flat=True)) == ENGLISH_GUIDES
    assert GuidePage.objects.filter(locale__language_code="en").count() == len(ENGLISH_GUIDES)
    for page in english:
        source = GuidePage.sources.get(code=page.code)
        assert not is_out_of_date(source)
        html = client.get(f"/en{chinese_path(source)}").content.decode()
        assert f"<h1>{page.title}</h1>" in html and OUT_OF_DATE not in html
