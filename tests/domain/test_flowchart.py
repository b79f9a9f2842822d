import re
import xml.etree.ElementTree as ET

import pytest

from guides.domain.flowchart import FlowStep, render_flow_svg
from guides.domain.timelimits import TimeLimit
from tests.domain.corpus import load_corpus

NS = {"svg": "http://www.w3.org/2000/svg"}

STEPS = [
    FlowStep("提交申请", "申请人", "线上或窗口提交材料", limit_text="即办"),
    FlowStep("受理", "综合受理窗口", "核对材料", limit_text="1个工作日"),
    FlowStep("现场勘查", "现场勘查", limit_text="5个工作日", counts_toward_limit=False),
    FlowStep("审查决定", "审批部门", limit_text="10个工作日"),
    FlowStep("制证", "审批部门", limit_text="2个工作日"),
    FlowStep("领取证照", "统一出件窗口", limit_text="即办"),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def by_class(root: ET.Element, tag: str, css_class: str) -> list[ET.Element]:
    return [
        el
        for el in root.iter(f"{{{NS['svg']}}}{tag}")
        if css_class in (el.get("class") or "").split()
    ]


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


def lines_of(text: ET.Element) -> list[str]:
    """The lines of a <text>: one per <tspan>, or its own text when it has a single line."""
    spans = text.findall("svg:tspan", NS)
    return [span.text for span in spans] if spans else [text.text]


def test_well_formed_svg_with_view_box_and_accessible_name() -> None:
    root = parse(render_flow_svg(STEPS, title="食品经营许可办理流程"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert re.fullmatch(r"0 0 \d+(\.\d)? \d+(\.\d)?", root.get("viewBox", ""))
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title is not None and title.get("id") == title_id
    assert desc is not None and desc.get("id") == desc_id
    assert title.text == "食品经营许可办理流程"
    assert desc.text is not None and desc.text.startswith(
        "共6个步骤。第1步，申请人：提交申请（即办）"
    )
    assert "第3步，现场勘查：现场勘查（5个工作日，不计入办结时限）" in desc.text
    assert "Noto Sans SC" in root.get("font-family", "")


def test_one_numbered_box_per_step() -> None:
    root = parse(render_flow_svg(STEPS))
    assert len(by_class(root, "rect", "flow-step-box")) == len(STEPS)
    numbers = [text_of(t) for t in by_class(root, "text", "flow-step-number")]
    assert numbers == [str(n) for n in range(1, len(STEPS) + 1)]
    names = [text_of(t) for t in by_class(root, "text", "flow-step-name")]
    assert names == [s.name for s in STEPS]
    limits = [text_of(t) for t in by_class(root, "text", "flow-step-limit")]
    assert limits == [s.limit_text for s in STEPS]
    assert len(by_class(root, "path", "flow-arrow")) == len(STEPS) - 1
    assert len(by_class(root, "polygon", "flow-arrowhead")) == len(STEPS) - 1


def test_one_lane_per_distinct_actor_in_order_of_first_appearance() -> None:
    root = parse(render_flow_svg(STEPS))
    labels = ["".join(text_of(t)) for t in by_class(root, "text", "flow-lane-label")]
    assert labels == ["申请人", "综合受理窗口", "现场勘查", "审批部门", "统一出件窗口"]
    assert len(by_class(root, "rect", "flow-lane")) == 5


def test_boxes_sit_in_their_lane_and_flow_downwards_without_overlap() -> None:
    root = parse(render_flow_svg(STEPS))
    _, _, width, height = (float(v) for v in root.get("viewBox", "").split())
    lanes = [
        (float(r.get("x")), float(r.get("x")) + float(r.get("width")))
        for r in by_class(root, "rect", "flow-lane")
    ]
    lane_of = {"申请人": 0, "综合受理窗口": 1, "现场勘查": 2, "审批部门": 3, "统一出件窗口": 4}
    previous_bottom = 0.0
    for step, box in zip(STEPS, by_class(root, "rect", "flow-step-box"), strict=True):
        x, y = float(box.get("x")), float(box.get("y"))
        w, h = float(box.get("width")), float(box.get("height"))
        left, right = lanes[lane_of[step.actor]]
        assert left <= x and x + w <= right
        assert y > previous_bottom
        assert y + h <= height and x + w <= width
        previous_bottom = y + h


def test_excluded_steps_are_dashed_and_labelled() -> None:
    root = parse(render_flow_svg(STEPS))
    boxes = by_class(root, "rect", "flow-step-box")
    dashed = [b.get("stroke-dasharray") is not None for b in boxes]
    assert dashed == [not s.counts_toward_limit for s in STEPS]
    notes = by_class(root, "text", "flow-step-note")
    assert len(notes) == 1 and text_of(notes[0]) == "不计入办结时限"
    excluded_groups = by_class(root, "g", "flow-step-excluded")
    assert len(excluded_groups) == 1
    assert excluded_groups[0].find("svg:rect", NS).get("stroke-dasharray")


def test_all_text_is_escaped() -> None:
    nasty = FlowStep(
        '<script>alert("x")</script>',
        "A&B 'window'",
        description="</desc><script>",
        limit_text="<1个工作日>",
    )
    svg = render_flow_svg([nasty], title='标题 & "引号" <b>')
    assert "<script" not in svg
    assert "</desc><script>" not in svg
    root = parse(svg)
    assert not list(root.iter("{http://www.w3.org/2000/svg}script"))
    assert root.find("svg:title", NS).text == '标题 & "引号" <b>'
    lane = by_class(root, "text", "flow-lane-label")[0]
    assert "A&B" in text_of(lane)
    tooltip = by_class(root, "g", "flow-step")[0].find("svg:title", NS).text
    assert '<script>alert("x")</script>' in tooltip and "</desc><script>" in tooltip
    assert text_of(by_class(root, "text", "flow-step-limit")[0]) == "<1个工作日>"


def test_xml_illegal_characters_are_dropped() -> None:
    svg = render_flow_svg([FlowStep("受\x00理\x1b", "窗\x08口")])
    root = parse(svg)
    assert text_of(by_class(root, "text", "flow-step-name")[0]) == "受理"


def test_self_contained() -> None:
    svg = render_flow_svg(STEPS)
    for forbidden in ("<script", "href", "url(", "@import", "<style", "<image", "<foreignObject"):
        assert forbidden not in svg


def test_deterministic_and_content_derived_ids() -> None:
    first = render_flow_svg(STEPS)
    assert render_flow_svg(list(STEPS)) == first
    other = render_flow_svg(STEPS[:2])
    assert parse(first).get("aria-labelledby") != parse(other).get("aria-labelledby")
    custom = parse(render_flow_svg(STEPS, id_prefix="guide-42-flow"))
    assert custom.get("aria-labelledby") == "guide-42-flow-title guide-42-flow-desc"
    with pytest.raises(ValueError):
        render_flow_svg(STEPS, id_prefix='x" onload="alert(1)')


def test_long_names_wrap_to_at_most_three_lines_with_ellipsis() -> None:
    long_name = "申请材料齐全符合法定形式的当场作出受理决定并出具受理通知书"
    root = parse(
        render_flow_svg([FlowStep(long_name, "综合受理窗口"), FlowStep("办结", "审批部门")])
    )
    name = by_class(root, "text", "flow-step-name")[0]
    lines = lines_of(name)
    assert 2 <= len(lines) <= 3
    assert all(span.get("x") and span.get("y") for span in name.findall("svg:tspan", NS))
    assert all(len(line) <= 8 for line in lines)
    assert lines[-1].endswith("…")
    assert long_name.startswith("".join(lines)[:-1])
    # The full name stays available to assistive technology.
    assert long_name in root.find("svg:desc", NS).text


def test_short_names_stay_on_one_line() -> None:
    root = parse(render_flow_svg(STEPS))
    for name, step in zip(by_class(root, "text", "flow-step-name"), STEPS, strict=True):
        # Positioned on the <text> itself: a lone <tspan> doubles WeasyPrint's work.
        assert not name.findall("svg:tspan", NS)
        assert name.get("x") and name.get("y")
        assert lines_of(name) == [step.name]


def test_empty_steps_render_a_placeholder() -> None:
    svg = render_flow_svg([])
    root = parse(svg)
    assert "暂无流程信息" in text_of(root)
    assert not by_class(root, "rect", "flow-step-box")
    assert root.get("role") == "img" and root.get("viewBox")


def test_flow_step_requires_name_and_actor() -> None:
    with pytest.raises(ValueError, match="名称"):
        FlowStep(" ", "申请人")
    with pytest.raises(ValueError, match="主体"):
        FlowStep("提交申请", "")


def test_every_corpus_flow_renders() -> None:
    for guide in load_corpus():
        steps = [
            FlowStep(
                s["name"],
                s["actor"],
                s["description"],
                limit_text=TimeLimit.from_dict(s["limit"]).display() if s["limit"] else None,
            )
            for s in guide["steps"]
        ]
        root = parse(render_flow_svg(steps, title=f"{guide['name']}办理流程"))
        assert len(by_class(root, "rect", "flow-step-box")) == len(steps), guide["code"]
        width = float(root.get("viewBox", "").split()[2])
        # Up to four lanes fit a phone-width design without scaling down.
        lanes = len({s.actor for s in steps})
        assert width <= (360 if lanes <= 4 else 16 + 72 * lanes), guide["code"]


def test_the_font_families_are_a_list_svg_renderers_can_split() -> None:
    # WeasyPrint splits the attribute at commas and strips quotes: names keep neither.
    root = parse(render_flow_svg(STEPS, font_families=["Yichuang Sans SC", 'Odd, "quoted"\n<b> name']))
    assert root.get("font-family") == "'Yichuang Sans SC','Odd quoted <b> name',sans-serif"
