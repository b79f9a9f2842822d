"""The admin's Excel upload (导入 Excel): a department editor uploads a workbook of their
department's guides; new and changed guides become drafts submitted to 部门审核, never live; a
guide of another department is refused by row, and then nothing is written."""

from __future__ import annotations

import io

from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import Revision, WorkflowState

from guides.excel import GUIDE_SHEET, MATERIAL_SHEET, export_records, write_workbook
from guides.importer import normalize_record
from guides.models import GuidePage
from tests.conftest import make_record
from tests.editorial.conftest import OTHER, OWN
from tests.portal.test_excel import edited, find_row, header_position

UPLOAD = "/admin/editorial/excel/"
DOWNLOAD = "/admin/editorial/excel/guides.xlsx"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def workbook_of(*codes: str) -> bytes:
    stream = io.BytesIO()
    write_workbook(export_records(GuidePage.objects.filter(code__in=codes).order_by("path")), stream)
    return stream.getvalue()


def change_copies(code: str, copies: int, note: str | None = "营业执照复印件改为两份"):
    def edit(workbook):
        materials = workbook[MATERIAL_SHEET.title]
        materials.cell(row=find_row(materials, code, 2), column=header_position(materials, "复印件份数"), value=copies)
        if note:
            guides = workbook[GUIDE_SHEET.title]
            guides.cell(row=find_row(guides, code), column=header_position(guides, "变更说明"), value=note)

    return edit


def upload(client, data: bytes, effective: str | None = None):
    file = io.BytesIO(data)
    file.name = "guides.xlsx"
    form = {"workbook": file}
    if effective is not None:
        form["effective_date"] = effective
    return client.post(UPLOAD, form)


def today() -> str:
    return timezone.localdate().isoformat()


def written() -> tuple:
    return Revision.objects.count(), WorkflowState.objects.count(), GuidePage.objects.count()


def latest_copies(code: str) -> int:
    page = GuidePage.objects.get(code=code)
    return list(page.get_latest_revision_as_object().materials.all())[1].copy_count


def test_editor_downloads_their_department_only(accounts):
    response = client_for(accounts["editor"]).get(DOWNLOAD)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content))[GUIDE_SHEET.title]
    assert [sheet.cell(row=row, column=1).value for row in range(2, sheet.max_row + 1)] == [OWN]


