"""The quality rules of a guide (guides.domain.lint): for every rule, a record that trips it and
one, as close as can be, that does not."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from guides.domain.lint import (
    RULES,
    Severity,
    blocking,
    catch_all_wording,
    lint,
    lint_calendar,
    warnings,
)
from tests.conftest import make_record


def clean_record() -> dict:
    """A record as the serializer writes it, with nothing to find: the test factory's guide with
    acceptance standards on the materials the counter checks."""
    record = make_record()
    for material in record["materials"]:
        material.setdefault("marks", [])
        material["acceptance_standard"] = "原件与复印件一致，签字完整"
    record["situations"] = [{"key": "s1", "question": "是否委托他人办理？", "options": ["委托他人办理"]}]
    record["legal_basis"] = [{"title": "《中华人民共和国食品安全法》第三十五条", "document_number": "", "excerpt": ""}]
    return record


def codes(record) -> list[str]:
    return [finding.code for finding in lint(record)]


def test_the_clean_record_has_no_findings():
    assert lint(clean_record()) == []


def _material(record, position=0):
    return record["materials"][position]


def _set(path, value):
    def change(record):
        target = record
        *keys, last = path
        for key in keys:
            target = target[key]
        target[last] = value

    return change


def _add_material(**fields):
    def change(record):
        material = copy.deepcopy(_material(record))
        material.update(fields)
        record["materials"].append(material)

    return change


# (rule, a change that trips it, the nearest change that does not)
CASES = [
    ("L101", _set(("materials", 0, "name"), "其他相关材料"), _set(("materials", 0, "name"), "房屋租赁合同")),
    ("L101", _set(("materials", 0, "name"), "场地使用相关材料"), _set(("materials", 0, "name"), "场地使用证明")),
    ("L101", _set(("materials", 0, "name"), "其他材料"), _set(("materials", 0, "name"), "其他证明（无犯罪记录证明）")),
    ("L101", _set(("materials", 0, "name"), "身份证、户口簿等。"), _set(("materials", 0, "name"), "身份证、户口簿")),
    ("L102", _add_material(), _add_material(name="法定代表人身份证")),
    ("L102", _add_material(name=" 食品经营许可申请书"), _add_material(situation="委托他人办理")),
    (
        "L103",
        lambda r: _material(r, 0).update(original=0, copies=0),
        lambda r: _material(r, 0).update(original=0, copies=0, marks=["免提交"]),
    ),
    ("L104", _set(("materials", 0, "acceptance_standard"), " "), lambda r: _material(r, 0).update(acceptance_standard="", marks=["免提交"])),
    ("L201", _set(("legal_limit",), None), _set(("legal_limit",), {"value": 30, "unit": "自然日"})),
    ("L201", _set(("legal_limit",), {"value": 0, "unit": "工作日"}), _set(("legal_limit",), {"value": 10, "unit": "工作日"})),
    ("L202", _set(("promised_limit",), None), _set(("promised_limit",), {"value": 0, "unit": "即办"})),
    ("L202", _set(("promised_limit",), {"value": 0, "unit": "自然日"}), _set(("promised_limit",), {"value": 1, "unit": "自然日"})),
    ("L203", _set(("promised_limit",), {"value": 21, "unit": "工作日"}), _set(("promised_limit",), {"value": 20, "unit": "工作日"})),
    (
        "L203",
        lambda r: r.update(legal_limit={"value": 0, "unit": "即办"}, promised_limit={"value": 1, "unit": "工作日"}),
        lambda r: r.update(legal_limit={"value": 0, "unit": "即办"}, promised_limit={"value": 0, "unit": "即办"}),
    ),
    ("L301", _set(("fee",), {"charged": True, "items": []}), _set(("fee",), {"charged": False, "items": []})),
    (
        "L302",
        _set(("fee",), {"charged": True, "items": [{"name": "工本费", "standard": "", "basis": "", "reduction": ""}]}),
        _set(("fee",), {"charged": True, "items": [{"name": "工本费", "standard": "10元/本", "basis": "", "reduction": ""}]}),
    ),
    ("L401", _set(("phone",), ""), _set(("phone",), "020－8138 0512")),
    ("L401", _set(("phone",), "8138051"), _set(("phone",), "12345")),
    ("L401", _set(("complaint_phone",), "020-81380512-123"), _set(("complaint_phone",), "020-81380512转123")),
    ("L501", _set(("steps",), []), _set(("steps",), [{"name": "受理", "actor": "综合受理窗口", "description": "", "limit": None}])),
    ("L502", _set(("legal_basis",), []), _set(("legal_basis",), ["《行政许可法》"])),
    ("L503", _set(("conditions",), " \n"), _set(("conditions",), "无")),
    (
        "L601",
        _set(("situations",), [{"key": "s1", "question": "是否委托他人办理？", "options": ["委托他人办理"]},
                                {"key": "s2", "question": "是否为分支机构？", "options": ["分支机构"]}]),
        _set(("situations",), [{"key": "s1", "question": "申请人是？", "options": ["本人", "委托他人办理"]}]),
    ),
]


@pytest.mark.parametrize(("code", "trip", "pass_"), CASES, ids=[f"{case[0]}-{n}" for n, case in enumerate(CASES)])
def test_each_rule_trips_on_its_case_and_not_on_the_nearest_good_one(code, trip, pass_):
    tripped = clean_record()
    trip(tripped)
    findings = [finding for finding in lint(tripped) if finding.code == code]
    assert findings, f"{code} should trip"
    assert all(finding.severity is RULES[code].severity for finding in findings)
    assert all(finding.message.strip() for finding in findings)

    passing = clean_record()
    pass_(passing)
    assert codes(passing) == []


def test_findings_name_their_place_in_the_record():
    record = clean_record()
    record["materials"][2]["name"] = "其他相关材料"
    record["fee"] = {"charged": True, "items": [{"name": "工本费", "standard": "", "basis": "", "reduction": ""}]}
    record["complaint_phone"] = "123"
    fields = {finding.code: finding.field for finding in lint(record)}
    assert fields == {
        "L101": "materials[2].name",
        "L302": "fee.items[0].standard",
        "L401": "complaint_phone",
    }
    assert "其他相关材料" in lint(record)[0].message


def test_duplicate_names_the_first_occurrence():
    record = clean_record()
    record["materials"].append(copy.deepcopy(record["materials"][1]))
    (finding,) = lint(record)
    assert finding.code == "L102" and finding.field == "materials[4].name"
    assert "第 2 项" in finding.message


def test_promised_working_days_against_legal_natural_days_uses_the_worst_case_span():
    record = clean_record()
    record["legal_limit"] = {"value": 20, "unit": "自然日"}
    record["promised_limit"] = {"value": 15, "unit": "工作日"}  # up to 21 natural days
    (finding,) = lint(record)
    assert finding.code == "L203" and "21" in finding.message


def test_blocking_findings_come_first_and_split_by_severity():
    record = clean_record()
    record["materials"][0]["acceptance_standard"] = ""
    record["steps"] = []
    findings = lint(record)
    assert [f.code for f in findings] == ["L501", "L104"]
    assert [f.code for f in blocking(findings)] == ["L501"]
    assert [f.code for f in warnings(findings)] == ["L104"]
    assert findings[0].as_dict() == {
        "code": "L501", "severity": "blocking", "field": "steps", "message": findings[0].message,
    }


def test_every_rule_has_a_severity_and_a_summary():
    assert {rule.severity for rule in RULES.values()} == {Severity.BLOCKING, Severity.WARNING}
    assert all(rule.summary and rule.code == code for code, rule in RULES.items())


@pytest.mark.parametrize(
    ("name", "wording"),
    [("其他相关材料", "其他相关材料"), ("其它材料", "其它材料"), ("项目相关材料", "相关材料"), ("身份证等 ", "等"),
     ("户口簿等；", "等"), ("身份证", None), ("等级证书", None), ("平等协商记录", None)],
)
def test_catch_all_wordings(name, wording):
    assert catch_all_wording(name) == wording


def test_the_demo_and_the_corpus_as_shipped():
    """The demo's guides pass every blocking rule; the corpus has exactly three catch-all
    materials (why its importers take findings as warnings, README)."""
    import json

    from portal.demo.loader import DEMO_DIR
    from tests.domain.corpus import load_corpus

    demo = [json.loads(line) for line in (DEMO_DIR / "guides.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert demo and not [f for record in demo for f in blocking(lint(record))]
    corpus = {record["code"]: blocking(lint(record)) for record in load_corpus()}
    blocked = {code: [f.code for f in findings] for code, findings in corpus.items() if findings}
    assert blocked == {code: ["L101"] for code in blocked} and len(blocked) == 3


# --- the hall calendar --------------------------------------------------------------------------


def test_calendar_rule_from_december_asks_for_next_years_closed_days():
    this_year = [date(2026, 10, 1), date(2026, 10, 2)]
    (finding,) = lint_calendar(this_year, today=date(2026, 12, 1), hall="云溪区政务服务中心")
    assert finding.code == "L901" and finding.severity is Severity.WARNING and finding.field == "calendar"
    assert "2027" in finding.message and "云溪区政务服务中心" in finding.message
    assert lint_calendar([*this_year, date(2027, 1, 1)], today=date(2026, 12, 31)) == []


def test_calendar_rule_is_quiet_before_december():
    assert lint_calendar([], today=date(2026, 11, 30)) == []
    assert lint_calendar([], today=date(2027, 1, 1)) == []
    assert lint_calendar([], today=date(2027, 12, 1))[0].code == "L901"
