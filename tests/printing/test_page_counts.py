"""How the sheets fall on paper, over the 250-guide corpus and the demo site: a guide with up to
ten materials prints its citizen sheet and its counter checklist on at most two A4 pages, and no
section of the citizen sheet is split across pages (only the materials table and the FAQ may
continue). The layout of single sheets is in test_sheet_layout.py: this module's corpus stays
published until the module ends, and a test publishing a guide of its own would meet it.

Sheets are laid out by WeasyPrint exactly as they are written (printing.render.layout_sheet, the
same HTML, stylesheet and fonts as render_guide_pdf), without writing the PDF."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from printing.render import layout_sheet
from tests.conftest import imported_corpus
from tests.printing.conftest import BASE_URL, page_boxes

MAX_PAGES = 2
MAX_MATERIALS = 10
# Sections that may continue on the next page: the table between its rows, the FAQ between items.
MAY_CONTINUE = {"materials", "faq"}


@pytest.fixture(scope="module")
def catalogue(django_db_setup, django_db_blocker):
    """The corpus and the demo guides, published once for the module (rolled back after it)."""
    from guides.importer import import_guides
    from portal.demo.loader import DEMO_DIR, ensure_departments, ensure_themes

    with imported_corpus(django_db_blocker), django_db_blocker.unblock():
        ensure_departments()
        ensure_themes()
        demo = (DEMO_DIR / "guides.jsonl").read_text(encoding="utf-8").splitlines()
        import_guides([line for line in demo if line.strip()], publish=True)
        yield


def sections_by_page(document) -> Counter:
    """How many pages each <section id> of a laid-out sheet appears on."""
    pages = Counter()
    for number in range(len(document.pages)):
        found = {
            box.element.get("id")
            for box in page_boxes(document, number)
            if getattr(box, "element_tag", "") == "section" and box.element is not None and box.element.get("id")
        }
        pages.update(found)
    return pages


def published_codes() -> set[str]:
    """The codes of the corpus and of the demo site, as their files list them."""
    from portal.demo.loader import DEMO_DIR
    from tests.conftest import corpus_lines

    demo = (DEMO_DIR / "guides.jsonl").read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["code"] for line in [*corpus_lines(), *demo] if line.strip()}


def test_sheets_of_the_corpus_and_the_demo_fit_two_pages(catalogue, db):
    from guides.models import GuidePage
    from guides.serializers import live_record

    pages = GuidePage.objects.live().order_by("code")
    expected = published_codes()
    assert len(expected) > 300
    assert set(pages.values_list("code", flat=True)) == expected, "the corpus and the demo site are not all published"
    counts: Counter = Counter()
    too_long, split = [], []
    for page in pages:
        record = live_record(page)
        materials = len(record["materials"])
        for kind in ("citizen", "counter"):
            document = layout_sheet(record, kind=kind, base_url=BASE_URL)
            counts[(kind, len(document.pages))] += 1
            if materials <= MAX_MATERIALS and len(document.pages) > MAX_PAGES:
                too_long.append(f"{record['code']} {kind}: {len(document.pages)} pages, {materials} materials")
            if kind == "citizen":
                split += [
                    f"{record['code']} #{section} on {n} pages"
                    for section, n in sections_by_page(document).items()
                    if n > 1 and section not in MAY_CONTINUE
                ]
    summary = ", ".join(f"{kind} {n} p.: {count}" for (kind, n), count in sorted(counts.items()))
    print(f"sheets by number of pages: {summary}")  # shown with -rP
    assert not too_long, f"{len(too_long)} sheets over {MAX_PAGES} pages ({summary}): {too_long[:20]}"
    assert not split, f"sections split across pages ({summary}): {split[:20]}"
    # Every guide of the corpus has at most ten materials but two: both kinds of every guide ran.
    assert sum(counts.values()) == 2 * len(expected)
