"""Restore that loses nothing: the demo content plus the 250-guide corpus, with a checklist
history, drafts, a withdrawn and a deleted guide, synonyms, a promoted result and the demo's
one-thing journeys (and one withdrawn journey), exported with
``export_guides`` and imported with ``import_guides`` into a new, empty database (on the same
kind of server as the test database) in a subprocess. The restored portal must export the same
catalogue and answer the same pages, feed queries (``verify``, ``?at=``, the change log, the
full export) and cursors as the source; a second import must change nothing."""

from __future__ import annotations

import datetime as dt
import difflib
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from tests.conftest import corpus_lines, jsonl, make_record
from tests.databases import empty_database, run_portal
from tests.portal.restore_probe import answers, page_tree, printed_json, restore_in_subprocess

pytestmark = pytest.mark.django_db

HISTORY_GUIDE = "LW-GC-0001"  # three checklist changes after its first publish: v1 → v4
HISTORY_DAYS = [dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC), dt.datetime(2026, 2, 10, 10, tzinfo=dt.UTC),
                dt.datetime(2026, 3, 15, 10, tzinfo=dt.UTC)]
DRAFT_GUIDE = "LW-JY-0003"  # live, with an unpublished draft whose summary is still empty
WITHDRAWN_GUIDE = "LW-GM-0005"  # published, then unpublished
DELETED_GUIDE = "LW-GM-0006"  # published, then deleted: only its change events remain
RENAMED_GUIDE = "LW-JY-0004"  # published under a slug and an SEO title set by an editor
NEW_GUIDE = "T-NEW-0001"  # created as a draft, never published
MARKED_GUIDE = "LW-GC-0002"  # published with 免提交 and 告知承诺 beside the corpus's 容缺后补
MARKS = [[], ["免提交"], ["告知承诺"], ["容缺后补"], []]
JOURNEY = "xinshenger-chusheng"  # with a shared question, a preset and material links
JOURNEY_ANSWER = "q1=%E9%9A%8F%E6%AF%8D%E4%BA%B2%E8%90%BD%E6%88%B7"  # 随母亲落户
WITHDRAWN_JOURNEY = "chusheng-chehui"  # published, then unpublished
JOURNEY_MEMBER = "YX-GM-0002"  # its second step


def _edit_and_publish(code: str, edit, note: str = "") -> None:
    from guides.models import GuidePage

    page = GuidePage.objects.get(code=code).get_latest_revision_as_object()
    edit(page)
    page.change_note = note
    page.save_revision().publish()


def _mark(page) -> None:
    materials = list(page.materials.all())
    materials[1].obtained_by_office = True
    materials[2].commitment_accepted = True
    page.materials = materials


def _more_copies(page) -> None:
    materials = list(page.materials.all())
    materials[0].copy_count += 1
    page.materials = materials


