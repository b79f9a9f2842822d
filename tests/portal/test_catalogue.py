"""The catalogue export read back into the database it came from: nothing changes, and a damaged
or conflicting file is refused whole, with every problem reported. (The restore into an empty
database is tests/portal/test_restore.py.)"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Revision

from feed.models import ChangeEvent
from guides.importer import ImportFailed, import_guides
from guides.models import ChecklistVersion, Department, GuidePage, LifeEvent
from search.models import Synonym
from tests.conftest import jsonl, make_record

pytestmark = pytest.mark.django_db


def export_lines(tmp_path) -> list[str]:
    path = tmp_path / "catalogue.jsonl"
    call_command("export_guides", str(path), stderr=io.StringIO())
    return path.read_text(encoding="utf-8").splitlines()


def counts() -> tuple[int, ...]:
    return (
        Revision.objects.count(), ChecklistVersion.objects.count(), ChangeEvent.objects.count(),
        Department.objects.count(), Synonym.objects.count(), GuidePage.objects.count(),
    )


@pytest.fixture
def content(publish_guide):
    """Two published guides (the first with a checklist change), a draft and a synonym."""
    first = publish_guide(code="T-JY-0001")
    latest = first.get_latest_revision_as_object()
    materials = list(latest.materials.all())
    materials[0].copy_count += 1
    latest.materials = materials
    latest.change_note = "复印件改为 1 份"
    latest.save_revision().publish()
    publish_guide(code="T-JY-0002", name="食品经营备案")
    import_guides(jsonl(make_record(code="T-JY-0003", name="草稿事项")), publish=False)
    Synonym.objects.create(phrases="开饭店", expansions="食品经营许可")
    LifeEvent.objects.create(name="开餐饮店", slug="canyin-kaidian")


def test_importing_an_export_into_its_own_database_changes_nothing(content, tmp_path):
    lines = export_lines(tmp_path)
    header = json.loads(lines[0])
    assert header["record"] == "catalogue" and header["counts"]["guide"] == 3
    assert header["counts"]["change"] == ChangeEvent.objects.count() > 0
    before = counts()
    report = import_guides(lines)
    assert sorted(report.unchanged) == ["T-JY-0001", "T-JY-0002", "T-JY-0003"]
    assert not report.created and not report.updated and not report.published
    assert {outcome for (_, outcome) in report.records} == {"unchanged"}
    assert counts() == before
    assert export_lines(tmp_path)[1:] == lines[1:]


def test_a_damaged_catalogue_is_refused_whole_with_every_problem(content, tmp_path):
    lines = export_lines(tmp_path)
    last_change = max(json.loads(line)["id"] for line in lines if '"record":"change"' in line)
    guide = json.loads(next(line for line in lines if '"code":"T-JY-0002"' in line))
    guide["phone"] = "12"
    bad_history = json.loads(next(line for line in lines if '"code":"T-JY-0001"' in line))
    bad_history["history"][0]["fingerprint"] = "0" * 64
    damaged = [
        lines[0],
        *lines[1:],
        json.dumps({"record": "department", "name": "新部门", "code": "NEW-DEPT", "sort_order": 1}, ensure_ascii=False),
        json.dumps({"record": "department", "name": "部" * 101, "code": "LONG-NAME"}, ensure_ascii=False),
        json.dumps({"record": "theme", "name": "无标识主题"}, ensure_ascii=False),
        json.dumps({"record": "synonym", "phrases": "办执照", "expansions": "营业执照"}, ensure_ascii=False),
    ]
    # The last event of the log, said otherwise than the database has it.
    changed = json.loads(next(line for line in damaged if f'"record":"change","id":{last_change},' in line))
    changed["change_note"] = "改写的说明"
    damaged[damaged.index(next(line for line in damaged if f'"record":"change","id":{last_change},' in line))] = json.dumps(changed, ensure_ascii=False)
    damaged[[i for i, line in enumerate(damaged) if '"code":"T-JY-0002"' in line][0]] = json.dumps(guide, ensure_ascii=False)
    damaged[[i for i, line in enumerate(damaged) if '"code":"T-JY-0001"' in line][0]] = json.dumps(bad_history, ensure_ascii=False)
    # (The header's counts no longer match: more records than it announced are not an error.)
    before = counts()
    with pytest.raises(ImportFailed) as failure:
        import_guides(damaged)
    messages = [str(error) for error in failure.value.errors]
    text = "\n".join(messages)
    assert "文件不完整" not in text  # more records than announced is not a cut
    assert "咨询电话" in text and "（T-JY-0002）" in text
    assert "版本历史只能延续，不能改写" in text
    assert "部门名称：" in text
    assert "缺少字段 slug" in text
    assert f"变更记录 #{last_change} 与数据库中已有的不同" in text
    assert len(messages) == 5
    assert counts() == before
    assert not Synonym.objects.filter(phrases="办执照").exists()
    assert not Department.objects.filter(code="NEW-DEPT").exists()


def test_a_cut_or_newer_catalogue_is_refused(content, tmp_path):
    lines = export_lines(tmp_path)
    before = counts()
    cut = [line for line in lines if '"code":"T-JY-0003"' not in line]
    with pytest.raises(ImportFailed) as failure:
        import_guides(cut)
    assert [str(e) for e in failure.value.errors] == ["第 1 行：文件不完整：应有 3 条“guide”记录，实际只有 2 条"]
    newer = [json.dumps({**json.loads(lines[0]), "format": 99}), *lines[1:]]
    with pytest.raises(ImportFailed, match="1 处错误"):
        import_guides(newer)
    assert counts() == before


def test_export_command_writes_stdout_or_a_complete_file(content, tmp_path, capsysbinary):
    call_command("export_guides")
    written = capsysbinary.readouterr().out.decode("utf-8").splitlines()
    assert json.loads(written[0])["counts"]["guide"] == 3 and len(written) == len(export_lines(tmp_path))
    with pytest.raises(CommandError, match="目录不存在"):
        call_command("export_guides", str(tmp_path / "missing" / "x.jsonl"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalogue.jsonl"]  # no partial file left


def test_a_restored_guide_keeps_its_history_and_times_and_writes_no_event(content, tmp_path):
    line = json.loads(next(line for line in export_lines(tmp_path) if '"code":"T-JY-0001"' in line))
    line["code"], line["page"]["slug"] = "T-JY-0009", "t-jy-0009"  # the same guide, as a new one
    events = ChangeEvent.objects.count()
    report = import_guides([json.dumps(line, ensure_ascii=False)])
    assert report.created == report.published == ["T-JY-0009"]
    page = GuidePage.objects.get(code="T-JY-0009")
    assert page.live and not page.has_unpublished_changes
    assert (page.checklist_version, page.checklist_fingerprint) == (2, line["history"][-1]["fingerprint"])
    assert [
        (v.version, v.fingerprint, v.published_at.isoformat(), v.checklist)
        for v in ChecklistVersion.objects.filter(guide=page).order_by("version")
    ] == [
        (v["version"], v["fingerprint"], dt.datetime.fromisoformat(v["published_at"]).astimezone(dt.UTC).isoformat(), v["checklist"])
        for v in line["history"]
    ]
    assert page.last_published_at == dt.datetime.fromisoformat(line["page"]["last_published_at"])
    assert page.change_note == "复印件改为 1 份"
    assert ChangeEvent.objects.count() == events  # the change log comes from the file, not from this publish
