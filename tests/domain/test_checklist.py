import copy
import hashlib
import re

from guides.domain.checklist import (
    canonical_checklist,
    canonical_json,
    diff_checklists,
    fingerprint,
    next_version,
)

RECORD = {
    "code": "LW-JY-0001",
    "name": "食品经营许可",
    "summary": "说明文字",
    "conditions": "具有经营场所",
    "situations": [{"key": "s1", "question": "是否委托他人办理？", "options": ["委托他人办理"]}],
    "materials": [
        {"name": "申请书", "type": "申请表格文书", "form": "纸质", "original": 1, "copies": 0,
         "necessity": "必要", "source": "申请人自备", "note": "", "situation": None},
        {"name": "授权委托书", "type": "其他", "form": "纸质", "original": 1, "copies": 1,
         "necessity": "必要", "source": "申请人自备", "note": "", "situation": "委托他人办理"},
    ],
    "legal_limit": {"value": 20, "unit": "工作日"},
    "promised_limit": {"value": 10, "unit": "工作日"},
    "fee": {"charged": False, "items": []},
    "intake_window": "综合受理窗口（1-9号）",
    "delivery_window": "统一出件窗口（10-11号）",
    "faq": [{"question": "要多久？", "answer": "10 个工作日"}],
}


def digest(record):
    return fingerprint(canonical_checklist(record))


def edited(**changes):
    record = copy.deepcopy(RECORD)
    for path, value in changes.items():
        target = record
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        target[keys[-1]] = value
    return record


def test_fingerprint_is_sha256_hex_and_deterministic():
    value = digest(RECORD)
    assert re.fullmatch("[0-9a-f]{64}", value)
    canonical = canonical_json(canonical_checklist(RECORD)).encode("utf-8")
    assert value == hashlib.sha256(canonical).hexdigest()
    assert digest(copy.deepcopy(RECORD)) == value


def test_key_order_does_not_matter():
    reordered = dict(reversed(list(RECORD.items())))
    assert digest(reordered) == digest(RECORD)


def test_prose_outside_the_checklist_does_not_change_it():
    assert digest(edited(summary="完全不同的说明")) == digest(RECORD)
    assert digest(edited(faq=[])) == digest(RECORD)


def test_copy_count_change_changes_fingerprint():
    assert digest(edited(materials__1__copies=2)) != digest(RECORD)


def test_every_checklist_part_is_covered():
    changes = {
        "conditions": "另一条件",
        "materials__0__necessity": "容缺后补",
        "materials__0__source": "政府部门核发",
        "materials__1__situation": None,
        "promised_limit__value": 9,
        "legal_limit__unit": "自然日",
        "intake_window": "综合受理窗口 3号",
        "situations__0__question": "是否代办？",
        "fee__charged": True,
    }
    for path, value in changes.items():
        assert digest(edited(**{path: value})) != digest(RECORD), path


def test_material_order_is_part_of_the_checklist():
    swapped = copy.deepcopy(RECORD)
    swapped["materials"].reverse()
    assert digest(swapped) != digest(RECORD)


def test_whitespace_only_edits_are_not_changes():
    assert digest(edited(conditions="  具有经营场所 \n")) == digest(RECORD)
    assert digest(edited(materials__0__name="申请书 ")) == digest(RECORD)


def test_canonical_json_is_compact_sorted_utf8():
    text = canonical_json(canonical_checklist(RECORD))
    assert "食品经营许可" in text and "\\u" not in text
    assert ", " not in text and ": " not in text
    assert text.index('"code"') < text.index('"materials"')


def test_next_version_only_moves_when_the_fingerprint_changes():
    assert next_version(0, None, "a") == 1
    assert next_version(1, "a", "a") == 1
    assert next_version(1, "a", "b") == 2


def test_diff_names_added_removed_and_changed_materials():
    old = canonical_checklist(RECORD)
    new_record = edited(materials__1__copies=3)
    new_record["materials"].append(dict(RECORD["materials"][0], name="身份证"))
    del new_record["materials"][0]
    diff = diff_checklists(old, canonical_checklist(new_record))
    assert diff.added == ("身份证",)
    assert diff.removed == ("申请书",)
    assert diff.changed == ("授权委托书",)
    assert not diff.is_empty
    assert diff_checklists(old, old).is_empty


