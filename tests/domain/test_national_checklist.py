"""Which national fields bind the counter: 办件类型 and the steps' 审查标准 change the checklist's
fingerprint; 行使层级, 委托部门, 联办机构, 中介服务, 特别程序, 结果有效期 and 材料依据 do not. A
checklist that states neither keeps the fingerprint it had before the fields existed."""

import copy

import pytest

from guides.choices import HandlingType
from guides.domain.checklist import (
    CANONICAL_FORMAT,
    canonical_checklist,
    diff_checklists,
    fingerprint,
)
from guides.domain.timelimits import (
    HANDLING_TYPES,
    TimeLimit,
    check_handling_type,
    handling_type_of,
)
from tests.conftest import make_record


def digest(record) -> str:
    return fingerprint(canonical_checklist(record))


def national_record():
    record = make_record(
        exercise_level="县级", entrusting_department="江城市市场监督管理局", co_handlers=["测试区税务局"],
        intermediary_services="场所检测报告由中介机构出具", special_procedures="专家评审（5个工作日，不计入办结时限）",
        handling_type="承诺件", result_validity="5年",
    )
    record["materials"][0]["basis"] = "《食品经营许可和备案管理办法》第十二条"
    record["steps"][1]["review_standard"] = "材料齐全、符合法定形式的，予以受理"
    return record


@pytest.mark.parametrize(
    ("change", "binds"),
    [
        (lambda r: r.update(handling_type="即办件"), True),
        (lambda r: r.update(handling_type=""), True),
        (lambda r: r["steps"][1].update(review_standard="材料齐全的，予以受理"), True),
        (lambda r: r["steps"][2].update(review_standard="符合条件的，准予许可"), True),
        (lambda r: r["steps"][1].update(review_standard=""), True),
        (lambda r: r.update(exercise_level="市级"), False),
        (lambda r: r.update(entrusting_department="江城市卫生健康委员会"), False),
        (lambda r: r.update(co_handlers=["测试区税务局", "测试区公安分局"]), False),
        (lambda r: r.update(intermediary_services=""), False),
        (lambda r: r.update(special_procedures="听证（10个工作日，不计入办结时限）"), False),
        (lambda r: r.update(result_validity="长期有效"), False),
        (lambda r: r["materials"][0].update(basis="《中华人民共和国食品安全法》第三十五条"), False),
    ],
)
def test_only_the_fields_that_bind_the_counter_move_the_fingerprint(change, binds):
    record = national_record()
    changed = copy.deepcopy(record)
    change(changed)
    assert (digest(changed) != digest(record)) is binds


def test_whitespace_of_a_review_standard_is_not_a_change():
    record = national_record()
    spaced = copy.deepcopy(record)
    spaced["steps"][1]["review_standard"] = "  材料齐全、符合法定形式的，\n予以受理 "
    record["steps"][1]["review_standard"] = "材料齐全、符合法定形式的， 予以受理"
    assert digest(spaced) == digest(record)


def test_a_checklist_without_them_keeps_its_shape_and_fingerprint():
    plain = make_record()
    # What the record of a guide that states neither gives: empty values, as the import leaves them.
    empty = make_record(handling_type="", exercise_level="", co_handlers=[], result_validity="")
    for step in empty["steps"]:
        step["review_standard"] = ""
    canonical = canonical_checklist(empty)
    assert canonical["format"] == CANONICAL_FORMAT == 2
    assert "handling_type" not in canonical and "review_standards" not in canonical
    assert digest(empty) == digest(plain)


def test_the_checklist_names_each_review_standard_by_its_step_and_the_diff_reports_them():
    record = national_record()
    canonical = canonical_checklist(record)
    assert canonical["handling_type"] == "承诺件"
    assert canonical["review_standards"] == [{"step": "受理", "standard": "材料齐全、符合法定形式的，予以受理"}]
    changed = copy.deepcopy(record)
    changed.update(handling_type="即办件", promised_limit={"value": 0, "unit": "即办"})
    diff = diff_checklists(canonical, canonical_checklist(changed))
    assert "handling_type" in diff.other_fields
    assert {c.field: (c.old, c.new) for c in diff.field_changes}["handling_type"] == ("承诺件", "即办件")


def test_the_handling_type_must_agree_with_the_promised_limit():
    assert tuple(HandlingType.values) == HANDLING_TYPES
    immediate, days = TimeLimit.immediate(), TimeLimit(5, "工作日")
    assert handling_type_of(immediate) == "即办件" and handling_type_of(days) == "承诺件"
    assert check_handling_type("即办件", immediate) == [] and check_handling_type("承诺件", days) == []
    assert check_handling_type("", days) == [] and check_handling_type("", immediate) == []
    assert check_handling_type("即办件", days) == ["即办件的承诺办结时限应为即办，现为5个工作日"]
    assert check_handling_type("承诺件", immediate) == ["承诺办结时限为即办的事项是即办件，不是承诺件"]
