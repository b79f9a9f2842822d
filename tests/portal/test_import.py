import json

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Revision

from guides.importer import ImportFailed, import_guides
from guides.models import (
    ChecklistVersion,
    Department,
    GuideMaterial,
    GuidePage,
    GuideSituation,
    ServiceWindow,
)
from guides.serializers import serialize_guide
from tests.conftest import corpus_lines, jsonl, make_record

pytestmark = pytest.mark.django_db


def test_corpus_imports_and_round_trips(site):
    lines = corpus_lines()
    report = import_guides(lines, publish=True, findings_as_warnings=True)
    assert len(report.created) == 250 and len(report.published) == 250
    assert GuidePage.objects.live().count() == 250
    assert Department.objects.count() == 20
    assert ChecklistVersion.objects.count() == 250

    # Every corpus field comes back out of the serializer unchanged.
    for line in lines[::25]:
        source = json.loads(line)
        record = serialize_guide(GuidePage.objects.get(code=source["code"]))
        for key in ("name", "category", "department", "item_type", "summary", "conditions",
                    "legal_limit", "promised_limit", "visits", "online", "intake_window",
                    "delivery_window", "phone", "complaint_phone", "result", "service_object"):
            assert record[key] == source[key], (source["code"], key)
        assert [b["title"] for b in record["legal_basis"]] == source["legal_basis"]
        assert [m["name"] for m in record["materials"]] == [m["name"] for m in source["materials"]]
        assert [(m["original"], m["copies"], m["necessity"], m["situation"]) for m in record["materials"]] == [
            (m["original"], m["copies"], m["necessity"], m["situation"]) for m in source["materials"]
        ]
        assert [s["limit"] for s in record["steps"]] == [s["limit"] for s in source["steps"]]
        assert record["fee"]["charged"] == source["fee"]["charged"]

    # A second run of the same file changes nothing: no revision, no checklist version.
    revisions = Revision.objects.count()
    again = import_guides(lines, publish=True, findings_as_warnings=True)
    assert len(again.unchanged) == 250 and not again.updated and not again.created
    assert Revision.objects.count() == revisions
    assert ChecklistVersion.objects.count() == 250


def test_corpus_situations_become_yes_no_questions(site):
    line = next(line for line in corpus_lines() if "委托他人办理" in line)
    import_guides([line], publish=True)
    code = json.loads(line)["code"]
    record = serialize_guide(GuidePage.objects.get(code=code))
    assert {"question": "是否委托他人办理？", "options": ["委托他人办理"]}.items() <= {
        k: v for s in record["situations"] for k, v in s.items() if s["options"] == ["委托他人办理"]
    }.items()


def test_departments_and_windows_are_matched_or_created_by_name(site):
    import_guides(jsonl(make_record(intake_window="综合受理窗口 3号")), publish=True)
    assert ServiceWindow.objects.filter(name="综合受理窗口", numbers="3", role="intake").count() == 1
    assert Department.objects.filter(name="测试区市场监督管理局").count() == 1
    import_guides(jsonl(make_record(code="T-JY-0002", intake_window="综合受理窗口 3号")), publish=True)
    assert ServiceWindow.objects.filter(name="综合受理窗口", numbers="3").count() == 1
    assert Department.objects.filter(name="测试区市场监督管理局").count() == 1
    # The existing 1-9 window of the hall was reused, not duplicated.
    import_guides(jsonl(make_record(code="T-JY-0003")), publish=True)
    assert ServiceWindow.objects.filter(name="综合受理窗口", numbers="1-9").count() == 1


