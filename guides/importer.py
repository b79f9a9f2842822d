"""Bulk import of guides from JSON Lines in the corpus schema (extended by the record's extra keys).

The import is all or nothing: every line is checked first, every problem is reported with its line
number, and nothing is written unless the whole file is good. A guide is created or updated by its
``code``; a line whose guide already says the same thing is left alone, so a second run of the
same file changes nothing (no new revision, no new checklist version).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from wagtail.models import ReferenceIndex
from wagtail.signal_handlers import disable_reference_index_auto_update

from guides.choices import (
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    MaterialType,
    Necessity,
    ResultType,
    Section,
    ServiceObject,
    WindowRole,
)
from guides.domain.situations import yes_no_question
from guides.models import (
    Department,
    GuideFAQ,
    GuideFeeItem,
    GuideIndexPage,
    GuideLegalBasis,
    GuideMaterial,
    GuidePage,
    GuideSituation,
    GuideStep,
    LifeEvent,
    ServiceHall,
    ServiceWindow,
)
from guides.serializers import serialize_guide

WINDOW_LABEL = re.compile(r"^(?P<name>.+?)\s*(?:（(?P<range>[0-9][0-9,、\-]*)号）|(?P<single>[0-9][0-9,、\-]*)号)?$")

MATERIAL_KEYS = (
    "name", "type", "form", "original", "copies", "spec", "necessity", "source",
    "acceptance_standard", "note", "situation",
)
STEP_KEYS = ("name", "actor", "description", "limit", "counts_toward_limit")


@dataclass
class LineError:
    line: int
    code: str | None
    message: str

    def __str__(self) -> str:
        where = f"第 {self.line} 行" + (f"（{self.code}）" if self.code else "")
        return f"{where}：{self.message}"


class ImportFailed(Exception):
    def __init__(self, errors: list[LineError]):
        self.errors = errors
        super().__init__(f"{len(errors)} 处错误，未导入任何内容")


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)


class RecordError(ValueError):
    pass


def parse_window_label(label: str) -> tuple[str, str]:
    match = WINDOW_LABEL.match(" ".join(label.split()))
    if not match:
        raise RecordError(f"无法识别的窗口：{label!r}")
    numbers = match.group("range") or match.group("single") or ""
    return match.group("name").strip(), numbers.replace("、", ",")


def infer_material_type(name: str) -> str:
    """The corpus has no material type; forms and letters are told apart from certificates by name."""
    if re.search(r"(申请表|申请书|登记表|信息表|承诺书|声明|报告|方案|表)$", name):
        return MaterialType.FORM
    if re.search(r"(证|执照|证明|证书|许可|批复|文件)", name):
        return MaterialType.CERTIFICATE
    return MaterialType.OTHER


# --- validation of one line -------------------------------------------------------------------


def _require(data: dict, key: str, kind: type | tuple[type, ...], errors: list[str]) -> Any:
    if key not in data:
        errors.append(f"缺少字段 {key}")
        return None
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        errors.append(f"字段 {key} 类型错误")
        return None
    return value


def _text(data: dict, key: str, errors: list[str], *, required: bool = True, max_length: int = 10000) -> str:
    if key not in data or data[key] is None:
        if required:
            errors.append(f"缺少字段 {key}")
        return ""
    value = data[key]
    if not isinstance(value, str):
        errors.append(f"字段 {key} 应为文本")
        return ""
    value = value.strip()
    if required and not value:
        errors.append(f"字段 {key} 不能为空")
    if len(value) > max_length:
        errors.append(f"字段 {key} 超过 {max_length} 字")
    return value


def _choice(value: Any, choices: type, label: str, errors: list[str], *, blank: bool = False) -> str:
    if blank and (value is None or value == ""):
        return ""
    if value not in choices.values:
        errors.append(f"{label}“{value}”不是可选值（{'、'.join(map(str, choices.values))}）")
        return ""
    return value


def _count(value: Any, label: str, errors: list[str]) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > 99:
        errors.append(f"{label}应为 0 到 99 的整数")
        return 0
    return value


def _limit(value: Any, label: str, errors: list[str], *, nullable: bool = False) -> dict | None:
    if value is None and nullable:
        return None
    if not isinstance(value, dict):
        errors.append(f"{label}应为 {{value, unit}} 对象")
        return None
    unit = _choice(value.get("unit"), LimitUnit, f"{label}单位", errors)
    amount = value.get("value")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        errors.append(f"{label}的 value 应为非负整数")
        return None
    if unit == LimitUnit.IMMEDIATE and amount != 0:
        errors.append(f"{label}为即办时 value 应为 0")
    if unit and unit != LimitUnit.IMMEDIATE and amount == 0:
        errors.append(f"{label}为 0 时单位应为即办")
    return {"value": amount, "unit": unit}


MAX_ALIASES_CHARS = 300


def _aliases(value: Any, errors: list[str]) -> list[str]:
    """俗称/简称: a list of strings (or one string separated by 、), at most 300 characters together."""
    if isinstance(value, str):
        value = re.split(r"[、，,;；\n]+", value)
    if not isinstance(value, list) or not all(isinstance(alias, str) for alias in value):
        errors.append("俗称/简称（aliases）应为字符串列表")
        return []
    aliases = list(dict.fromkeys(alias.strip() for alias in value if alias.strip()))
    if any(separator in alias for alias in aliases for separator in "、，,;；"):
        errors.append("俗称/简称（aliases）的每一项不能含分隔符“、”")
    if len("、".join(aliases)) > MAX_ALIASES_CHARS:
        errors.append(f"俗称/简称（aliases）合计不能超过 {MAX_ALIASES_CHARS} 字")
    return aliases


def normalize_record(data: Any) -> dict[str, Any]:
    """Check one decoded line and return it in the exact shape the serializer produces."""
    if not isinstance(data, dict):
        raise RecordError("每行应为一个 JSON 对象")
    errors: list[str] = []
    record: dict[str, Any] = {}
    code = _text(data, "code", errors, max_length=64)
    if code and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,63}", code):
        errors.append(f"编码“{code}”只能包含字母、数字、连字符、下划线和点")
    record["code"] = code
    record["basic_code"] = _text(data, "basic_code", errors, required=False, max_length=64)
    record["sub_item_code"] = _text(data, "sub_item_code", errors, required=False, max_length=64)
    record["name"] = _text(data, "name", errors, max_length=255)
    record["category"] = _choice(data.get("category"), Section, "版块", errors)
    record["department"] = _text(data, "department", errors, max_length=100)
    record["item_type"] = _choice(data.get("item_type"), ItemType, "事项类型", errors)
    objects = _require(data, "service_object", list, errors) or []
    record["service_object"] = [_choice(o, ServiceObject, "服务对象", errors) for o in objects]
    themes = data.get("themes", [])
    if not isinstance(themes, list) or not all(isinstance(t, str) for t in themes):
        errors.append("字段 themes 应为主题标识列表")
        themes = []
    record["themes"] = sorted(themes)
    record["popular"] = bool(data.get("popular", False))
    record["summary"] = _text(data, "summary", errors)
    record["conditions"] = _text(data, "conditions", errors)
    record["quantity_limit"] = _text(data, "quantity_limit", errors, required=False, max_length=200)

    bases = _require(data, "legal_basis", list, errors) or []
    record["legal_basis"] = []
    for basis in bases:
        if isinstance(basis, str) and basis.strip():
            record["legal_basis"].append({"title": basis.strip(), "document_number": "", "excerpt": ""})
        elif isinstance(basis, dict) and isinstance(basis.get("title"), str) and basis["title"].strip():
            record["legal_basis"].append(
                {
                    "title": basis["title"].strip(),
                    "document_number": str(basis.get("document_number") or "").strip(),
                    "excerpt": str(basis.get("excerpt") or "").strip(),
                }
            )
        else:
            errors.append("设定依据应为非空文本或含 title 的对象")

    materials = _require(data, "materials", list, errors) or []
    if not materials and "materials" in data:
        errors.append("至少需要一项申请材料")
    record["materials"] = []
    for number, material in enumerate(materials, start=1):
        where = f"第 {number} 项材料"
        if not isinstance(material, dict):
            errors.append(f"{where}应为对象")
            continue
        material_errors: list[str] = []
        name = _text(material, "name", material_errors, max_length=200)
        situation = material.get("situation")
        if situation is not None and (not isinstance(situation, str) or not situation.strip()):
            material_errors.append("situation 应为非空文本或 null")
            situation = None
        record["materials"].append(
            {
                "name": name,
                "type": _choice(material.get("type", infer_material_type(name)), MaterialType, "材料类型", material_errors),
                "form": _choice(material.get("form"), MaterialForm, "材料形式", material_errors),
                "original": _count(material.get("original"), "原件份数", material_errors),
                "copies": _count(material.get("copies"), "复印件份数", material_errors),
                "spec": _text(material, "spec", material_errors, required=False, max_length=50),
                "necessity": _choice(material.get("necessity"), Necessity, "必要性", material_errors),
                "source": _choice(material.get("source"), MaterialSource, "来源渠道", material_errors),
                "acceptance_standard": _text(material, "acceptance_standard", material_errors, required=False),
                "note": _text(material, "note", material_errors, required=False),
                "situation": situation.strip() if situation else None,
            }
        )
        errors.extend(f"{where}（{name or '?'}）：{e}" for e in material_errors)

    declared = data.get("situations")
    if declared is None:
        cases = list(dict.fromkeys(m["situation"] for m in record["materials"] if m["situation"]))
        declared = [{"question": yes_no_question(case), "options": [case]} for case in cases]
    if not isinstance(declared, list):
        errors.append("字段 situations 应为列表")
        declared = []
    record["situations"] = []
    for number, situation in enumerate(declared, start=1):
        options = situation.get("options") if isinstance(situation, dict) else None
        question = situation.get("question") if isinstance(situation, dict) else None
        if not isinstance(question, str) or not question.strip() or not isinstance(options, list) or not options or not all(isinstance(o, str) and o.strip() for o in options):
            errors.append(f"第 {number} 个情形问题应包含 question 和非空的 options 列表")
            continue
        key = situation.get("key") or f"s{number}"
        record["situations"].append(
            {"key": str(key), "question": question.strip(), "options": [o.strip() for o in options]}
        )

    steps = _require(data, "steps", list, errors) or []
    record["steps"] = []
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            errors.append(f"第 {number} 个环节应为对象")
            continue
        step_errors: list[str] = []
        record["steps"].append(
            {
                "name": _text(step, "name", step_errors, max_length=100),
                "actor": _text(step, "actor", step_errors, max_length=50),
                "description": _text(step, "description", step_errors, required=False),
                "limit": _limit(step.get("limit"), "环节时限", step_errors, nullable=True),
                "counts_toward_limit": bool(step.get("counts_toward_limit", True)),
            }
        )
        errors.extend(f"第 {number} 个环节：{e}" for e in step_errors)

    record["legal_limit"] = _limit(data.get("legal_limit"), "法定办结时限", errors)
    record["legal_limit_note"] = _text(data, "legal_limit_note", errors, required=False, max_length=200)
    record["promised_limit"] = _limit(data.get("promised_limit"), "承诺办结时限", errors)
    record["promised_limit_note"] = _text(data, "promised_limit_note", errors, required=False, max_length=200)

    fee = _require(data, "fee", dict, errors) or {}
    items = fee.get("items", [])
    record["fee"] = {"charged": bool(fee.get("charged")), "items": []}
    if not isinstance(items, list):
        errors.append("收费项目应为列表")
        items = []
    for item in items:
        if not isinstance(item, dict):
            errors.append("收费项目应为对象")
            continue
        item_errors: list[str] = []
        record["fee"]["items"].append(
            {
                "name": _text(item, "name", item_errors, max_length=200),
                "standard": _text(item, "standard", item_errors),
                "basis": _text(item, "basis", item_errors, required=False),
                "reduction": _text(item, "reduction", item_errors, required=False),
            }
        )
        errors.extend(f"收费项目：{e}" for e in item_errors)

    visits = data.get("visits")
    if visits not in (0, 1, 2) or isinstance(visits, bool):
        errors.append("到现场次数应为 0、1 或 2")
    record["visits"] = visits if visits in (0, 1, 2) else 0
    record["visits_note"] = _text(data, "visits_note", errors, required=False, max_length=200)
    online = data.get("online")
    if not isinstance(online, bool):
        errors.append("字段 online 应为 true 或 false")
    record["online"] = bool(online)
    record["online_url"] = _text(data, "online_url", errors, required=False, max_length=200)
    if record["online_url"] and not re.match(r"^https?://", record["online_url"]):
        errors.append("网上办理地址应以 http:// 或 https:// 开头")
    record["intake_window"] = _text(data, "intake_window", errors, max_length=150)
    record["delivery_window"] = _text(data, "delivery_window", errors, required=False, max_length=150)
    for key in ("intake_window", "delivery_window"):
        if record[key]:
            try:
                parse_window_label(record[key])
            except RecordError as error:
                errors.append(str(error))
    record["phone"] = _text(data, "phone", errors, max_length=40)
    record["complaint_phone"] = _text(data, "complaint_phone", errors, max_length=40)
    record["result"] = _text(data, "result", errors, required=False, max_length=200)
    record["aliases"] = _aliases(data.get("aliases", []), errors)
    record["result_type"] = _choice(data.get("result_type", ""), ResultType, "结果类型", errors, blank=True)
    faqs = data.get("faq", [])
    record["faq"] = []
    for faq in faqs if isinstance(faqs, list) else [None]:
        if not isinstance(faq, dict) or not isinstance(faq.get("question"), str) or not isinstance(faq.get("answer"), str):
            errors.append("常见问题应为含 question 和 answer 的对象")
            continue
        record["faq"].append({"question": faq["question"].strip(), "answer": faq["answer"].strip()})
    if errors:
        raise RecordError("；".join(errors))
    return record


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """The part of a record that the import manages, for telling unchanged lines apart."""
    keys = (
        "code", "basic_code", "sub_item_code", "name", "category", "department", "item_type",
        "service_object", "themes", "popular", "summary", "conditions", "quantity_limit",
        "legal_basis", "situations", "legal_limit", "legal_limit_note", "promised_limit",
        "promised_limit_note", "fee", "visits", "visits_note", "online", "online_url",
        "intake_window", "delivery_window", "phone", "complaint_phone", "result", "result_type", "faq", "aliases",
    )
    result = {key: record.get(key) for key in keys}
    result["materials"] = [{k: m.get(k) for k in MATERIAL_KEYS} for m in record["materials"]]
    result["steps"] = [{k: s.get(k) for k in STEP_KEYS} for s in record["steps"]]
    return result


# --- writing -------------------------------------------------------------------------------------


class GuideWriter:
    """Resolves references and writes normalized records to pages, inside one transaction."""

    def __init__(self, hall=None):
        self.index = GuideIndexPage.objects.first()
        if self.index is None:
            raise ImportFailed([LineError(0, None, "站点中没有“办事指南目录”页面，请先运行 load_demo 或在后台创建")])
        self.hall = hall or ServiceHall.objects.order_by("pk").first()
        self.departments = {d.name: d for d in Department.objects.all()}
        self.windows = {(w.name, w.numbers): w for w in ServiceWindow.objects.filter(hall=self.hall)} if self.hall else {}
        self.themes = {t.slug: t for t in LifeEvent.objects.all()}

    def department(self, record: dict[str, Any]):
        name = record["department"]
        if name not in self.departments:
            code = "D" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8].upper()
            self.departments[name] = Department.objects.create(
                name=name, code=code, phone=record["phone"], complaint_phone=record["complaint_phone"]
            )
        return self.departments[name]

    def window(self, label: str, role: str):
        if not label:
            return None
        if self.hall is None:
            self.hall = ServiceHall.objects.create(name="政务服务中心", address="（请在后台补充大厅地址）")
        name, numbers = parse_window_label(label)
        key = (name, numbers)
        if key not in self.windows:
            self.windows[key] = ServiceWindow.objects.create(hall=self.hall, name=name, numbers=numbers, role=role)
        return self.windows[key]

    def apply(self, page, record: dict[str, Any]) -> None:
        page.title = record["name"]
        page.code = record["code"]
        page.basic_code = record["basic_code"]
        page.sub_item_code = record["sub_item_code"]
        page.section = record["category"]
        page.department = self.department(record)
        page.item_type = record["item_type"]
        page.service_objects = record["service_object"]
        page.themes = [self.themes[slug] for slug in record["themes"]]
        page.is_popular = record["popular"]
        page.summary = record["summary"]
        page.conditions = record["conditions"]
        page.quantity_limit = record["quantity_limit"]
        page.legal_limit_value = record["legal_limit"]["value"]
        page.legal_limit_unit = record["legal_limit"]["unit"]
        page.legal_limit_note = record["legal_limit_note"]
        page.promised_limit_value = record["promised_limit"]["value"]
        page.promised_limit_unit = record["promised_limit"]["unit"]
        page.promised_limit_note = record["promised_limit_note"]
        page.fee_charged = record["fee"]["charged"]
        page.visits = record["visits"]
        page.visits_note = record["visits_note"]
        page.online = record["online"]
        page.online_url = record["online_url"]
        page.intake_window = self.window(record["intake_window"], WindowRole.INTAKE)
        page.delivery_window = self.window(record["delivery_window"], WindowRole.DELIVERY)
        page.phone = record["phone"]
        page.complaint_phone = record["complaint_phone"]
        page.result_name = record["result"]
        page.common_names = "、".join(record["aliases"])
        page.result_type = record["result_type"]
        page.legal_bases = [GuideLegalBasis(**basis) for basis in record["legal_basis"]]
        page.situations = [
            GuideSituation(key=s["key"], question=s["question"], options="\n".join(s["options"]))
            for s in record["situations"]
        ]
        page.materials = [
            GuideMaterial(
                name=m["name"], material_type=m["type"], form=m["form"], original_count=m["original"],
                copy_count=m["copies"], spec=m["spec"], necessity=m["necessity"], source=m["source"],
                acceptance_standard=m["acceptance_standard"], note=m["note"], situation=m["situation"] or "",
            )
            for m in record["materials"]
        ]
        page.steps = [
            GuideStep(
                name=s["name"], actor=s["actor"], description=s["description"],
                limit_value=s["limit"]["value"] if s["limit"] else None,
                limit_unit=s["limit"]["unit"] if s["limit"] else "",
                counts_toward_limit=s["counts_toward_limit"],
            )
            for s in record["steps"]
        ]
        page.fee_items = [GuideFeeItem(**item) for item in record["fee"]["items"]]
        page.faqs = [GuideFAQ(**faq) for faq in record["faq"]]


def _keep_situation_keys(record: dict[str, Any], existing: dict[str, Any]) -> None:
    """Shared links carry situation keys; an update keeps the key of every unchanged question."""
    by_question = {s["question"]: s["key"] for s in existing["situations"]}
    taken = set(by_question.values())
    for situation in record["situations"]:
        if situation["question"] in by_question:
            situation["key"] = by_question[situation["question"]]
    number = 1
    for situation in record["situations"]:
        if situation["question"] in by_question:
            continue
        while f"s{number}" in taken:
            number += 1
        situation["key"] = f"s{number}"
        taken.add(situation["key"])


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "；".join(f"{message}" for messages in error.message_dict.values() for message in messages)
    return "；".join(error.messages)


def import_guides(
    lines: Iterable[str],
    *,
    publish: bool = False,
    user=None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import JSON Lines; raise ImportFailed listing every bad line, having written nothing."""
    errors: list[LineError] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    known_themes = set(LifeEvent.objects.values_list("slug", flat=True))
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            errors.append(LineError(number, None, f"不是有效的 JSON（第 {error.colno} 列：{error.msg}）"))
            continue
        code = data.get("code") if isinstance(data, dict) else None
        try:
            record = normalize_record(data)
        except RecordError as error:
            errors.append(LineError(number, code if isinstance(code, str) else None, str(error)))
            continue
        unknown = [slug for slug in record["themes"] if slug not in known_themes]
        if unknown:
            errors.append(LineError(number, record["code"], f"未知主题：{'、'.join(unknown)}"))
            continue
        if record["code"] in seen:
            errors.append(LineError(number, record["code"], f"编码与第 {seen[record['code']]} 行重复"))
            continue
        seen[record["code"]] = number
        parsed.append((number, record))

    report = ImportReport()
    # Lines that passed the schema are still written, inside a transaction that the first error
    # dooms, so that model-level problems (a bad phone number, promised > legal) of every line are
    # reported in the same run.
    with transaction.atomic():
        writer = GuideWriter()
        existing_pages = {p.code: p for p in GuidePage.objects.filter(code__in=list(seen))}
        for number, record in parsed:
            try:
                # Wagtail re-indexes a page's references on every save of each of its inline rows;
                # one update per guide after it is written does the same work once.
                with transaction.atomic(), disable_reference_index_auto_update():
                    page = _write_one(writer, existing_pages.get(record["code"]), record, publish, user, report)
                ReferenceIndex.create_or_update_for_object(page)
            except ValidationError as error:
                errors.append(LineError(number, record["code"], _validation_message(error)))
            if progress:
                progress(1)
        if errors:
            raise ImportFailed(sorted(errors, key=lambda e: e.line))
    return report


def _write_one(writer, page, record, publish, user, report) -> GuidePage:
    if page is None:
        page = GuidePage(slug=record["code"].lower(), live=False)
        writer.apply(page, record)
        page.full_clean(exclude=["path", "depth", "url_path"])
        writer.index.add_child(instance=page)
        revision = page.save_revision(user=user, log_action=False)
        report.created.append(record["code"])
        if publish:
            revision.publish(user=user)
            report.published.append(record["code"])
        return page

    latest = page.get_latest_revision_as_object()
    existing = serialize_guide(latest)
    _keep_situation_keys(record, existing)
    if comparable(existing) == comparable(record):
        if publish and (not page.live or page.has_unpublished_changes):
            page.get_latest_revision().publish(user=user)
            report.published.append(record["code"])
        else:
            report.unchanged.append(record["code"])
        return page
    writer.apply(latest, record)
    revision = latest.save_revision(user=user)
    report.updated.append(record["code"])
    if publish:
        revision.publish(user=user)
        report.published.append(record["code"])
    return page
