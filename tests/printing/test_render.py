"""The sheets themselves: content parity with the web page's checklist, fingerprint and version,
embedded CJK font subsets, page breaks with repeated table headers, and hostile guide text."""

from __future__ import annotations

import gc
import io
import logging
import multiprocessing
import os
import threading
import time
import weakref
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

import printing.render
from guides.presentation import build_guide_view
from guides.serializers import serialize_guide
from printing.fetcher import RestrictedURLFetcher
from printing.render import (
    KINDS,
    RenderError,
    RenderTimeout,
    check_environment,
    css_string,
    render_guide_pdf,
    render_guide_pdf_limited,
    retire_render_workers,
    sheet_stylesheet,
    short_url,
)
from tests.conftest import BASE_RECORD
from tests.printing.conftest import (
    BASE_URL,
    FOOTER,
    embedded_fonts,
    link_uris,
    material,
    pdf_pages,
    pdf_text,
    qr_codes,
    structure_elements,
)

pytestmark = pytest.mark.django_db
PRINTED_AT = datetime(2026, 9, 28, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))

STANDARDS = {
    "食品经营许可申请书": "申请书须由法定代表人签字并加盖公章",
    "营业执照": "复印件须与原件核对一致并注明“与原件一致”",
    "授权委托书": "委托事项、委托期限须明确，委托人签字",
    "受托人身份证": "身份证须在有效期内，正反面复印在同一页",
}


def with_standards():
    return [{**m, "acceptance_standard": STANDARDS[m["name"]]} for m in BASE_RECORD["materials"]]


def render(page, kind="citizen", **params):
    return render_guide_pdf(
        serialize_guide(page),
        params=params,
        kind=kind,
        base_url=BASE_URL,
        printed_at=PRINTED_AT,
        checklist_version=page.checklist_version,
    )


def test_environment_has_harfbuzz_subset_and_a_cjk_font():
    assert check_environment() == ()


def test_citizen_sheet_prints_the_checklist_of_the_chosen_situation(publish_guide):
    page = publish_guide()
    key = page.situations.get().key
    pdf = render(page, **{key: "否"})
    text = pdf_text(pdf)

    assert "食品经营许可证核发" in text and "T-JY-0001" in text and "测试区市场监督管理局" in text
    assert "测试区政务服务中心" in text
    view = build_guide_view(serialize_guide(page), {key: "否"})
    assert [m["name"] for m in view.materials] == ["食品经营许可申请书", "营业执照"]
    for name in ("食品经营许可申请书", "营业执照"):
        assert name in text
    for name in ("授权委托书", "受托人身份证"):
        assert name not in text
    assert "您的情形：是否委托他人办理？ 否" in text
    # The full fingerprint and the published version, on every page.
    assert page.checklist_fingerprint and len(page.checklist_fingerprint) == 64
    pages = pdf_pages(pdf)
    for number, page_text in enumerate(pages, start=1):
        assert page.checklist_fingerprint in page_text
        assert "受理清单第 1 版" in page_text
        assert f"第 {number} 页 / 共 {len(pages)} 页" in page_text
    # Windows, hours, limits, fees, visits and phones.
    for fragment in ("综合受理窗口（1-9号）", "一楼东区", "周一至周五", "09:00-12:00，13:30-18:00",
                     "10个工作日", "20个工作日", "不收费", "到现场次数", "020-81380512", "12345"):
        assert fragment in text, fragment
    # The flow graphic and steps.
    for step in ("申请", "受理", "审查", "现场核查", "出件"):
        assert step in text
    assert "不计入办结时限" in text


def test_sheets_draw_their_graphics_without_a_weasyprint_complaint(publish_guide, caplog):
    page = publish_guide()
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        citizen = render(page)
        render(page, kind="counter")
    # An image that fails to load or lacks its alt text (needed by the PDF's structure tree) is
    # only logged by WeasyPrint, and the sheet prints without it.
    assert not [r.getMessage()[:200] for r in caplog.records if r.name.startswith("weasyprint")]
    # The flow graphic names the step and its lane once more, beside the step list.
    text = pdf_text(citizen)
    assert text.count("现场核查") == 2 and text.count("现场勘查") == 2


def test_yes_prints_every_material_and_unanswered_marks_the_conditional_ones(publish_guide):
    page = publish_guide()
    key = page.situations.get().key
    text = pdf_text(render(page, **{key: "是"}))
    for m in BASE_RECORD["materials"]:
        assert m["name"] in text
    assert "适用情形：委托他人办理" in text

    text = pdf_text(render(page))
    for m in BASE_RECORD["materials"]:
        assert m["name"] in text
    assert "未选择情形" in text and "您的情形" not in text