def test_bad_lines_are_all_reported_and_nothing_is_written(site):
    good = make_record(code="T-OK-0001")
    lines = [
        *jsonl(good),
        "{not json",
        *jsonl(make_record(code="T-BAD-0002", visits=5)),
        *jsonl(make_record(code="T-BAD-0003", promised_limit={"value": 30, "unit": "工作日"})),
        *jsonl(make_record(code="T-BAD-0004", phone="12")),
        *jsonl(make_record(code="T-OK-0001")),
        *jsonl(make_record(code="T-BAD-0006", materials=[])),
        "[1, 2]",
    ]
    with pytest.raises(ImportFailed) as failure:
        import_guides(lines, publish=True)
    reported = {error.line: str(error) for error in failure.value.errors}
    assert sorted(reported) == [2, 3, 4, 5, 6, 7, 8]
    assert "JSON" in reported[2]
    assert "到办事现场次数" in reported[3]
    assert "承诺办结时限" in reported[4]
    assert "电话" in reported[5]
    assert "重复" in reported[6]
    assert "申请材料" in reported[7]
    assert GuidePage.objects.count() == 0
    assert Department.objects.count() == 0
    assert not ServiceWindow.objects.filter(numbers="").exists()


def test_update_by_code_keeps_situation_keys_and_bumps_checklist_once(site):
    import_guides(jsonl(make_record()), publish=True)
    page = GuidePage.objects.get(code="T-JY-0001")
    assert page.checklist_version == 1
    key = page.situations.get().key

    changed = make_record(summary="新的说明")
    changed["materials"][1]["copies"] = 2
    changed["materials"].insert(0, dict(changed["materials"][0], name="经营场所证明", situation="租赁场所"))
    changed["situations"] = [
        {"question": "经营场所是否租赁？", "options": ["租赁场所"]},
        {"question": "是否委托他人办理？", "options": ["委托他人办理"]},
    ]
    report = import_guides(jsonl(changed), publish=True)
    assert report.updated == ["T-JY-0001"]
    page.refresh_from_db()
    assert page.checklist_version == 2
    keys = {s.question: s.key for s in page.situations.all()}
    assert keys["是否委托他人办理？"] == key
    assert keys["经营场所是否租赁？"] not in (key, "")


