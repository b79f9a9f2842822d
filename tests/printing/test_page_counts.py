"""How the sheets fall on paper, over the 250-guide corpus and the demo site: a guide with up to
ten materials prints its citizen sheet and its counter checklist on at most two A4 pages, no
section of the citizen sheet is split across pages (only the materials table and the FAQ may
continue), the counter header's pairs are each on one line and not stretched, and URLs break only
after a slash.

Sheets are laid out by WeasyPrint exactly as they are written (printing.render.layout_sheet, the
same HTML, stylesheet and fonts as render_guide_pdf), without writing the PDF."""

from __future__ import annotations

from collections import Counter

import pytest

from printing.render import layout_sheet
from tests.conftest import imported_corpus
from tests.printing.conftest import BASE_URL

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


def boxes(document, page_number: int):
    return document.pages[page_number]._page_box.descendants()


def sections_by_page(document) -> Counter:
    """How many pages each <section id> of a laid-out sheet appears on."""
    pages = Counter()
    for number in range(len(document.pages)):
        found = {
            box.element.get("id")
            for box in boxes(document, number)
            if getattr(box, "element_tag", "") == "section" and box.element is not None and box.element.get("id")
        }
        pages.update(found)
    return pages


def test_sheets_of_the_corpus_and_the_demo_fit_two_pages(catalogue, db):
    from guides.models import GuidePage
    from guides.serializers import live_record

    pages = GuidePage.objects.live().order_by("code")
    assert pages.count() == 325, "the corpus (250) and the demo site (75) are not all published"
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
    assert not too_long, f"{len(too_long)} sheets over {MAX_PAGES} pages ({summary}): {too_long[:20]}"
    assert not split, f"sections split across pages ({summary}): {split[:20]}"
    # Every guide of the corpus has at most ten materials but two: both kinds of every guide ran.
    assert sum(counts.values()) == 2 * 325


def line_texts(document) -> list[tuple[str, list]]:
    """(text, text boxes) of every line of a laid-out sheet."""
    lines = []
    for number in range(len(document.pages)):
        for box in boxes(document, number):
            if type(box).__name__ == "LineBox":
                texts = [child for child in box.descendants() if type(child).__name__ == "TextBox"]
                lines.append(("".join(text.text for text in texts), texts))
    return lines


def test_counter_header_pairs_stay_on_one_line_and_unstretched(publish_guide):
    from guides.serializers import serialize_guide

    page = publish_guide(promised_limit={"value": 1, "unit": "工作日"}, legal_limit={"value": 30, "unit": "工作日"})
    document = layout_sheet(serialize_guide(page), kind="counter", base_url=BASE_URL)
    lines = line_texts(document)
    header = [(text, texts) for text, texts in lines if "承诺时限" in text]
    assert header, [text for text, _ in lines][:10]
    text, texts = header[0]
    assert "承诺时限1个工作日（法定 30个工作日）" in text.replace("承诺时限 ", "承诺时限"), text
    window = [(text, texts) for text, texts in lines if "综合受理窗口" in text]
    assert window, [text for text, _ in lines][:10]
    # Left-aligned: no space of the header is widened to fill the line.
    for text, texts in header + window:
        assert all(getattr(box, "justification_spacing", 0) == 0 for box in texts), text


def test_urls_break_only_after_a_slash(publish_guide):
    from guides.serializers import serialize_guide

    url = "https://zwfw.jiangcheng.gov.cn/zwdt/portal/item-detail/JY-0001-online-application-service/index.html"
    page = publish_guide(online_url=url)
    document = layout_sheet(serialize_guide(page), kind="citizen", base_url=BASE_URL)
    # <wbr> is laid out as a zero-width space.
    lines = [text.replace("\u200b", "") for text, _ in line_texts(document)]
    pieces = [text for text in lines if any(part in text for part in ("zwfw", "zwdt", "item-detail", "index.html"))]
    joined = "".join(piece.split("：", 1)[-1] for piece in pieces)
    assert url in joined, pieces
    assert len(pieces) > 1, "the URL fits one line: the test shows nothing"
    for piece in pieces[:-1]:
        assert piece.endswith("/"), pieces


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://a.gov.cn/g/YX-GM-0024/", ["https://a.gov.cn/", "g/", "YX-GM-0024/"]),
        ("https://a.gov.cn/x?q=<b>", ["https://a.gov.cn/", "x?q=&lt;b&gt;"]),
        ("", []),
    ],
)
def test_url_breaks_marks_up_the_pieces_between_slashes(url, expected):
    from printing.templatetags.printing_tags import url_breaks

    html = str(url_breaks(url))
    assert html == "<wbr>".join(f'<span class="url-part">{piece}</span>' for piece in expected)
