"""Guide catalogues in Excel (guides.excel): ``export_guides --format xlsx`` and ``import_guides
FILE.xlsx`` round-trip the corpus without a change, an edited cell changes exactly that, and bad
workbooks are refused with errors naming sheet, row and column, writing nothing."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook
from wagtail.models import Revision

from guides.excel import (
    CODE_HEADER,
    GUIDE_SHEET,
    MATERIAL_SHEET,
    STEP_SHEET,
    WorkbookFailed,
    export_records,
    import_workbook,
    write_workbook,
)
from guides.models import ChecklistVersion, GuidePage
from tests.conftest import make_record


def latest_records() -> dict[str, dict]:
    return {record["code"]: record for record in export_records(GuidePage.objects.order_by("path"))}


def state() -> tuple:
    """What an import that writes nothing leaves as it was."""
    return (
        GuidePage.objects.count(),
        Revision.objects.count(),
        ChecklistVersion.objects.count(),
        sorted(GuidePage.objects.values_list("code", "latest_revision_id", "live_revision_id", "checklist_fingerprint")),
    )


def workbook_bytes(pages=None) -> bytes:
    stream = io.BytesIO()
    write_workbook(export_records(pages if pages is not None else GuidePage.objects.order_by("path")), stream)
    return stream.getvalue()


def edited(data: bytes, edit) -> bytes:
    """``data`` with ``edit(workbook)`` applied, saved as Excel would."""
    workbook = load_workbook(io.BytesIO(data))
    edit(workbook)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def header_position(worksheet, header: str) -> int:
    return [cell.value for cell in worksheet[1]].index(header) + 1


def find_row(worksheet, code: str, nth: int = 1) -> int:
    """The row of the ``nth`` entry of guide ``code`` in a sheet (code in column A)."""
    rows = [row for row in range(2, worksheet.max_row + 1) if worksheet.cell(row=row, column=1).value == code]
    return rows[nth - 1]


def failure(data: bytes, **options) -> list:
    with pytest.raises(WorkbookFailed) as raised:
        import_workbook(data, **options)
    return raised.value.errors


# --- one guide -------------------------------------------------------------------------------------


@pytest.fixture
def one_guide(publish_guide):
    return publish_guide(
        summary="=SUM(A1:A2) 不是公式，是文字",
        conditions="第一行\n第二行",
        legal_basis=[{"title": "《食品安全法》", "document_number": "主席令第21号", "excerpt": "第三十五条"}],
        fee={"charged": True, "items": [{"name": "工本费", "standard": "10元/本", "basis": "", "reduction": ""}]},
        faq=[{"question": "要多久？", "answer": "十个工作日"}],
        aliases=["食品许可", "食品证"],
    )


def test_text_stays_text_and_every_sheet_round_trips(one_guide, db):
    data = workbook_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = "".join(archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/"))
    assert "<f>" not in sheet_xml  # no formula in the file
    workbook = load_workbook(io.BytesIO(data))
    guides = workbook[GUIDE_SHEET.title]
    assert guides.cell(row=2, column=header_position(guides, "事项简介")).value == "=SUM(A1:A2) 不是公式，是文字"
    assert guides.cell(row=2, column=header_position(guides, "受理条件")).value == "第一行\n第二行"
    assert guides.cell(row=2, column=header_position(guides, "可网上办理")).value == "是"
    steps = workbook[STEP_SHEET.title]
    assert [steps.cell(row=row, column=2).value for row in range(2, steps.max_row + 1)] == [
        "申请", "受理", "审查", "现场核查", "出件"
    ]

    before, records = state(), latest_records()
    report = import_workbook(data)
    assert report.unchanged == [one_guide.code]
    assert state() == before and latest_records() == records


def test_a_new_guide_from_a_workbook(site, db):
    from guides.importer import comparable, normalize_record

    record = normalize_record(make_record(code="T-XL-0001"))
    stream = io.BytesIO()
    assert write_workbook([record], stream) == 1
    report = import_workbook(stream.getvalue())
    assert report.created == ["T-XL-0001"]
    page = GuidePage.objects.get(code="T-XL-0001")
    assert not page.live  # a draft: imported without --publish
    draft = latest_records()["T-XL-0001"]
    assert comparable(draft) == comparable(record)
    assert draft["situations"] and draft["steps"][1]["limit"] == {"value": 0, "unit": "即办"}


# --- bad input: a clear error, nothing written ------------------------------------------------------


def test_not_a_workbook(one_guide, db):
    before = state()
    for data in (b"code,name\nA,B\n", b"PK\x03\x04 broken", b""):
        errors = failure(data)
        assert [str(error) for error in errors] == ["工作簿：不是 Excel 工作簿（XLSX），或文件已损坏"]
    assert state() == before


def test_missing_sheet(one_guide, db):
    before = state()
    data = edited(workbook_bytes(), lambda workbook: workbook.remove(workbook[STEP_SHEET.title]))
    errors = failure(data)
    assert [(e.sheet, e.row, e.column) for e in errors] == [("办理流程", 0, "")]
    assert "缺少工作表“办理流程”" in str(errors[0])
    assert state() == before


def test_renamed_header(one_guide, db):
    before = state()

    def rename(workbook):
        sheet = workbook[MATERIAL_SHEET.title]
        sheet.cell(row=1, column=header_position(sheet, "材料形式"), value="形式")

    errors = failure(edited(workbook_bytes(), rename))
    assert {(e.sheet, e.row, e.column) for e in errors} == {("申请材料", 1, "形式"), ("申请材料", 1, "材料形式")}
    assert any("缺少列“材料形式”" in str(e) for e in errors)
    assert state() == before


def test_unknown_code(one_guide, db):
    before = state()

    def edit(workbook):
        sheet = workbook[MATERIAL_SHEET.title]
        sheet.cell(row=3, column=1, value="NO-SUCH-CODE")

    errors = failure(edited(workbook_bytes(), edit))
    assert [(e.sheet, e.row, e.column) for e in errors] == [("申请材料", 3, CODE_HEADER)]
    assert "NO-SUCH-CODE" in errors[0].message
    assert state() == before


def test_formula_cell(one_guide, db):
    before = state()

    def edit(workbook):
        sheet = workbook[MATERIAL_SHEET.title]
        sheet.cell(row=2, column=header_position(sheet, "原件份数"), value="=1+1")

    errors = failure(edited(workbook_bytes(), edit))
    assert [(e.sheet, e.row, e.column) for e in errors] == [("申请材料", 2, "原件份数")]
    assert "公式" in errors[0].message
    assert state() == before


def test_bad_cells_and_the_importers_errors_name_their_cells(one_guide, db):
    before = state()

    def edit(workbook):
        guides = workbook[GUIDE_SHEET.title]
        guides.cell(row=2, column=header_position(guides, "可网上办理"), value="也许")
        materials = workbook[MATERIAL_SHEET.title]
        materials.cell(row=3, column=header_position(materials, "材料形式"), value="口头")
        steps = workbook[STEP_SHEET.title]
        steps.cell(row=4, column=header_position(steps, "环节名称")).value = None

    errors = failure(edited(workbook_bytes(), edit))
    located = {(e.sheet, e.row, e.column) for e in errors}
    assert ("办事指南", 2, "可网上办理") in located
    assert ("申请材料", 3, "材料形式") in located
    assert state() == before


def test_importer_errors_are_mapped_to_cells(one_guide, db):
    before = state()

    def shape(workbook):  # what the importer finds reading a line
        steps = workbook[STEP_SHEET.title]
        steps.cell(row=4, column=header_position(steps, "环节名称")).value = None

    errors = failure(edited(workbook_bytes(), shape))
    assert [(e.sheet, e.row, e.column) for e in errors] == [("办理流程", 4, "环节名称")], errors
    assert "不能为空" in errors[0].message

    def model(workbook):  # what the models' validation finds writing it
        guides = workbook[GUIDE_SHEET.title]
        guides.cell(row=2, column=header_position(guides, "咨询电话"), value="abc")
        materials = workbook[MATERIAL_SHEET.title]
        materials.cell(row=3, column=header_position(materials, "材料名称"), value="材" * 300)

    errors = failure(edited(workbook_bytes(), model))
    assert [(e.sheet, e.row, e.column) for e in errors] == [("办事指南", 2, "咨询电话"), ("申请材料", 3, "材料名称")]
    assert all(e.message.startswith(f"（{one_guide.code}）") for e in errors)
    assert state() == before


def test_huge_files_are_refused_unread(one_guide, db, monkeypatch):
    import guides.excel

    before = state()
    data = workbook_bytes()
    monkeypatch.setattr(guides.excel, "MAX_FILE_BYTES", len(data) - 1)
    assert "文件过大" in str(failure(data)[0])
    monkeypatch.undo()
    # A small file that unpacks to much more than it weighs (a zip bomb).
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (guides.excel.MAX_UNPACKED_BYTES + 1))
    assert len(bomb.getvalue()) < 1024 * 1024
    assert "解压后过大" in str(failure(bomb.getvalue())[0])
    assert state() == before


def test_command_reports_cells_and_fails(one_guide, db, tmp_path):
    path = tmp_path / "bad.xlsx"

    def edit(workbook):
        sheet = workbook[MATERIAL_SHEET.title]
        sheet.cell(row=2, column=1, value="NO-SUCH-CODE")

    path.write_bytes(edited(workbook_bytes(), edit))
    err = io.StringIO()
    with pytest.raises(CommandError, match="未写入任何内容"):
        call_command("import_guides", str(path), stderr=err)
    assert "工作表“申请材料”第 2 行“实施编码”列" in err.getvalue()


def test_a_guide_twice(one_guide, db):
    before = state()

    def twice(workbook):
        sheet = workbook[GUIDE_SHEET.title]
        sheet.append([cell.value for cell in sheet[2]])
        sheet.cell(row=3, column=header_position(sheet, "事项简介"), value="简介")  # (no formula)

    errors = failure(edited(workbook_bytes(), twice))
    assert [(e.sheet, e.row, e.column) for e in errors] == [("办事指南", 3, CODE_HEADER)]
    assert "与第 2 行重复" in errors[0].message
    assert state() == before


def test_excel_booleans_and_numbers_typed_as_such_are_read(one_guide, db):
    def typed(workbook):
        sheet = workbook[GUIDE_SHEET.title]
        sheet.cell(row=2, column=header_position(sheet, "可网上办理"), value=False)
        sheet.cell(row=2, column=header_position(sheet, "监督投诉电话"), value=12345)
        sheet.cell(row=2, column=header_position(sheet, "法定办结时限"), value="20")

    report = import_workbook(edited(workbook_bytes(), typed))
    assert report.updated == [one_guide.code]
    record = latest_records()[one_guide.code]
    assert record["online"] is False and record["complaint_phone"] == "12345"
    assert record["legal_limit"] == {"value": 20, "unit": "工作日"}
