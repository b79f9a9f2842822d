"""The national fields of a guide (行使层级, 委托部门, 联办机构, 中介服务, 特别程序, 办件类型,
结果有效期, 材料依据, 审查标准) through the import, the model, the record, the export and the
pages citizens read; records that predate them still import."""

import io
import json

import pytest
from django.core.management import call_command

from guides.importer import ImportFailed, import_guides
from guides.models import GuidePage
from guides.serializers import checklist_of, serialize_guide
from tests.conftest import jsonl, make_record

pytestmark = pytest.mark.django_db

NATIONAL = {
    "exercise_level": "县级",
    "entrusting_department": "江城市市场监督管理局",
    "co_handlers": ["测试区税务局", "测试区公安分局"],
    "intermediary_services": "经营场所检测报告：由申请人自主委托检测机构出具",
    "special_procedures": "专家评审（5个工作日，不计入办结时限）",
    "handling_type": "承诺件",
    "result_validity": "5年",
}
MATERIAL_BASIS = "《食品经营许可和备案管理办法》第十二条"
REVIEW_STANDARD = "材料齐全、符合法定形式的，予以受理"


def national_record(**overrides):
    record = make_record(**NATIONAL)
    record["materials"][0]["basis"] = MATERIAL_BASIS
    record["steps"][1]["review_standard"] = REVIEW_STANDARD
    record.update(overrides)
    return record


def test_the_fields_are_imported_stored_and_serialized(site):
    import_guides(jsonl(national_record()), publish=True)
    page = GuidePage.objects.get(code="T-JY-0001")
    assert (page.exercise_level, page.entrusting_department, page.co_handlers) == (
        "县级", "江城市市场监督管理局", "测试区税务局、测试区公安分局",
    )
    assert (page.handling_type, page.result_validity) == ("承诺件", "5年")
    assert page.special_procedures == NATIONAL["special_procedures"]
    assert page.materials.get(name="食品经营许可申请书").basis == MATERIAL_BASIS
    assert page.steps.get(name="受理").review_standard == REVIEW_STANDARD

    record = serialize_guide(page)
    assert {key: record[key] for key in NATIONAL} == NATIONAL
    assert [m["basis"] for m in record["materials"]] == [MATERIAL_BASIS, "", "", ""]
    assert [s["review_standard"] for s in record["steps"]] == ["", REVIEW_STANDARD, "", "", ""]
    checklist, digest = checklist_of(record)
    assert checklist["handling_type"] == "承诺件" and page.checklist_fingerprint == digest


def test_export_then_import_changes_nothing_and_a_record_without_them_still_imports(site, tmp_path):
    old = make_record(code="T-JY-0002")  # a record as written before the fields existed
    report = import_guides(jsonl(national_record(), old), publish=True)
    assert report.created == ["T-JY-0001", "T-JY-0002"]
    plain = serialize_guide(GuidePage.objects.get(code="T-JY-0002"))
    assert (plain["handling_type"], plain["exercise_level"], plain["co_handlers"], plain["result_validity"]) == ("", "", [], "")
    assert {m["basis"] for m in plain["materials"]} == {""} and {s["review_standard"] for s in plain["steps"]} == {""}
    # Its checklist is the one the same record had before: no national key in it.
    assert "handling_type" not in checklist_of(plain)[0]

    path = tmp_path / "catalogue.jsonl"
    call_command("export_guides", str(path), stderr=io.StringIO())
    lines = path.read_text(encoding="utf-8").splitlines()
    exported = {json.loads(line)["code"]: json.loads(line) for line in lines if json.loads(line).get("record") == "guide"}
    assert {key: exported["T-JY-0001"][key] for key in NATIONAL} == NATIONAL
    assert exported["T-JY-0001"]["steps"][1]["review_standard"] == REVIEW_STANDARD
    assert exported["T-JY-0001"]["materials"][0]["basis"] == MATERIAL_BASIS
    versions = dict(GuidePage.objects.values_list("code", "checklist_version"))

    again = import_guides(lines, publish=True)
    assert again.unchanged == ["T-JY-0001", "T-JY-0002"] and not again.updated
    assert dict(GuidePage.objects.values_list("code", "checklist_version")) == versions
    # And the old file again: nothing to change either.
    assert import_guides(jsonl(old), publish=True).unchanged == ["T-JY-0002"]


def test_a_non_binding_edit_is_an_update_with_the_same_checklist_and_a_binding_one_a_new_version(site):
    import_guides(jsonl(national_record()), publish=True)
    page = GuidePage.objects.get(code="T-JY-0001")
    fingerprint = page.checklist_fingerprint

    edited = national_record(result_validity="长期有效", co_handlers=["测试区税务局"], special_procedures="")
    edited["materials"][0]["basis"] = "《中华人民共和国食品安全法》第三十五条"
    assert import_guides(jsonl(edited), publish=True).updated == ["T-JY-0001"]
    page.refresh_from_db()
    assert (page.result_validity, page.checklist_version, page.checklist_fingerprint) == ("长期有效", 1, fingerprint)

    edited["steps"][2]["review_standard"] = "符合受理条件的，作出准予许可的决定"
    import_guides(jsonl(edited), publish=True)
    page.refresh_from_db()
    assert page.checklist_version == 2 and page.checklist_fingerprint != fingerprint


