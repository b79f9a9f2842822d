from guides.domain.checklist import canonical_checklist, fingerprint
from guides.domain.journeys import (
    OR,
    JourneyMember,
    JourneyStep,
    MaterialLink,
    SharedQuestion,
    SituationMapping,
    SituationPreset,
    merge_checklists,
    merged_fingerprint,
    parse_journey_answers,
    step_position,
    validate_journey,
)


def material(name, type_="证件证书证明", original=1, copies=0, situation=None, **extra):
    return {
        "name": name,
        "type": type_,
        "form": "纸质",
        "original": original,
        "copies": copies,
        "spec": extra.get("spec", ""),
        "necessity": "必要",
        "source": "申请人自备",
        "situation": situation,
    }


BIRTH_CERT = {
    "code": "A1",
    "name": "出生医学证明签发",
    "situations": [{"key": "s1", "question": "是否委托他人办理？", "options": ["委托他人办理"]}],
    "materials": [
        material("父母身份证", copies=1),
        material("结婚证"),
        material("委托书", "申请表格文书", situation="委托他人办理"),
    ],
}
HUKOU = {
    "code": "A2",
    "name": "出生登记",
    "situations": [{"key": "s1", "question": "是否委托他人办理？", "options": ["委托他人办理"]}],
    "materials": [
        material("父母身份证", copies=2),
        material("出生医学证明", original=1, copies=1),
        material("户口簿", original=1),
        material("委托书", "申请表格文书", situation="委托他人办理"),
    ],
}
INSURANCE = {
    "code": "A3",
    "name": "城乡居民医保参保登记",
    "situations": [],
    "materials": [
        material("父母身份证", "其他", copies=1),  # same name, other type: not the same material
        material("居民户口簿", original=2),
        material("参保登记表", "申请表格文书"),
    ],
}
RECORDS = {r["code"]: r for r in (BIRTH_CERT, HUKOU, INSURANCE)}
FINGERPRINTS = {code: fingerprint(canonical_checklist(r)) for code, r in RECORDS.items()}
STEPS = [
    JourneyStep("出生医学证明", (JourneyMember("A1"),)),
    JourneyStep("落户", (JourneyMember("A2"),)),
    JourneyStep("参保", (JourneyMember("A3", required=False),)),
]
AGENT = SharedQuestion(
    "q1",
    "是否委托他人办理？",
    ("委托他人办理",),
    (SituationMapping("A1", "s1"), SituationMapping("A2", "s1")),
)


def by_name(merged):
    return {(m.name, m.type): m for m in merged.materials}


def test_same_name_and_type_are_merged_with_the_largest_count_and_their_items():
    merged = merge_checklists(STEPS, RECORDS, FINGERPRINTS)
    ids = by_name(merged)[("父母身份证", "证件证书证明")]
    assert ids.codes == ["A1", "A2"]
    assert (ids.original, ids.copies) == (1, 2)
    assert [need.copies for need in ids.needs] == [1, 2]
    # Same name but another type stays a separate material.
    assert ids is not by_name(merged)[("父母身份证", "其他")]


def test_counts_say_how_many_materials_and_how_many_item_by_item():
    merged = merge_checklists(STEPS, RECORDS, FINGERPRINTS)
    # Unanswered: the conditional 委托书 of A1 and A2 stays, merged into one.
    assert merged.item_material_count == 3 + 4 + 3
    assert merged.material_count == 10 - 2  # 父母身份证 and 委托书 merged once each
    assert merged.saved_count == 2
    proxy = by_name(merged)[("委托书", "申请表格文书")]
    assert proxy.applies is None and not proxy.always_needed


def test_answers_drop_materials_of_other_cases_in_every_member():
    no = merge_checklists(STEPS, RECORDS, FINGERPRINTS, {"q1": "否"}, [AGENT])
    assert ("委托书", "申请表格文书") not in by_name(no)
    assert no.item_material_count == 2 + 3 + 3
    yes = merge_checklists(STEPS, RECORDS, FINGERPRINTS, {"q1": "是"}, [AGENT])
    proxy = by_name(yes)[("委托书", "申请表格文书")]
    assert proxy.applies is True and proxy.codes == ["A1", "A2"]


def test_parse_answers_ignores_malformed_values():
    assert parse_journey_answers([AGENT], {"q1": "是", "q9": "x"}) == {"q1": "是"}
    assert parse_journey_answers([AGENT], {"q1": "也许"}) == {}


