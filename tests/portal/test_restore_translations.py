"""Guide translations survive an export and a restore: three translated guides, one
translation made out of date by a later publish of its source and one unpublished, exported with
``export_guides`` and imported with ``import_guides`` into a new, empty database (on the same
kind of server as the test database) in a subprocess. The restored portal exports the same
catalogue, shows the same English pages (each with its source's checklist fingerprint, flagged
out of date exactly where the source was), and a second import changes nothing. Malformed
translation lines are line errors that write nothing."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import translation as django_translation

from tests.conftest import jsonl, make_record
from tests.databases import empty_database, run_portal
from tests.portal.restore_probe import answers, printed_json, restore_in_subprocess

pytestmark = pytest.mark.django_db

UP_TO_DATE = "T-JY-0001"  # translated, not changed since
OUT_OF_DATE = "T-JY-0002"  # translated, then its Chinese summary changed and was published
UNPUBLISHED = "T-JY-0003"  # translated, then the translation unpublished
UNPUBLISHED_TITLE = "Withdrawn translation"
GUIDES = {UP_TO_DATE: "食品经营许可证核发", OUT_OF_DATE: "食品经营备案", UNPUBLISHED: "小餐饮经营登记"}
TRANSLATED = {
    UP_TO_DATE: {"title": "Food business licence", "summary": "Sellers of food need a licence.", "result_name": "Food business licence"},
    OUT_OF_DATE: {"title": "Food business filing", "summary": "Small food sellers file with the bureau."},
    UNPUBLISHED: {"title": UNPUBLISHED_TITLE},
}
OUT_OF_DATE_NOTICE = "This translation may be out of date; the Chinese version is authoritative."
NOT_TRANSLATED = "This guide has not been translated yet; it is shown in the original Chinese."


def fingerprint_in(html: str) -> str:
    return re.search(r'<meta name="checklist-fingerprint" content="([0-9a-f]+)">', html).group(1)


def h1_of(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html).group(1)


def build_source() -> dict:
    """Three guides with English translations, one made out of date by a later publish of its
    source and one unpublished; what the English pages must show after the restore. (Small on
    purpose: the restore of a whole catalogue is tests/portal/test_restore.py's.)"""
    from guides.importer import import_guides
    from guides.models import GuidePage
    from guides.translations import is_out_of_date, translate
    from portal.demo.loader import ensure_site
    from tests.conftest import build_hall

    ensure_site()
    build_hall()
    import_guides(
        jsonl(*(make_record(code=code, name=name) for code, name in GUIDES.items())), publish=True
    )
    for code, texts in TRANSLATED.items():
        translate(GuidePage.sources.get(code=code), "en", texts)
    source = GuidePage.sources.get(code=OUT_OF_DATE).get_latest_revision_as_object()
    source.summary += "（已更新）"
    source.save_revision().publish()
    GuidePage.objects.get(code=UNPUBLISHED, locale__language_code="en").unpublish()
    english = {page.code: page for page in GuidePage.objects.filter(locale__language_code="en")}
    sources = {code: GuidePage.sources.get(code=code) for code in english}
    with django_translation.override("zh-hans"):
        paths = {code: page.url for code, page in sources.items()}
    return {
        "english": {code: {"title": page.title, "summary": page.summary, "live": page.live} for code, page in english.items()},
        "fingerprints": {code: page.checklist_fingerprint for code, page in sources.items()},
        "out_of_date": {code: is_out_of_date(page) for code, page in sources.items()},
        "paths": paths,
    }


@pytest.fixture(scope="module")
def restore(django_db_setup, django_db_blocker, tmp_path_factory):
    """The source built and probed in the test database (rolled back at the end), its export, and
    what a new database restored from that export answers."""
    work = tmp_path_factory.mktemp("restore-translations")
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            source = build_source()
            export = work / "catalogue.jsonl"
            call_command("export_guides", str(export), stderr=io.StringIO())
            paths = ["/sitemap.xml"]
            for code, path in source["paths"].items():
                paths += [path, f"/en{path}", f"/en/g/{code}/", f"/g/{code}/"]
            expected = answers(paths)
            with empty_database(work) as database:
                restored = _restore_in_subprocess(database, work, export, paths)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
    return {"source": source, "export": export, "expected": expected, **restored}


def _restore_in_subprocess(database: str, work: Path, export: Path, paths: list[str]) -> dict:
    restored = restore_in_subprocess(database, work, export, paths, after_first_import=RESTORED_STATE)
    restored["state"] = printed_json(run_portal(database, work, "-c", RESTORED_STATE))
    restored["state_after_first_import"] = restored.pop("after_first_import")
    return restored


RESTORED_STATE = """
import json, django
django.setup()
from guides.models import GuidePage
from guides.translations import is_out_of_date
english = GuidePage.objects.filter(locale__language_code="en")
print(json.dumps({
    "english": {page.code: {"title": page.title, "summary": page.summary, "live": page.live} for page in english},
    "out_of_date": {page.code: is_out_of_date(GuidePage.sources.get(code=page.code)) for page in english},
    "revisions": {page.code: page.revisions.count() for page in english},
}))
"""


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_export_has_a_line_per_translation(restore):
    lines = _lines(restore["export"])
    translations = {line["code"]: line for line in lines if line["record"] == "translation"}
    assert lines[0]["counts"]["translation"] == len(translations) == len(restore["source"]["english"]) >= 3
    for code, texts in TRANSLATED.items():
        assert (translations[code]["language"], translations[code]["fields"]) == ("en", texts)
    assert translations[UNPUBLISHED]["live"] is False and translations[UP_TO_DATE]["live"] is True
    # Each line comes after the guides (and journeys) and before the change log (RecordKind.ORDER).
    kinds = [line["record"] for line in lines]
    first = kinds.index("translation")
    assert kinds[first - 1] == "guide" and kinds[first + len(translations)] == "change"


def test_the_restored_database_exports_the_same_catalogue(restore):
    original = restore["export"].read_bytes().split(b"\n")
    again = restore["again"].read_bytes().split(b"\n")
    assert json.loads(again[0])["counts"] == json.loads(original[0])["counts"]
    assert again[1:] == original[1:]  # everything but the export's own time


def test_the_english_pages_come_back_translated(restore):
    source, expected, got = restore["source"], restore["expected"], restore["answers"]
    assert restore["state"]["english"] == source["english"]
    for code, path in source["paths"].items():
        english = got[f"/en{path}"]
        assert english == expected[f"/en{path}"], code
        html = english[2]
        assert fingerprint_in(html) == source["fingerprints"][code]
        assert got[f"/en/g/{code}/"][:2] == expected[f"/en/g/{code}/"][:2] and got[f"/en/g/{code}/"][1] == f"/en{path}"
        assert got[path] == expected[path] and got[f"/g/{code}/"] == expected[f"/g/{code}/"]
        if source["english"][code]["live"]:
            assert h1_of(html) == source["english"][code]["title"] and NOT_TRANSLATED not in html
            assert source["english"][code]["summary"] in html
        else:
            assert NOT_TRANSLATED in html and UNPUBLISHED_TITLE not in html
    assert got["/sitemap.xml"] == expected["/sitemap.xml"]


def test_a_translation_is_out_of_date_after_the_restore_exactly_when_it_was_before(restore):
    source, got = restore["source"], restore["answers"]
    assert source["out_of_date"][OUT_OF_DATE] is True and source["out_of_date"][UP_TO_DATE] is False
    assert restore["state"]["out_of_date"] == source["out_of_date"]
    assert OUT_OF_DATE_NOTICE in got[f"/en{source['paths'][OUT_OF_DATE]}"][2]
    assert OUT_OF_DATE_NOTICE not in got[f"/en{source['paths'][UP_TO_DATE]}"][2]


def test_a_second_import_changes_no_translation(restore):
    count = len(restore["source"]["english"])
    assert f"译文：新建 {count}，更新 0，未变 0" in restore["first_import"]
    assert f"译文：新建 0，更新 0，未变 {count}" in restore["second_import"]
    # The second import saved no revision and left every translation as it was.
    assert restore["state"] == restore["state_after_first_import"]


# --- translation lines in the test database -------------------------------------------------------


def translation_line(**overrides) -> dict:
    return {"record": "translation", "code": "T-JY-0001", "language": "en",
            "fields": {"title": "Food business licence", "summary": "Issue a licence."}} | overrides


def test_malformed_translation_lines_are_line_errors_and_write_nothing(publish_guide):
    from guides.importer import ImportFailed, import_guides
    from guides.models import GuidePage

    publish_guide()
    publish_guide(code="T-JY-0003")
    lines = jsonl(
        make_record(code="T-JY-0002"),
        translation_line(code="T-NONE-0001"),
        translation_line(language="fr"),
        translation_line(fields={"title": "Food", "sumary": "typo"}),
        translation_line(fields=["title"]),
        translation_line(fields={"title": 3}),
        translation_line(live="yes", synced_at="yesterday"),
        translation_line(language="zh-hans"),
        translation_line(code="T-JY-0003"),
    )
    with pytest.raises(ImportFailed) as failure:
        import_guides(lines)
    errors = {error.line: str(error) for error in failure.value.errors}
    assert sorted(errors) == [2, 3, 4, 5, 6, 7, 8]
    assert "第 2 行（T-NONE-0001）：译文所属的事项“T-NONE-0001”不存在" in errors[2]
    assert "语言“fr”不是本站的内容语言（可用：zh-hans、en）" in errors[3]
    assert "未知的译文字段：sumary" in errors[4] and "summary" in errors[4]
    assert "字段 fields 应为对象" in errors[5]
    assert "字段 fields 应为“字段：译文”的对象" in errors[6]
    assert "字段 live 应为 true 或 false" in errors[7] and "字段 synced_at 应为带时区的 ISO 8601 时间" in errors[7]
    assert "译文的语言不能是事项原文的语言" in errors[8]
    # Nothing was written: not the good guide, not the good translation.
    assert not GuidePage.objects.filter(code="T-JY-0002").exists()
    assert not GuidePage.objects.filter(locale__language_code="en").exists()


def test_importing_a_translation_twice_leaves_one(publish_guide):
    from guides.importer import import_guides
    from guides.models import GuidePage

    source = publish_guide()
    first = import_guides(jsonl(translation_line()))
    english = GuidePage.objects.get(translation_key=source.translation_key, locale__language_code="en")
    revisions = english.revisions.count()
    second = import_guides(jsonl(translation_line()))
    assert first.records[("translation", "created")] == 1
    assert second.records[("translation", "unchanged")] == 1
    assert GuidePage.objects.filter(locale__language_code="en").count() == 1
    assert english.revisions.count() == revisions
    changed = import_guides(jsonl(translation_line(fields={"title": "Food business licence (new)"})))
    assert changed.records[("translation", "updated")] == 1
    english.refresh_from_db()
    assert english.title == "Food business licence (new)" and english.live
    assert GuidePage.objects.filter(locale__language_code="en").count() == 1


def test_a_translation_line_creates_the_locale_of_a_content_language(publish_guide):
    from wagtail.models import Locale

    from guides.importer import import_guides
    from guides.models import GuidePage

    publish_guide()
    Locale.objects.filter(language_code="en").delete()
    import_guides(jsonl(translation_line()))
    english = GuidePage.objects.get(code="T-JY-0001", locale__language_code="en")
    assert english.live and english.title == "Food business licence"
