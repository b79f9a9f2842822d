"""Import of guides, and restore of the whole catalogue, from JSON Lines.

One JSON object per line (UTF-8, a byte order mark allowed). Lines are split on "\\n" only: a JSON
string may hold U+2028 or U+0085, which ``str.splitlines`` would break. A line is a guide's record
in the schema of ``guides.serializers`` (the corpus schema extended by the record's keys), or,
when it names its kind under ``"record"``, one of the other records of a catalogue as
``manage.py export_guides`` writes them (departments, halls, windows, themes, synonyms, the site's
skeleton, journeys, the guides' translations, the change log, promoted results; see ``RecordKind``).

The import is all or nothing: every line is checked first (JSON, shape) and then written inside
one transaction, each in a savepoint, with the validation the admin runs (the models' full_clean
of a guide and of every inline row, guides.validation); every problem of every line is reported
with its line number, and nothing is written unless the whole file is good. Records are created
or updated by their natural key (a guide by its ``code``); a line that already says what the
database says is left alone, so a second run of the same file changes nothing (no new revision,
no new checklist version).

A guide line that carries its ``page`` state (as an export writes it) is restored as it was: live
or not, with its latest draft, its slug and publication times, and its checklist history with
its version numbers; publishing it then records no new version and no change event, since the
file's change log is restored with its ids. Such a line may extend the history a database already
has for that guide, never rewrite it.

A catalogue names every page's id (guides, department folders, journeys, the site's own pages).
Two paths read it, chosen once per file: imported into a database without pages of the portal,
it is a restore, and every page it creates takes its id from the file, so that the feed's
cursors and every address answer as before (portal.page_ids); imported anywhere else, and for
every file of plain guide records, the database chooses the ids of new pages, and the file's are
ignored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from wagtail.models import Page, ReferenceIndex
from wagtail.signal_handlers import disable_reference_index_auto_update

from guides.catalogue import guide_line_fields
from guides.checklists import restoring_history
from guides.choices import (
    CalendarDayKind,
    ExerciseLevel,
    HandlingType,
    LimitUnit,
    MaterialMark,
    MaterialType,
    ServiceObject,
    WindowRole,
)
from guides.domain.checklist import canonical_json
from guides.domain.lint import Finding, blocking, lint
from guides.domain.marks import InvalidMarks, parse_marks
from guides.domain.situations import yes_no_question
from guides.models import (
    ChecklistVersion,
    Department,
    GuideFAQ,
    GuideFeeItem,
    GuideIndexPage,
    GuideLegalBasis,
    GuideMaterial,
    GuidePage,
    GuideSituation,
    GuideStep,
    HallCalendarDay,
    HallSession,
    LifeEvent,
    RevisionChangeNote,
    ServiceHall,
    ServiceWindow,
)
from guides.quality import gate_waived
from guides.serializers import (
    CATALOGUE_FORMAT,
    GUIDE_INDEX_FIELDS,
    HOME_FIELDS,
    JOURNEY_INDEX_FIELDS,
    RECORD_KEY,
    SITE_IDENTITY_FIELDS,
    STATEMENT_FIELDS,
    RecordKind,
    serialize_department,
    serialize_guide,
    serialize_hall_catalogue,
    serialize_synonym,
    serialize_theme,
)
from guides.validation import clean_guide, labelled_messages
from portal import page_ids
from portal.transactions import one_writer

WINDOW_LABEL = re.compile(r"^(?P<name>.+?)\s*(?:（(?P<range>[0-9][0-9,、\-]*)号）|(?P<single>[0-9][0-9,、\-]*)号)?$")
FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
HALL_SESSION = re.compile(r"^(\d{2}:\d{2})-(\d{2}:\d{2})$")

MATERIAL_KEYS = (
    "name", "type", "form", "original", "copies", "spec", "necessity", "source", "marks",
    "acceptance_standard", "note", "basis", "situation",
)
STEP_KEYS = ("name", "actor", "description", "review_standard", "limit", "counts_toward_limit")
# Codes of existing guides are looked up this many at a time (a query's parameters are bounded).
LOOKUP_CHUNK = 500
# How long an import waits for another import (or any writer) to finish: the import of a whole
# catalogue holds the database's write lock for minutes.
IMPORT_WAIT_SECONDS = 30 * 60


@dataclass
class LineError:
    line: int
    code: str | None
    message: str

    def __str__(self) -> str:
        where = _("第 %(line)s 行") % {"line": self.line} if self.line else _("文件")
        if self.code:
            where += f"（{self.code}）"
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
    # The other records of a catalogue: (kind, "created" | "updated" | "unchanged") → count.
    records: Counter = field(default_factory=Counter)
    # Links of the records to documents (blank forms, samples), which an import cannot restore.
    document_links: int = 0
    # The quality findings (guides.domain.lint) of the guides written, by guide code: warnings,
    # and blocking findings too when the import took them as warnings.
    findings: dict[str, list[Finding]] = field(default_factory=dict)


class RecordError(ValueError):
    pass


def split_lines(text: str) -> list[str]:
    """The lines of a JSON Lines text: split on "\\n" only (see the module's docstring)."""
    return text.split("\n")


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


# --- reading a line ------------------------------------------------------------------------------


def decode_line(line: str | bytes, number: int) -> str:
    """The text of a line: bytes are decoded as UTF-8, the first line loses a byte order mark and
    every line a trailing "\\r" (files written on Windows)."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise RecordError(_("不是 UTF-8 编码的文本（第 %(byte)s 个字节）") % {"byte": error.start + 1}) from None
    if number == 1:
        line = line.removeprefix("\ufeff")
    return line.removesuffix("\r")


def parse_json(text: str) -> Any:
    """Decode one line; every way it can fail is a RecordError (never a traceback)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise RecordError(_("不是有效的 JSON（第 %(column)s 列：%(reason)s）") % {"column": error.colno, "reason": error.msg}) from None
    except RecursionError:
        raise RecordError(_("不是可导入的 JSON：括号嵌套过深")) from None
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise RecordError(_("不是可导入的 JSON：%(reason)s") % {"reason": error}) from None
    _check_text(data)
    return data


def _check_text(data: Any) -> None:
    """Strings that a database cannot store, found before anything is written: NUL (rejected by
    PostgreSQL, and by the admin's forms) and unpaired surrogates (not UTF-8)."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise RecordError(_("文本中含有空字符（\\u0000）"))
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise RecordError(_("文本中含有无效的 Unicode 代理字符（\\ud800–\\udfff）")) from None
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


# --- the shape of one record -----------------------------------------------------------------------
# Only the shape is checked here (types, required keys, the form of times and limits); lengths,
# choices and validators are the models' (checked by full_clean when the line is written).


def _require(data: dict, key: str, kind: type | tuple[type, ...], errors: list[str]) -> Any:
    if key not in data:
        errors.append(f"缺少字段 {key}")
        return None
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        errors.append(f"字段 {key} 类型错误")
        return None
    return value


def _text(data: dict, key: str, errors: list[str], *, required: bool = True) -> str:
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
    return value


def _integer(data: dict, key: str, errors: list[str], *, default: int | None = None, nullable: bool = False) -> int | None:
    value = data.get(key, default)
    if value is None and nullable:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        errors.append(_("字段 %(key)s 应为非负整数") % {"key": key})
        return default
    return value


def _boolean(data: dict, key: str, errors: list[str], *, default: bool | None = None) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        errors.append(_("字段 %(key)s 应为 true 或 false") % {"key": key})
        return bool(default)
    return value


def _moment(data: dict, key: str, errors: list[str], *, nullable: bool = False) -> dt.datetime | None:
    value = data.get(key)
    if value is None and nullable:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None:
        errors.append(_("字段 %(key)s 应为带时区的 ISO 8601 时间") % {"key": key})
        return None
    return moment


def _object(data: dict, key: str, errors: list[str]) -> dict:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(_("字段 %(key)s 应为对象") % {"key": key})
        return {}
    return value


def _page_id(data: dict, errors: list[str]) -> int | None:
    """The id a page had in the catalogue (portal.page_ids); None when the line names none."""
    value = _integer(data, "id", errors, nullable=True)
    if value == 0:
        errors.append(_("字段 id 应为正整数"))
        return None
    return value


def _choice(value: Any, choices: type, label: str, errors: list[str]) -> str:
    if value not in choices.values:
        errors.append(f"{label}“{value}”不是可选值（{'、'.join(map(str, choices.values))}）")
        return ""
    return value


def _count(value: Any, label: str, errors: list[str]) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > 99:
        errors.append(f"{label}应为 0 到 99 的整数")
        return 0
    return value


def _marks(value: Any, necessity: str, errors: list[str]) -> list[str]:
    """The marks of a material (免提交, 告知承诺, 容缺后补; optional, a list)."""
    if value is None:
        value = []
    if not isinstance(value, list):
        errors.append("marks 应为列表，例如 [\"免提交\"]")
        return []
    try:
        return parse_marks(value, necessity=necessity)
    except InvalidMarks as error:
        errors.append(str(error))
        return []


def _limit(value: Any, label: str, errors: list[str], *, nullable: bool = False) -> dict | None:
    if value is None and nullable:
        return None
    if not isinstance(value, dict):
        errors.append(f"{label}应为 {{value, unit}} 对象")
        return None
    unit = value.get("unit")
    amount = value.get("value")
    if not isinstance(unit, str) or not unit:
        errors.append(f"{label}缺少单位 unit")
        return None
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        errors.append(f"{label}的 value 应为非负整数")
        return None
    if unit == LimitUnit.IMMEDIATE and amount != 0:
        errors.append(f"{label}为即办时 value 应为 0")
    if unit != LimitUnit.IMMEDIATE and amount == 0:
        errors.append(f"{label}为 0 时单位应为即办")
    return {"value": amount, "unit": unit}


MAX_ALIASES_CHARS = 300
MAX_CO_HANDLERS_CHARS = 300


def _names(value: Any, label: str, max_chars: int, errors: list[str]) -> list[str]:
    """A list of names kept in one field joined by 、 (俗称/简称, 联办机构): a list of strings, or
    one string separated by 、, at most ``max_chars`` characters together."""
    if isinstance(value, str):
        value = re.split(r"[、，,;；\n]+", value)
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        errors.append(f"{label}应为字符串列表")
        return []
    names = list(dict.fromkeys(name.strip() for name in value if name.strip()))
    if any(separator in name for name in names for separator in "、，,;；"):
        errors.append(f"{label}的每一项不能含分隔符“、”")
    if len("、".join(names)) > max_chars:
        errors.append(f"{label}合计不能超过 {max_chars} 字")
    return names


def _aliases(value: Any, errors: list[str]) -> list[str]:
    return _names(value, "俗称/简称（aliases）", MAX_ALIASES_CHARS, errors)


def _optional_choice(data: dict, key: str, choices: type, label: str, errors: list[str]) -> str:
    """A choice that a record may leave out or empty (records that predate it have none)."""
    value = _text(data, key, errors, required=False)
    return _choice(value, choices, label, errors) if value else ""


def _window_hints(data: dict, errors: list[str]) -> list[dict[str, str]]:
    """The windows of a record (the serializer's ``windows``): the hall and location of each, for
    creating a window that does not exist yet."""
    windows = data.get("windows") or []
    if not isinstance(windows, list) or not all(isinstance(w, dict) for w in windows):
        errors.append(_("字段 windows 应为对象列表"))
        return []
    hints = []
    for window in windows:
        hint = {key: window.get(key) or "" for key in ("label", "role", "hall", "location")}
        if not all(isinstance(value, str) for value in hint.values()):
            errors.append(_("字段 windows 中的 label、role、hall、location 应为文本"))
            return []
        hints.append(hint)
    return hints


def normalize_record(data: Any, *, draft: bool = False) -> dict[str, Any]:
    """Check one decoded guide record and return it in the exact shape the serializer produces.

    A ``draft`` (the latest revision of a guide, as an export writes it) may leave required text
    empty, as an editor may when saving a draft in the admin."""
    if not isinstance(data, dict):
        raise RecordError("每行应为一个 JSON 对象")
    required = not draft
    errors: list[str] = []
    record: dict[str, Any] = {}
    record["code"] = _text(data, "code", errors)
    record["basic_code"] = _text(data, "basic_code", errors, required=False)
    record["sub_item_code"] = _text(data, "sub_item_code", errors, required=False)
    record["name"] = _text(data, "name", errors)
    record["category"] = _text(data, "category", errors, required=required)
    record["department"] = _text(data, "department", errors)
    record["department_code"] = _text(data, "department_code", errors, required=False)
    record["item_type"] = _text(data, "item_type", errors, required=required)
    # The national fields (record format 4): optional, empty in records that predate them.
    record["exercise_level"] = _optional_choice(data, "exercise_level", ExerciseLevel, "行使层级", errors)
    record["entrusting_department"] = _text(data, "entrusting_department", errors, required=False)
    record["co_handlers"] = _names(data.get("co_handlers", []), "联办机构（co_handlers）", MAX_CO_HANDLERS_CHARS, errors)
    objects = _require(data, "service_object", list, errors) or []
    record["service_object"] = [_choice(o, ServiceObject, "服务对象", errors) for o in objects]
    themes = data.get("themes", [])
    if not isinstance(themes, list) or not all(isinstance(t, str) for t in themes):
        errors.append("字段 themes 应为主题标识列表")
        themes = []
    record["themes"] = sorted(themes)
    record["popular"] = bool(data.get("popular", False))
    record["summary"] = _text(data, "summary", errors, required=required)
    record["conditions"] = _text(data, "conditions", errors, required=required)
    record["quantity_limit"] = _text(data, "quantity_limit", errors, required=False)
    record["intermediary_services"] = _text(data, "intermediary_services", errors, required=False)
    record["special_procedures"] = _text(data, "special_procedures", errors, required=False)
    if "change_note" in data:
        record["change_note"] = _text(data, "change_note", errors, required=False)

    bases = _require(data, "legal_basis", list, errors) or []
    record["legal_basis"] = []
    for basis in bases:
        if isinstance(basis, str) and basis.strip():
            record["legal_basis"].append({"title": basis.strip(), "document_number": "", "excerpt": ""})
        elif isinstance(basis, dict) and isinstance(basis.get("title"), str) and basis["title"].strip():
            basis_errors: list[str] = []
            record["legal_basis"].append(
                {
                    "title": basis["title"].strip(),
                    "document_number": _text(basis, "document_number", basis_errors, required=False),
                    "excerpt": _text(basis, "excerpt", basis_errors, required=False),
                }
            )
            errors.extend(f"设定依据：{e}" for e in basis_errors)
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
        name = _text(material, "name", material_errors)
        situation = material.get("situation")
        if situation is not None and (not isinstance(situation, str) or not situation.strip()):
            material_errors.append("situation 应为非空文本或 null")
            situation = None
        necessity = _text(material, "necessity", material_errors)
        record["materials"].append(
            {
                "name": name,
                "type": _text({"type": material.get("type", infer_material_type(name))}, "type", material_errors),
                "form": _text(material, "form", material_errors),
                "original": _count(material.get("original"), "原件份数", material_errors),
                "copies": _count(material.get("copies"), "复印件份数", material_errors),
                "spec": _text(material, "spec", material_errors, required=False),
                "necessity": necessity,
                "source": _text(material, "source", material_errors),
                "marks": _marks(material.get("marks"), necessity, material_errors),
                "acceptance_standard": _text(material, "acceptance_standard", material_errors, required=False),
                "note": _text(material, "note", material_errors, required=False),
                "basis": _text(material, "basis", material_errors, required=False),
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
        if not isinstance(key, str):
            errors.append(f"第 {number} 个情形问题的 key 应为文本")
            continue
        record["situations"].append(
            {"key": key, "question": question.strip(), "options": [o.strip() for o in options]}
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
                "name": _text(step, "name", step_errors),
                "actor": _text(step, "actor", step_errors),
                "description": _text(step, "description", step_errors, required=False),
                "review_standard": _text(step, "review_standard", step_errors, required=False),
                "limit": _limit(step.get("limit"), "环节时限", step_errors, nullable=True),
                "counts_toward_limit": bool(step.get("counts_toward_limit", True)),
            }
        )
        errors.extend(f"第 {number} 个环节：{e}" for e in step_errors)

    record["handling_type"] = _optional_choice(data, "handling_type", HandlingType, "办件类型", errors)
    record["legal_limit"] = _limit(data.get("legal_limit"), "法定办结时限", errors)
    record["legal_limit_note"] = _text(data, "legal_limit_note", errors, required=False)
    record["promised_limit"] = _limit(data.get("promised_limit"), "承诺办结时限", errors)
    record["promised_limit_note"] = _text(data, "promised_limit_note", errors, required=False)

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
                "name": _text(item, "name", item_errors),
                "standard": _text(item, "standard", item_errors, required=required),
                "basis": _text(item, "basis", item_errors, required=False),
                "reduction": _text(item, "reduction", item_errors, required=False),
            }
        )
        errors.extend(f"收费项目：{e}" for e in item_errors)

    record["visits"] = _integer(data, "visits", errors) or 0
    record["visits_note"] = _text(data, "visits_note", errors, required=False)
    online = data.get("online")
    if not isinstance(online, bool):
        errors.append("字段 online 应为 true 或 false")
    record["online"] = bool(online)
    record["online_url"] = _text(data, "online_url", errors, required=False)
    record["intake_window"] = _text(data, "intake_window", errors)
    record["delivery_window"] = _text(data, "delivery_window", errors, required=False)
    for key in ("intake_window", "delivery_window"):
        if record[key]:
            try:
                parse_window_label(record[key])
            except RecordError as error:
                errors.append(str(error))
    record["windows"] = _window_hints(data, errors)
    record["hall"] = data["hall"] if isinstance(data.get("hall"), dict) else None
    record["phone"] = _text(data, "phone", errors, required=required)
    record["complaint_phone"] = _text(data, "complaint_phone", errors, required=required)
    record["result"] = _text(data, "result", errors, required=False)
    record["aliases"] = _aliases(data.get("aliases", []), errors)
    record["result_type"] = _text(data, "result_type", errors, required=False)
    record["result_validity"] = _text(data, "result_validity", errors, required=False)
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
        "exercise_level", "entrusting_department", "co_handlers",
        "service_object", "themes", "popular", "summary", "conditions", "quantity_limit",
        "intermediary_services", "special_procedures",
        "legal_basis", "situations", "handling_type", "legal_limit", "legal_limit_note", "promised_limit",
        "promised_limit_note", "fee", "visits", "visits_note", "online", "online_url",
        "intake_window", "delivery_window", "phone", "complaint_phone", "result", "result_type",
        "result_validity", "faq", "aliases",
    )
    result = {key: record.get(key) for key in keys}
    result["materials"] = [{k: m.get(k) for k in MATERIAL_KEYS} for m in record["materials"]]
    result["steps"] = [{k: s.get(k) for k in STEP_KEYS} for s in record["steps"]]
    return result


@dataclass
class GuideState:
    """What a guide line of an export adds to the record: see serialize_guide_state."""

    change_note: str
    id: int | None  # the page's id in the catalogue: see portal.page_ids
    slug: str
    seo_title: str
    search_description: str
    live: bool
    first_published_at: dt.datetime | None
    last_published_at: dt.datetime | None
    history: list[dict[str, Any]]
    draft: dict[str, Any] | None

    def comparable(self) -> dict[str, Any]:
        """What the import manages (a page's id is given once, when a restore creates it)."""
        return {
            "change_note": self.change_note,
            "page": (self.slug, self.seo_title, self.search_description, self.live, self.first_published_at, self.last_published_at),
            "history": [_comparable_version(v) for v in self.history],
            "draft": {**comparable(self.draft), "change_note": self.draft["change_note"]} if self.draft else None,
        }


def _comparable_version(version: dict[str, Any]) -> tuple:
    return version["version"], version["fingerprint"], version["published_at"], canonical_json(version["checklist"])


def normalize_state(data: dict[str, Any]) -> GuideState:
    """The state of a guide line that carries one (``page``, ``history``, ``draft``)."""
    errors: list[str] = []
    page = _object(data, "page", errors)
    history_data = data.get("history") or []
    history: list[dict[str, Any]] = []
    if not isinstance(history_data, list) or not all(isinstance(v, dict) for v in history_data):
        errors.append(_("字段 history 应为清单版本对象的列表"))
        history_data = []
    for entry in history_data:
        version_errors: list[str] = []
        version = {
            "version": _integer(entry, "version", version_errors),
            "fingerprint": _text(entry, "fingerprint", version_errors),
            "published_at": _moment(entry, "published_at", version_errors),
            "checklist": entry.get("checklist"),
        }
        if version["fingerprint"] and not FINGERPRINT.match(version["fingerprint"]):
            version_errors.append(_("fingerprint 应为 64 位小写十六进制数"))
        if not isinstance(version["checklist"], dict):
            version_errors.append(_("checklist 应为对象"))
        if version_errors:
            errors.extend(_("清单第 %(version)s 版：%(message)s") % {"version": entry.get("version"), "message": e} for e in version_errors)
        else:
            history.append(version)
    numbers = [v["version"] for v in history]
    if numbers != list(range(1, len(numbers) + 1)):
        errors.append(_("清单版本应从 1 起连续编号（文件中为 %(numbers)s）") % {"numbers": numbers})
    draft = None
    if data.get("draft") is not None:
        try:
            draft = normalize_record(data["draft"], draft=True)
            draft.setdefault("change_note", "")
        except RecordError as error:
            errors.append(_("草稿：%(message)s") % {"message": error})
    state = GuideState(
        change_note=_text(data, "change_note", errors, required=False),
        id=_page_id(page, errors),
        slug=_text(page, "slug", errors, required=False),
        seo_title=_text(page, "seo_title", errors, required=False),
        search_description=_text(page, "search_description", errors, required=False),
        live=_boolean(page, "live", errors, default=False),
        first_published_at=_moment(page, "first_published_at", errors, nullable=True),
        last_published_at=_moment(page, "last_published_at", errors, nullable=True),
        history=history,
        draft=draft,
    )
    if errors:
        raise RecordError("；".join(errors))
    return state


@dataclass
class GuideLine:
    record: dict[str, Any]
    state: GuideState | None  # None for a plain record (corpus, feed export): imported as such
    document_links: int = 0


def _document_links(data: dict) -> int:
    """The documents a record links to (by URL: the documents themselves are not in it)."""
    materials = data.get("materials") if isinstance(data.get("materials"), list) else []
    links = [m.get(key) for m in materials if isinstance(m, dict) for key in ("blank_form_url", "sample_url")]
    return sum(1 for link in [*links, data.get("result_sample_url")] if link)


def normalize_guide(data: Any) -> GuideLine:
    if not isinstance(data, dict):
        raise RecordError("每行应为一个 JSON 对象")
    if "page" not in data:
        return GuideLine(normalize_record(data), None, _document_links(data))
    live = isinstance(data["page"], dict) and data["page"].get("live") is True
    messages = []
    try:
        # The record of a guide that is not live is its latest draft.
        record = normalize_record(data, draft=not live)
    except RecordError as error:
        messages.append(str(error))
    try:
        state = normalize_state(data)
    except RecordError as error:
        messages.append(str(error))
    if messages:
        raise RecordError("；".join(messages))
    return GuideLine(record, state, _document_links(data))


# --- the other records of a catalogue --------------------------------------------------------------


def _check(errors: list[str], value: Any) -> Any:
    if errors:
        raise RecordError("；".join(errors))
    return value


def normalize_department(data: dict) -> dict[str, Any]:
    errors: list[str] = []
    record = {
        "name": _text(data, "name", errors),
        "short_name": _text(data, "short_name", errors, required=False),
        "code": _text(data, "code", errors),
        "phone": _text(data, "phone", errors, required=False),
        "complaint_phone": _text(data, "complaint_phone", errors, required=False),
        "sort_order": _integer(data, "sort_order", errors, default=100),
        # Its folder in the page tree, in catalogues that name it (serialize_department_catalogue).
        "folder": _folder(data, errors),
    }
    return _check(errors, record)


def _folder(data: dict, errors: list[str]) -> dict[str, Any] | None:
    if data.get("folder") is None:
        return None
    folder = _object(data, "folder", errors)
    return {"id": _page_id(folder, errors), "slug": _text(folder, "slug", errors)}


def _session_times(text: Any) -> tuple[dt.time, dt.time] | None:
    match = HALL_SESSION.match(text) if isinstance(text, str) else None
    if not match:
        return None
    try:
        return dt.time.fromisoformat(match.group(1)), dt.time.fromisoformat(match.group(2))
    except ValueError:
        return None


def normalize_hall(data: dict) -> dict[str, Any]:
    """A hall in the shape of serialize_hall_catalogue; the public shape of a guide's ``hall``
    (closed_days and makeup_workdays instead of calendar) is read too."""
    errors: list[str] = []
    record: dict[str, Any] = {
        "name": _text(data, "name", errors),
        "address": _text(data, "address", errors, required=False),
        "floor_guide": _text(data, "floor_guide", errors, required=False),
        "phone": _text(data, "phone", errors, required=False),
        "hours": {str(day): [] for day in range(7)},
        "calendar": [],
    }
    # The floor plan's text (its picture is not in a file): a catalogue's floor_plan_alt, or the
    # alt of a guide record's floor_plan. A file without either leaves the hall's as it is.
    if "floor_plan_alt" in data:
        record["floor_plan_alt"] = _text(data, "floor_plan_alt", errors, required=False)
    elif isinstance(data.get("floor_plan"), dict):
        record["floor_plan_alt"] = _text(data["floor_plan"], "alt", errors, required=False)
    hours = _object(data, "hours", errors)
    for day, sessions in hours.items():
        if day not in record["hours"] or not isinstance(sessions, list) or not all(_session_times(s) for s in sessions):
            errors.append(_("办公时间应为星期（0–6）到“HH:MM-HH:MM”时段列表的映射"))
            break
        record["hours"][day] = sorted(sessions)
    if "calendar" in data:
        calendar = data["calendar"] if isinstance(data["calendar"], list) else None
        for day in calendar or []:
            if not isinstance(day, dict):
                calendar = None
                break
            day_errors: list[str] = []
            entry = {
                "date": _text(day, "date", day_errors),
                "kind": _text(day, "kind", day_errors),
                "hours_of_weekday": _integer(day, "hours_of_weekday", day_errors, default=0),
                "note": _text(day, "note", day_errors, required=False),
            }
            errors.extend(day_errors)
            record["calendar"].append(entry)
        if calendar is None:
            errors.append(_("字段 calendar 应为日期对象的列表"))
    else:
        closed = data.get("closed_days") or []
        makeup = data.get("makeup_workdays") or {}
        if not isinstance(closed, list) or not isinstance(makeup, dict):
            errors.append(_("closed_days 应为日期列表，makeup_workdays 应为日期到星期的映射"))
        else:
            record["calendar"] = [{"date": d, "kind": CalendarDayKind.CLOSED, "hours_of_weekday": 0, "note": ""} for d in closed]
            record["calendar"] += [
                {"date": d, "kind": CalendarDayKind.WORKDAY, "hours_of_weekday": weekday, "note": ""} for d, weekday in makeup.items()
            ]
    for entry in record["calendar"]:
        try:
            dt.date.fromisoformat(entry["date"])
        except (TypeError, ValueError):
            errors.append(_("日期“%(date)s”不是 YYYY-MM-DD 格式") % {"date": entry["date"]})
    record["calendar"].sort(key=lambda entry: str(entry["date"]))
    return _check(errors, record)


def normalize_window(data: dict) -> dict[str, Any]:
    errors: list[str] = []
    record = {
        "hall": _text(data, "hall", errors),
        "name": _text(data, "name", errors),
        "numbers": _text(data, "numbers", errors, required=False),
        "role": _text(data, "role", errors),
        "location": _text(data, "location", errors, required=False),
    }
    return _check(errors, record)


def normalize_theme(data: dict) -> dict[str, Any]:
    errors: list[str] = []
    record = {
        "slug": _text(data, "slug", errors),
        "name": _text(data, "name", errors),
        "audience": _text(data, "audience", errors, required=False) or "个人",
        "description": _text(data, "description", errors, required=False),
        "sort_order": _integer(data, "sort_order", errors, default=100),
    }
    return _check(errors, record)


def normalize_synonym(data: dict) -> dict[str, Any]:
    errors: list[str] = []
    record = {
        "phrases": _text(data, "phrases", errors),
        "expansions": _text(data, "expansions", errors),
        "enabled": _boolean(data, "enabled", errors, default=True),
        "note": _text(data, "note", errors, required=False),
    }
    return _check(errors, record)


def _page_fields(data: dict, names: Iterable[str], errors: list[str]) -> dict[str, str]:
    return {name: _text(data, name, errors, required=name in ("title", "slug")) for name in names}


def _skeleton_page(data: dict, key: str, names: Iterable[str], errors: list[str]) -> tuple[dict[str, str], int | None]:
    """The fields and the id (None in catalogues that do not name it) of a page of the site."""
    page = _object(data, key, errors)
    return _page_fields(page, names, errors), _page_id(page, errors)


def normalize_site(data: dict) -> dict[str, Any]:
    errors: list[str] = []
    home, home_id = _skeleton_page(data, "home", HOME_FIELDS, errors)
    guide_index, guide_index_id = _skeleton_page(data, "guide_index", GUIDE_INDEX_FIELDS, errors)
    journey_index, journey_index_id = (
        _skeleton_page(data, "journey_index", JOURNEY_INDEX_FIELDS, errors) if data.get("journey_index") is not None else (None, None)
    )
    record = {
        "site": {
            "site_name": _text(data, "site_name", errors, required=False),
            "hostname": _text(data, "hostname", errors, required=False) or "localhost",
            "port": _integer(data, "port", errors, default=80),
        },
        "home": home,
        "guide_index": guide_index,
        # Absent in catalogues written before they were exported: then they are left as they are.
        "statements": _statements(data, errors),
        "identity": _site_identity(data, errors),
        # Files written before journeys existed have none.
        "journey_index": journey_index,
        "ids": {"home": home_id, "guide_index": guide_index_id, "journey_index": journey_index_id},
    }
    return _check(errors, record)


def _pairs(value: Any, label: str, size: int, errors: list[str]) -> list[list[str]]:
    """A list of ``size``-item lists of text (a journey's [code, …] references)."""
    if not isinstance(value, list) or not all(
        isinstance(item, list) and len(item) == size and all(isinstance(part, str) for part in item) for item in value
    ):
        errors.append(_("字段 %(key)s 应为列表，每项为 %(size)s 个文本组成的列表") % {"key": label, "size": size})
        return []
    return value


def _items(value: Any, label: str, errors: list[str]) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        errors.append(_("字段 %(key)s 应为对象的列表") % {"key": label})
        return []
    return value


def normalize_journey(data: dict) -> dict[str, Any]:
    """A one-thing journey in the shape of journeys.catalogue.serialize_journey."""
    from journeys.catalogue import JOURNEY_PAGE_FIELDS

    errors: list[str] = []
    state = _object(data, "page", errors)
    record = {
        "slug": _text(data, "slug", errors),
        "title": _text(data, "title", errors),
        "intro": _text(data, "intro", errors),
        "audience": _text(data, "audience", errors),
        "steps": [
            {"title": _text(step, "title", errors), "logic": _text(step, "logic", errors),
             "note": _text(step, "note", errors, required=False),
             "members": _pairs(step.get("members"), "steps.members", 2, errors)}
            for step in _items(data.get("steps"), "steps", errors)
        ],
        "questions": [
            {"key": _text(q, "key", errors), "question": _text(q, "question", errors),
             "options": _text(q, "options", errors), "maps": _pairs(q.get("maps"), "questions.maps", 2, errors)}
            for q in _items(data.get("questions", []), "questions", errors)
        ],
        "presets": _pairs(data.get("presets", []), "presets", 3, errors),
        "links": [
            {"label": _text(link, "label", errors), "materials": _pairs(link.get("materials"), "links.materials", 2, errors)}
            for link in _items(data.get("links", []), "links", errors)
        ],
        "page": {
            "id": _page_id(state, errors),
            **{name: _text(state, name, errors, required=False) for name in JOURNEY_PAGE_FIELDS},
            "live": _boolean(state, "live", errors, default=False),
            "first_published_at": _moment(state, "first_published_at", errors, nullable=True),
            "last_published_at": _moment(state, "last_published_at", errors, nullable=True),
        },
    }
    return _check(errors, record)


def _statements(data: dict, errors: list[str]) -> list[dict[str, Any]] | None:
    if data.get("statements") is None:
        return None
    if not isinstance(data["statements"], list) or not all(isinstance(item, dict) for item in data["statements"]):
        errors.append(_("字段 statements 应为对象的列表"))
        return None
    return [
        {
            "id": _page_id(item, errors),
            **_page_fields(item, [name for name in STATEMENT_FIELDS if name != "body"], errors),
            "body": _rich_text(item, "body", errors),
            "live": _boolean(item, "live", errors, default=True),
            "first_published_at": _moment(item, "first_published_at", errors, nullable=True),
            "last_published_at": _moment(item, "last_published_at", errors, nullable=True),
        }
        for item in data["statements"]
    ]


def _rich_text(data: dict, key: str, errors: list[str]) -> str:
    """Rich text as stored, to the last character (unlike _text, which strips it)."""
    value = data.get(key) or ""
    if not isinstance(value, str):
        errors.append(f"字段 {key} 应为文本")
        return ""
    return value


def _site_identity(data: dict, errors: list[str]) -> dict[str, Any] | None:
    if data.get("identity") is None:
        return None
    identity = _object(data, "identity", errors)
    statement = identity.get("accessibility_statement")
    if statement is not None and not isinstance(statement, str):
        errors.append(_("字段 accessibility_statement 应为页面路径或 null"))
    return {
        **{name: _text(identity, name, errors, required=False) for name in SITE_IDENTITY_FIELDS},
        "accessibility_statement": statement,
    }


def normalize_change(data: dict) -> dict[str, Any]:
    errors: list[str] = []
    guide = data.get("guide")
    if guide is not None and not isinstance(guide, str):
        errors.append(_("字段 guide 应为事项编码或 null"))
    record = {
        "id": _integer(data, "id", errors),
        "kind": _text(data, "kind", errors),
        "code": _text(data, "code", errors),
        "guide": guide,
        "name": _text(data, "name", errors, required=False),
        "checklist_version": _integer(data, "checklist_version", errors, nullable=True),
        "fingerprint": _text(data, "fingerprint", errors, required=False),
        "change_note": _text(data, "change_note", errors, required=False),
        "changes": data.get("changes"),
        "created_at": _moment(data, "created_at", errors),
    }
    if record["changes"] is not None and not isinstance(record["changes"], dict):
        errors.append(_("字段 changes 应为对象或 null"))
    if record["id"] == 0:
        errors.append(_("字段 id 应为正整数"))
    return _check(errors, record)


def normalize_promotion(data: dict) -> dict[str, Any]:
    errors: list[str] = []
    # (Wagtail's external_link_text may be null, and null is kept: a restore gives back the row.)
    for key in ("guide", "page", "external_link_text"):
        if data.get(key) is not None and not isinstance(data[key], str):
            errors.append(_("字段 %(key)s 应为文本或 null") % {"key": key})
    record = {
        "query": _text(data, "query", errors),
        "sort_order": _integer(data, "sort_order", errors, nullable=True),
        "guide": data.get("guide"),
        "page": data.get("page"),
        "external_link_url": _text(data, "external_link_url", errors, required=False),
        "external_link_text": data.get("external_link_text"),
        "description": _text(data, "description", errors, required=False),
    }
    return _check(errors, record)


def normalize_translation(data: dict) -> dict[str, Any]:
    """A guide's translation (guides.translations.write_translation): the times are kept only
    when the line names them, so that a line written by hand (the demo's) leaves them to the
    publish."""
    errors: list[str] = []
    record = {
        "code": _text(data, "code", errors),
        "language": _text(data, "language", errors),
        "fields": _object(data, "fields", errors),
        "live": _boolean(data, "live", errors, default=True),
        "synced_at": _moment(data, "synced_at", errors, nullable=True),
    }
    if not all(isinstance(text, str) for text in record["fields"].values()):
        errors.append(_("字段 fields 应为“字段：译文”的对象，译文为文本"))
    for key in ("first_published_at", "last_published_at"):
        if key in data:
            record[key] = _moment(data, key, errors, nullable=True)
    return _check(errors, record)


def normalize_header(data: dict) -> dict[str, Any]:
    errors: list[str] = []
    version = _integer(data, "format", errors)
    if version is not None and version > CATALOGUE_FORMAT:
        errors.append(
            _("文件格式为第 %(format)s 版，本系统只能读取第 %(supported)s 版及以前的格式，请先升级本系统")
            % {"format": version, "supported": CATALOGUE_FORMAT}
        )
    counts = _object(data, "counts", errors)
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts.values()):
        errors.append(_("字段 counts 应为各类记录的数目"))
    return _check(errors, {"format": version, "counts": counts})


NORMALIZERS: dict[str, Callable[[dict], Any]] = {
    RecordKind.CATALOGUE: normalize_header,
    RecordKind.SITE: normalize_site,
    RecordKind.DEPARTMENT: normalize_department,
    RecordKind.HALL: normalize_hall,
    RecordKind.WINDOW: normalize_window,
    RecordKind.THEME: normalize_theme,
    RecordKind.SYNONYM: normalize_synonym,
    RecordKind.GUIDE: normalize_guide,
    RecordKind.JOURNEY: normalize_journey,
    RecordKind.TRANSLATION: normalize_translation,
    RecordKind.CHANGE: normalize_change,
    RecordKind.PROMOTION: normalize_promotion,
}
# The key that identifies a record of each kind within a file (a second line with the same key
# is an error).
NATURAL_KEYS: dict[str, Callable[[Any], Any]] = {
    RecordKind.CATALOGUE: lambda record: "catalogue",
    RecordKind.SITE: lambda record: "site",
    RecordKind.DEPARTMENT: lambda record: record["code"],
    RecordKind.HALL: lambda record: record["name"],
    RecordKind.WINDOW: lambda record: (record["hall"], record["name"], record["numbers"]),
    RecordKind.THEME: lambda record: record["slug"],
    RecordKind.SYNONYM: lambda record: record["phrases"],
    RecordKind.GUIDE: lambda line: line.record["code"],
    RecordKind.JOURNEY: lambda record: record["slug"],
    RecordKind.TRANSLATION: lambda record: (record["code"], record["language"]),
    RecordKind.CHANGE: lambda record: record["id"],
    RecordKind.PROMOTION: lambda record: (record["query"], record["guide"], record["page"], record["external_link_url"]),
}


def _kind_of(data: Any) -> str:
    kind = data.get(RECORD_KEY, RecordKind.GUIDE) if isinstance(data, dict) else RecordKind.GUIDE
    if kind not in NORMALIZERS:
        raise RecordError(_("未知的记录类型“%(kind)s”（可用：%(kinds)s）") % {"kind": kind, "kinds": "、".join(NORMALIZERS)})
    return kind


# --- writing -------------------------------------------------------------------------------------


def _save_validated(instance) -> None:
    try:
        instance.full_clean()
    except ValidationError as error:
        raise ValidationError(labelled_messages(instance, error)) from None
    instance.save()


def _outcome(created: bool, changed: bool) -> str:
    return "created" if created else "updated" if changed else "unchanged"


def _assign(instance, values: dict[str, Any]) -> bool:
    changed = any(getattr(instance, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(instance, name, value)
    return changed


def build_hall(hall: ServiceHall, record: dict[str, Any]) -> ServiceHall:
    """Give a hall the fields, weekly hours and calendar of a normalized hall record (unsaved)."""
    hall.address = record["address"]
    hall.floor_guide = record["floor_guide"]
    if "floor_plan_alt" in record:
        hall.floor_plan_alt = record["floor_plan_alt"]
    hall.phone = record["phone"]
    hall.sessions = [
        HallSession(weekday=int(day), start=times[0], end=times[1])
        for day, sessions in sorted(record["hours"].items())
        for times in map(_session_times, sessions)
    ]
    hall.calendar_days = [
        HallCalendarDay(
            date=dt.date.fromisoformat(day["date"]), kind=day["kind"],
            hours_of_weekday=day["hours_of_weekday"], note=day["note"],
        )
        for day in record["calendar"]
    ]
    return hall


def save_hall(hall: ServiceHall) -> None:
    """Validate a hall and its rows as the admin does, then save them."""
    messages = []
    try:
        hall.full_clean()
    except ValidationError as error:
        messages.extend(labelled_messages(hall, error))
    for relation in ("sessions", "calendar_days"):
        for row in getattr(hall, relation).all():
            try:
                row.full_clean(exclude=["hall"])
            except ValidationError as error:
                messages.extend(labelled_messages(row, error))
    if messages:
        raise ValidationError(messages)
    hall.save()


class CatalogueWriter:
    """Writes the records of a catalogue other than guides, by natural key."""

    def __init__(self, report: ImportReport, *, restoring: bool = False):
        self.report = report
        # A restore into an empty database: pages are created with their ids (portal.page_ids).
        self.restoring = restoring
        self.pending_journey_index = None

    def _page_id(self, page_id: int | None) -> int | None:
        return page_id if self.restoring else None

    def write(self, kind: str, record: dict[str, Any]) -> None:
        getattr(self, f"write_{kind}")(record)

    def _count(self, kind: str, outcome: str) -> None:
        self.report.records[(kind, outcome)] += 1

    def write_site(self, record) -> None:
        from journeys.models import JourneyIndexPage
        from portal.skeleton import (
            ensure_default_site,
            ensure_guide_index,
            ensure_home,
            ensure_journey_index,
            ensure_site_identity,
            ensure_statement,
        )

        ids = {name: self._page_id(page_id) for name, page_id in record["ids"].items()}
        home, home_changed = ensure_home(record["home"], update=True, page_id=ids["home"])
        index, index_changed = ensure_guide_index(home, record["guide_index"], update=True, page_id=ids["guide_index"])
        journeys_changed = False
        if record["journey_index"] is not None:
            if JourneyIndexPage.objects.exists():
                _, journeys_changed = ensure_journey_index(home, record["journey_index"], update=True)
            else:
                # Created after the guides (``after_guides``), where an export from a site set up
                # as load_demo does has it: a restore from a catalogue that names no page ids
                # adds the pages in the same order, so the guides keep their ids all the same.
                self.pending_journey_index = (home, record["journey_index"], ids["journey_index"])
                journeys_changed = True
        site_changed = ensure_default_site(home, record["site"], update=True)
        statements_changed = any(
            [ensure_statement(home, fields, page_id=self._page_id(fields["id"])) for fields in record["statements"] or ()]
        )
        identity_changed = record["identity"] is not None and ensure_site_identity(record["identity"])
        changed = (
            home_changed or index_changed or journeys_changed or site_changed or statements_changed or identity_changed
        )
        self._count(RecordKind.SITE, "updated" if changed else "unchanged")

    def write_department(self, record) -> None:
        from guides.folders import restoring_folder

        fields = {name: value for name, value in record.items() if name != "folder"}
        department = Department.objects.filter(code=record["code"]).first() or Department.objects.filter(name=record["name"]).first()
        if department is not None and serialize_department(department) == fields:
            return self._count(RecordKind.DEPARTMENT, "unchanged")
        created = department is None
        department = department or Department()
        _assign(department, fields)
        folder = record["folder"]
        if created and folder is not None and self.restoring:
            # (the save of a new department creates its folder: guides.signals)
            with restoring_folder(folder["id"], folder["slug"]):
                _save_validated(department)
        else:
            _save_validated(department)
        self._count(RecordKind.DEPARTMENT, _outcome(created, True))

    def write_hall(self, record) -> None:
        hall = ServiceHall.objects.filter(name=record["name"]).first()
        if hall is not None and {k: v for k, v in serialize_hall_catalogue(hall).items() if k in record} == record:
            return self._count(RecordKind.HALL, "unchanged")
        created = hall is None
        save_hall(build_hall(hall or ServiceHall(name=record["name"]), record))
        self._count(RecordKind.HALL, _outcome(created, True))

    def write_window(self, record) -> None:
        hall = ServiceHall.objects.filter(name=record["hall"]).first()
        if hall is None:
            raise ValidationError(_("未知的服务大厅“%(hall)s”") % {"hall": record["hall"]})
        window = ServiceWindow.objects.filter(hall=hall, name=record["name"], numbers=record["numbers"]).first()
        created = window is None
        window = window or ServiceWindow(hall=hall, name=record["name"], numbers=record["numbers"])
        changed = _assign(window, {"role": record["role"], "location": record["location"]})
        if created or changed:
            _save_validated(window)
        self._count(RecordKind.WINDOW, _outcome(created, changed))

    def write_theme(self, record) -> None:
        theme = LifeEvent.objects.filter(slug=record["slug"]).first()
        if theme is not None and serialize_theme(theme) == record:
            return self._count(RecordKind.THEME, "unchanged")
        created = theme is None
        theme = theme or LifeEvent()
        _assign(theme, record)
        _save_validated(theme)
        self._count(RecordKind.THEME, _outcome(created, True))

    def write_synonym(self, record) -> None:
        from search.models import Synonym

        synonym = Synonym.objects.filter(phrases=record["phrases"]).first()
        if synonym is not None and serialize_synonym(synonym) == record:
            return self._count(RecordKind.SYNONYM, "unchanged")
        created = synonym is None
        synonym = synonym or Synonym()
        _assign(synonym, record)
        _save_validated(synonym)
        self._count(RecordKind.SYNONYM, _outcome(created, True))

    def after_guides(self) -> None:
        from portal.skeleton import ensure_journey_index

        if self.pending_journey_index is not None:
            home, fields, page_id = self.pending_journey_index
            ensure_journey_index(home, fields, page_id=page_id)
            self.pending_journey_index = None

    def write_journey(self, record) -> None:
        from journeys.catalogue import write_journey

        self._count(RecordKind.JOURNEY, write_journey(record, page_id=self._page_id(record["page"]["id"])))

    def write_translation(self, record) -> None:
        from guides.translations import write_translation

        self._count(RecordKind.TRANSLATION, write_translation(record))

    def write_change(self, record) -> None:
        from feed.models import ChangeEvent

        values = {
            "kind": record["kind"],
            "code": record["code"],
            "name": record["name"],
            "checklist_version": record["checklist_version"],
            "fingerprint": record["fingerprint"],
            "change_note": record["change_note"],
            "changes": record["changes"],
            "created_at": record["created_at"],
        }
        guide_id = None
        if record["guide"] is not None:
            guide_id = GuidePage.sources.filter(code=record["guide"]).values_list("pk", flat=True).first()
            if guide_id is None:
                raise ValidationError(_("变更记录所属的事项“%(code)s”不存在") % {"code": record["guide"]})
        event = ChangeEvent.objects.filter(pk=record["id"]).first()
        if event is not None:
            if any(getattr(event, name) != value for name, value in values.items()) or event.guide_id != guide_id:
                raise ValidationError(
                    _("变更记录 #%(id)s 与数据库中已有的不同：变更记录只能恢复到空数据库，或其中已有的记录与文件一致的数据库")
                    % {"id": record["id"]}
                )
            return self._count(RecordKind.CHANGE, "unchanged")
        _save_validated(ChangeEvent(pk=record["id"], guide_id=guide_id, **values))
        self._count(RecordKind.CHANGE, "created")

    def write_promotion(self, record) -> None:
        from wagtail.contrib.search_promotions.models import Query, SearchPromotion

        page = None
        if record["guide"] is not None:
            page = GuidePage.sources.filter(code=record["guide"]).first()
            if page is None:
                raise ValidationError(_("推荐结果指向的事项“%(code)s”不存在") % {"code": record["guide"]})
        elif record["page"] is not None:
            page = Page.objects.filter(url_path=record["page"]).first()
            if page is None:
                raise ValidationError(_("推荐结果指向的页面“%(path)s”不存在") % {"path": record["page"]})
        query = Query.get(record["query"])
        promotion = SearchPromotion.objects.filter(
            query=query, page=page, external_link_url=record["external_link_url"]
        ).first()
        created = promotion is None
        promotion = promotion or SearchPromotion(query=query, page=page, external_link_url=record["external_link_url"])
        values = {key: record[key] for key in ("sort_order", "external_link_text", "description")}
        if _assign(promotion, values) or created:
            _save_validated(promotion)
            return self._count(RecordKind.PROMOTION, _outcome(created, True))
        self._count(RecordKind.PROMOTION, "unchanged")

    @staticmethod
    def after_changes() -> None:
        """Explicit ids leave a PostgreSQL sequence behind the rows; the next event would collide."""
        from feed.models import ChangeEvent

        statements = connection.ops.sequence_reset_sql(no_style(), [ChangeEvent])
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)


class GuideWriter:
    """Resolves references and writes normalized records to pages, inside one transaction."""

    def __init__(self, hall=None, *, restoring: bool = False):
        self.index = GuideIndexPage.objects.first()
        # A restore into an empty database: guides are created with their ids (portal.page_ids).
        self.restoring = restoring
        self.hall = hall or ServiceHall.objects.order_by("pk").first()
        self.departments = {d.name: d for d in Department.objects.all()}
        self.halls = {h.name: h for h in ServiceHall.objects.all()}
        self.windows = {(w.hall_id, w.name, w.numbers): w for w in ServiceWindow.objects.all()}
        self.themes = {t.slug: t for t in LifeEvent.objects.all()}
        # What the line being written created, forgotten if its savepoint is rolled back.
        self._created: list[tuple[dict, Any]] = []
        self._default_hall = self.hall

    def _remember(self, cache: dict, key, value):
        cache[key] = value
        self._created.append((cache, key))
        return value

    def line_written(self) -> None:
        self._created.clear()
        self._default_hall = self.hall

    def line_rolled_back(self) -> None:
        for cache, key in self._created:
            cache.pop(key, None)
        self._created.clear()
        self.hall = self._default_hall

    def department(self, record: dict[str, Any]):
        name = record["department"]
        if name not in self.departments:
            code = record.get("department_code") or "D" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8].upper()
            department = Department(
                name=name, code=code, phone=record["phone"], complaint_phone=record["complaint_phone"]
            )
            try:
                department.full_clean()
            except ValidationError as error:
                raise ValidationError([_("部门：%(message)s") % {"message": m} for m in labelled_messages(department, error)]) from None
            department.save()
            self._remember(self.departments, name, department)
        return self.departments[name]

    def _hall_for(self, record: dict[str, Any] | None, label: str) -> ServiceHall | None:
        """The hall a window of the record belongs to: the one its ``windows`` entry or its
        ``hall`` names (created from the record's ``hall`` when it does not exist yet), else the
        default hall."""
        record = record or {}
        hint = next((w for w in record.get("windows", ()) if w["label"] == label), None)
        name = (hint or {}).get("hall") or (record.get("hall") or {}).get("name")
        if not name or name == getattr(self.hall, "name", None):
            return self.hall
        if name not in self.halls:
            if (record.get("hall") or {}).get("name") != name:
                return self.hall
            try:
                data = normalize_hall(record["hall"])
            except RecordError as error:
                raise ValidationError(_("大厅：%(message)s") % {"message": error}) from None
            hall = build_hall(ServiceHall(name=name), data)
            save_hall(hall)
            self._remember(self.halls, name, hall)
        return self.halls[name]

    def window(self, label: str, role: str, record: dict[str, Any] | None = None):
        if not label:
            return None
        hall = self._hall_for(record, label)
        if hall is None:
            hall = self.hall = ServiceHall.objects.create(name="政务服务中心", address="（请在后台补充大厅地址）")
            self._remember(self.halls, hall.name, hall)
        name, numbers = parse_window_label(label)
        key = (hall.pk, name, numbers)
        if key not in self.windows:
            hint = next((w for w in (record or {}).get("windows", ()) if w["label"] == label), {})
            window = ServiceWindow(hall=hall, name=name, numbers=numbers, role=role, location=hint.get("location", ""))
            try:
                window.full_clean()
            except ValidationError as error:
                raise ValidationError([_("窗口：%(message)s") % {"message": m} for m in labelled_messages(window, error)]) from None
            window.save()
            self._remember(self.windows, key, window)
        return self.windows[key]

    def place(self, page, user=None, *, department=None) -> bool:
        """Put a guide in its department's folder: a new guide is added there, a guide whose
        department changed is moved there (logged as a change of department, guides.signals).
        True when an existing guide moved: read its content again."""
        from wagtail.actions.move_page import MovePageAction

        from guides.folders import department_folder

        folder = department_folder(department or page.department, self.index)
        if page._state.adding:
            folder.add_child(instance=page)
            return False
        if page.path.startswith(folder.path):
            return False
        MovePageAction(page, folder, pos="last-child", user=user).execute(skip_permission_checks=True)
        page.refresh_from_db()  # (its place in the tree and its department)
        return True

    def apply(self, page, record: dict[str, Any]) -> None:
        page.title = record["name"]
        page.code = record["code"]
        page.basic_code = record["basic_code"]
        page.sub_item_code = record["sub_item_code"]
        page.section = record["category"]
        page.department = self.department(record)
        page.item_type = record["item_type"]
        page.exercise_level = record["exercise_level"]
        page.entrusting_department = record["entrusting_department"]
        page.co_handlers = "、".join(record["co_handlers"])
        page.service_objects = record["service_object"]
        page.themes = [self.themes[slug] for slug in record["themes"]]
        page.is_popular = record["popular"]
        page.summary = record["summary"]
        page.conditions = record["conditions"]
        page.quantity_limit = record["quantity_limit"]
        page.intermediary_services = record["intermediary_services"]
        page.special_procedures = record["special_procedures"]
        page.handling_type = record["handling_type"]
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
        page.intake_window = self.window(record["intake_window"], WindowRole.INTAKE, record)
        page.delivery_window = self.window(record["delivery_window"], WindowRole.DELIVERY, record)
        page.phone = record["phone"]
        page.complaint_phone = record["complaint_phone"]
        page.result_name = record["result"]
        page.common_names = "、".join(record["aliases"])
        page.result_type = record["result_type"]
        page.result_validity = record["result_validity"]
        if "change_note" in record:
            page.change_note = record["change_note"]
        # Rows are numbered in the record's order, as the admin's inline panels number them.
        page.legal_bases = [GuideLegalBasis(sort_order=n, **basis) for n, basis in enumerate(record["legal_basis"])]
        page.situations = [
            GuideSituation(sort_order=n, key=s["key"], question=s["question"], options="\n".join(s["options"]))
            for n, s in enumerate(record["situations"])
        ]
        page.materials = [
            GuideMaterial(
                sort_order=n, name=m["name"], material_type=m["type"], form=m["form"], original_count=m["original"],
                copy_count=m["copies"], spec=m["spec"], necessity=m["necessity"], source=m["source"],
                obtained_by_office=MaterialMark.OBTAINED_BY_OFFICE in m["marks"],
                commitment_accepted=MaterialMark.COMMITMENT_ACCEPTED in m["marks"],
                acceptance_standard=m["acceptance_standard"], note=m["note"], basis=m["basis"],
                situation=m["situation"] or "",
            )
            for n, m in enumerate(record["materials"])
        ]
        page.steps = [
            GuideStep(
                sort_order=n, name=s["name"], actor=s["actor"], description=s["description"],
                review_standard=s["review_standard"],
                limit_value=s["limit"]["value"] if s["limit"] else None,
                limit_unit=s["limit"]["unit"] if s["limit"] else "",
                counts_toward_limit=s["counts_toward_limit"],
            )
            for n, s in enumerate(record["steps"])
        ]
        page.fee_items = [GuideFeeItem(sort_order=n, **item) for n, item in enumerate(record["fee"]["items"])]
        page.faqs = [GuideFAQ(sort_order=n, **faq) for n, faq in enumerate(record["faq"])]


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


def _message(error: ValidationError, instance=None) -> str:
    return "；".join(labelled_messages(instance, error) if instance is not None else error.messages)


@dataclass
class ParsedLine:
    number: int
    kind: str
    record: Any


def read_lines(lines: Iterable[str | bytes], errors: list[LineError]) -> list[ParsedLine]:
    """Decode, parse and shape-check every line; a line's problems go to ``errors``."""
    parsed: list[ParsedLine] = []
    seen: dict[tuple[str, Any], int] = {}
    for number, raw in enumerate(lines, start=1):
        code = None
        try:
            text = decode_line(raw, number)
            if not text.strip():
                continue
            data = parse_json(text)
            code = data.get("code") if isinstance(data, dict) and isinstance(data.get("code"), str) else None
            kind = _kind_of(data)
            record = NORMALIZERS[kind](data)
        except RecordError as error:
            errors.append(LineError(number, code, str(error)))
            continue
        except RecursionError:
            errors.append(LineError(number, code, _("不是可导入的 JSON：括号嵌套过深")))
            continue
        key = (kind, NATURAL_KEYS[kind](record))
        if key in seen:
            errors.append(LineError(number, code, _("与第 %(line)s 行重复") % {"line": seen[key]}))
            continue
        seen[key] = number
        parsed.append(ParsedLine(number, kind, record))
    return parsed


def _check_catalogue(parsed: list[ParsedLine], errors: list[LineError]) -> None:
    """A catalogue's header comes first and names how many records of each kind follow: a file
    cut short (a copy that failed, a disk that filled up) is an error, never a partial restore.
    (Lines added to an export by hand are fine.)"""
    headers = [line for line in parsed if line.kind == RecordKind.CATALOGUE]
    if not headers:
        return
    header = headers[0]
    if parsed[0] is not header:
        errors.append(LineError(header.number, None, _("目录文件的首行（record 为 catalogue）应在所有记录之前")))
    found = Counter(line.kind for line in parsed if line.kind != RecordKind.CATALOGUE)
    for kind, expected in sorted(header.record["counts"].items()):
        if found[kind] < expected:
            errors.append(
                LineError(
                    header.number, None,
                    _("文件不完整：应有 %(expected)s 条“%(kind)s”记录，实际只有 %(found)s 条") % {"expected": expected, "kind": kind, "found": found[kind]},
                )
            )


def import_guides(
    lines: Iterable[str | bytes],
    *,
    publish: bool = False,
    user=None,
    progress: Callable[[int], None] | None = None,
    findings_as_warnings: bool = False,
) -> ImportReport:
    """Import JSON Lines (str or bytes, one per line); raise ImportFailed listing every bad line,
    having written nothing.

    A guide record with blocking quality findings (guides.domain.lint) is a bad line, unless
    ``findings_as_warnings``: then it is written (and published, with ``publish``) and its
    findings are reported with the others in ``ImportReport.findings``. A restored guide (a line
    with its page state, from export_guides) comes back as it was: a backup must restore whatever
    rules were added since it was taken."""
    errors: list[LineError] = []
    parsed = read_lines(lines, errors)
    _check_catalogue(parsed, errors)
    by_kind: dict[str, list[ParsedLine]] = defaultdict(list)
    for line in parsed:
        by_kind[line.kind].append(line)
    known_themes = set(LifeEvent.objects.values_list("slug", flat=True)) | {line.record["slug"] for line in by_kind[RecordKind.THEME]}
    guides = []
    for line in by_kind[RecordKind.GUIDE]:
        themes = set(line.record.record["themes"])
        if line.record.state and line.record.state.draft:
            themes |= set(line.record.state.draft["themes"])
        unknown = sorted(themes - known_themes)
        if unknown:
            errors.append(LineError(line.number, line.record.record["code"], f"未知主题：{'、'.join(unknown)}"))
        else:
            guides.append(line)

    report = ImportReport()
    if progress:  # the header, checked above
        progress(len(by_kind[RecordKind.CATALOGUE]))
    # Lines that passed the checks above are still written, inside a transaction that the first
    # error dooms, so that model-level problems (a bad phone number, promised > legal) of every
    # line are reported in the same run. It waits for another import or writer to finish rather
    # than fail.
    with one_writer("import_guides", wait_seconds=IMPORT_WAIT_SECONDS):
        # A catalogue into an empty database is a restore: its pages keep their ids.
        restoring = bool(by_kind[RecordKind.CATALOGUE]) and page_ids.is_empty()
        if restoring:
            page_ids.reserve(_page_ids(parsed))
        catalogue = CatalogueWriter(report, restoring=restoring)
        for kind in RecordKind.ORDER:
            if kind == RecordKind.GUIDE:
                _write_guides(
                    guides, publish, user, report, errors, progress,
                    restoring=restoring, findings_as_warnings=findings_as_warnings,
                )
                catalogue.after_guides()
                continue
            for line in by_kind[kind]:
                try:
                    with transaction.atomic():
                        catalogue.write(kind, line.record)
                except ValidationError as error:
                    errors.append(LineError(line.number, _line_code(kind, line.record), _message(error)))
                except IntegrityError as error:
                    errors.append(
                        LineError(
                            line.number, _line_code(kind, line.record),
                            _("与数据库中已有的记录冲突：%(reason)s") % {"reason": error},
                        )
                    )
                if progress:
                    progress(1)
            if kind == RecordKind.CHANGE and by_kind[kind]:
                catalogue.after_changes()
        if errors:
            raise ImportFailed(sorted(errors, key=lambda e: e.line))
    return report


def _line_code(kind: str, record: dict[str, Any]) -> str | None:
    """The guide code a line error names: a translation's (its guide's)."""
    return record["code"] if kind == RecordKind.TRANSLATION else None


def _page_ids(parsed: list[ParsedLine]) -> list[int]:
    """Every page id a catalogue names (portal.page_ids)."""
    found: list[int | None] = []
    for line in parsed:
        record = line.record
        if line.kind == RecordKind.SITE:
            found += [*record["ids"].values(), *(statement["id"] for statement in record["statements"] or ())]
        elif line.kind == RecordKind.DEPARTMENT and record["folder"]:
            found.append(record["folder"]["id"])
        elif line.kind == RecordKind.GUIDE and record.state is not None:
            found.append(record.state.id)
        elif line.kind == RecordKind.JOURNEY:
            found.append(record["page"]["id"])
    return [page_id for page_id in found if page_id is not None]


def _write_guides(
    lines: list[ParsedLine], publish, user, report, errors, progress, *, restoring: bool = False,
    findings_as_warnings: bool = False,
) -> None:
    writer = GuideWriter(restoring=restoring)
    if writer.index is None and lines:
        errors.append(LineError(0, None, _("站点中没有“办事指南目录”页面：请导入含站点结构（record 为 site）的目录文件，或先运行 load_demo，或在后台创建")))
    codes = [line.record.record["code"] for line in lines]
    existing_pages = {}
    for start in range(0, len(codes), LOOKUP_CHUNK):
        existing_pages.update((p.code, p) for p in GuidePage.sources.filter(code__in=codes[start : start + LOOKUP_CHUNK]))
    for line in lines:
        guide: GuideLine = line.record
        code = guide.record["code"]
        report.document_links += guide.document_links
        try:
            # Wagtail re-indexes a page's references on every save of each of its inline rows;
            # one update per guide after it is written does the same work once.
            # The record's findings decide here, after the model's validation of the line (so
            # that a rule both check is reported once), and before the savepoint commits.
            with transaction.atomic(), disable_reference_index_auto_update(), gate_waived():
                if guide.state is None:
                    page = _write_one(writer, existing_pages.get(code), guide.record, publish, user, report)
                    _check_findings(guide.record, report, findings_as_warnings=findings_as_warnings)
                else:
                    page = _restore_one(writer, existing_pages.get(code), guide, user, report)
            if page is not None and page.pk:
                ReferenceIndex.create_or_update_for_object(page)
            writer.line_written()
        except ValidationError as error:
            writer.line_rolled_back()
            errors.append(LineError(line.number, code, _message(error)))
        except IntegrityError as error:
            writer.line_rolled_back()
            errors.append(LineError(line.number, code, _("与数据库中已有的记录冲突：%(reason)s") % {"reason": error}))
        if progress:
            progress(1)


def _check_findings(record: dict[str, Any], report: ImportReport, *, findings_as_warnings: bool) -> None:
    """Keep the record's findings in the report; blocking ones fail the line (a ValidationError
    naming each rule) unless they are taken as warnings."""
    findings = lint(record)
    refused = blocking(findings)
    if refused and not findings_as_warnings:
        raise ValidationError([f"{finding.code} {finding.message}" for finding in refused])
    if findings:
        report.findings[record["code"]] = findings


def _new_page(writer, record, *, slug: str, draft: bool, change_note: str | None = None, **fields) -> GuidePage:
    page = GuidePage(slug=slug or record["code"].lower(), live=False, **fields)
    # Not a column: the note save_revision() attaches to the revision it writes.
    page.change_note = change_note
    writer.apply(page, record)
    clean_guide(page, draft=draft, exclude=["path", "depth", "url_path"])
    return page


def _write_one(writer, page, record, publish, user, report) -> GuidePage | None:
    if page is None:
        page = _new_page(writer, record, slug="", draft=False)
        if writer.index is None:  # reported once; the line itself was checked
            return None
        writer.place(page, user)
        revision = page.save_revision(user=user, log_action=False, clean=False)
        report.created.append(record["code"])
        if publish:
            revision.publish(user=user)
            report.published.append(record["code"])
        return page

    latest = page.get_latest_revision_as_object()
    existing = serialize_guide(latest)
    _keep_situation_keys(record, existing)
    same_note = "change_note" not in record or record["change_note"] == RevisionChangeNote.text_of(page.latest_revision_id)
    if comparable(existing) == comparable(record) and same_note:
        if publish and (not page.live or page.has_unpublished_changes):
            page.get_latest_revision().publish(user=user)
            report.published.append(record["code"])
        else:
            report.unchanged.append(record["code"])
        return page
    if writer.place(page, user, department=writer.department(record)):
        latest = page.get_latest_revision_as_object()
    writer.apply(latest, record)
    clean_guide(latest)
    revision = latest.save_revision(user=user, clean=False)
    report.updated.append(record["code"])
    if publish:
        revision.publish(user=user)
        report.published.append(record["code"])
    return page


def exported_state(page) -> tuple[dict[str, Any], GuideState]:
    """The record and state a fresh export would write for a guide, normalized as a line of the
    file is: a restore line equal to it changes nothing."""
    history = list(ChecklistVersion.objects.filter(guide_id=page.pk).order_by("version"))
    record, state = guide_line_fields(page, history)
    data = json.loads(json.dumps({**(record or serialize_guide(page)), **state}, ensure_ascii=False))
    line = normalize_guide(data)
    return line.record, line.state


def _restore_one(writer, page, guide: GuideLine, user, report) -> GuidePage | None:
    record, state = guide.record, guide.state
    code = record["code"]
    page_fields = {"seo_title": state.seo_title, "search_description": state.search_description}
    known_versions = 0
    if page is None:
        target = _new_page(writer, record, slug=state.slug, draft=not state.live, change_note=state.change_note, **page_fields)
        if writer.index is None:
            return None
        if writer.restoring:
            page_ids.keep_id(target, state.id)
        writer.place(target, user)
        page = target
        report.created.append(code)
    else:
        current_record, current = exported_state(page)
        if comparable(current_record) == comparable(record) and current.comparable() == state.comparable():
            report.unchanged.append(code)
            return page
        file_history = [_comparable_version(v) for v in state.history]
        known = [_comparable_version(v) for v in current.history]
        if file_history[: len(known)] != known:
            raise ValidationError(
                _("清单版本历史与数据库中的不一致（数据库中有 %(known)s 个版本）：版本历史只能延续，不能改写；请恢复到空数据库")
                % {"known": len(known)}
            )
        known_versions = len(known)
        writer.place(page, user, department=writer.department(record))
        target = page.get_latest_revision_as_object()
        writer.apply(target, record)
        target.slug = state.slug or target.slug
        target.change_note = state.change_note
        for name, value in page_fields.items():
            setattr(target, name, value)
        clean_guide(target, draft=not state.live)
        report.updated.append(code)

    with restoring_history():
        revision = target.save_revision(user=user, log_action=False, clean=False)
        if state.live:
            revision.publish(user=user)
            report.published.append(code)
        elif page.live:
            GuidePage.sources.get(pk=page.pk).unpublish(user=user)
    versions = state.history[known_versions:]
    ChecklistVersion.objects.bulk_create(
        ChecklistVersion(
            guide_id=page.pk, version=v["version"], fingerprint=v["fingerprint"], checklist=v["checklist"],
            published_at=v["published_at"],
        )
        for v in versions
    )
    latest = state.history[-1] if state.history else {"version": 0, "fingerprint": ""}
    GuidePage.sources.filter(pk=page.pk).update(checklist_version=latest["version"], checklist_fingerprint=latest["fingerprint"])
    Page.objects.filter(pk=page.pk).update(
        first_published_at=state.first_published_at, last_published_at=state.last_published_at
    )
    if state.draft is not None:
        draft = GuidePage.sources.get(pk=page.pk).get_latest_revision_as_object()
        writer.apply(draft, state.draft)
        clean_guide(draft, draft=True)
        draft.save_revision(user=user, log_action=False, clean=False)
    return page