def test_import_command_reports_lines_and_exits_non_zero(site, tmp_path, capsys):
    path = tmp_path / "guides.jsonl"
    path.write_text("\n".join([*jsonl(make_record()), '{"code": "X-1"}']), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_guides", str(path), "--publish", "--no-progress")
    assert "第 2 行" in capsys.readouterr().err
    assert GuidePage.objects.count() == 0

    path.write_text("\n".join(jsonl(make_record())), encoding="utf-8")
    call_command("import_guides", str(path), "--publish", "--no-progress")
    assert GuidePage.objects.live().count() == 1


def test_import_command_reports_bytes_that_are_not_utf8_with_their_line(site, tmp_path, capsys):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes("\n".join(jsonl(make_record())).encode("utf-8") + "\n{\"name\": \"é\"}".encode("latin-1"))
    with pytest.raises(CommandError, match="1 处错误"):
        call_command("import_guides", str(path), "--no-progress")
    assert "第 2 行：不是 UTF-8 编码的文本（第 11 个字节）" in capsys.readouterr().err
    assert GuidePage.objects.count() == 0


def test_import_command_rejects_a_missing_file(site, tmp_path):
    with pytest.raises(CommandError, match="无法读取"):
        call_command("import_guides", str(tmp_path / "missing.jsonl"), "--no-progress")


# --- reading and validating lines (issue 14, item 7) -----------------------------------------


def test_lines_are_split_on_newlines_only_and_a_bom_and_crlf_are_accepted(site, tmp_path):
    # U+2028, U+2029 and U+0085 are line breaks to str.splitlines, not to JSON Lines.
    summary = "第一段\u2028第二段\u2029第三段\u0085第四段"
    first = json.dumps(make_record(summary=summary), ensure_ascii=False)
    second = json.dumps(make_record(code="T-JY-0002"), ensure_ascii=False)
    path = tmp_path / "guides.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + first.encode("utf-8") + b"\r\n" + second.encode("utf-8") + b"\r\n")
    call_command("import_guides", str(path), "--publish", "--no-progress")
    assert GuidePage.objects.get(code="T-JY-0001").summary == summary
    assert GuidePage.objects.live().count() == 2


def test_every_undecodable_line_is_a_numbered_error(site):
    lines = [
        *jsonl(make_record()),
        "[" * 100_000 + "]" * 100_000,  # nesting deeper than the parser recurses
        '{"code": "T-X-1", "digits": ' + "9" * 5000 + "}",  # more digits than Python converts
        json.dumps(make_record(code="T-NUL-1", summary="含空字符\u0000")),
        '{"code": "T-SUR-1", "summary": "\\ud800"}',
        "{'code': 'single quotes'}",
        '"a string"',
        '{"record": "unknown-kind"}',
    ]
    with pytest.raises(ImportFailed) as failure:
        import_guides(lines, publish=True)
    reported = {error.line: str(error) for error in failure.value.errors}
    assert sorted(reported) == [2, 3, 4, 5, 6, 7, 8]
    assert "嵌套过深" in reported[2]
    assert "不是可导入的 JSON" in reported[3]
    assert "空字符" in reported[4]
    assert "代理字符" in reported[5]
    assert "不是有效的 JSON（第 2 列" in reported[6]
    assert "每行应为一个 JSON 对象" in reported[7]
    assert "未知的记录类型“unknown-kind”" in reported[8]
    assert GuidePage.objects.count() == 0


def test_field_validation_is_the_models_for_the_page_and_every_inline_row(site):
    long_key = make_record(code="T-KEY-1")
    long_key["situations"] = [{"key": "k" * 21, "question": "是否委托他人办理？", "options": ["委托他人办理"]}]
    long_material = make_record(code="T-MAT-1")
    long_material["materials"][1]["name"] = "材" * 201
    lines = jsonl(
        long_key,
        long_material,
        make_record(code="T-NAME-1", name="名" * 256),
        make_record(code="bad code!"),
        make_record(code="T-DEP-1", department="部" * 101),
        make_record(code="T-CAT-1", category="其他类"),
        make_record(code="T-WIN-1", intake_window="窗" * 101 + " 3号"),
        make_record(code="T-URL-1", online_url="not a url"),
        make_record(code="T-OK-1"),
    )
    with pytest.raises(ImportFailed) as failure:
        import_guides(lines, publish=True)
    reported = {error.line: str(error) for error in failure.value.errors}
    assert sorted(reported) == [1, 2, 3, 4, 5, 6, 7, 8], reported
    assert "情形问题第 1 项 · 标识：" in reported[1] and "20" in reported[1]
    assert "申请材料第 2 项 · 材料名称：" in reported[2] and "200" in reported[2]
    assert "标题" in reported[3] and "255" in reported[3]
    assert "实施编码：编码只能包含字母、数字、连字符、下划线和点" in reported[4]
    assert "部门：部门名称：" in reported[5] and "100" in reported[5]
    assert "版块：" in reported[6] and "其他类" in reported[6]
    assert "窗口：窗口名称：" in reported[7]
    assert "网上办理地址：" in reported[8]
    assert GuidePage.objects.count() == 0
    assert not GuideSituation.objects.exists()
    assert not Department.objects.filter(name__startswith="部部").exists()


def test_without_a_guide_index_every_line_is_still_checked_and_reported(db):
    lines = jsonl(make_record(), make_record(code="T-BAD-1", visits=7), make_record(code="T-BAD-2", phone="12"))
    with pytest.raises(ImportFailed) as failure:
        import_guides(lines, publish=True)
    reported = [(error.line, str(error)) for error in failure.value.errors]
    assert [line for line, _ in reported] == [0, 2, 3]
    assert "办事指南目录" in reported[0][1]
    assert "到办事现场次数" in reported[1][1] and "电话" in reported[2][1]
    assert GuidePage.objects.count() == 0 and Department.objects.count() == 0


def test_imported_rows_are_numbered_in_the_records_order_and_ties_keep_it(publish_guide):
    page = publish_guide()
    assert list(page.materials.values_list("sort_order", flat=True)) == [0, 1, 2, 3]
    assert list(page.steps.values_list("sort_order", flat=True)) == [0, 1, 2, 3, 4]
    names = [m["name"] for m in make_record()["materials"]]
    # Rows without a position (as imports wrote them before) read in the order they were written,
    # on every database.
    GuideMaterial.objects.filter(guide=page).update(sort_order=None)
    assert [m["name"] for m in serialize_guide(GuidePage.objects.get(pk=page.pk))["materials"]] == names
