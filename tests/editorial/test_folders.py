"""Department folders: where permissions are granted, never part of a guide's address."""

from __future__ import annotations

import pytest
from django.test import Client
from wagtail.models import PageLogEntry

from guides.importer import import_guides
from guides.models import Department, DepartmentFolderPage, GuidePage
from tests.conftest import jsonl, make_record
from tests.editorial.conftest import OTHER_RECORD

pytestmark = pytest.mark.django_db


def form_errors(response) -> dict:
    form = response.context["form"]
    errors = dict(form.errors)
    for name, formset in form.formsets.items():
        errors.update({f"{name}-{i}": e for i, e in enumerate(formset.errors) if e})
        if formset.non_form_errors():
            errors[name] = formset.non_form_errors()
    return errors


def test_guides_live_in_their_departments_folder_at_the_same_address(guides):
    own = guides["own"]
    folder = own.get_parent().specific
    assert isinstance(folder, DepartmentFolderPage) and folder.department == own.department
    assert folder.get_parent().specific.slug == "guides"
    assert own.url == "/guides/t-jy-0001/"
    client = Client()
    assert client.get("/guides/t-jy-0001/").status_code == 200
    assert client.get("/g/T-JY-0001/")["Location"] == "/guides/t-jy-0001/"
    # The folder's own address leads to the department's listing, and is no guide's address.
    response = client.get(folder.url)
    assert response.status_code == 302 and response["Location"].endswith(f"/guides/department/{own.department.code}/")
    assert client.get(f"{folder.url}t-jy-0001/").status_code == 404
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "/guides/t-jy-0001/</loc>" in sitemap and folder.slug not in sitemap
    feed_url = client.get("/api/v1/guides/T-JY-0001/").json()["url"]
    assert feed_url.endswith("/guides/t-jy-0001/")


def test_a_department_gets_its_folder_which_follows_its_name(site):
    department = Department.objects.create(name="测试区税务局", code="TAX.01")
    folder = DepartmentFolderPage.objects.get(department=department)
    assert folder.title == "测试区税务局" and folder.slug == "dept-tax-01" and folder.live
    department.name = "国家税务总局测试区税务局"
    department.save()
    folder.refresh_from_db()
    assert folder.title == "国家税务总局测试区税务局"
    department.delete()
    assert not DepartmentFolderPage.objects.filter(pk=folder.pk).exists()


def test_an_import_that_changes_a_guides_department_moves_it_and_logs_the_move(guides):
    own = guides["own"]
    police = guides["other"].department
    import_guides(jsonl(make_record(department=police.name)), publish=True)
    moved = GuidePage.objects.get(pk=own.pk)
    assert moved.department == police
    assert moved.get_parent().specific.department == police
    assert moved.url == "/guides/t-jy-0001/"
    entry = PageLogEntry.objects.filter(page=own, action="guides.change_department").get()
    assert entry.data["to"]["code"] == police.code
    assert Client().get("/api/v1/guides/T-JY-0001/").json()["department"] == police.name


def test_a_reviewer_moves_a_guide_to_another_department_in_the_admin(guides, accounts):
    own, other = guides["own"], guides["other"]
    destination = DepartmentFolderPage.objects.get(department=other.department)
    client = Client()
    client.force_login(accounts["reviewer"])
    assert client.post(f"/admin/pages/{own.pk}/move/{destination.pk}/confirm/").status_code == 302
    own.refresh_from_db()
    assert own.department == other.department and own.url == "/guides/t-jy-0001/"
    entry = PageLogEntry.objects.get(page=own, action="guides.change_department")
    assert entry.user == accounts["reviewer"]
    # Published revisions do not take it back: the department is the folder's.
    own.get_latest_revision().publish()
    assert GuidePage.objects.get(pk=own.pk).department == other.department


def test_two_guides_cannot_share_an_address_across_folders(guides):
    from django.core.exceptions import ValidationError

    other = guides["other"]
    other.slug = "t-jy-0001"
    with pytest.raises(ValidationError, match="已被另一条指南使用"):
        other.full_clean()


def test_a_new_guide_created_in_a_folder_belongs_to_its_department(guides, accounts):
    from tests.editorial.conftest import browser_form_data

    folder = DepartmentFolderPage.objects.get(department=guides["own"].department)
    client = Client()
    client.force_login(accounts["editor"])
    response = client.get(f"/admin/pages/add/guides/guidepage/{folder.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="slug"' not in html  # a technical key: not for department editors
    data = browser_form_data(html)
    data.update(
        title="新设事项", code="T-JY-0099", section="经营类", item_type="行政许可", service_objects="企业法人",
        conditions="无", phone="020-81380512", complaint_phone="12345",
        intake_window=str(guides["own"].intake_window_id), legal_limit_value="5", legal_limit_unit="工作日",
        promised_limit_value="3", promised_limit_unit="工作日",
    )
    data["materials-TOTAL_FORMS"] = "1"
    data.update({
        "materials-0-name": "申请书", "materials-0-material_type": "申请表格文书", "materials-0-form": "纸质",
        "materials-0-original_count": "1", "materials-0-copy_count": "0", "materials-0-necessity": "必要",
        "materials-0-source": "申请人自备", "materials-0-ORDER": "1",
    })
    response = client.post(f"/admin/pages/add/guides/guidepage/{folder.pk}/", data)
    assert response.status_code == 302, form_errors(response)
    created = GuidePage.objects.get(code="T-JY-0099")
    assert created.department == guides["own"].department and created.slug == "t-jy-0099"
    assert created.get_parent().pk == folder.pk
    # The other department's folder takes no guide from this editor.
    other_folder = DepartmentFolderPage.objects.get(department=guides["other"].department)
    assert client.get(f"/admin/pages/add/guides/guidepage/{other_folder.pk}/").status_code == 403


# (serialized_rollback: a transactional test starts from the database as migrated, with Wagtail's
# root page, and not from what an earlier transactional test flushed away)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_moves_existing_guides_into_folders_without_changing_addresses():
    """An existing database: guides directly under the guide index (as before folders existed)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from portal.demo.loader import ensure_site
    from tests.conftest import build_hall

    ensure_site()
    build_hall()
    import_guides(jsonl(make_record(), make_record(**OTHER_RECORD)), publish=True)
    addresses = {page.code: page.url for page in GuidePage.objects.all()}
    executor = MigrationExecutor(connection)
    before = [("guides", "0007_material_marks")]
    executor.migrate(before)
    executor.loader.build_graph()
    Page = executor.loader.project_state(before).apps.get_model("wagtailcore", "Page")
    index = Page.objects.get(slug="guides")
    under_index = Page.objects.filter(path__startswith=index.path, depth=index.depth + 1)
    assert under_index.count() == 2 and under_index.filter(slug="t-jy-0001").exists()

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    for page in GuidePage.objects.all():
        assert page.url == addresses[page.code]
        assert page.get_parent().specific.department_id == page.department_id
    assert DepartmentFolderPage.objects.count() == Department.objects.count()
    assert Client().get("/guides/t-gm-0001/").status_code == 200