def test_qr_code_and_link_go_to_the_absolute_short_url_with_the_answers(publish_guide):
    page = publish_guide()
    key = page.situations.get().key
    pdf = render(page, **{key: "否"})
    expected = f"{BASE_URL}/g/T-JY-0001/?{key}=%E5%90%A6"
    assert short_url(serialize_guide(page), BASE_URL, {key: "否"}) == expected
    assert expected in link_uris(pdf)
    assert qr_codes(pdf) == [expected]  # the printed code itself scans to the same address
    assert f"{BASE_URL}/g/T-JY-0001/" in link_uris(render(page))
    assert qr_codes(render(page)) == [f"{BASE_URL}/g/T-JY-0001/"]


def test_fonts_are_embedded_subsets_of_the_print_face(publish_guide):
    pdf = render(publish_guide())
    fonts = embedded_fonts(pdf)
    assert fonts, "no fonts found"
    for name, files in fonts.items():
        assert files, f"{name} is not embedded"
        prefix, _plus, family = name.partition("+")
        assert len(prefix) == 6 and prefix.isupper(), f"{name} is not a subset"
    # Everyday text needs no other face than the print face, regular and bold.
    assert {name.partition("+")[2] for name in fonts} == {"Yichuang-Sans-SC", "Yichuang-Sans-SC-Bold"}
    # TrueType outlines (FontFile2), which HarfBuzz subsets faster than CFF ones (FontFile3).
    assert all(files == {"/FontFile2"} for files in fonts.values()), fonts
    # Subsets, not the 20 MB collection nor the 2 MB print face.
    assert len(pdf) < 1_000_000


def test_characters_outside_the_print_face_print_from_the_full_font(publish_guide):
    # 堃 (a name character) is not in GB 2312, 𠮷 not even in the Basic Multilingual Plane.
    page = publish_guide(name="张堃𠮷经营许可")
    pdf = render(page)
    assert "张堃𠮷经营许可" in pdf_text(pdf)
    families = {name.partition("+")[2] for name in embedded_fonts(pdf)}
    assert "Yichuang-Sans-SC" in families
    assert any(family.startswith("Noto-Sans-CJK-SC") for family in families), families


def test_pdf_metadata(publish_guide):
    reader = PdfReader(io.BytesIO(render(publish_guide())))
    assert reader.metadata.title == "食品经营许可证核发 办事指南"
    assert reader.metadata.author == "测试区政务服务中心"


def test_the_citizen_sheet_is_a_tagged_pdf_for_screen_readers(publish_guide):
    content = render(publish_guide())
    catalog = PdfReader(io.BytesIO(content)).trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert catalog["/Lang"] == "zh-CN"
    elements = structure_elements(content)
    kinds = [kind for kind, _, _ in elements]
    assert kinds.count("H1") == 1 and kinds.count("H2") >= 6
    # Headings are never read out as the content of a table cell: no layout tables.
    for kind, ancestors, _ in elements:
        if kind in ("H1", "H2"):
            assert not {"Table", "TD", "TH"} & set(ancestors), (kind, ancestors)
    # The checklist is a data table whose column headers a reader announces with each cell.
    column_headers = [a for kind, a, _ in elements if kind == "TH" and "THead" in a]
    assert len(column_headers) == 7
    # Every image says what it shows.
    alts = [str(element.get("/Alt", "")) for kind, _, element in elements if kind == "Figure"]
    assert len(alts) == 3 and all(alts), alts
    assert any(alt.startswith("二维码：" + BASE_URL) for alt in alts)
    assert any(alt.startswith("办理流程图") for alt in alts)


def test_long_guide_breaks_pages_and_repeats_the_table_header(publish_guide):
    materials = [
        material(
            f"第{i:02d}项证明材料",
            note="请提供近三个月内出具的原件，复印件须加盖单位公章并注明用途。" * 2,
            acceptance_standard=f"标准{i:02d}：核对原件与复印件一致",
            original=1,
            copies=i,
        )
        for i in range(1, 41)
    ]
    page = publish_guide(materials=materials)
    pdf = render(page)
    pages = pdf_pages(pdf, flat=True)
    assert len(pages) >= 2
    text = "\n".join(pages)
    for i in range(1, 41):
        assert text.count(f"第{i:02d}项证明材料") == 1, i
    # Pages that carry material rows carry the column header too.
    pages_with_rows = [t for t in pages if "项证明材料" in t]
    assert len(pages_with_rows) >= 2
    for page_text in pages_with_rows:
        assert "原件/复印件" in page_text and "必要性" in page_text
    # No row is cut: each material's name and its own counts (originals / copies, a number of
    # copies no other row has) are on the same page.
    for i in range(1, 41):
        holder = next(t for t in pages if f"第{i:02d}项证明材料" in t)
        assert f"1 份 / {i} 份" in holder, i
    assert f"第 1 页 / 共 {len(pages)} 页" in pages[0]
    assert f"第 {len(pages)} 页 / 共 {len(pages)} 页" in pages[-1]
    assert [tuple(map(int, FOOTER.search(t).groups())) for t in pages] == [
        (n, len(pages)) for n in range(1, len(pages) + 1)
    ]