def test_users_without_an_editorial_role_get_403(guides, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", "nobody@example.invalid", "pw", is_staff=True)
    from django.contrib.auth.models import Permission

    nobody.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = client_for(nobody)
    assert client.get(UPLOAD).status_code == 403
    assert client.get(DOWNLOAD).status_code == 403
    before = written()
    assert upload(client, workbook_of(OWN), today()).status_code == 403
    assert written() == before


def test_editor_changes_own_guide_it_is_submitted_not_published(guides, accounts):
    editor = client_for(accounts["editor"])
    page = guides["own"]
    live_fingerprint = page.checklist_fingerprint
    assert editor.get(UPLOAD).status_code == 200

    response = upload(editor, edited(workbook_of(OWN), change_copies(OWN, 2)), today())
    assert response.status_code == 200
    html = response.content.decode()
    assert "修改 1 项指南" in html and OWN in html, html[-3000:]

    page = GuidePage.objects.get(pk=page.pk)
    assert latest_copies(OWN) == 2
    assert page.live and page.has_unpublished_changes
    assert page.checklist_fingerprint == live_fingerprint
    assert Client().get(f"/api/v1/guides/{OWN}/").json()["materials"][1]["copies"] == 1
    assert page.workflow_in_progress and page.current_workflow_task.name == "部门审核"
    assert page.current_workflow_state.requested_by == accounts["editor"]
    draft = page.get_latest_revision_as_object()
    assert timezone.localdate(draft.go_live_at) == timezone.localdate()

    # The same workbook again: unchanged, nothing new submitted.
    before = written()
    response = upload(editor, edited(workbook_of(OWN), lambda workbook: None), today())
    assert "1 项指南没有变化" in response.content.decode()
    assert written() == before


def test_editor_creates_a_guide_as_a_draft_in_their_department(guides, accounts):
    editor = client_for(accounts["editor"])
    record = normalize_record(make_record(code="T-JY-0099", name="小餐饮登记"))
    record["change_note"] = "新增事项"
    stream = io.BytesIO()
    write_workbook([record], stream)

    def note(workbook):
        sheet = workbook[GUIDE_SHEET.title]
        sheet.cell(row=2, column=header_position(sheet, "变更说明"), value="新增事项")

    response = upload(editor, edited(stream.getvalue(), note), today())
    assert "新建 1 项指南" in response.content.decode(), response.content.decode()[-3000:]
    page = GuidePage.objects.get(code="T-JY-0099")
    assert not page.live
    assert page.get_parent().specific.department_id == guides["own"].department_id
    assert page.workflow_in_progress


def test_a_guide_of_another_department_is_refused_by_row_and_nothing_is_written(guides, accounts):
    editor = client_for(accounts["editor"])
    data = edited(workbook_of(OWN, OTHER), lambda workbook: (change_copies(OWN, 2)(workbook), change_copies(OTHER, 3)(workbook)))
    before = written()
    response = upload(editor, data, today())
    html = response.content.decode()
    assert "未导入任何内容" in html
    guides_sheet = load_workbook(io.BytesIO(data))[GUIDE_SHEET.title]
    other_row = find_row(guides_sheet, OTHER)
    assert f"<td>{GUIDE_SHEET.title}</td><td>{other_row}</td><td>实施编码</td>" in html
    assert "测试区公安分局" in html
    assert written() == before
    assert latest_copies(OWN) == 1 and latest_copies(OTHER) == 1

    # Nor may an editor move their guide to another department, or create one there.
    def move(workbook):
        sheet = workbook[GUIDE_SHEET.title]
        sheet.cell(row=2, column=header_position(sheet, "实施主体"), value="测试区公安分局")

    html = upload(editor, edited(workbook_of(OWN), move), today()).content.decode()
    assert "须由中心审核员办理" in html
    record = normalize_record(make_record(**{**make_record(), "code": "T-GM-0099", "department": "测试区公安分局"}))
    stream = io.BytesIO()
    write_workbook([record], stream)
    html = upload(editor, stream.getvalue(), today()).content.decode()
    assert "您不能在“测试区公安分局”新建办事指南" in html
    assert written() == before


def test_a_checklist_change_needs_its_note_and_effective_date(guides, accounts):
    editor = client_for(accounts["editor"])
    before = written()
    html = upload(editor, edited(workbook_of(OWN), change_copies(OWN, 2, note=None)), today()).content.decode()
    assert "<td>变更说明</td><td>（T-JY-0001）受理清单有变化，请填写变更说明</td>" in html
    html = upload(editor, edited(workbook_of(OWN), change_copies(OWN, 2))).content.decode()
    assert "请在上传时填写生效日期" in html
    assert written() == before
    assert not GuidePage.objects.get(code=OWN).workflow_in_progress


def test_a_guide_in_review_is_not_changed_by_an_upload(guides, accounts):
    editor = client_for(accounts["editor"])
    assert "修改 1 项" in upload(editor, edited(workbook_of(OWN), change_copies(OWN, 2)), today()).content.decode()
    before = written()
    html = upload(editor, edited(workbook_of(OWN), change_copies(OWN, 3)), today()).content.decode()
    assert "正在审核中" in html
    assert written() == before and latest_copies(OWN) == 2


def test_the_centre_uploads_for_any_department(guides, accounts):
    reviewer = client_for(accounts["reviewer"])
    data = edited(workbook_of(OWN, OTHER), lambda workbook: (change_copies(OWN, 2)(workbook), change_copies(OTHER, 3)(workbook)))
    html = upload(reviewer, data, today()).content.decode()
    assert "修改 2 项指南" in html, html[-3000:]
    assert latest_copies(OWN) == 2 and latest_copies(OTHER) == 3
    other = GuidePage.objects.get(code=OTHER)
    assert other.workflow_in_progress and other.has_unpublished_changes


def test_a_file_that_is_not_a_workbook(guides, accounts):
    before = written()
    html = upload(client_for(accounts["editor"]), b"not a workbook", today()).content.decode()
    assert "不是 Excel 工作簿（XLSX），或文件已损坏" in html
    assert written() == before


def test_the_upload_reads_in_english_for_an_editor_who_chose_english(guides, accounts):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(accounts["editor"])
    profile.preferred_language = "en"
    profile.save()
    editor = client_for(accounts["editor"])
    html = editor.get(UPLOAD).content.decode()
    assert "Import Excel" in html and "Upload and submit for review" in html and "Effective date" in html
    html = upload(editor, edited(workbook_of(OWN), change_copies(OWN, 2, note=None)), today()).content.decode()
    assert "1 error, nothing was imported" in html
    assert "The checklist has changed: please write a change note" in html
