"""The catalogue export read back into the database it came from: nothing changes, and a damaged
or conflicting file is refused whole, with every problem reported; page ids are taken from the
file only by a restore into an empty database. (The whole restore into an empty database is
tests/portal/test_restore.py.)"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Revision

from feed.models import ChangeEvent
from guides.importer import ImportFailed, import_guides
from guides.models import ChecklistVersion, Department, GuidePage, LifeEvent, RevisionChangeNote
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
    assert page.pk != line["page"]["id"]  # the id of T-JY-0001: not a restore, the database chooses
    assert (page.checklist_version, page.checklist_fingerprint) == (2, line["history"][-1]["fingerprint"])
    assert [
        (v.version, v.fingerprint, v.published_at.isoformat(), v.checklist)
        for v in ChecklistVersion.objects.filter(guide=page).order_by("version")
    ] == [
        (v["version"], v["fingerprint"], dt.datetime.fromisoformat(v["published_at"]).astimezone(dt.UTC).isoformat(), v["checklist"])
        for v in line["history"]
    ]
    assert page.last_published_at == dt.datetime.fromisoformat(line["page"]["last_published_at"])
    assert page.published_change_note == "复印件改为 1 份"  # the note of the revision it restored and published
    assert RevisionChangeNote.text_of(page.live_revision_id) == "复印件改为 1 份"
    assert ChangeEvent.objects.count() == events  # the change log comes from the file, not from this publish


STATEMENT = {
    "title": "无障碍声明", "slug": "accessibility", "seo_title": "", "search_description": "本网站的无障碍说明",
    "body": "<h2>遵循的标准</h2><p>GB/T 37668-2019</p>\n", "live": True,
    "first_published_at": "2026-01-05T18:00:00+08:00", "last_published_at": "2026-02-01T09:30:00.250000+08:00",
}
IDENTITY = {
    "sponsor": "江城市云溪区人民政府办公室", "operator": "江城市云溪区政务服务中心", "site_code": "1234567890",
    "icp_filing": "演示ICP备00000000号-1", "police_filing": "演示公网安备 00000000000000号", "party_mark_url": "",
    "contact_phone": "0555-62300000", "contact_email": "portal@example.org", "error_report_url": "https://zfwzzc.www.gov.cn/",
    "accessibility_statement": "/home/accessibility/",
}


def test_the_site_identity_and_statement_pages_come_back_and_bad_ones_are_refused(content, tmp_path):
    from portal.models import SiteIdentity, StatementPage

    lines = export_lines(tmp_path)
    site = json.loads(lines[1])
    assert site["record"] == "site" and site["statements"] == [] and site["identity"] is None
    # An older catalogue without them leaves them as they are.
    older = import_guides([json.dumps({key: value for key, value in site.items() if key not in ("statements", "identity")})])
    assert older.records[("site", "unchanged")] == 1
    site |= {"statements": [STATEMENT], "identity": IDENTITY}
    with_identity = [lines[0], json.dumps(site, ensure_ascii=False), *lines[2:]]
    report = import_guides(with_identity)
    assert report.records[("site", "updated")] == 1
    statement = StatementPage.objects.get()
    assert statement.live and statement.body == STATEMENT["body"] and statement.url == "/accessibility/"
    assert statement.last_published_at == dt.datetime.fromisoformat(STATEMENT["last_published_at"])
    identity = SiteIdentity.objects.get()
    assert identity.sponsor == IDENTITY["sponsor"] and identity.accessibility_statement_id == statement.pk
    assert json.loads(export_lines(tmp_path)[1]) == site | {"statements": [STATEMENT | {"id": statement.pk}]}
    before = counts()
    assert import_guides(with_identity).records[("site", "unchanged")] == 1
    assert counts() == before

    bad_code = site | {"identity": IDENTITY | {"site_code": "12"}}
    nowhere = site | {"identity": IDENTITY | {"accessibility_statement": "/home/nowhere/"}}
    no_list = site | {"statements": {"slug": "accessibility"}}
    for damaged, message in ((bad_code, "政府网站标识码：政府网站标识码为 10 位字母或数字"),
                             (nowhere, "无障碍声明指向的页面“/home/nowhere/”不存在"),
                             (no_list, "字段 statements 应为对象的列表")):
        with pytest.raises(ImportFailed) as failure:
            import_guides([lines[0], json.dumps(damaged, ensure_ascii=False), *lines[2:]])
        assert [str(error) for error in failure.value.errors] == [f"第 2 行：{message}"]
    assert SiteIdentity.objects.get().site_code == "1234567890" and counts() == before


def test_a_catalogue_on_top_of_existing_content_leaves_ids_to_the_database(content, tmp_path):
    """Imported into a database that has pages, a catalogue's page ids are not taken: a new
    guide and a new department's folder get ids of the database's choosing, however the file's
    ids collide with the pages there."""
    from guides.models import DepartmentFolderPage
    from portal.models import HomePage

    lines = export_lines(tmp_path)
    home = HomePage.objects.get()
    taken = GuidePage.objects.get(code="T-JY-0002")
    guide = json.loads(next(line for line in lines if '"code":"T-JY-0002"' in line))
    guide["code"], guide["page"]["slug"] = "T-JY-0008", "t-jy-0008"
    assert guide["page"]["id"] == taken.pk
    department = {"record": "department", "name": "测试区新设局", "code": "T-NEW", "short_name": "", "phone": "",
                  "complaint_phone": "", "sort_order": 1, "folder": {"id": home.pk, "slug": "dept-t-new"}}
    report = import_guides([*lines, json.dumps(guide, ensure_ascii=False), json.dumps(department, ensure_ascii=False)])
    assert report.created == ["T-JY-0008"] and report.records[("department", "created")] == 1
    new = GuidePage.objects.get(code="T-JY-0008")
    folder = DepartmentFolderPage.objects.get(department__code="T-NEW")
    assert new.pk not in (taken.pk, home.pk) and folder.pk not in (taken.pk, home.pk)
    assert GuidePage.objects.get(pk=taken.pk).code == "T-JY-0002" and HomePage.objects.get().pk == home.pk


def _skeleton_catalogue(home_id: int, index_id: int) -> list[str]:
    page = {"seo_title": "", "search_description": "", "intro": ""}
    site = {
        "record": "site", "site_name": "测试区办事指南", "hostname": "localhost", "port": 80,
        "home": {"id": home_id, "title": "首页", "slug": "home", "search_placeholder": "", **page},
        "guide_index": {"id": index_id, "title": "办事指南", "slug": "guides", **page},
        "statements": [], "identity": None, "journey_index": None,
    }
    header = {"record": "catalogue", "format": 1, "exported_at": "2026-12-07T12:00:00+08:00", "counts": {"site": 1}}
    return [json.dumps(header), json.dumps(site, ensure_ascii=False)]


def test_a_restore_into_an_empty_database_keeps_page_ids_and_refuses_a_taken_one():
    """Into a database without pages of the portal, a catalogue is a restore: its pages take
    their ids from the file, the next page created takes a new id past them, and an id the
    database already holds (here Wagtail's root) is refused, the file not written at all."""
    from wagtail.models import Page

    from guides.models import GuideIndexPage
    from portal.models import HomePage

    root = Page.get_first_root_node()
    with pytest.raises(ImportFailed) as failure:
        import_guides(_skeleton_catalogue(root.pk, 900))
    assert [str(error) for error in failure.value.errors] == [f"第 2 行：页面 id {root.pk} 已被占用：带页面 id 的恢复只能导入到空数据库"]
    assert not HomePage.objects.exists() and Page.get_first_root_node().title == root.title

    import_guides(_skeleton_catalogue(800, 900))
    assert (HomePage.objects.get().pk, GuideIndexPage.objects.get().pk) == (800, 900)
    assert Department.objects.create(name="测试区新设局", code="T-NEW").folder.pk > 900