def build_source() -> dict:
    """The demo district, the corpus and the history of edits described in the module's
    docstring, in the test database."""
    from wagtail.contrib.search_promotions.models import Query, SearchPromotion
    from wagtail.models import Page

    from guides.importer import import_guides, split_lines
    from guides.models import ChecklistVersion, GuidePage, HallCalendarDay
    from portal.demo import loader
    from search.models import Synonym

    index = loader.ensure_site(title="云溪区政务服务中心办事指南")
    loader.ensure_site_identity(index.get_parent().specific)
    loader.ensure_hall()
    loader.ensure_departments()
    loader.ensure_themes()
    import_guides(split_lines((loader.DEMO_DIR / "guides.jsonl").read_text(encoding="utf-8")), publish=True)
    import_guides(corpus_lines(), publish=True, findings_as_warnings=True)

    for number in range(2, len(HISTORY_DAYS) + 2):
        _edit_and_publish(HISTORY_GUIDE, _more_copies, note=f"第 {number} 版：复印件份数调整")
    for version, day in enumerate(HISTORY_DAYS, start=1):
        ChecklistVersion.objects.filter(guide__code=HISTORY_GUIDE, version=version).update(published_at=day)

    draft = GuidePage.objects.get(code=DRAFT_GUIDE).get_latest_revision_as_object()
    draft.summary = ""
    draft.change_note = "草稿：补充材料说明"
    _more_copies(draft)
    draft.save_revision(clean=False)  # as the admin saves a draft: required fields may wait

    GuidePage.objects.get(code=WITHDRAWN_GUIDE).unpublish()
    GuidePage.objects.get(code=DELETED_GUIDE).delete()

    def rename(page):
        page.slug = "kaiban-naichadian"
        page.seo_title = "开奶茶店办证指南"
        page.search_description = "开一家奶茶店要办的证照"

    _edit_and_publish(RENAMED_GUIDE, rename)
    _edit_and_publish(MARKED_GUIDE, _mark, note="材料可免提交、可告知承诺")
    import_guides(jsonl(make_record(code=NEW_GUIDE, department="云溪区市场监督管理局",
                                    intake_window="综合受理窗口（4-6号）", themes=["canyin-kaidian"])), publish=False)

    HallCalendarDay.objects.filter(date=dt.date(2026, 1, 1)).update(note="元旦")
    Synonym.objects.create(phrases="开饭店|开餐馆", expansions="食品经营许可|餐饮服务", note="群众常说")
    Synonym.objects.create(phrases="办执照", expansions="营业执照", enabled=False)
    SearchPromotion.objects.create(
        query=Query.get("办证"), page=GuidePage.objects.get(code=HISTORY_GUIDE), sort_order=0, description="工程建设首选"
    )
    loader.ensure_journeys()
    birth = next(data for data in loader._load_json("journeys.json") if data["slug"] == JOURNEY)
    withdrawn = loader.add_journey({**birth, "slug": WITHDRAWN_JOURNEY, "title": "已撤下的一件事"})
    Page.objects.get(pk=withdrawn.pk).specific.unpublish()  # the page as published, not the instance added
    return {"fingerprints": list(ChecklistVersion.objects.filter(guide__code=HISTORY_GUIDE).order_by("version").values_list("fingerprint", flat=True))}


def probe_paths(source: dict) -> list[str]:
    from guides.models import Department, GuidePage, LifeEvent

    live = list(GuidePage.objects.live().order_by("path"))
    sampled = [page for number, page in enumerate(live) if number % 20 == 0]
    sampled += [p for p in live if p.code in (HISTORY_GUIDE, DRAFT_GUIDE, RENAMED_GUIDE, MARKED_GUIDE)]
    first, *_, latest = source["fingerprints"]
    feed = f"/api/v1/guides/{HISTORY_GUIDE}/checklist"
    paths = [
        "/", "/accessibility/", "/guides/", "/guides/section/gc/", "/sitemap.xml", "/changes.atom", "/kiosk/",
        f"/guides/theme/{LifeEvent.objects.order_by('pk').first().slug}/",
        f"/guides/department/{Department.objects.order_by('pk').first().code}/",
        *(page.url for page in sampled),
        *(f"/g/{page.code}/" for page in sampled[:3]),
        f"/g/{WITHDRAWN_GUIDE}/", f"/g/{NEW_GUIDE}/",
        f"{feed}/verify/?fingerprint={first}", f"{feed}/verify/?fingerprint={latest[:12]}",
        f"{feed}/", f"{feed}/?at=2026-01-04", f"{feed}/?at=2026-01-05", f"{feed}/?at=2026-02-20", f"{feed}/?at=2026-03-15",
        f"/api/v1/guides/{WITHDRAWN_GUIDE}/checklist/?at=2030-01-01", f"/api/v1/guides/{WITHDRAWN_GUIDE}/",
        f"/api/v1/guides/{HISTORY_GUIDE}/", f"/api/v1/guides/{DRAFT_GUIDE}/", f"/api/v1/guides/{MARKED_GUIDE}/",
        f"/api/v1/guides/{MARKED_GUIDE}/checklist/",
        "/api/v1/changes/?limit=200", "/api/v1/changes/?since=600&limit=200",
        "/api/v1/guides.ndjson", "/api/v1/cpsv-ap/catalogue/", f"/api/v1/cpsv-ap/guides/{HISTORY_GUIDE}/",
        # Journeys: their pages and merged checklists, the part-of box of a member, the feed.
        "/journeys/", f"/journeys/{JOURNEY}/", f"/journeys/{JOURNEY}/?{JOURNEY_ANSWER}", f"/journeys/{WITHDRAWN_JOURNEY}/",
        GuidePage.objects.get(code=JOURNEY_MEMBER).url, f"/kiosk/j/{JOURNEY}/",
        "/api/v1/journeys/", f"/api/v1/journeys/{JOURNEY}/", f"/api/v1/journeys/{JOURNEY}/?{JOURNEY_ANSWER}",
    ]
    return paths


