"""A department editor's Excel upload (the admin's 导入 Excel screen): the workbook of
guides.excel, imported as ``import_guides FILE.xlsx`` imports it, but as a change an editor
makes in the admin: only guides the user may edit (the page permission tester decides, as in
Wagtail's own views), never published, every new or changed guide saved as a draft and submitted
to the review workflow (部门审核 → 中心审核). A checklist change needs a change note (the row's
变更说明) and an effective date, as the edit form asks for them. Any problem refuses the whole
workbook: nothing is written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guides.excel import CODE_HEADER, GUIDE_SHEET, CellError, Workbook, import_workbook

DEPARTMENT_HEADER = next(column.header for column in GUIDE_SHEET.columns if column.key == ("department",))
NOTE_HEADER = next(column.header for column in GUIDE_SHEET.columns if column.key == ("change_note",))


@dataclass
class UploadReport:
    created: list[str] = field(default_factory=list)  # new guides, submitted as drafts
    updated: list[str] = field(default_factory=list)  # changed guides, a new draft submitted
    unchanged: list[str] = field(default_factory=list)


def effective_moment(day: dt.date) -> dt.datetime:
    """The start of ``day`` in the portal's time zone: the go-live time of an effective date."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def upload_workbook(data: bytes, user, *, effective_date: dt.date | None = None) -> UploadReport:
    """Import a workbook for ``user`` and submit what it changes for review; raise
    guides.excel.WorkbookFailed (every problem, by sheet, row and column) having written
    nothing."""
    upload = _Upload(user, effective_date)
    with transaction.atomic():
        report = import_workbook(data, publish=False, user=user, check=upload.check, after=upload.submit)
    return UploadReport(created=report.created, updated=report.updated, unchanged=report.unchanged)


class _Upload:
    def __init__(self, user, effective_date: dt.date | None):
        self.user = user
        self.effective_date = effective_date

    def check(self, workbook: Workbook) -> list[CellError]:
        """Before anything is written: every guide of the workbook is one the user may edit
        (an existing guide) or add (a new guide, in its department's folder), in the
        department it is in."""
        from editorial.roles import roles_of
        from guides.folders import department_folder
        from guides.models import Department, GuidePage

        roles = roles_of(self.user)
        departments = {department.name: department for department in Department.objects.all()}
        codes = [guide.record.get("code") for guide in workbook.guides]
        existing = {page.code: page for page in GuidePage.sources.filter(code__in=codes).select_related("department")}
        errors = []

        def refuse(row: int, header: str, message: str) -> None:
            errors.append(CellError(GUIDE_SHEET.title, row, header, message))

        for guide in workbook.guides:
            code, name = guide.record.get("code"), guide.record.get("department")
            department = departments.get(name)
            page = existing.get(code)
            if page is not None:
                permissions = page.permissions_for_user(self.user)
                if not permissions.can_edit():
                    refuse(guide.row, CODE_HEADER, _("（%(code)s）这项指南属于“%(department)s”，您不能修改") % {
                        "code": code, "department": page.department.name})
                elif department is not None and department.pk != page.department_id:
                    folder = department_folder(department)
                    if folder is None or not permissions.can_move_to(folder):
                        refuse(guide.row, DEPARTMENT_HEADER, _("（%(code)s）把指南从“%(old)s”移交到“%(new)s”须由中心审核员办理") % {
                            "code": code, "old": page.department.name, "new": name})
                continue
            if department is None:
                if not roles.covers_every_department and name:
                    refuse(guide.row, DEPARTMENT_HEADER, _("（%(code)s）未知的部门“%(department)s”") % {"code": code, "department": name})
                continue
            folder = department_folder(department)
            if folder is None or not folder.permissions_for_user(self.user).can_add_subpage():
                refuse(guide.row, DEPARTMENT_HEADER, _("（%(code)s）您不能在“%(department)s”新建办事指南") % {
                    "code": code, "department": name})
        return errors

    def submit(self, workbook: Workbook, report) -> list[CellError]:
        """Once the import has written its drafts: submit each new or changed guide to its
        review workflow, or say why it cannot be (the whole upload is then rolled back)."""
        from guides.checklists import checklist_change
        from guides.models import GuidePage, RevisionChangeNote

        errors = []
        submissions = []
        for code in [*report.created, *report.updated]:
            row = workbook.by_code(code).row
            page = GuidePage.sources.get(code=code)

            def refuse(header: str, message: str, code=code, row=row) -> None:
                errors.append(CellError(GUIDE_SHEET.title, row, header, f"（{code}）{message}"))

            if page.workflow_in_progress:
                refuse("", _("这项指南正在审核中：请等审核结束（或撤回提交）后再上传修改"))
                continue
            workflow = page.get_workflow()
            if workflow is None or not page.permissions_for_user(self.user).can_submit_for_moderation():
                refuse("", _("这项指南不能提交审核"))
                continue
            major = checklist_change(page.get_latest_revision_as_object()).is_major
            if major and not RevisionChangeNote.text_of(page.latest_revision_id):
                refuse(NOTE_HEADER, _("受理清单有变化，请填写变更说明"))
            if major and self.effective_date is None:
                refuse("", _("受理清单有变化，请在上传时填写生效日期"))
            submissions.append((page, workflow, major))
        if errors:
            return errors
        for page, workflow, major in submissions:
            if major:
                # The revision the import has just written, in this transaction, gets the
                # effective date the edit form would have put in it (a go-live time: approved
                # before that day, it is scheduled).
                revision = page.get_latest_revision()
                revision.content["go_live_at"] = effective_moment(self.effective_date).isoformat()
                revision.save(update_fields=["content"])
            workflow.start(page, self.user)
        return []
