"""What a portal answers to a list of paths and where its guides are in the page tree, for
comparing a database with its restore: called in the test process on the source database, and
run as ``python -m tests.portal.restore_probe PATHS ANSWERS TREE`` (JSON files) on the restored
one."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def answers(paths: list[str]) -> dict[str, list]:
    from django.test import Client

    client = Client()
    result = {}
    for path in paths:
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        result[path] = [response.status_code, response.get("Location"), body.decode("utf-8")]
    return result


def page_tree() -> dict:
    """The department folders under the guide index (slug, title, department, live), each guide's
    folder, department and tree path of slugs, and the review workflow on the index with its
    tasks: what editors' roles and the review hang on, which no page answer shows; and the id of
    every page by its path (the feed's cursors and the admin's addresses name pages by id)."""
    from wagtail.models import Page, WorkflowPage

    from guides.models import DepartmentFolderPage, GuideIndexPage, GuidePage
    from guides.translations import source_locale_id

    # (The tree of the source locale: translations have copies of the index and folders.)
    index = GuideIndexPage.objects.get(locale_id=source_locale_id())
    folders = {f.path: f for f in DepartmentFolderPage.objects.child_of(index).select_related("department")}
    link = WorkflowPage.objects.filter(page=index).select_related("workflow").first()
    return {
        "folders": sorted(
            [f.slug, f.title, f.department.code if f.department else None, f.live] for f in folders.values()
        ),
        "guides": {
            g.code: [folders[g.path[: -Page.steplen]].slug, g.department.code, g.url_path]
            for g in GuidePage.sources.select_related("department")
        },
        "workflow": link and [link.workflow.name, link.workflow.active, [t.specific_class.__name__ for t in link.workflow.tasks]],
        "ids": dict(Page.objects.filter(depth__gt=1).values_list("url_path", "pk")),
    }


def printed_json(completed) -> dict:
    """The JSON a script run with tests.databases.run_portal printed on its last line."""
    return json.loads(completed.stdout.decode().strip().splitlines()[-1])


def restore_in_subprocess(
    database: str, work: Path, export: Path, paths: list[str], *, after_first_import: str | None = None
) -> dict:
    """Restore ``export`` into the empty ``database`` as an operator would, in processes of their
    own (tests.databases.run_portal): migrate, import, import again (which must change nothing),
    export again, and probe ``paths`` and the page tree. ``after_first_import``, a script run
    between the two imports, prints a JSON line, kept as ``after_first_import``."""
    from tests.databases import run_portal

    run_portal(database, work, "manage.py", "migrate", "--noinput", "-v0")
    first = run_portal(database, work, "manage.py", "import_guides", str(export), "--no-progress")
    between = run_portal(database, work, "-c", after_first_import) if after_first_import else None
    second = run_portal(database, work, "manage.py", "import_guides", str(export), "--no-progress")
    again = work / "again.jsonl"
    run_portal(database, work, "manage.py", "export_guides", str(again))
    (work / "paths.json").write_text(json.dumps(paths), encoding="utf-8")
    run_portal(
        database, work, "-m", "tests.portal.restore_probe",
        str(work / "paths.json"), str(work / "answers.json"), str(work / "tree.json"),
    )
    return {
        "first_import": first.stdout.decode(),
        "second_import": second.stdout.decode(),
        "again": again,
        "answers": json.loads((work / "answers.json").read_text(encoding="utf-8")),
        "restored_tree": json.loads((work / "tree.json").read_text(encoding="utf-8")),
        "after_first_import": printed_json(between) if between else None,
    }


if __name__ == "__main__":
    import django

    django.setup()
    with open(sys.argv[1], encoding="utf-8") as handle:
        requested = json.load(handle)
    with open(sys.argv[2], "w", encoding="utf-8") as handle:
        json.dump(answers(requested), handle, ensure_ascii=False)
    with open(sys.argv[3], "w", encoding="utf-8") as handle:
        json.dump(page_tree(), handle, ensure_ascii=False)