# What the source answers 404 to, and must still after the restore (the rest answers 200, or
# a redirect for the short links).
NOT_FOUND = {
    f"/journeys/{WITHDRAWN_JOURNEY}/",
    f"/g/{WITHDRAWN_GUIDE}/", f"/g/{NEW_GUIDE}/", f"/api/v1/guides/{WITHDRAWN_GUIDE}/",
    f"/api/v1/guides/{HISTORY_GUIDE}/checklist/?at=2026-01-04",
}


def difference(path: str, expected: list, got: list) -> str:
    """What differs between two answers, as a diff of their lines."""
    lines = difflib.unified_diff(expected[2].splitlines(), got[2].splitlines(), "source", "restored", lineterm="", n=1)
    return f"{path}: {expected[:2]} → {got[:2]}\n" + "\n".join(line[:300] for line in lines)


def without_cursors(body: str) -> dict:
    """A guide list without its cursors, which name the guides' database ids."""
    data = json.loads(body)
    return {key: value for key, value in data.items() if key not in ("next_cursor", "next")}


@pytest.fixture(scope="module")
def restore(django_db_setup, django_db_blocker, tmp_path_factory):
    """The source built and probed in the test database (rolled back at the end), its export, and
    what a new database restored from that export answers."""
    work = tmp_path_factory.mktemp("restore")
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            source = build_source()
            export = work / "catalogue.jsonl"
            call_command("export_guides", str(export), stderr=io.StringIO())
            paths = probe_paths(source)
            first_page = json.loads(answers(["/api/v1/guides/?limit=100"])["/api/v1/guides/?limit=100"][2])
            paths += ["/api/v1/guides/?limit=100", f"/api/v1/guides/?limit=100&cursor={first_page['next_cursor']}"]
            expected = answers(paths)
            tree = page_tree()
            with empty_database(work) as database:
                restored = _restore_in_subprocess(database, work, export, paths)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
    return {"source": source, "export": export, "paths": paths, "expected": expected, "tree": tree, **restored}


def _restore_in_subprocess(database: str, work: Path, export: Path, paths: list[str]) -> dict:
    restored = restore_in_subprocess(database, work, export, paths)
    # The next publish on the restored database continues the history and the change log.
    restored["after"] = printed_json(run_portal(database, work, "-c", PUBLISH_AFTER_RESTORE))
    return restored


PUBLISH_AFTER_RESTORE = f"""
import json, django
django.setup()
from feed.models import ChangeEvent
from guides.models import GuidePage
last = ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first()
page = GuidePage.objects.get(code="{HISTORY_GUIDE}").get_latest_revision_as_object()
materials = list(page.materials.all())
materials[0].copy_count += 1
page.materials = materials
page.save_revision().publish()
page = GuidePage.objects.get(code="{HISTORY_GUIDE}")
events = list(ChangeEvent.objects.filter(id__gt=last).order_by("id").values_list("id", "kind", "checklist_version"))
# A new department's folder: a page created after the restore takes an id no restored page has.
from guides.models import Department
new_folder = Department.objects.create(name="新设部门", code="NEWDEPT").folder.pk
print(json.dumps({{"last": last, "events": events, "version": page.checklist_version, "new_folder": new_folder}}))
"""


def test_the_restored_database_exports_the_same_catalogue(restore):
    original = restore["export"].read_bytes().split(b"\n")
    again = restore["again"].read_bytes().split(b"\n")
    header = json.loads(original[0])
    assert header["counts"]["guide"] == 78 + 250 + 1 - 1  # demo + corpus + the new draft - the deleted guide
    assert json.loads(again[0])["counts"] == header["counts"]
    assert len(again) == len(original)
    differing = next(((a, b) for a, b in zip(original[1:], again[1:], strict=True) if a != b), None)
    assert differing is None, "\n".join(difflib.unified_diff(*(line.decode().split(",") for line in differing), lineterm="", n=0))
    assert again[1:] == original[1:]  # everything but the export's own time


