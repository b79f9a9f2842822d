from guides.domain.situations import (
    NO,
    YES,
    Situation,
    canonical_answers,
    describe_answers,
    equivalent_answers,
    filter_materials,
    parse_answers,
    select_materials,
    validate_situations,
)

AGENT = Situation("s1", "是否委托他人办理？", ("委托他人办理",))
KIND = Situation("s2", "企业类型？", ("有限责任公司", "个人独资企业"))
SITUATIONS = [AGENT, KIND]
MATERIALS = [
    {"name": "申请书", "situation": None},
    {"name": "委托书", "situation": "委托他人办理"},
    {"name": "公司章程", "situation": "有限责任公司"},
    {"name": "投资人身份证明", "situation": "个人独资企业"},
]


def names(materials):
    return [m["name"] for m in materials]


def test_yes_no_question_has_yes_and_no_answers():
    assert AGENT.is_yes_no and AGENT.answers == (YES, NO)
    assert not KIND.is_yes_no and KIND.answers == KIND.options
    assert AGENT.case_for(YES) == "委托他人办理" and AGENT.case_for(NO) is None


def test_unanswered_questions_keep_all_materials():
    assert names(filter_materials(MATERIALS, SITUATIONS, {})) == names(MATERIALS)
    applies = [s.applies for s in select_materials(MATERIALS, SITUATIONS, {})]
    assert applies == [True, None, None, None]


def test_answers_filter_the_checklist():
    answers = {"s1": NO, "s2": "有限责任公司"}
    assert names(filter_materials(MATERIALS, SITUATIONS, answers)) == ["申请书", "公司章程"]
    answers = {"s1": YES, "s2": "个人独资企业"}
    assert names(filter_materials(MATERIALS, SITUATIONS, answers)) == ["申请书", "委托书", "投资人身份证明"]


def test_partial_answers_only_filter_their_question():
    kept = filter_materials(MATERIALS, SITUATIONS, {"s1": NO})
    assert names(kept) == ["申请书", "公司章程", "投资人身份证明"]


def test_parse_answers_ignores_unknown_keys_and_values():
    params = {"s1": "是", "s2": "股份公司", "s9": "是", "q": "x"}
    assert parse_answers(SITUATIONS, params) == {"s1": "是"}
    assert parse_answers(SITUATIONS, {"s2": ["个人独资企业"]}) == {"s2": "个人独资企业"}
    assert parse_answers(SITUATIONS, {"s1": ""}) == {}


def test_describe_answers_in_question_order():
    text = describe_answers(SITUATIONS, {"s2": "有限责任公司", "s1": "否"})
    assert text == ["是否委托他人办理？ 否", "企业类型？ 有限责任公司"]


def test_validation_reports_undeclared_and_duplicate_cases():
    assert validate_situations(SITUATIONS, [m["situation"] for m in MATERIALS]) == []
    errors = validate_situations(SITUATIONS, ["未声明的情形"])
    assert any("未声明的情形" in e for e in errors)
    duplicate = Situation("s3", "重复？", ("有限责任公司",))
    assert any("重复" in e for e in validate_situations([*SITUATIONS, duplicate], []))
    assert any("标识" in e for e in validate_situations([AGENT, Situation("s1", "x？", ("y",))], []))


PARTNERSHIP = Situation("s3", "企业类型？", ("有限责任公司", "个人独资企业", "合伙企业"))


def test_answers_that_select_no_named_case_are_equivalent():
    # No material names 合伙企业: choosing it selects the same materials as 否 would.
    materials = [*MATERIALS[:3], {"name": "出资证明", "situation": "个人独资企业"}]
    assert equivalent_answers(PARTNERSHIP, materials, "有限责任公司") == ("有限责任公司",)
    assert equivalent_answers(PARTNERSHIP, materials, "合伙企业") == ("合伙企业",)
    only_company = MATERIALS[:3]
    assert equivalent_answers(PARTNERSHIP, only_company, "合伙企业") == ("个人独资企业", "合伙企业")
    assert equivalent_answers(AGENT, only_company, NO) == (NO,)
    assert equivalent_answers(AGENT, [MATERIALS[0]], NO) == (YES, NO)


def test_canonical_answers_are_one_per_checklist():
    materials = MATERIALS[:3]  # nothing for 个人独资企业 or 合伙企业
    situations = [AGENT, PARTNERSHIP]
    sole = canonical_answers(situations, materials, {"s1": NO, "s3": "个人独资企业"})
    partner = canonical_answers(situations, materials, {"s1": NO, "s3": "合伙企业"})
    company = canonical_answers(situations, materials, {"s1": NO, "s3": "有限责任公司"})
    assert sole == partner == {"s1": NO, "s3": "个人独资企业"}
    assert company == {"s1": NO, "s3": "有限责任公司"}
    assert filter_materials(materials, situations, sole) == filter_materials(
        materials, situations, {"s1": NO, "s3": "合伙企业"}
    )
    # Unanswered questions stay unanswered: their materials are still shown as conditional.
    assert canonical_answers(situations, materials, {"s3": "合伙企业"}) == {"s3": "个人独资企业"}
