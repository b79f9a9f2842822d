"""The 办理流程 graphic: a swimlane flowchart as a self-contained SVG string.

Shared by the web page (inlined) and the PDF. Layout is vertical: steps run
top to bottom, one row each, and every distinct actor gets a column (lane)
headed by its name, in order of first appearance. The drawing is designed at
about 360 units wide so that it is legible unscaled on a phone; it carries a
viewBox, so it also scales to an A4 column.

No <style>, script, font or external reference is emitted: an inline <style>
would leak into the host page. Presentation attributes give the default look
and the ``flow-*`` classes let a page stylesheet override it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from guides.domain.text import gettext as _
from guides.domain.text import gettext_noop

__all__ = ["FlowStep", "render_flow_svg"]

# The web page's CJK fonts; a PDF passes the families it embeds (see font_family_list()).
FONT_FAMILIES = ("Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei")
# Translated where drawn (guides.domain.text).
EXCLUDED_NOTE = gettext_noop("不计入办结时限")
EMPTY_TEXT = gettext_noop("暂无流程信息")

# Geometry, in viewBox units (≈ CSS px when shown at natural size).
_TARGET_WIDTH = 360
_MARGIN = 8
_MIN_LANE_WIDTH = 72
_MAX_BOX_WIDTH = 200
_LANE_PAD = 4
_BOX_PAD_X = 3
_BOX_PAD_TOP = 13  # clears the lower half of the number badge
_BOX_PAD_BOTTOM = 8
_BLOCK_GAP = 3
_ROW_GAP = 28  # room for the connecting arrow and the next badge
_BADGE_R = 9
_ARROW_HEAD = 5
_NAME_SIZE, _NAME_LINE = 13, 17
_SMALL_SIZE, _SMALL_LINE = 11, 14
_LABEL_SIZE, _LABEL_LINE = 12, 15
_HEADER_PAD = 6
_MAX_NAME_LINES = 3
_MAX_NAME_CHARS = 8
_MAX_LABEL_LINES = 2

# Colours chosen for ≥ 4.5:1 contrast of text on its background.
_INK = "#1a2b3c"
_BLUE = "#1f5fa8"
_MUTED = "#4b5563"
_LIMIT = "#8a4b00"
_ARROW = "#5b6b7f"
_LANE_FILLS = ("#f4f7fb", "#ffffff")
_LANE_STROKE = "#d5dde8"
_HEADER_FILL = "#e3ecf7"
_HEADER_INK = "#12355b"

# Characters that XML 1.0 forbids even when escaped; they would break parsing.
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+|\s+|.", re.DOTALL)
# Punctuation that must not begin a line in Chinese typesetting (避头点).
_NO_LINE_START = set("，。、；：！？）》」』】〕…%,.;:!?)")
_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class FlowStep:
    """One step of the procedure, performed by ``actor`` (申请人, 综合受理窗口 …)."""

    name: str
    actor: str
    description: str = ""
    limit_text: str | None = None
    counts_toward_limit: bool = True

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError(_("流程步骤名称不能为空"))
        if not self.actor.strip():
            raise ValueError(_("流程步骤“%(name)s”缺少办理主体") % {"name": self.name})


def _clean(text: str) -> str:
    """Drop XML-illegal characters and collapse whitespace (newlines mean nothing here)."""
    return " ".join(_XML_INVALID_RE.sub("", text).split())


def _esc(text: str) -> str:
    return escape(_clean(text), {'"': "&quot;", "'": "&#39;"})


def _num(value: float) -> str:
    """Stable, compact number formatting so identical input gives identical bytes."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _char_width(char: str) -> float:
    if char.isspace():
        return 0.3
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F", "A") else 0.55


def _text_width(text: str) -> float:
    """Estimated advance width in em; CJK glyphs are 1 em, Latin ones about 0.55."""
    return sum(_char_width(c) for c in text)


