"""Printing the web page of a guide (the browser's own print, Ctrl-P) in Debian's Chromium: the
print stylesheet gives few A4 pages, the checklist on the first one and no half-empty first page.
The PDF Chromium prints with print media is read back with pypdf."""

from __future__ import annotations

import io
import json
import re
import unicodedata

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Two demo guides of ten materials each, whose web pages printed 5 pages with the first one half
# empty before the print stylesheet.
DEMO_CODES = ("YX-GM-0024", "YX-JY-0005")
MAX_PAGES = 3
# The text of the first page must reach down to its last quarter when more pages follow.
FILLED_DOWN_TO = 0.25


@pytest.fixture
def demo_guides(transactional_db):
    """The two guides as the demo site has them: its site tree, hall, departments and themes."""
    from guides.importer import import_guides
    from guides.models import GuidePage
    from portal.demo.loader import (
        DEMO_DIR,
        ensure_departments,
        ensure_hall,
        ensure_site,
        ensure_themes,
    )

    ensure_site()
    ensure_hall()
    ensure_departments()
    ensure_themes()
    lines = [line for line in (DEMO_DIR / "guides.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    import_guides([line for line in lines if json.loads(line)["code"] in DEMO_CODES], publish=True)
    guides = list(GuidePage.objects.live().filter(code__in=DEMO_CODES).order_by("code"))
    assert [guide.code for guide in guides] == sorted(DEMO_CODES)
    return guides


def printed(expected: str, text: str) -> bool:
    """Whether ``expected`` is in the text read back from the PDF, where a character may have come
    back as a CJK radical that looks like it (⻝ for 食: not every one of them has an NFKC form)."""
    pattern = ""
    for character in "".join(unicodedata.normalize("NFKC", expected).split()):
        ideograph = "\u4e00" <= character <= "\u9fff"
        pattern += f"(?:{re.escape(character)}|[\u2e80-\u2fdf])" if ideograph else re.escape(character)
    return re.search(pattern, text) is not None


def page_lines(page) -> tuple[str, float]:
    """A PDF page's text and the lowest height (as a share of the page, 0 at the bottom) at which
    any of it is set."""
    height = float(page.mediabox.height)
    lowest = [1.0]

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            lowest[0] = min(lowest[0], y / height)

    # Chromium's fonts map some characters to look-alikes (⼆ for 二, the Kangxi radical): NFKC
    # gives the text back as written.
    text = unicodedata.normalize("NFKC", page.extract_text(visitor_text=visit))
    return text, lowest[0]


def test_printing_a_guide_page_puts_the_checklist_first_on_few_full_pages(browser, live_server, demo_guides):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        page = context.new_page()
        for guide in demo_guides:
            page.goto(f"{live_server.url}{guide.url}")
            first_material = page.locator(".checklist .material-name").first.inner_text()
            pdf = PdfReader(io.BytesIO(page.pdf(format="A4", prefer_css_page_size=True)))
            pages = [page_lines(sheet) for sheet in pdf.pages]
            first_text, first_lowest = pages[0]
            compact = "".join(first_text.split())
            assert 1 <= len(pages) <= MAX_PAGES, (guide.code, len(pages))
            assert printed(guide.title, compact) and "需要准备的材料" in compact, (guide.code, first_text[:400])
            assert printed(first_material, compact), (guide.code, first_material)
            if len(pages) > 1:
                assert first_lowest <= FILLED_DOWN_TO, (guide.code, f"page 1 ends at {1 - first_lowest:.0%} of its height")
            # What only works on a screen is not printed.
            whole = "".join("".join(text.split()) for text, _lowest in pages)
            assert "语音朗读" not in whole and "筛选材料" not in whole and "跳到正文" not in whole, guide.code
            assert float(pdf.pages[0].mediabox.width) == pytest.approx(595.3, abs=1)  # A4
    finally:
        context.close()