def test_fingerprints_versions_and_history_come_back(restore):
    lines = [json.loads(line) for line in restore["again"].read_text(encoding="utf-8").splitlines()]
    guides = {line["code"]: line for line in lines if line["record"] == "guide"}
    history = guides[HISTORY_GUIDE]
    assert history["checklist_version"] == 4
    assert [v["version"] for v in history["history"]] == [1, 2, 3, 4]
    assert [v["fingerprint"] for v in history["history"]] == restore["source"]["fingerprints"]
    assert history["history"][1]["published_at"].startswith("2026-02-10T18:00:00")  # 10:00 UTC, China time
    assert history["change_note"] == "第 4 版：复印件份数调整"
    assert guides[DRAFT_GUIDE]["draft"]["summary"] == "" and guides[DRAFT_GUIDE]["summary"]
    assert guides[DRAFT_GUIDE]["draft"]["change_note"] == "草稿：补充材料说明"
    assert guides[WITHDRAWN_GUIDE]["page"]["live"] is False and guides[WITHDRAWN_GUIDE]["history"]
    assert guides[NEW_GUIDE]["page"] | {"id": None, "slug": None} == {
        "id": None, "slug": None, "seo_title": "", "search_description": "", "live": False,
        "first_published_at": None, "last_published_at": None,
    }
    assert guides[NEW_GUIDE]["page"]["id"] in restore["tree"]["ids"].values()
    assert guides[NEW_GUIDE]["history"] == [] and guides[NEW_GUIDE]["themes"] == ["canyin-kaidian"]
    assert guides[RENAMED_GUIDE]["page"]["slug"] == "kaiban-naichadian"
    assert DELETED_GUIDE not in guides
    changes = [line for line in lines if line["record"] == "change"]
    assert [c["id"] for c in changes] == sorted(c["id"] for c in changes)
    deleted = [c for c in changes if c["code"] == DELETED_GUIDE]
    assert deleted and all(c["guide"] is None for c in deleted)
    kinds = {line["record"] for line in lines}
    assert kinds == {"catalogue", "site", "department", "hall", "window", "theme", "synonym", "guide", "journey", "change", "promotion"}
    hall = next(line for line in lines if line["record"] == "hall")
    assert hall["address"] == "江城市云溪区望江大道188号" and hall["hours"]["5"] == ["09:00-12:00"]
    assert {"date": "2026-01-01", "kind": "closed", "hours_of_weekday": 0, "note": "元旦"} in hall["calendar"]
    site = next(line for line in lines if line["record"] == "site")
    assert site["identity"]["sponsor"] == "江城市云溪区人民政府办公室" and site["identity"]["site_code"] == "0000000000"
    assert site["identity"]["accessibility_statement"] == "/home/accessibility/"
    [statement] = site["statements"]
    assert statement["slug"] == "accessibility" and statement["live"] is True and "<h2" in statement["body"]
    marked = guides[MARKED_GUIDE]
    assert [material["marks"] for material in marked["materials"]] == MARKS
    assert [material["marks"] for material in marked["history"][-1]["checklist"]["materials"]] == MARKS
    windows = {(w["name"], w["numbers"]): w for w in lines if w["record"] == "window"}
    assert windows[("综合受理窗口", "1-9")]["location"] == "一楼东区（无差别综合受理）"
    assert {line["code"] for line in lines if line["record"] == "department"} >= {"YXFGJ", "YXSCJG"}


def test_pages_and_feed_answer_as_before(restore):
    expected, got = restore["expected"], restore["answers"]
    assert {path for path, answer in expected.items() if answer[0] == 404} == NOT_FOUND
    assert all(answer[0] in (200, 301, 302, 404) for answer in expected.values())
    listing = "/api/v1/guides/?limit=100"
    for path in restore["paths"]:
        if path.startswith(listing):
            assert got[path][0] == expected[path][0] == 200
            assert without_cursors(got[path][2]) == without_cursors(expected[path][2]), path
        else:
            assert got[path] == expected[path], difference(path, expected[path], got[path])
    first, *_ = restore["source"]["fingerprints"]
    verify = json.loads(got[f"/api/v1/guides/{HISTORY_GUIDE}/checklist/verify/?fingerprint={first}"][2])
    assert verify["your_version"] == 1 and verify["version"] == 4 and verify["current"] is False
    at = json.loads(got[f"/api/v1/guides/{HISTORY_GUIDE}/checklist/?at=2026-02-20"][2])
    assert at["version"] == 2
    assert got[f"/api/v1/guides/{HISTORY_GUIDE}/checklist/?at=2026-01-04"][0] == 404
    assert got[f"/api/v1/guides/{WITHDRAWN_GUIDE}/"][0] == 404
    assert got[f"/api/v1/guides/{WITHDRAWN_GUIDE}/checklist/?at=2030-01-01"][0] == 200
    # A client holding a cursor of the source's list continues with the same guides.
    second = [item["code"] for item in json.loads(got[restore["paths"][-1]][2])["items"]]
    assert second and second == [item["code"] for item in json.loads(expected[restore["paths"][-1]][2])["items"]]