def test_bad_values_fail_the_import_with_their_field_and_write_nothing(site):
    bad = national_record(exercise_level="区级", co_handlers="测试区税务局", handling_type="加急件")
    bad["steps"][0]["review_standard"] = ["材料齐全"]
    with pytest.raises(ImportFailed) as failure:
        import_guides(jsonl(make_record(code="T-OK-0001"), bad), publish=True)
    [message] = [str(error) for error in failure.value.errors]
    assert message.startswith("第 2 行（T-JY-0001）")
    assert "行使层级“区级”不是可选值" in message
    assert "办件类型“加急件”不是可选值（即办件、承诺件）" in message
    assert "第 1 个环节：字段 review_standard 应为文本" in message
    assert not GuidePage.objects.exists()

    # A string of names is a list of 联办机构; one that contradicts the promised limit is refused
    # by the model's rules, as in the admin.
    with pytest.raises(ImportFailed) as failure:
        import_guides(jsonl(national_record(handling_type="即办件")), publish=True)
    assert "办件类型：即办件的承诺办结时限应为即办，现为10个工作日" in str(failure.value.errors[0])
    too_long = national_record(result_validity="有" * 101)
    with pytest.raises(ImportFailed) as failure:
        import_guides(jsonl(too_long), publish=True)
    assert "结果有效期" in str(failure.value.errors[0])
    assert not GuidePage.objects.exists()
    import_guides(jsonl(national_record(co_handlers="测试区税务局、测试区公安分局")), publish=True)
    assert serialize_guide(GuidePage.objects.get())["co_handlers"] == ["测试区税务局", "测试区公安分局"]


def test_the_guide_page_and_the_kiosk_show_them(client, site):
    import_guides(jsonl(national_record()), publish=True)
    html = client.get("/guides/t-jy-0001/").content.decode()
    for text in (
        "<dt>办件类型</dt><dd>承诺件</dd>", "<dt>行使层级</dt><dd>县级</dd>",
        "<dt>委托部门</dt><dd>江城市市场监督管理局</dd>", "<dt>联办机构</dt><dd>测试区税务局、测试区公安分局</dd>",
        "<dt>中介服务</dt><dd>经营场所检测报告：由申请人自主委托检测机构出具</dd>",
        "<dt>特别程序</dt><dd>专家评审（5个工作日，不计入办结时限）</dd>", "<dt>结果有效期</dt><dd>5年</dd>",
        f"材料依据：{MATERIAL_BASIS}", f"<strong>审查标准：</strong>{REVIEW_STANDARD}",
    ):
        assert text in html, text

    kiosk = client.get("/kiosk/g/T-JY-0001/").content.decode()
    for text in ("<dt>办件类型</dt><dd>承诺件</dd>", "<h3>中介服务</h3>", "<h3>特别程序</h3>", "结果有效期：5年"):
        assert text in kiosk, text


def test_a_guide_without_them_shows_no_empty_headings(client, site):
    import_guides(jsonl(make_record()), publish=True)
    html = client.get("/guides/t-jy-0001/").content.decode()
    for label in ("办件类型", "行使层级", "委托部门", "联办机构", "中介服务", "特别程序", "结果有效期", "材料依据", "审查标准"):
        assert label not in html, label


def test_the_english_page_shows_the_choices_in_english(client, site):
    import_guides(jsonl(national_record()), publish=True)
    html = client.get("/en/guides/t-jy-0001/").content.decode()
    assert "<dt>Handling type</dt><dd>Handled within a promised time</dd>" in html
    assert "<dt>Level of exercise</dt><dd>County level</dd>" in html


def test_the_excel_workbook_carries_them_both_ways(site):
    from openpyxl import load_workbook

    from guides.excel import (
        GUIDE_SHEET,
        MATERIAL_SHEET,
        STEP_SHEET,
        export_records,
        import_workbook,
        write_workbook,
    )

    import_guides(jsonl(national_record()), publish=True)
    records = list(export_records(GuidePage.objects.order_by("path")))
    stream = io.BytesIO()
    write_workbook(records, stream)
    workbook = load_workbook(io.BytesIO(stream.getvalue()))

    def cells(sheet, row=2):
        worksheet = workbook[sheet.title]
        return {worksheet.cell(row=1, column=n).value: worksheet.cell(row=row, column=n).value for n in range(1, worksheet.max_column + 1)}

    guide = cells(GUIDE_SHEET)
    assert (guide["行使层级"], guide["委托部门"], guide["联办机构"]) == ("县级", "江城市市场监督管理局", "测试区税务局、测试区公安分局")
    assert (guide["办件类型"], guide["结果有效期"]) == ("承诺件", "5年")
    assert guide["中介服务"] == NATIONAL["intermediary_services"] and guide["特别程序"] == NATIONAL["special_procedures"]
    assert cells(MATERIAL_SHEET)["材料依据"] == MATERIAL_BASIS
    assert cells(STEP_SHEET, row=3)["审查标准"] == REVIEW_STANDARD

    # Unchanged, the workbook changes nothing; one national cell edited changes that field only.
    assert import_workbook(stream.getvalue()).unchanged == ["T-JY-0001"]
    sheet = workbook[GUIDE_SHEET.title]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=2, column=header.index("结果有效期") + 1, value="长期")
    edited = io.BytesIO()
    workbook.save(edited)
    assert import_workbook(edited.getvalue()).updated == ["T-JY-0001"]
    page = GuidePage.objects.get(code="T-JY-0001")
    assert page.get_latest_revision_as_object().result_validity == "长期"
    assert page.get_latest_revision_as_object().exercise_level == "县级"