def _greedy_lines(tokens: Sequence[str], max_em: float, max_chars: int | None) -> list[str]:
    lines: list[str] = []
    line = ""
    for token in tokens:
        candidate = line + token
        too_wide = _text_width(candidate) > max_em
        too_long = max_chars is not None and len(candidate) > max_chars
        if line and (too_wide or too_long) and token not in _NO_LINE_START:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = candidate
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _wrap(text: str, max_em: float, max_lines: int, max_chars: int | None = None) -> list[str]:
    """Line breaking for mixed Chinese/Latin text, balanced, with an ellipsis when too long.

    Lines are balanced (综合受理/窗口 rather than 综合受理窗/口) by searching the
    narrowest width that still needs no more lines than the greedy result.
    """
    tokens: list[str] = []
    for token in _TOKEN_RE.findall(_clean(text)):
        # A Latin word wider than a line has to be broken anyway.
        tokens.extend(token if _text_width(token) > max_em else [token])
    lines = _greedy_lines(tokens, max_em, max_chars)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and (
            _text_width(last + "…") > max_em or (max_chars is not None and len(last) >= max_chars)
        ):
            last = last[:-1]
        return [*lines[: max_lines - 1], last + "…"]
    if len(lines) > 1:
        narrow = max(_text_width(t) for t in tokens)
        while narrow < max_em:
            balanced = _greedy_lines(tokens, narrow, max_chars)
            if len(balanced) <= len(lines):
                return balanced
            narrow += 0.5
    return lines


def _text(
    lines: Sequence[str],
    *,
    x: float,
    top: float,
    size: int,
    line_height: int,
    fill: str,
    css_class: str,
    bold: bool = False,
) -> str:
    """A centred multi-line <text>; baselines are computed, not left to dominant-baseline,
    which PDF renderers support unevenly. A single line is positioned on the <text> itself:
    a <tspan> inside costs WeasyPrint a second text layout and a second PDF object per label
    (about 40 ms per printed sheet), and browsers draw both alike."""
    weight = ' font-weight="bold"' if bold else ""
    attributes = f'class="{css_class}" text-anchor="middle" font-size="{size}"{weight} fill="{fill}"'
    baselines = [_num(top + i * line_height + (line_height + size * 0.7) / 2) for i in range(len(lines))]
    if len(lines) == 1:
        return f'<text x="{_num(x)}" y="{baselines[0]}" {attributes}>{_esc(lines[0])}</text>'
    spans = "".join(
        f'<tspan x="{_num(x)}" y="{baseline}">{_esc(line)}</tspan>' for line, baseline in zip(lines, baselines, strict=True)
    )
    return f"<text {attributes}>{spans}</text>"


def _default_id(title: str, steps: Sequence[FlowStep]) -> str:
    # Derived from the content, so ids are stable across renders yet two
    # different charts inlined in one page do not collide.
    digest = hashlib.sha256(repr((title, tuple(steps))).encode("utf-8")).hexdigest()
    return f"flow-{digest[:10]}"


def font_family_list(families: Sequence[str]) -> str:
    """The ``font-family`` attribute for ``families``, ending in sans-serif. Renderers split it
    at commas and strip quotes (WeasyPrint does no more), so names lose both."""
    names = [" ".join(_clean(name).replace(",", " ").replace("'", "").replace('"', "").split()) for name in families]
    return ",".join([*(f"'{name}'" for name in names if name), "sans-serif"])


def _svg_open(width: float, height: float, ident: str, title: str, desc: str, fonts: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flowchart" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" '
        f'height="{_num(height)}" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'font-family="{_esc(fonts)}">'
        f'<title id="{ident}-title">{_esc(title)}</title>'
        f'<desc id="{ident}-desc">{_esc(desc)}</desc>'
    )


def _step_summary(number: int, step: FlowStep) -> str:
    details = [
        d for d in (step.limit_text, None if step.counts_toward_limit else _(EXCLUDED_NOTE)) if d
    ]
    summary = _("第%(number)s步，%(actor)s：%(name)s") % {"number": number, "actor": step.actor, "name": step.name}
    if details:
        summary += _("（%(details)s）") % {"details": _("，").join(details)}
    return summary


def _render_empty(title: str, ident: str, fonts: str) -> str:
    width, height = _TARGET_WIDTH, 56
    return (
        _svg_open(width, height, ident, title, _(EMPTY_TEXT), fonts)
        + f'<rect class="flow-empty" x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" '
        f'rx="6" fill="#f4f7fb" stroke="{_LANE_STROKE}"/>'
        + _text(
            [_(EMPTY_TEXT)],
            x=width / 2,
            top=(height - _NAME_LINE) / 2,
            size=_NAME_SIZE,
            line_height=_NAME_LINE,
            fill=_MUTED,
            css_class="flow-empty-text",
        )
        + "</svg>"
    )