def test_counter_checklist_lists_every_material_with_its_acceptance_standard(publish_guide):
    page = publish_guide(materials=with_standards())
    key = page.situations.get().key
    # Situation answers do not filter the counter's list.
    pdf = render(page, kind="counter", **{key: "否"})
    pages = pdf_pages(pdf, flat=True)
    text = "\n".join(pages)
    assert len(pages) == 1
    assert "受理标准" in text and "受理清单" in text
    for name, standard in STANDARDS.items():
        assert name in text
        assert standard in text
    assert page.checklist_fingerprint in text
    assert "受理清单第 1 版" in text
    assert "第 1 页 / 共 1 页" in text


def test_counter_checklist_of_a_long_guide_repeats_its_header(publish_guide):
    materials = [
        material(f"第{i:02d}项证明材料", acceptance_standard=f"标准{i:02d}：" + "核对原件与复印件一致，" * 4)
        for i in range(1, 41)
    ]
    pdf = render(publish_guide(materials=materials), kind="counter")
    pages = pdf_pages(pdf, flat=True)
    assert len(pages) >= 2
    text = "\n".join(pages)
    for i in range(1, 41):
        assert f"标准{i:02d}：" in text
    for page_text in pages:
        if "项证明材料" in page_text:
            assert "受理标准" in page_text and "适用情形" in page_text


def test_a_draft_checklist_is_labelled_as_such(publish_guide):
    page = publish_guide()
    pdf = render_guide_pdf(serialize_guide(page), base_url=BASE_URL, checklist_version=None)
    text = pdf_text(pdf)
    assert "草稿预览：清单尚未发布" in text
    assert "受理清单第" not in text


HOSTILE = (
    '<img src="file:///etc/passwd"> <img src="{server}/img.png"> '
    '<img src="http://169.254.169.254/latest/meta-data"> <img src="https://example.com/a.png"> '
    '<link rel=stylesheet href="{server}/style.css"> '
    '<style>@import url({server}/import.css); body {{ background: url({server}/bg.png) }}</style> '
    '<div style="background-image: url(\'{server}/inline.png\')">x</div> '
    '<svg><image href="{server}/svg.png"/></svg> <base href="{server}/"> '
    "</style></body> \"quoted\" & 'single' \\ \u0000"
)


def test_hostile_guide_text_is_printed_as_text_and_fetches_nothing(publish_guide, http_server):
    hostile = HOSTILE.format(server=http_server.url).replace("\u0000", "")
    materials = [dict(BASE_RECORD["materials"][0], note=hostile, acceptance_standard=hostile)]
    page = publish_guide(
        summary="摘要 " + hostile,
        conditions="条件 " + hostile,
        materials=materials + BASE_RECORD["materials"][1:],
        result="证书 " + hostile[:150],
    )
    record = serialize_guide(page)
    for kind in ("citizen", "counter"):
        fetcher = RestrictedURLFetcher(base_url=BASE_URL)
        pdf = render_guide_pdf(record, kind=kind, base_url=BASE_URL, url_fetcher=fetcher)
        assert pdf.startswith(b"%PDF-")
        # The only resources loaded are the sheet's own images, inline: the QR code, the logo
        # and (on the citizen sheet) the flow graphic.
        drawings = 2 if kind == "citizen" else 1
        assert sorted((a.url[:26], a.allowed) for a in fetcher.attempts) == [
            ("data:image/png;base64,iVBO", True),
            *[("data:image/svg+xml;base64,", True)] * drawings,
        ], fetcher.attempts
        text = pdf_text(pdf)
        assert "file:///etc/passwd" in text  # shown, not loaded
        assert "169.254.169.254" in text
    assert http_server.requests == []


def test_the_sheet_stylesheets_parse_without_a_warning(caplog):
    sheet_stylesheet.cache_clear()
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        for kind in KINDS:
            sheet_stylesheet(kind)
    assert not [record.getMessage() for record in caplog.records if record.name.startswith("weasyprint")]


def test_css_strings_cannot_break_out_of_the_stylesheet():
    assert css_string('a"b') == '"a\\22 b"'
    assert "<" not in css_string("</style><script>")
    assert "\n" not in css_string("line\nbreak")