def test_department_folders_and_the_review_workflow_come_back(restore):
    """Roles are granted on the department folders and the review runs on the guide index: the
    restore rebuilds the same folders, puts every guide in its own department's folder under
    the same tree path, and assigns the same workflow."""
    tree, restored = restore["tree"], restore["restored_tree"]
    folder_departments = {slug: code for slug, _title, code, _live in tree["folders"]}
    assert len(tree["guides"]) == 78 + 250 + 1 - 1 and len(folder_departments) >= 2  # as the export's count
    assert all(folder_departments[folder] == department for folder, department, _path in tree["guides"].values())
    assert tree["workflow"] == ["办事指南审核", True, ["DepartmentReviewTask", "CentreReviewTask"]]
    assert restored["folders"] == tree["folders"]
    assert restored["guides"] == tree["guides"]
    assert restored["workflow"] == tree["workflow"]


def test_every_page_keeps_its_id(restore):
    """The catalogue names every page's id and a restore into an empty database gives it back:
    the home page, the indexes, the statement, the department folders (created after the guides
    of the demo's first departments), the guides and the journeys; the next page created after
    the restore takes a new id (the database's sequence went past the restored ones)."""
    source, restored = restore["tree"]["ids"], restore["restored_tree"]["ids"]
    # the home page, the guide and journey indexes, the statement; the folders, guides and journeys
    assert len(source) == 4 + len(restore["tree"]["folders"]) + 328 + 5
    assert restored == source
    assert restore["after"]["new_folder"] > max(source.values())


def test_a_second_import_changes_nothing(restore):
    assert "新建 328，更新 0，未变 0，发布 326" in restore["first_import"]
    assert "新建 0，更新 0，未变 328，发布 0" in restore["second_import"]
    assert "一件事：新建 5" in restore["first_import"]
    for label in ("部门", "大厅", "窗口", "主题", "同义词", "一件事", "变更记录", "推荐结果"):
        line = next(line for line in restore["second_import"].splitlines() if line.startswith(label))
        assert line.startswith(f"{label}：新建 0，更新 0，未变 "), line


def test_publishing_after_a_restore_continues_the_history_and_the_log(restore):
    after = restore["after"]
    assert after["version"] == 5
    assert [event[0] for event in after["events"]] == [after["last"] + 1, after["last"] + 2]
    assert [event[1:] for event in after["events"]] == [["published", 5], ["checklist_changed", 5]]


def test_journeys_come_back_with_the_same_merged_checklists(restore):
    """Every journey, live or withdrawn, in the export of the restored database as in the
    source's, and the feed gives the same merged fingerprint for the same answers."""
    lines = [json.loads(line) for line in restore["again"].read_text(encoding="utf-8").splitlines()]
    journeys = {line["slug"]: line for line in lines if line["record"] == "journey"}
    assert set(journeys) == {"xinshenger-chusheng", "kaiban-qiye", "canyin-kaidian", "shenhou", WITHDRAWN_JOURNEY}
    assert journeys[WITHDRAWN_JOURNEY]["page"]["live"] is False and journeys[WITHDRAWN_JOURNEY]["page"]["first_published_at"]
    birth = journeys[JOURNEY]
    assert birth["presets"] == [["YX-GM-0013", "s1", "新生儿"]] and len(birth["links"]) == 2
    assert birth["questions"][0]["maps"] == [["YX-GM-0002", "s1"], ["YX-GM-0029", "s1"]]
    site = next(line for line in lines if line["record"] == "site")
    assert site["journey_index"]["slug"] == "journeys"

    expected, got = restore["expected"], restore["answers"]
    fingerprints = set()
    for path in (f"/api/v1/journeys/{JOURNEY}/", f"/api/v1/journeys/{JOURNEY}/?{JOURNEY_ANSWER}"):
        source, restored = json.loads(expected[path][2]), json.loads(got[path][2])
        assert restored["merged_checklist"]["fingerprint"] == source["merged_checklist"]["fingerprint"]
        fingerprints.add(restored["merged_checklist"]["fingerprint"])
    assert len(fingerprints) == 2  # the answer changes the merged checklist
