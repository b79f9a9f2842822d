"""Quality rules of a guide (指南质量检查): what makes a checklist vague, inconsistent or
incomplete for the counter, read from the guide's record (the dict of guides.serializers, which
the importer reads too), so that the admin, the import, ``manage.py lint_guides`` and the
dashboard apply the same rules.

Every rule has a code, a severity and a message for editors. A *blocking* finding stops a guide
from being submitted to review or published; a *warning* is shown to the editor and counted in
the guide list. The hall calendar's rule is not a rule of one guide: ``lint_calendar`` takes the
closed days a hall has entered.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from guides.domain.marks import OBTAINED_BY_OFFICE
from guides.domain.phones import InvalidPhone, normalize_phone
from guides.domain.situations import Situation
from guides.domain.text import gettext as _
from guides.domain.text import gettext_noop
from guides.domain.timelimits import TimeLimit, check_limits

__all__ = [
    "RULES",
    "Finding",
    "Rule",
    "Severity",
    "blocking",
    "lint",
    "lint_calendar",
    "warnings",
]


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    # What the rule asks, for the rules table (README, the command's help); marked for the
    # catalogue and translated where shown.
    summary: str


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    # Where in the record: a key ("phone"), a row ("materials[2].name") or the whole list ("steps").
    field: str
    message: str

    @property
    def is_blocking(self) -> bool:
        return self.severity is Severity.BLOCKING

    def as_dict(self) -> dict[str, str]:
        return {**asdict(self), "severity": str(self.severity)}


B, W = Severity.BLOCKING, Severity.WARNING
RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("L101", B, gettext_noop("材料名称不得使用兜底表述（其他相关材料、相关材料、其他材料，或以“等”结尾）")),
        Rule("L102", B, gettext_noop("同一情形下不得重复列出同一材料")),
        Rule("L103", B, gettext_noop("原件和复印件均为 0 份的材料须标明“免提交”（通过数据共享获取）")),
        Rule("L104", W, gettext_noop("申请人提交的材料应填写受理标准")),
        Rule("L201", B, gettext_noop("须填写法定办结时限，且不为 0（即办除外）")),
        Rule("L202", B, gettext_noop("须填写承诺办结时限，且不为 0（即办除外）")),
        Rule("L203", B, gettext_noop("承诺办结时限不得超过法定办结时限")),
        Rule("L301", B, gettext_noop("收费事项须列出收费项目")),
        Rule("L302", B, gettext_noop("每个收费项目须填写收费标准")),
        Rule("L401", B, gettext_noop("须填写有效的咨询电话和监督投诉电话")),
        Rule("L501", B, gettext_noop("须列出办理流程")),
        Rule("L502", B, gettext_noop("须列出设定依据")),
        Rule("L503", B, gettext_noop("须填写受理条件")),
        Rule("L601", W, gettext_noop("情形问题应至少有一项材料依赖它")),
        Rule("L901", W, gettext_noop("每年 12 月起，服务大厅日历须已录入下一年的休息日")),
    )
}
del B, W

# Catch-all wordings (兜底条款) that leave the citizen guessing what to bring.
_CATCH_ALL_WORDS = ("其他相关材料", "其它相关材料", "相关材料", "其他材料", "其它材料")
_TRAILING = "。.；;，,、:：!！ "
_BLANK = re.compile(r"\s+")


def _finding(code: str, field: str, message: str) -> Finding:
    return Finding(code, RULES[code].severity, field, message)


def _normalized(text: Any) -> str:
    """Text as compared: NFKC (full-width letters and brackets), no spaces."""
    return _BLANK.sub("", unicodedata.normalize("NFKC", str(text or "")))


def catch_all_wording(name: str) -> str | None:
    """The catch-all wording a material's name uses (其他相关材料 …, or a final 等), or None."""
    text = _normalized(name).rstrip(_TRAILING)
    for words in _CATCH_ALL_WORDS:
        if words in text:
            return words
    if text.endswith("等"):
        return "等"
    return None


