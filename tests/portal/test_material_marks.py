"""The material marks (免提交, 告知承诺, 容缺后补) through the import, the record, the checklist
and its versions, and the command that records checklists again after a format change."""

import pytest
from django.core.management import call_command

from feed.models import ChangeEvent
from guides.importer import ImportFailed, import_guides
from guides.models import ChecklistVersion, GuideMaterial, GuidePage
from guides.serializers import checklist_of, serialize_guide
from tests.conftest import jsonl, make_record

pytestmark = pytest.mark.django_db


def marked_record(**overrides):
    record = make_record(**overrides)
    record["materials"][1]["marks"] = ["免提交"]
    record["materials"][0]["marks"] = ["告知承诺"]
    record["materials"][3].update(necessity="容缺后补", marks=["容缺后补"])
    return record


def test_marks_are_imported_stored_serialized_and_fingerprinted(site):
    import_guides(jsonl(marked_record()), publish=True)
    page = GuidePage.objects.get(code="T-JY-0001")
    licence = page.materials.get(name="营业执照")
    assert licence.obtained_by_office and not licence.commitment_accepted
    record = serialize_guide(page)
    assert [m["marks"] for m in record["materials"]] == [["告知承诺"], ["免提交"], [], ["容缺后补"]]
    checklist, digest = checklist_of(record)
    assert [m["marks"] for m in checklist["materials"]] == [["告知承诺"], ["免提交"], [], ["容缺后补"]]
    assert page.checklist_fingerprint == digest
    assert ChecklistVersion.objects.get(guide=page).checklist["materials"][1]["marks"] == ["免提交"]

    # The same file again changes nothing; removing a mark is a new checklist version.
    assert import_guides(jsonl(marked_record()), publish=True).unchanged == ["T-JY-0001"]
    unmarked = marked_record()
    unmarked["materials"][1]["marks"] = []
    import_guides(jsonl(unmarked), publish=True)
    page.refresh_from_db()
    assert page.checklist_version == 2 and page.checklist_fingerprint != digest


def test_bad_marks_fail_the_import_with_the_line_and_the_material(site):
    record = marked_record()
    record["materials"][0]["marks"] = ["容缺后补"]
    record["materials"][1]["marks"] = "免提交"
    with pytest.raises(ImportFailed) as failure:
        import_guides(jsonl(make_record(code="T-OK-0001"), record), publish=True)
    messages = [str(error) for error in failure.value.errors]
    assert len(messages) == 1 and messages[0].startswith("第 2 行（T-JY-0001）")
    assert "第 1 项材料（食品经营许可申请书）：标记“容缺后补”与必要性“必要”矛盾" in messages[0]
    assert "第 2 项材料（营业执照）：marks 应为列表" in messages[0]
    assert not GuidePage.objects.exists()


def test_refresh_checklists_records_what_a_format_change_left_behind(site, capsys):
    import_guides(jsonl(marked_record(), make_record(code="T-JY-0002")), publish=True)
    fresh = GuidePage.objects.get(code="T-JY-0001")
    # What a guide published under the previous canonical format looks like: its recorded
    # fingerprint is not the one its record gives now.
    GuidePage.objects.filter(pk=fresh.pk).update(checklist_fingerprint="0" * 64)
    ChecklistVersion.objects.filter(guide=fresh).update(fingerprint="0" * 64)
    published_at = fresh.last_published_at
    events = ChangeEvent.objects.count()

    call_command("refresh_checklists")
    assert "重新记录受理清单 1 个，其余 1 个未变" in capsys.readouterr().out
    fresh.refresh_from_db()
    assert fresh.checklist_version == 2
    assert fresh.checklist_fingerprint == checklist_of(serialize_guide(fresh))[1]
    assert fresh.last_published_at == published_at  # not published again
    event = ChangeEvent.objects.order_by("-id").first()
    assert ChangeEvent.objects.count() == events + 1
    assert (event.kind, event.code, event.checklist_version) == ("checklist_changed", "T-JY-0001", 2)
    assert event.fingerprint == fresh.checklist_fingerprint and "规范格式第 2 版" in event.change_note

    call_command("refresh_checklists")
    assert "重新记录受理清单 0 个" in capsys.readouterr().out
    assert ChangeEvent.objects.count() == events + 1


def test_the_editor_sees_both_marks_with_their_meaning():
    fields = {field.name: field for field in GuideMaterial._meta.get_fields()}
    assert fields["obtained_by_office"].verbose_name == "免提交"
    assert "电子证照库" in str(fields["obtained_by_office"].help_text)
    assert fields["commitment_accepted"].verbose_name == "告知承诺"