def test_diff_reports_each_changed_material_field_with_old_and_new_values():
    old = canonical_checklist(RECORD)
    diff = diff_checklists(old, canonical_checklist(edited(materials__1__copies=3, materials__1__note="须签名")))
    (change,) = diff.material_changes
    assert change.name == "授权委托书"
    assert [(f.field, f.old, f.new) for f in change.fields] == [("copies", 1, 3), ("note", "", "须签名")]
    assert not diff.added and not diff.removed and not diff.field_changes


def test_diff_reports_limits_fees_windows_and_conditions():
    old = canonical_checklist(RECORD)
    new = canonical_checklist(
        edited(
            promised_limit={"value": 5, "unit": "工作日"},
            intake_window="综合受理窗口（3号）",
            conditions="具有经营场所和设备",
            fee={"charged": True, "items": [{"name": "工本费", "standard": "10元/本", "basis": "某文件"}]},
        )
    )
    diff = diff_checklists(old, new)
    by_field = {f.field: (f.old, f.new) for f in diff.field_changes}
    assert by_field["promised_limit"] == ({"value": 10, "unit": "工作日"}, {"value": 5, "unit": "工作日"})
    assert by_field["intake_window"] == ("综合受理窗口（1-9号）", "综合受理窗口（3号）")
    assert by_field["conditions"] == ("具有经营场所", "具有经营场所和设备")
    assert by_field["fee.charged"] == (False, True)
    assert "legal_limit" not in by_field
    assert diff.fee_items_added == ("工本费",)
    fee_change = diff_checklists(new, canonical_checklist(edited(
        promised_limit={"value": 5, "unit": "工作日"}, intake_window="综合受理窗口（3号）", conditions="具有经营场所和设备",
        fee={"charged": True, "items": [{"name": "工本费", "standard": "20元/本", "basis": "某文件"}]},
    )))
    assert [(c.name, [(f.field, f.old, f.new) for f in c.fields]) for c in fee_change.fee_item_changes] == [
        ("工本费", [("standard", "10元/本", "20元/本")])
    ]
    assert not fee_change.field_changes


def test_diff_reports_situations_by_key():
    old = canonical_checklist(RECORD)
    record = edited()
    record["situations"][0]["options"] = ["委托他人办理", "本人办理"]
    record["situations"].append({"key": "s2", "question": "是否已婚？", "options": ["已婚"]})
    diff = diff_checklists(old, canonical_checklist(record))
    assert diff.situations_added == ("是否已婚？",)
    (change,) = diff.situation_changes
    assert change.name == "是否委托他人办理？" and change.fields[0].field == "options"
    assert change.fields[0].new == ["委托他人办理", "本人办理"]


def test_a_reordered_checklist_is_a_change_the_diff_names():
    old = canonical_checklist(RECORD)
    record = edited()
    record["materials"].reverse()
    diff = diff_checklists(old, canonical_checklist(record))
    assert diff.materials_reordered and not diff.is_empty
    assert not diff.added and not diff.changed


def test_repeated_material_names_pair_up_in_order():
    record = edited()
    record["materials"].append(dict(RECORD["materials"][0]))
    old = canonical_checklist(record)
    record["materials"][2]["copies"] = 2
    diff = diff_checklists(old, canonical_checklist(record))
    assert [c.name for c in diff.material_changes] == ["申请书"]
    assert not diff.added and not diff.removed


def test_the_diff_serialises_to_json():
    import json

    diff = diff_checklists(canonical_checklist(RECORD), canonical_checklist(edited(materials__0__copies=2)))
    data = json.loads(json.dumps(diff.as_dict(), ensure_ascii=False))
    assert data["materials"]["changed"] == [{"name": "申请书", "fields": [{"field": "copies", "old": 0, "new": 2}]}]