def render_flow_svg(
    steps: Sequence[FlowStep],
    *,
    title: str = "",
    id_prefix: str | None = None,
    font_families: Sequence[str] = FONT_FAMILIES,
) -> str:
    """Render ``steps`` as an accessible SVG swimlane chart (deterministic output).

    ``id_prefix`` names the ids used by aria-labelledby; by default it is derived
    from the content. Each step box shows its number, name (wrapped, at most
    three lines) and limit text; steps outside the legal time limit are dashed
    and labelled 不计入办结时限. ``font_families`` name the typefaces of its text, in order
    of preference.
    """
    title = title or _("办理流程")
    ident = id_prefix if id_prefix is not None else _default_id(title, steps)
    if not _ID_RE.match(ident):
        raise ValueError(f"id_prefix “{ident}” is not a valid XML id")
    if not steps:
        return _render_empty(title, ident, font_family_list(font_families))

    lanes = list(dict.fromkeys(_clean(step.actor) for step in steps))
    lane_width = max(_MIN_LANE_WIDTH, (_TARGET_WIDTH - 2 * _MARGIN) / len(lanes))
    width = 2 * _MARGIN + lane_width * len(lanes)
    box_width = min(_MAX_BOX_WIDTH, lane_width - 2 * _LANE_PAD)
    inner_em_name = (box_width - 2 * _BOX_PAD_X) / _NAME_SIZE
    inner_em_small = (box_width - 2 * _BOX_PAD_X) / _SMALL_SIZE

    label_lines = [
        _wrap(lane, (lane_width - 2 * _LANE_PAD) / _LABEL_SIZE, _MAX_LABEL_LINES) for lane in lanes
    ]
    header_height = 2 * _HEADER_PAD + _LABEL_LINE * max(len(lines) for lines in label_lines)
    header_top = _MARGIN

    # First pass: size every box, so lanes can be drawn full height underneath.
    boxes: list[tuple[float, float, float, list[str], list[str], list[str]]] = []
    y = header_top + header_height + _BADGE_R + 8
    for step in steps:
        name_lines = _wrap(step.name, inner_em_name, _MAX_NAME_LINES, _MAX_NAME_CHARS)
        limit_lines = _wrap(step.limit_text or "", inner_em_small, 2)
        note_lines = [] if step.counts_toward_limit else _wrap(_(EXCLUDED_NOTE), inner_em_small, 2)
        height = _BOX_PAD_TOP + len(name_lines) * _NAME_LINE + _BOX_PAD_BOTTOM
        if limit_lines or note_lines:
            height += _BLOCK_GAP + (len(limit_lines) + len(note_lines)) * _SMALL_LINE
        lane_index = lanes.index(_clean(step.actor))
        x = _MARGIN + lane_index * lane_width + (lane_width - box_width) / 2
        boxes.append((x, y, height, name_lines, limit_lines, note_lines))
        y += height + _ROW_GAP
    height_total = y - _ROW_GAP + _MARGIN + 4

    sentence_end = _("。")
    desc = (
        _("共%(count)s个步骤。") % {"count": len(steps)}
        + sentence_end.join(_step_summary(i, step) for i, step in enumerate(steps, start=1))
        + sentence_end
    )
    parts = [_svg_open(width, height_total, ident, title, desc, font_family_list(font_families))]

    parts.append('<g class="flow-lanes">')
    lanes_bottom = height_total - _MARGIN
    for index, (lane, lines) in enumerate(zip(lanes, label_lines, strict=True)):
        lane_x = _MARGIN + index * lane_width
        parts.append(
            f'<rect class="flow-lane" x="{_num(lane_x)}" y="{_num(header_top)}" '
            f'width="{_num(lane_width)}" height="{_num(lanes_bottom - header_top)}" '
            f'fill="{_LANE_FILLS[index % 2]}" stroke="{_LANE_STROKE}"/>'
            f'<rect class="flow-lane-header" x="{_num(lane_x)}" y="{_num(header_top)}" '
            f'width="{_num(lane_width)}" height="{_num(header_height)}" '
            f'fill="{_HEADER_FILL}" stroke="{_LANE_STROKE}"><title>{_esc(lane)}</title></rect>'
        )
        top = header_top + (header_height - len(lines) * _LABEL_LINE) / 2
        parts.append(
            _text(
                lines,
                x=lane_x + lane_width / 2,
                top=top,
                size=_LABEL_SIZE,
                line_height=_LABEL_LINE,
                fill=_HEADER_INK,
                css_class="flow-lane-label",
                bold=True,
            )
        )
    parts.append("</g>")

    # Arrows go before the boxes so that boxes paint over line ends.
    parts.append(f'<g class="flow-arrows" fill="none" stroke="{_ARROW}" stroke-width="1.5">')
    for (x1, y1, h1, *_rest), (x2, y2, *_more) in zip(boxes, boxes[1:], strict=False):
        start_x, start_y = x1 + box_width / 2, y1 + h1
        end_x, end_y = x2 + box_width / 2, y2 - _ARROW_HEAD
        if start_x == end_x:
            path = f"M{_num(start_x)} {_num(start_y)}V{_num(end_y)}"
        else:
            # Elbow through the middle of the gap, where no box can be.
            mid_y = start_y + (_ROW_GAP - _BADGE_R) / 2
            path = f"M{_num(start_x)} {_num(start_y)}V{_num(mid_y)}H{_num(end_x)}V{_num(end_y)}"
        head = (
            f"{_num(end_x - _ARROW_HEAD)},{_num(end_y)} {_num(end_x + _ARROW_HEAD)},{_num(end_y)} "
            f"{_num(end_x)},{_num(y2)}"
        )
        parts.append(
            f'<path class="flow-arrow" d="{path}"/>'
            f'<polygon class="flow-arrowhead" points="{head}" fill="{_ARROW}" stroke="none"/>'
        )
    parts.append("</g>")

    parts.append('<g class="flow-steps">')
    for number, (step, (x, y, h, name_lines, limit_lines, note_lines)) in enumerate(
        zip(steps, boxes, strict=True), start=1
    ):
        excluded = not step.counts_toward_limit
        group_class = "flow-step flow-step-excluded" if excluded else "flow-step"
        tooltip = _step_summary(number, step)
        if step.description.strip():
            tooltip += _("。") + step.description
        border = f'stroke="{_MUTED}" stroke-dasharray="5 3"' if excluded else f'stroke="{_BLUE}"'
        center = x + box_width / 2
        parts.append(
            f'<g class="{group_class}"><title>{_esc(tooltip)}</title>'
            f'<rect class="flow-step-box" x="{_num(x)}" y="{_num(y)}" width="{_num(box_width)}" '
            f'height="{_num(h)}" rx="6" fill="#ffffff" {border} stroke-width="1.5"/>'
            f'<circle class="flow-step-badge" cx="{_num(x + 4 + _BADGE_R)}" cy="{_num(y)}" '
            f'r="{_BADGE_R}" fill="{_MUTED if excluded else _BLUE}"/>'
        )
        parts.append(
            _text(
                [str(number)],
                x=x + 4 + _BADGE_R,
                top=y - _BADGE_R,
                size=_SMALL_SIZE,
                line_height=2 * _BADGE_R,
                fill="#ffffff",
                css_class="flow-step-number",
                bold=True,
            )
        )
        top = y + _BOX_PAD_TOP
        parts.append(
            _text(
                name_lines,
                x=center,
                top=top,
                size=_NAME_SIZE,
                line_height=_NAME_LINE,
                fill=_INK,
                css_class="flow-step-name",
                bold=True,
            )
        )
        top += len(name_lines) * _NAME_LINE + _BLOCK_GAP
        if limit_lines:
            parts.append(
                _text(
                    limit_lines,
                    x=center,
                    top=top,
                    size=_SMALL_SIZE,
                    line_height=_SMALL_LINE,
                    fill=_LIMIT,
                    css_class="flow-step-limit",
                )
            )
            top += len(limit_lines) * _SMALL_LINE
        if note_lines:
            parts.append(
                _text(
                    note_lines,
                    x=center,
                    top=top,
                    size=_SMALL_SIZE,
                    line_height=_SMALL_LINE,
                    fill=_MUTED,
                    css_class="flow-step-note",
                )
            )
        parts.append("</g>")
    parts.append("</g></svg>")
    return "".join(parts)