def _materials(record: Mapping[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    seen: dict[tuple[str, str], int] = {}
    for position, material in enumerate(record.get("materials") or []):
        name = material.get("name") or ""
        where = f"materials[{position}]"
        wording = catch_all_wording(name)
        if wording is not None:
            findings.append(
                _finding(
                    "L101", f"{where}.name",
                    _("材料“%(name)s”使用了兜底表述“%(words)s”：请逐项写明需要提交的材料") % {"name": name, "words": wording},
                )
            )
        key = (_normalized(name), _normalized(material.get("situation")))
        if key in seen:
            findings.append(
                _finding(
                    "L102", f"{where}.name",
                    _("材料“%(name)s”与第 %(first)s 项重复") % {"name": name, "first": seen[key] + 1},
                )
            )
        else:
            seen[key] = position
        obtained = OBTAINED_BY_OFFICE in (material.get("marks") or ())
        if not material.get("original") and not material.get("copies") and not obtained:
            findings.append(
                _finding(
                    "L103", f"{where}.original",
                    _("材料“%(name)s”的原件和复印件均为 0 份：申请人无需提交的，请标明“免提交”（窗口通过数据共享获取）；否则请填写份数")
                    % {"name": name},
                )
            )
        if not obtained and not (material.get("acceptance_standard") or "").strip():
            findings.append(
                _finding("L104", f"{where}.acceptance_standard", _("材料“%(name)s”没有填写受理标准") % {"name": name})
            )
    return findings


def _limit(data: Any) -> TimeLimit | None:
    if not data:
        return None
    try:
        return TimeLimit.from_dict(data)
    except ValueError:
        return None


def _limits(record: Mapping[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    limits = {}
    for code, key, missing, zero in (
        ("L201", "legal_limit", _("没有填写法定办结时限"), _("法定办结时限为 0：请填写天数，当场办结的请选“即办”")),
        ("L202", "promised_limit", _("没有填写承诺办结时限"), _("承诺办结时限为 0：请填写天数，当场办结的请选“即办”")),
    ):
        limit = _limit(record.get(key))
        if limit is None:
            findings.append(_finding(code, key, missing))
        elif limit.value == 0 and not limit.is_immediate:
            findings.append(_finding(code, key, zero))
        else:
            limits[key] = limit
    if len(limits) == 2:
        for message in check_limits(limits["promised_limit"], limits["legal_limit"]):
            findings.append(_finding("L203", "promised_limit", message))
    return findings


def _fees(record: Mapping[str, Any]) -> list[Finding]:
    fee = record.get("fee") or {}
    items = fee.get("items") or []
    if not fee.get("charged"):
        return []
    if not items:
        return [_finding("L301", "fee.items", _("事项收费，但没有列出收费项目"))]
    return [
        _finding("L302", f"fee.items[{position}].standard", _("收费项目“%(name)s”没有填写收费标准") % {"name": item.get("name") or ""})
        for position, item in enumerate(items)
        if not (item.get("standard") or "").strip()
    ]


def _phones(record: Mapping[str, Any]) -> list[Finding]:
    findings = []
    for key, label in (("phone", _("咨询电话")), ("complaint_phone", _("监督投诉电话"))):
        value = (record.get(key) or "").strip()
        if not value:
            findings.append(_finding("L401", key, _("没有填写%(label)s") % {"label": label}))
            continue
        try:
            normalize_phone(value)
        except InvalidPhone as error:
            findings.append(
                _finding("L401", key, _("%(label)s“%(value)s”无效：%(reason)s") % {"label": label, "value": value, "reason": error})
            )
    return findings


def _completeness(record: Mapping[str, Any]) -> list[Finding]:
    findings = []
    if not record.get("steps"):
        findings.append(_finding("L501", "steps", _("没有列出办理流程")))
    if not record.get("legal_basis"):
        findings.append(_finding("L502", "legal_basis", _("没有列出设定依据")))
    if not (record.get("conditions") or "").strip():
        findings.append(_finding("L503", "conditions", _("没有填写受理条件")))
    return findings


def _situations(record: Mapping[str, Any]) -> list[Finding]:
    named = {material.get("situation") for material in record.get("materials") or () if material.get("situation")}
    findings = []
    for position, data in enumerate(record.get("situations") or []):
        situation = Situation.from_dict({"key": data.get("key", ""), **data})
        if not named.intersection(situation.options):
            findings.append(
                _finding(
                    "L601", f"situations[{position}]",
                    _("情形问题“%(question)s”的选项没有被任何材料引用：回答它不会改变材料清单") % {"question": situation.question},
                )
            )
    return findings


def lint(record: Mapping[str, Any]) -> list[Finding]:
    """Every finding of a guide's record, blocking ones first, then in the order of the rules."""
    findings = [
        *_materials(record),
        *_limits(record),
        *_fees(record),
        *_phones(record),
        *_completeness(record),
        *_situations(record),
    ]
    order = list(RULES)
    return sorted(findings, key=lambda f: (not f.is_blocking, order.index(f.code)))


def blocking(findings: Sequence[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.is_blocking]


def warnings(findings: Sequence[Finding]) -> list[Finding]:
    return [finding for finding in findings if not finding.is_blocking]


def lint_calendar(closed_days: Iterable[date], *, today: date, hall: str = "") -> list[Finding]:
    """The hall calendar's rule: from 1 December, the closed days (holidays) of the coming year
    must have been entered, or every due date and "open today" of next year is wrong."""
    if today.month != 12:
        return []
    coming = today.year + 1
    if any(day.year == coming for day in closed_days):
        return []
    return [
        _finding(
            "L901", "calendar",
            _("服务大厅“%(hall)s”尚未录入 %(year)s 年的休息日（节假日）") % {"hall": hall, "year": coming},
        )
    ]