def test_a_render_over_the_time_limit_is_stopped(publish_guide, monkeypatch):
    record = serialize_guide(publish_guide())

    def slow(*args, **kwargs):
        time.sleep(60)

    monkeypatch.setattr(printing.render, "render_guide_pdf", slow)
    retire_render_workers()  # the next worker is forked with the patch
    started = time.monotonic()
    with pytest.raises(RenderTimeout):
        render_guide_pdf_limited(record, base_url=BASE_URL, timeout=0.5)
    assert time.monotonic() - started < 5
    wait_for_no_workers()  # the stuck worker was killed, not left sleeping
    monkeypatch.undo()
    retire_render_workers()
    assert render_guide_pdf_limited(record, base_url=BASE_URL).startswith(b"%PDF-")


def test_errors_in_the_render_process_are_reported(publish_guide, monkeypatch):
    record = serialize_guide(publish_guide())

    def broken(*args, **kwargs):
        raise ValueError("layout exploded")

    monkeypatch.setattr(printing.render, "render_guide_pdf", broken)
    retire_render_workers()
    with pytest.raises(RenderError, match="layout exploded"):
        render_guide_pdf_limited(record, base_url=BASE_URL)
    with pytest.raises(RenderError, match="layout exploded"):  # a new worker, the same patch
        render_guide_pdf_limited(record, base_url=BASE_URL)


def test_the_limited_render_returns_the_same_sheet(publish_guide):
    page = publish_guide()
    pdf = render_guide_pdf_limited(
        serialize_guide(page), base_url=BASE_URL, checklist_version=page.checklist_version
    )
    assert pdf.startswith(b"%PDF-")
    assert page.checklist_fingerprint in pdf_text(pdf)


def render_workers() -> list:
    return [child for child in multiprocessing.active_children() if child.name == "pdf-render-worker"]


def wait_for_no_workers() -> None:
    deadline = time.monotonic() + 10
    while render_workers():
        assert time.monotonic() < deadline, "a render worker was left running"
        time.sleep(0.05)


def test_one_render_worker_serves_sheet_after_sheet_until_retired(publish_guide):
    page = publish_guide()
    record = serialize_guide(page)
    retire_render_workers()
    wait_for_no_workers()
    sheets = [render_guide_pdf_limited(record, base_url=BASE_URL, checklist_version=1) for _ in range(3)]
    assert all(page.checklist_fingerprint in pdf_text(sheet) for sheet in sheets)
    assert len(render_workers()) == 1  # kept between sheets: a fresh child renders slowly
    retire_render_workers()
    wait_for_no_workers()


def test_a_render_worker_collects_garbage_between_sheets_never_during_one(monkeypatch):
    """The worker loop, run in a thread of this process with a stand-in layout that leaves a
    reference cycle behind, as WeasyPrint's do."""
    class Box:
        pass

    during_render = []
    cycles = []

    def layout(record, **kwargs):
        during_render.append((gc.isenabled(), [cycle() is None for cycle in cycles]))
        box = Box()
        box.parent = box
        cycles.append(weakref.ref(box))
        return b"%PDF-stand-in"

    monkeypatch.setattr(printing.render, "render_guide_pdf", layout)
    parent_end, worker_end = multiprocessing.Pipe()
    was_enabled = gc.isenabled()
    worker = threading.Thread(target=printing.render._render_loop, args=(worker_end, os.getppid()), daemon=True)
    try:
        worker.start()
        for _ in range(2):
            parent_end.send(({"code": "T-1"}, {}))
            assert parent_end.recv_bytes() == b"K%PDF-stand-in"
        parent_end.close()
        worker.join(5)
        assert not worker.is_alive()
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()
    # No collection can start inside a layout; the first sheet's cycle was gone before the second.
    assert during_render == [(False, []), (False, [True])]


def test_a_render_worker_ends_when_its_parent_is_gone_even_with_its_pipe_open():
    """A parent killed outright closes nothing: the loop notices that its parent changed."""
    parent_end, worker_end = multiprocessing.Pipe()
    not_our_parent = os.getppid() + 1_000_000
    worker = threading.Thread(target=printing.render._render_loop, args=(worker_end, not_our_parent), daemon=True)
    try:
        worker.start()
        worker.join(printing.render.PARENT_CHECK_SECONDS * 5)
        assert not worker.is_alive()
    finally:
        parent_end.close()
        worker_end.close()
        gc.unfreeze()
        gc.enable()


def test_settings_changed_after_a_worker_started_apply_to_the_next_sheet(publish_guide, settings):
    page = publish_guide()
    record = serialize_guide(page)
    settings.WAGTAIL_SITE_NAME = "第一中心"
    assert "第一中心" in pdf_text(render_guide_pdf_limited(record, base_url=BASE_URL))
    settings.WAGTAIL_SITE_NAME = "第二中心"
    assert "第二中心" in pdf_text(render_guide_pdf_limited(record, base_url=BASE_URL))
