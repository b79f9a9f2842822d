"""The corpus in Excel: ``export_guides --format xlsx`` then ``import_guides FILE.xlsx`` changes
nothing; an edited cell changes exactly that guide, that field."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from guides.excel import GUIDE_SHEET, MATERIAL_SHEET, SHEETS, import_workbook
from guides.models import GuidePage, RevisionChangeNote
from tests.conftest import imported_corpus
from tests.portal.test_excel import (
    edited,
    find_row,
    header_position,
    latest_records,
    state,
    workbook_bytes,
)


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker):
    with imported_corpus(django_db_blocker):
        yield



def test_corpus_export_then_import_changes_nothing(corpus, db, tmp_path):
    path = tmp_path / "catalogue.xlsx"
    call_command("export_guides", "--format", "xlsx", str(path))
    workbook = load_workbook(path)
    assert workbook.sheetnames[: len(SHEETS)] == [sheet.title for sheet in SHEETS]
    guides = workbook[GUIDE_SHEET.title]
    assert [cell.value for cell in guides[1]] == [column.header for column in GUIDE_SHEET.columns]
    assert guides.max_row == 1 + 250
    materials = workbook[MATERIAL_SHEET.title]
    assert materials.max_row - 1 == sum(len(page.materials.all()) for page in GuidePage.objects.all())
    # Choice fields carry drop-down lists; multi-line text is kept as text.
    validated = {str(validation.sqref).split(":")[0] for validation in materials.data_validations.dataValidation}
    form_letter = materials.cell(row=1, column=header_position(materials, "材料形式")).column_letter
    assert f"{form_letter}2" in validated
    assert all(validation.type == "list" for validation in materials.data_validations.dataValidation)

    before, records = state(), latest_records()
    out = io.StringIO()
    # Three corpus guides name catch-all materials (a blocking finding), as they were imported.
    call_command("import_guides", str(path), "--findings-as-warnings", stdout=out)
    assert "新建 0，更新 0，未变 250" in out.getvalue()
    assert state() == before
    assert latest_records() == records


def test_editing_one_cell_changes_exactly_that(corpus, db):
    code = "LW-GC-0001"
    records = latest_records()
    number = records[code]["materials"][1]["copies"]

    def edit(workbook):
        sheet = workbook[MATERIAL_SHEET.title]
        sheet.cell(row=find_row(sheet, code, 2), column=header_position(sheet, "复印件份数"), value=number + 2)
        sheet = workbook[GUIDE_SHEET.title]
        sheet.cell(row=find_row(sheet, code), column=header_position(sheet, "变更说明"), value="营业执照复印件改为三份")

    report = import_workbook(edited(workbook_bytes(), edit), findings_as_warnings=True)
    assert report.updated == [code]
    assert report.created == [] and len(report.unchanged) == 249
    after = latest_records()
    expected = records[code]
    expected["materials"][1]["copies"] = number + 2
    assert after[code] == expected
    assert {c: r for c, r in after.items() if c != code} == {c: r for c, r in records.items() if c != code}
    page = GuidePage.objects.get(code=code)
    assert page.has_unpublished_changes  # a draft: imported without --publish
    assert RevisionChangeNote.text_of(page.latest_revision_id) == "营业执照复印件改为三份"