def test_editors_link_materials_with_different_names():
    links = [MaterialLink("A2", "户口簿", "户口簿"), MaterialLink("A3", "居民户口簿", "户口簿")]
    merged = merge_checklists(STEPS, RECORDS, FINGERPRINTS, links=links)
    book = next(m for m in merged.materials if m.name == "户口簿")
    assert book.linked and book.codes == ["A2", "A3"] and book.original == 2
    assert not any(m.name == "居民户口簿" for m in merged.materials)
    assert merged.material_count == 7


def test_merge_reports_differences_for_the_editors():
    other = {**INSURANCE, "materials": [material("结婚证", spec="A4 复印")]}
    merged = merge_checklists(STEPS, {**RECORDS, "A3": other}, FINGERPRINTS)
    marriage = by_name(merged)[("结婚证", "证件证书证明")]
    assert marriage.differences == ("spec",)


def test_optional_and_alternative_members_are_not_always_needed():
    steps = [
        JourneyStep("出生医学证明", (JourneyMember("A1"),)),
        JourneyStep("落户或参保", (JourneyMember("A2"), JourneyMember("A3")), logic=OR),
    ]
    merged = merge_checklists(steps, RECORDS, FINGERPRINTS)
    assert by_name(merged)[("父母身份证", "证件证书证明")].always_needed  # A1 is required
    assert not by_name(merged)[("户口簿", "证件证书证明")].always_needed  # only an alternative


def test_fingerprint_changes_with_a_member_checklist_and_the_answers():
    base = merge_checklists(STEPS, RECORDS, FINGERPRINTS, {"q1": "否"}, [AGENT])
    again = merge_checklists(STEPS, RECORDS, FINGERPRINTS, {"q1": "否"}, [AGENT])
    assert base.fingerprint == again.fingerprint and len(base.fingerprint) == 64

    changed = {**INSURANCE, "materials": [*INSURANCE["materials"], material("照片")]}
    records = {**RECORDS, "A3": changed}
    prints = {**FINGERPRINTS, "A3": fingerprint(canonical_checklist(changed))}
    after = merge_checklists(STEPS, records, prints, {"q1": "否"}, [AGENT])
    assert after.fingerprint != base.fingerprint

    answered = merge_checklists(STEPS, RECORDS, FINGERPRINTS, {"q1": "是"}, [AGENT])
    assert answered.fingerprint != base.fingerprint
    assert merged_fingerprint(base.member_fingerprints, {"q1": "否"}, (), [AGENT]) == base.fingerprint


def test_unpublished_members_are_left_out():
    merged = merge_checklists(STEPS, {"A1": BIRTH_CERT}, FINGERPRINTS)
    assert [code for code, _ in merged.member_fingerprints] == ["A1"]
    assert merged.item_material_count == 3


def test_step_position_and_validation():
    assert step_position(STEPS, "A2") == 1 and step_position(STEPS, "Z9") is None
    bad = SharedQuestion("q2", "企业类型？", ("有限责任公司",), (SituationMapping("A1", "s1"), SituationMapping("Z9", "s1")))
    errors = validate_journey(STEPS + [JourneyStep("空", ())], [AGENT, bad], RECORDS)
    assert any("第 4 步" in e for e in errors)
    assert any("Z9" in e for e in errors)
    assert validate_journey(STEPS, [AGENT], RECORDS) == []
    missing = SharedQuestion("q3", "?", ("委托他人办理",), (SituationMapping("A3", "s1"),))
    assert any("没有情形" in e for e in validate_journey(STEPS, [missing], RECORDS))


def test_presets_answer_member_situations_without_asking():
    preset = SituationPreset("A1", "s1", "否")
    merged = merge_checklists(STEPS, RECORDS, FINGERPRINTS, presets=[preset])
    proxy = by_name(merged)[("委托书", "申请表格文书")]
    assert proxy.codes == ["A2"]  # A1's copy dropped, A2's still unanswered
    assert merged.fingerprint != merge_checklists(STEPS, RECORDS, FINGERPRINTS).fingerprint
    assert validate_journey(STEPS, [], RECORDS, [preset]) == []
    errors = validate_journey(STEPS, [], RECORDS, [SituationPreset("A1", "s1", "也许"), SituationPreset("Z9", "s1", "是")])
    assert len(errors) == 2
