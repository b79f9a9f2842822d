"""What a portal answers to a list of paths and where its guides are in the page tree, for
comparing a database with its restore: called in the test process on the source database, and
run as ``python -m tests.portal.restore_probe PATHS ANSWERS TREE`` (JSON files) on the restored
one."""

from __future__ import annotations

import json
import sys


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


if __name__ == "__main__":
    import django

    django.setup()
    with open(sys.argv[1], encoding="utf-8") as handle:
        requested = json.load(handle)
    with open(sys.argv[2], "w", encoding="utf-8") as handle:
        json.dump(answers(requested), handle, ensure_ascii=False)
    with open(sys.argv[3], "w", encoding="utf-8") as handle:
        json.dump(page_tree(), handle, ensure_ascii=False)
