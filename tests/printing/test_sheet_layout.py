"""How single sheets fall on paper: the counter header's pairs are each on one line and not
stretched, and URLs break only after a slash (laid out by printing.render.layout_sheet, as
render_guide_pdf writes them)."""

from __future__ import annotations

import pytest

from printing.render import layout_sheet
from tests.printing.conftest import BASE_URL, page_boxes


def line_texts(document) -> list[tuple[str, list]]:
    """(text, text boxes) of every line of a laid-out sheet."""
    lines = []
    for number in range(len(document.pages)):
        for box in page_boxes(document, number):
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
        # "https://" is one piece (never "https:/" | "/…"), and the host may begin a line: a
        # whole "https://guide.example.gov.cn/" (about 34 mm at 6 pt) is wider than the QR
        # code's caption (24 to 32 mm).
        ("https://a.gov.cn/g/YX-GM-0024/", ["https://", "a.gov.cn/", "g/", "YX-GM-0024/"]),
        ("https://a.gov.cn/x?q=<b>", ["https://", "a.gov.cn/", "x?q=&lt;b&gt;"]),
        ("", []),
    ],
)
def test_url_breaks_marks_up_the_pieces_between_slashes(url, expected):
    from printing.templatetags.printing_tags import url_breaks

    html = str(url_breaks(url))
    assert html == "<wbr>".join(f'<span class="url-part">{piece}</span>' for piece in expected)
