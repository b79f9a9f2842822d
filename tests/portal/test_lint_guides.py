"""The quality rules at the import (blocking findings are line errors, or warnings when asked)
and ``manage.py lint_guides`` (every guide's findings, the halls' calendars, the exit status)."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from guides.importer import ImportFailed, import_guides
from guides.models import GuidePage, HallCalendarDay
from tests.conftest import jsonl, make_record

pytestmark = pytest.mark.django_db


def catch_all_record(code="T-JY-0002", **fields):
    record = make_record(code=code, name="食品经营备案", **fields)
    record["materials"][1]["name"] = "其他相关材料"
    return record


def test_a_line_with_blocking_findings_fails_the_import_naming_the_guide_and_the_rule(site):
    bad = catch_all_record(steps=[])
    with pytest.raises(ImportFailed) as failure:
        import_guides(jsonl(make_record(), bad), publish=True)
    (error,) = failure.value.errors
    assert (error.line, error.code) == (2, "T-JY-0002")
    assert "L101 材料“其他相关材料”使用了兜底表述" in error.message and "L501 没有列出办理流程" in error.message
    assert "第 2 行（T-JY-0002）：L101" in str(error)
    # All or nothing, as for any other bad line.
    assert not GuidePage.objects.exists()
    # A draft import is checked the same way.
    with pytest.raises(ImportFailed):
        import_guides(jsonl(bad), publish=False)
    assert not GuidePage.objects.exists()


def test_a_rule_the_model_checks_too_is_reported_once(site):
    record = make_record(promised_limit={"value": 30, "unit": "工作日"})
    with pytest.raises(ImportFailed) as failure:
        import_guides(jsonl(record), publish=True)
    (error,) = failure.value.errors
    assert error.message.count("不得超过法定办结时限") == 1 and "L203" not in error.message


def test_findings_taken_as_warnings_are_imported_published_and_reported(site):
    report = import_guides(jsonl(make_record(), catch_all_record()), publish=True, findings_as_warnings=True)
    assert report.published == ["T-JY-0001", "T-JY-0002"]
    assert [f.code for f in report.findings["T-JY-0002"]] == ["L101", "L104", "L104", "L104", "L104"]
    assert [f.code for f in report.findings["T-JY-0001"]] == ["L104"] * 4
    page = GuidePage.objects.get(code="T-JY-0002")
    assert page.live and (page.lint_blocking, page.lint_warnings) == (1, 4)


def test_import_command_option(site, tmp_path):
    path = tmp_path / "guides.jsonl"
    path.write_text("\n".join(jsonl(catch_all_record())), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 处错误"):
        call_command("import_guides", str(path), "--publish", "--no-progress", stderr=err)
    assert "L101" in err.getvalue()
    out, err = io.StringIO(), io.StringIO()
    call_command("import_guides", str(path), "--publish", "--no-progress", "--findings-as-warnings", stdout=out, stderr=err)
    assert "T-JY-0002：L101" in err.getvalue() and "按提醒导入" in err.getvalue()
    assert "质量检查提醒：4 项" in out.getvalue()
    assert GuidePage.objects.get(code="T-JY-0002").live


def lint_guides(*args):
    out = io.StringIO()
    try:
        call_command("lint_guides", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue(), str(error)
    return 0, out.getvalue(), ""


def test_lint_guides_exits_1_for_a_live_guide_with_blocking_findings(site):
    import_guides(jsonl(make_record(), catch_all_record(department="测试区公安分局")), publish=True, findings_as_warnings=True)
    status, out, error = lint_guides("--format", "json", "--today", "2026-11-30")
    assert status == 1 and "1 条已发布或审核中的指南有阻断性问题" in error
    report = json.loads(out)
    by_code = {guide["code"]: guide for guide in report["guides"]}
    assert by_code["T-JY-0002"]["state"] == "live"
    assert by_code["T-JY-0002"]["findings"][0] == {
        "code": "L101", "severity": "blocking", "field": "materials[1].name",
        "message": "材料“其他相关材料”使用了兜底表述“其他相关材料”：请逐项写明需要提交的材料",
    }
    assert {f["code"] for f in by_code["T-JY-0001"]["findings"]} == {"L104"}
    assert report["summary"] == {"guides": 2, "with_blocking": 1, "with_findings": 2, "gating": ["T-JY-0002"]}
    assert report["rules"]["L101"]["severity"] == "blocking" and report["halls"][0]["findings"] == []

    # One department: the other's guide is not checked, and nothing blocks.
    market = GuidePage.objects.get(code="T-JY-0001").department.code
    status, out, _ = lint_guides("--department", market, "--format", "json", "--today", "2026-11-30")
    assert status == 0 and [guide["code"] for guide in json.loads(out)["guides"]] == ["T-JY-0001"]
    assert lint_guides("--department", "NOPE")[0] == 1


def test_lint_guides_text_report_and_drafts_do_not_fail_it(site):
    import_guides(jsonl(catch_all_record()), publish=False, findings_as_warnings=True)
    status, out, _ = lint_guides("--today", "2026-11-30")
    assert status == 0
    assert "T-JY-0002 食品经营备案（测试区市场监督管理局，草稿）" in out
    assert "  L101 [阻断] materials[1].name：材料“其他相关材料”使用了兜底表述" in out
    assert "共 1 条指南：1 条有阻断性问题，1 条有问题；0 条已发布或审核中的指南有阻断性问题" in out


def test_lint_guides_counts_guides_saved_before_the_rules(site, publish_guide):
    page = publish_guide()
    GuidePage.objects.filter(pk=page.pk).update(lint_blocking=None, lint_warnings=None)
    lint_guides("--today", "2026-11-30")
    page.refresh_from_db()
    assert (page.lint_blocking, page.lint_warnings) == (0, 4)


def test_lint_guides_checks_the_hall_calendar_from_december(site, publish_guide):
    publish_guide()
    assert lint_guides("--today", "2026-11-30")[1].count("L901") == 0
    status, out, _ = lint_guides("--today", "2026-12-01")
    assert status == 0  # a warning
    assert "测试区政务服务中心  L901 [提醒] 服务大厅“测试区政务服务中心”尚未录入 2027 年的休息日（节假日）" in out
    HallCalendarDay.objects.create(hall=site["hall"], date=date(2027, 1, 1), kind="closed", note="元旦")
    assert "L901" not in lint_guides("--today", "2026-12-01")[1]


def test_the_demo_hall_has_next_years_closed_days_in_december_2026(db):
    from guides.quality import lint_halls
    from portal.demo import loader

    hall = loader.ensure_hall()
    assert lint_halls(today=date(2026, 12, 1)) and not lint_halls(today=date(2026, 12, 1))[0].findings
    # A demo database loaded before 2027's days were shipped gets them when the demo loads again.
    hall.calendar_days.filter(date__year=2027).delete()
    assert lint_halls(today=date(2026, 12, 1))[0].findings[0].code == "L901"
    loader.ensure_hall()
    assert not lint_halls(today=date(2026, 12, 1))[0].findings
    assert hall.calendar_days.filter(date=date(2027, 2, 6), kind="closed").exists()
