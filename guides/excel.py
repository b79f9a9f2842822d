"""Guide catalogues as Excel workbooks, the way departments deliver them.

A workbook holds the guide *records* of guides.serializers (what the JSON Lines export writes and
guides.importer reads), spread over sheets: one row per guide in 办事指南, and one row per
material, step, situation question, legal basis, fee item and FAQ in their own sheets, each
naming its guide by 实施编码 and kept in row order. The sheets' ``columns`` (GUIDE_SHEET,
MATERIAL_SHEET …) are the one table that says which record key each column holds, under which
Chinese header, as what kind of cell and with which choices (offered as a drop-down list in the
sheet). A new field of the record is one more ``column(...)`` there: a record key the workbook
lacks would be imported as the importer's default.

Reading a workbook turns its rows back into records and hands them to the JSON Lines import as
lines, so that the validation, the all-or-nothing transaction, the idempotence and the report are
the importer's own. What the importer says about a line and a field is mapped back to the sheet,
row and column it came from (``Workbook.locate``).

The headers are the workbook's format, as JSON keys are the record's: they stay Chinese whatever
the language of the person exporting or importing.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import override

from guides.choices import (
    ExerciseLevel,
    HandlingType,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialMark,
    MaterialSource,
    MaterialType,
    Necessity,
    ResultType,
    Section,
    ServiceObject,
)

# Kinds of cells.
TEXT = "text"  # one line of text (a number typed into it is read as its digits)
LINES = "lines"  # text of several lines (shown wrapped)
INTEGER = "integer"
BOOLEAN = "boolean"  # 是 / 否
CHOICE = "choice"  # one of ``choices`` (a drop-down list)
CHOICES = "choices"  # several of ``choices``, separated by 、
LIST = "list"  # several texts, separated by 、 (a list in the record)
OPTIONS = "options"  # several texts, one per line (a list in the record)

YES, NO = "是", "否"
SEPARATORS = re.compile(r"[、，,；;\n]+")

# Bad input is refused before it is unpacked: the file's size, what it unpacks to (a small file
# can unpack to gigabytes) and the rows of a sheet.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 100_000
# Data validation ranges reach this row (new rows typed below the data get the lists too).
VALIDATION_ROWS = 5000

CODE_HEADER = "实施编码"
OPTIONS_SHEET = "选项"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _values(choices) -> Callable[[], list[str]]:
    return lambda: [str(value) for value in choices.values]


def _departments() -> list[str]:
    from guides.models import Department

    return list(Department.objects.order_by("sort_order", "name").values_list("name", flat=True))


def _halls() -> list[str]:
    from guides.models import ServiceHall

    return list(ServiceHall.objects.order_by("pk").values_list("name", flat=True))


def _windows(role: str) -> Callable[[], list[str]]:
    def labels() -> list[str]:
        from guides.models import ServiceWindow

        return list(dict.fromkeys(w.label for w in ServiceWindow.objects.filter(role=role).order_by("hall_id", "pk")))

    return labels


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the record key it holds (a path into nested dicts), its header and
    kind, the choices its drop-down list offers, and where the importer's messages about it
    come from (the model field whose label they carry, other words that name it)."""

    key: tuple[str, ...]
    header: str
    kind: str = TEXT
    choices: Callable[[], list[str]] | None = None
    model_field: str | None = None
    names: tuple[str, ...] = ()  # the importer's words for the column, besides the header
    width: int = 16
    # Whether a value outside ``choices`` is refused (the list may be bypassed by pasting). Open
    # lists (departments, windows) offer what exists; the import creates what is new, as from
    # JSON Lines.
    closed: bool = True
    null: bool = False  # an empty cell is null in the record (else empty text)


def column(key: str, header: str, kind: str = TEXT, **options) -> Column:
    return Column(tuple(key.split(".")), header, kind, **options)


@dataclass(frozen=True)
class Sheet:
    """A sheet: ``relation`` is the record's list its rows fill (None for the guides sheet) and
    ``model`` the model of its rows (for the labels of the model's messages)."""

    title: str
    columns: tuple[Column, ...]
    relation: str | None = None
    model: str = ""
    inline: str = ""  # the guide's inline relation (guides.validation.INLINE_LABELS)


GUIDE_SHEET = Sheet(
    "办事指南",
    (
        column("code", CODE_HEADER, model_field="code", width=18),
        column("name", "事项名称", model_field="title", width=28),
        column("department", "实施主体", CHOICE, choices=_departments, closed=False, model_field="department", width=22),
        column("basic_code", "基本编码", model_field="basic_code"),
        column("sub_item_code", "业务办理项编码", model_field="sub_item_code"),
        column("category", "版块", CHOICE, choices=_values(Section), model_field="section", width=10),
        column("item_type", "事项类型", CHOICE, choices=_values(ItemType), model_field="item_type", width=12),
        column("exercise_level", "行使层级", CHOICE, choices=_values(ExerciseLevel), model_field="exercise_level", width=10),
        column("entrusting_department", "委托部门", model_field="entrusting_department", width=22),
        column("co_handlers", "联办机构", LIST, model_field="co_handlers", width=22),
        column("service_object", "服务对象", CHOICES, choices=_values(ServiceObject), model_field="service_objects", width=20),
        column("themes", "主题", LIST, model_field="themes", names=("未知主题",)),
        column("popular", "高频事项", BOOLEAN, model_field="is_popular", width=10),
        column("aliases", "俗称/简称", LIST, model_field="common_names", names=("俗称/简称",), width=20),
        column("summary", "事项简介", LINES, model_field="summary", width=40),
        column("conditions", "受理条件", LINES, model_field="conditions", width=40),
        column("intermediary_services", "中介服务", LINES, model_field="intermediary_services", width=30),
        column("quantity_limit", "数量限制", model_field="quantity_limit"),
        column("legal_limit.value", "法定办结时限", INTEGER, model_field="legal_limit_value", width=12),
        column("legal_limit.unit", "法定时限单位", CHOICE, choices=_values(LimitUnit), model_field="legal_limit_unit", width=12),
        column("legal_limit_note", "法定时限说明", model_field="legal_limit_note"),
        column("promised_limit.value", "承诺办结时限", INTEGER, model_field="promised_limit_value", width=12),
        column(
            "promised_limit.unit", "承诺时限单位", CHOICE, choices=_values(LimitUnit), model_field="promised_limit_unit",
            width=12,
        ),
        column("promised_limit_note", "承诺时限说明", model_field="promised_limit_note"),
        column("handling_type", "办件类型", CHOICE, choices=_values(HandlingType), model_field="handling_type", width=10),
        column("special_procedures", "特别程序", LINES, model_field="special_procedures", width=30),
        column("fee.charged", "是否收费", BOOLEAN, model_field="fee_charged", width=10),
        column("visits", "到办事现场次数", INTEGER, choices=lambda: ["0", "1", "2"], model_field="visits", width=12),
        column("visits_note", "到现场次数说明", model_field="visits_note"),
        column("online", "可网上办理", BOOLEAN, model_field="online", width=10),
        column("online_url", "网上办理地址", model_field="online_url", width=28),
        column("hall", "办理大厅", CHOICE, choices=_halls, width=20),
        column(
            "intake_window", "受理窗口", CHOICE, choices=_windows("intake"), closed=False, model_field="intake_window",
            names=("无法识别的窗口",), width=22,
        ),
        column(
            "delivery_window", "出件窗口", CHOICE, choices=_windows("delivery"), closed=False, model_field="delivery_window",
            width=22,
        ),
        column("phone", "咨询电话", model_field="phone", width=16),
        column("complaint_phone", "监督投诉电话", model_field="complaint_phone", width=16),
        column("result", "办理结果", model_field="result_name", width=20),
        column("result_type", "结果类型", CHOICE, choices=_values(ResultType), model_field="result_type", width=10),
        column("result_validity", "结果有效期", model_field="result_validity", width=14),
        # Written empty by an export: the note of the change an import makes (a checklist change
        # submitted for review needs one).
        column("change_note", "变更说明", LINES, width=30),
    ),
    model="guidepage",
)
MATERIAL_SHEET = Sheet(
    "申请材料",
    (
        column("name", "材料名称", model_field="name", width=28),
        column("type", "材料类型", CHOICE, choices=_values(MaterialType), model_field="material_type", width=14),
        column("form", "材料形式", CHOICE, choices=_values(MaterialForm), model_field="form", width=12),
        column("original", "原件份数", INTEGER, model_field="original_count", width=10),
        column("copies", "复印件份数", INTEGER, model_field="copy_count", width=10),
        column("spec", "纸张规格", model_field="spec", width=12),
        column("necessity", "必要性", CHOICE, choices=_values(Necessity), model_field="necessity", width=10),
        column("source", "来源渠道", CHOICE, choices=_values(MaterialSource), model_field="source", width=14),
        column("marks", "材料标记", CHOICES, choices=_values(MaterialMark), names=("标记",), width=14),
        column("acceptance_standard", "受理标准", LINES, model_field="acceptance_standard", width=30),
        column("basis", "材料依据", LINES, model_field="basis", width=30),
        column("note", "备注", LINES, model_field="note", width=30),
        column("situation", "适用情形", model_field="situation", names=("情形",), null=True, width=20),
    ),
    relation="materials",
    model="guidematerial",
    inline="materials",
)
STEP_SHEET = Sheet(
    "办理流程",
    (
        column("name", "环节名称", model_field="name", width=14),
        column("actor", "办理人", model_field="actor", width=16),
        column("description", "环节说明", LINES, model_field="description", width=40),
        column("limit.value", "环节时限", INTEGER, model_field="limit_value", width=10),
        column("limit.unit", "时限单位", CHOICE, choices=_values(LimitUnit), model_field="limit_unit", names=("单位",), width=10),
        column("counts_toward_limit", "计入办结时限", BOOLEAN, model_field="counts_toward_limit", width=12),
        column("review_standard", "审查标准", LINES, model_field="review_standard", width=30),
    ),
    relation="steps",
    model="guidestep",
    inline="steps",
)
SITUATION_SHEET = Sheet(
    "情形问题",
    (
        column("question", "问题", model_field="question", width=36),
        column("options", "选项（每行一个）", OPTIONS, model_field="options", width=30),
    ),
    relation="situations",
    model="guidesituation",
    inline="situations",
)
LEGAL_BASIS_SHEET = Sheet(
    "设定依据",
    (
        column("title", "依据名称", model_field="title", width=40),
        column("document_number", "文号", model_field="document_number", width=20),
        column("excerpt", "条款内容", LINES, model_field="excerpt", width=40),
    ),
    relation="legal_basis",
    model="guidelegalbasis",
    inline="legal_bases",
)
FEE_SHEET = Sheet(
    "收费项目",
    (
        column("name", "收费项目名称", model_field="name", width=24),
        column("standard", "收费标准", LINES, model_field="standard", width=30),
        column("basis", "收费依据", LINES, model_field="basis", width=30),
        column("reduction", "减免政策", LINES, model_field="reduction", width=30),
    ),
    relation="fee.items",
    model="guidefeeitem",
    inline="fee_items",
)
FAQ_SHEET = Sheet(
    "常见问题",
    (
        column("question", "问题", model_field="question", width=36),
        column("answer", "解答", LINES, model_field="answer", width=48),
    ),
    relation="faq",
    model="guidefaq",
    inline="faqs",
)
ROW_SHEETS = (MATERIAL_SHEET, STEP_SHEET, SITUATION_SHEET, LEGAL_BASIS_SHEET, FEE_SHEET, FAQ_SHEET)
SHEETS = (GUIDE_SHEET, *ROW_SHEETS)
# Record keys of limits: a limit whose two cells are empty is no limit (null in the record).
LIMIT_KEYS = {GUIDE_SHEET.title: ("legal_limit", "promised_limit"), STEP_SHEET.title: ("limit",)}


def _get(record: dict[str, Any], path: Sequence[str]) -> Any:
    value: Any = record
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _put(record: dict[str, Any], path: Sequence[str], value: Any) -> None:
    for key in path[:-1]:
        record = record.setdefault(key, {})
    record[path[-1]] = value


# --- writing ---------------------------------------------------------------------------------------


def _cell_value(column: Column, record: dict[str, Any]) -> Any:
    value = _get(record, column.key)
    if column.key == ("hall",):  # the hall of the guide's windows
        value = (value or {}).get("name")
    if column.key == ("change_note",):
        return None
    if value is None:
        return None
    if column.kind == BOOLEAN:
        return YES if value else NO
    if column.kind in (CHOICES, LIST):
        return "、".join(value)
    if column.kind == OPTIONS:
        return "\n".join(value)
    return value


def write_workbook(records: Iterable[dict[str, Any]], stream) -> int:
    """Write guide records to ``stream`` as a workbook; return the number of guides."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheets = {}
    for number, sheet in enumerate(SHEETS):
        worksheet = workbook.active if number == 0 else workbook.create_sheet()
        worksheet.title = sheet.title
        headers = [column.header for column in sheet.columns]
        worksheet.append(headers if sheet is GUIDE_SHEET else [CODE_HEADER, *headers])
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        worksheet.freeze_panes = "B2"
        sheets[sheet.title] = worksheet

    count = 0
    for record in records:
        count += 1
        _append(sheets[GUIDE_SHEET.title], GUIDE_SHEET.columns, record)
        for sheet in ROW_SHEETS:
            for row in _get(record, sheet.relation.split(".")) or ():
                _append(sheets[sheet.title], sheet.columns, row, code=record["code"])

    options = workbook.create_sheet(OPTIONS_SHEET)
    options.sheet_state = "hidden"
    lists = 0
    wrap = Alignment(wrap_text=True, vertical="top")
    for sheet in SHEETS:
        worksheet = sheets[sheet.title]
        offset = 1 if sheet is GUIDE_SHEET else 2
        if sheet is not GUIDE_SHEET:
            worksheet.column_dimensions["A"].width = 18
        for position, column in enumerate(sheet.columns, start=offset):
            letter = get_column_letter(position)
            worksheet.column_dimensions[letter].width = column.width
            if column.kind in (LINES, OPTIONS):
                for (cell,) in worksheet.iter_rows(min_row=2, min_col=position, max_col=position):
                    cell.alignment = wrap
            values = [YES, NO] if column.kind == BOOLEAN else column.choices() if column.kind == CHOICE and column.choices else None
            if not values:
                continue
            lists += 1
            list_letter = get_column_letter(lists)
            options.cell(row=1, column=lists, value=f"{sheet.title}·{column.header}")
            for row, value in enumerate(values, start=2):
                options.cell(row=row, column=lists, value=value)
            validation = DataValidation(
                type="list",
                formula1=f"'{OPTIONS_SHEET}'!${list_letter}$2:${list_letter}${len(values) + 1}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.header,
                error=_("请从列表中选择"),
            )
            worksheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{max(VALIDATION_ROWS, worksheet.max_row)}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    stream.write(buffer.getvalue())
    return count


def _append(worksheet, columns: Sequence[Column], record: dict[str, Any], *, code: str | None = None) -> None:
    values = [_cell_value(column, record) for column in columns]
    worksheet.append(values if code is None else [code, *values])
    # Text that starts with "=" is text, not a formula to run in the reader's spreadsheet.
    for cell in worksheet[worksheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


# --- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class CellError:
    """A problem of a workbook, where it is: the sheet, the row (1 is the header) and the column
    (by its header); row and column are None for a problem of the whole sheet or row."""

    sheet: str
    row: int
    column: str
    message: str = field(compare=False)

    def __str__(self) -> str:
        where = _("工作表“%(sheet)s”") % {"sheet": self.sheet} if self.sheet else _("工作簿")
        if self.row:
            where += _("第 %(row)s 行") % {"row": self.row}
        if self.column:
            where += _("“%(column)s”列") % {"column": self.column}
        return f"{where}：{self.message}"


class WorkbookFailed(Exception):
    def __init__(self, errors: list[CellError]):
        self.errors = sorted(errors, key=_error_order)
        super().__init__(_("%(count)s 处错误，未导入任何内容") % {"count": len(errors)})


def _error_order(error: CellError) -> tuple:
    sheets = [sheet.title for sheet in SHEETS]
    return (sheets.index(error.sheet) if error.sheet in sheets else -1, error.row or 0, error.column or "")


@dataclass
class GuideRows:
    """One guide of the workbook: its record and the rows it was read from."""

    record: dict[str, Any]
    row: int
    rows: dict[str, list[int]] = field(default_factory=dict)  # sheet title → rows, in order
    bad: bool = False  # a cell of it could not be read: left out of the import


class UnreadableCell(ValueError):
    pass


def _text(value: Any) -> str:
    if isinstance(value, bool | dt.date | dt.time | dt.timedelta):
        raise UnreadableCell(_("应为文本"))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def _convert(column: Column, value: Any, choices: Sequence[str] | None) -> Any:
    """The record's value of a cell (None for an empty one); UnreadableCell when it cannot be.
    ``choices``: the column's choices, when it refuses others."""
    if isinstance(value, str) and not value.strip():
        value = None
    if value is None:
        if column.kind in (CHOICES, LIST, OPTIONS):
            return []
        return None if column.kind in (INTEGER, BOOLEAN) or column.null else ""
    if column.kind == INTEGER:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool):
            raise UnreadableCell(_("应为整数"))
        return value
    if column.kind == BOOLEAN and isinstance(value, bool):  # TRUE / FALSE typed into the cell
        return value
    text = _text(value).strip()
    if column.kind == BOOLEAN:
        if text not in (YES, NO):
            raise UnreadableCell(_("应为“是”或“否”"))
        return text == YES
    if column.kind == CHOICE and choices is not None:
        if text not in choices:
            raise UnreadableCell(_("“%(value)s”不是可选值（%(choices)s）") % {"value": text, "choices": "、".join(choices)})
        return text
    if column.kind in (CHOICES, LIST):
        items = [item.strip() for item in SEPARATORS.split(text) if item.strip()]
        if column.kind == CHOICES and choices is not None:
            unknown = [item for item in items if item not in choices]
            if unknown:
                raise UnreadableCell(
                    _("“%(value)s”不是可选值（%(choices)s，多个用“、”分隔）") % {"value": "、".join(unknown), "choices": "、".join(choices)}
                )
        return items
    if column.kind == OPTIONS:
        return [line.strip() for line in text.split("\n") if line.strip()]
    return _text(value)


class Workbook:
    """The guides read from a workbook, and the problems found reading it."""

    def __init__(self) -> None:
        self.guides: list[GuideRows] = []
        self.errors: list[CellError] = []
        self.structural = False  # a sheet or a header is missing: nothing can be imported
        self._by_code: dict[str, GuideRows] = {}

    def error(self, sheet: str | None, row: int | None, column: str | None, message: str) -> None:
        self.errors.append(CellError(sheet or "", row or 0, column or "", message))

    def lines(self) -> list[str]:
        """The guides as lines of the JSON Lines import, in sheet order (line n is the guide of
        ``self.guides[n - 1]``); a guide with an unreadable cell is an empty line, which the
        import skips."""
        return ["" if guide.bad else json.dumps(guide.record, ensure_ascii=False) for guide in self.guides]

    def add(self, guide: GuideRows) -> None:
        self.guides.append(guide)
        self._by_code.setdefault(guide.record.get("code"), guide)

    def by_code(self, code: str) -> GuideRows | None:
        """The first guide of the workbook with ``code``."""
        return self._by_code.get(code)

    # The importer's messages, back to cells.

    def locate(self, line_errors: Iterable[Any]) -> list[CellError]:
        """CellErrors for the importer's LineErrors (their line is a guide of ``self.guides``)."""
        located = []
        for line_error in line_errors:
            if not 1 <= line_error.line <= len(self.guides):
                located.append(CellError("", 0, "", line_error.message))
                continue
            guide = self.guides[line_error.line - 1]
            for part in _parts(line_error.message):
                located.append(_locate_part(guide, part))
        return located


def _parts(message: str) -> list[str]:
    return [part.strip() for part in message.split("；") if part.strip()]


# The importer's words for a row of a guide's lists: "第 2 项材料（…）：…", "第 3 个环节：…",
# "第 1 个情形问题…", and the model's "申请材料第 2 项 · 材料名称：…".
IMPORTER_ROWS = (
    (re.compile(r"^第 (\d+) 项材料(?:（.*?）(?=[：:]))?[：:]?"), MATERIAL_SHEET),
    (re.compile(r"^第 (\d+) 个环节[：:]?"), STEP_SHEET),
    (re.compile(r"^第 (\d+) 个情形问题"), SITUATION_SHEET),
)
IMPORTER_SHEETS = ((re.compile(r"^设定依据[：:]"), LEGAL_BASIS_SHEET), (re.compile(r"^收费项目[：:]"), FEE_SHEET))
MODEL_ROW = re.compile(r"^(?P<rows>\S+?)第 (?P<position>\d+) 项 · (?P<rest>.*)$")


def _locate_part(guide: GuideRows, part: str) -> CellError:
    from guides.validation import INLINE_LABELS

    sheet, position, rest = GUIDE_SHEET, None, part
    for pattern, row_sheet in IMPORTER_ROWS:
        match = pattern.match(part)
        if match:
            sheet, position, rest = row_sheet, int(match.group(1)), part[match.end() :]
            break
    else:
        for pattern, row_sheet in IMPORTER_SHEETS:
            match = pattern.match(part)
            if match:
                sheet, rest = row_sheet, part[match.end() :]
                break
        else:
            match = MODEL_ROW.match(part)
            labels = {_(label): relation for relation, label in INLINE_LABELS.items()}
            if match and match.group("rows") in labels:
                relation = labels[match.group("rows")]
                sheet = next(s for s in ROW_SHEETS if s.inline == relation)
                position, rest = int(match.group("position")), match.group("rest")
    if sheet is GUIDE_SHEET:
        row = guide.row
    else:
        rows = guide.rows.get(sheet.title, [])
        row = rows[position - 1] if position and position <= len(rows) else None
        if row is None:  # a problem of the whole list (no rows, or a row the sheet lacks)
            sheet, row = GUIDE_SHEET, guide.row
    found = _column_of(sheet, rest)
    code = guide.record.get("code") or ""
    message = f"（{code}）{part}" if code else part
    return CellError(sheet.title, row, found.header if found else "", message)


def _model_labels(sheet: Sheet) -> dict[str, Column]:
    from django.apps import apps

    model: type[Model] = apps.get_model("guides", sheet.model)
    labels = {}
    for column in sheet.columns:
        if column.model_field:
            try:
                labels.setdefault(str(model._meta.get_field(column.model_field).verbose_name), column)
            except FieldDoesNotExist:
                continue
    return labels


def _column_of(sheet: Sheet, text: str) -> Column | None:
    """The column an importer's message is about, if it says."""
    keys = re.findall(r"(?:字段 |^)([a-z_]+)(?= |$)", text)
    for key in keys:
        for column in sheet.columns:
            if column.key[0] == key or column.key[-1] == key:
                return column
    label = re.match(r"^([^：:]+)[：:]", text)
    if label:
        found = _model_labels(sheet).get(label.group(1).strip())
        if found:
            return found
    for column in sheet.columns:
        if any(text.startswith(name) for name in (column.header, *column.names)):
            return column
    for column in sheet.columns:
        if any(name in text for name in column.names):
            return column
    return None


def _open(data: bytes, workbook: Workbook):
    """The openpyxl workbook of ``data``, or None (with the reason in ``workbook.errors``)."""
    from openpyxl import load_workbook

    if len(data) > MAX_FILE_BYTES:
        workbook.error(None, None, None, _("文件过大（%(size)s MB），上限为 %(limit)s MB") % {
            "size": round(len(data) / 1024 / 1024, 1), "limit": MAX_FILE_BYTES // 1024 // 1024})
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                workbook.error(None, None, None, _("文件解压后过大（%(size)s MB），上限为 %(limit)s MB") % {
                    "size": unpacked // 1024 // 1024, "limit": MAX_UNPACKED_BYTES // 1024 // 1024})
                return None
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - whatever a broken or foreign file raises inside openpyxl
        workbook.error(None, None, None, _("不是 Excel 工作簿（XLSX），或文件已损坏"))
        return None


def read_workbook(data: bytes) -> Workbook:
    """The guides of a workbook (bytes of an .xlsx file) and every problem found reading it."""
    workbook = Workbook()
    book = _open(data, workbook)
    if book is None:
        workbook.structural = True
        return workbook
    try:
        _read(book, workbook)
    finally:
        book.close()
    return workbook


def _read(book, workbook: Workbook) -> None:
    for sheet in SHEETS:
        if sheet.title not in book.sheetnames:
            workbook.error(sheet.title, None, None, _("缺少工作表“%(sheet)s”") % {"sheet": sheet.title})
            workbook.structural = True
    if workbook.structural:
        return
    for sheet in SHEETS:
        rows = book[sheet.title].iter_rows()
        header_cells = next(rows, ())
        columns = _header(sheet, header_cells, workbook)
        if columns is None:
            workbook.structural = True
            continue
        _read_rows(sheet, columns, rows, workbook)


def _header(sheet: Sheet, cells, workbook: Workbook) -> dict[int, Column | None] | None:
    """Column position → Column (None for the code column of a row sheet)."""
    expected: dict[str, Column | None] = {column.header: column for column in sheet.columns}
    if sheet is not GUIDE_SHEET:
        expected[CODE_HEADER] = None
    found: dict[int, Column | None] = {}
    bad = False
    for position, cell in enumerate(cells):
        header = str(cell.value).strip() if cell.value is not None else ""
        if not header:
            continue
        if header not in expected:
            workbook.error(sheet.title, 1, header, _("未知的列（列名被改动？可用的列：%(headers)s）") % {"headers": "、".join(expected)})
            bad = True
        elif header in [c.header if c else CODE_HEADER for c in found.values()]:
            workbook.error(sheet.title, 1, header, _("列重复"))
            bad = True
        else:
            found[position] = expected[header]
    present = {column.header if column else CODE_HEADER for column in found.values()}
    for header in expected:
        if header not in present:
            workbook.error(sheet.title, 1, header, _("缺少列“%(header)s”") % {"header": header})
            bad = True
    return None if bad else found


def _read_rows(sheet: Sheet, columns: dict[int, Column | None], rows, workbook: Workbook) -> None:
    choices = {
        column.key: column.choices() if column.choices and column.closed else None
        for column in sheet.columns
    }
    for row_number, cells in enumerate(rows, start=2):
        if row_number - 1 > MAX_ROWS:
            workbook.error(sheet.title, row_number, None, _("行数超过上限 %(limit)s") % {"limit": MAX_ROWS})
            workbook.structural = True
            return
        values = {position: cell for position, cell in enumerate(cells) if position in columns}
        if all(cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()) for cell in values.values()):
            continue
        record: dict[str, Any] = {}
        bad = False
        code = None
        for position, cell in values.items():
            column = columns[position]
            header = column.header if column else CODE_HEADER
            if cell.data_type == "f":
                workbook.error(sheet.title, row_number, header, _("单元格是公式（%(formula)s）：请改为直接填写的值") % {"formula": cell.value})
                bad = True
                continue
            if cell.data_type == "e":
                workbook.error(sheet.title, row_number, header, _("单元格是错误值（%(value)s）") % {"value": cell.value})
                bad = True
                continue
            if column is None:
                try:
                    code = _text(cell.value).strip() if cell.value is not None else ""
                except UnreadableCell as error:
                    workbook.error(sheet.title, row_number, header, str(error))
                    bad = True
                continue
            try:
                value = _convert(column, cell.value, choices[column.key])
            except UnreadableCell as error:
                workbook.error(sheet.title, row_number, header, str(error))
                bad = True
                continue
            _put(record, column.key, value)
        for key in LIMIT_KEYS.get(sheet.title, ()):
            if record.get(key) == {"value": None, "unit": ""}:
                record[key] = None
        if sheet is GUIDE_SHEET:
            _guide_row(record, row_number, bad, workbook)
            continue
        guide = workbook.by_code(code) if code else None
        if guide is None:
            if code is not None or not bad:
                message = (
                    _("未知的实施编码“%(code)s”：“%(sheet)s”表中没有这项指南") % {"code": code, "sheet": GUIDE_SHEET.title}
                    if code else _("缺少实施编码")
                )
                workbook.error(sheet.title, row_number, CODE_HEADER, message)
            continue
        _get(guide.record, sheet.relation.split(".")).append(record)
        guide.rows.setdefault(sheet.title, []).append(row_number)
        guide.bad = guide.bad or bad


def _guide_row(record: dict[str, Any], row: int, bad: bool, workbook: Workbook) -> None:
    """A row of the guides sheet as a record, with empty lists for the other sheets to fill."""
    hall = record.pop("hall", "")
    if hall:
        # The hall of the guide's windows: a window of that name is looked up (or created) there.
        record["windows"] = [
            {"label": record[key], "hall": hall} for key in ("intake_window", "delivery_window") if record.get(key)
        ]
    if not record.get("change_note"):
        record.pop("change_note", None)
    first = workbook.by_code(record.get("code")) if record.get("code") else None
    if first is not None:
        workbook.error(GUIDE_SHEET.title, row, CODE_HEADER, _("实施编码“%(code)s”与第 %(row)s 行重复") % {
            "code": record["code"], "row": first.row})
        bad = True
    for sheet in ROW_SHEETS:
        _put(record, sheet.relation.split("."), [])
    record.setdefault("fee", {}).setdefault("charged", False)
    workbook.add(GuideRows(record, row, bad=bad))


# --- importing -------------------------------------------------------------------------------------


def import_workbook(
    data: bytes,
    *,
    publish: bool = False,
    findings_as_warnings: bool = False,
    user=None,
    check: Callable[[Workbook], list[CellError]] | None = None,
    after: Callable[[Workbook, Any], list[CellError]] | None = None,
):
    """Import the guides of a workbook through the JSON Lines import (guides.importer) and return
    its ImportReport; raise WorkbookFailed listing every problem, with its sheet, row and
    column, having written nothing.

    ``check`` adds problems found before anything is written (an editor's rights), ``after``
    those found once the import has run (in its transaction: a problem rolls everything back)."""
    from guides.importer import IMPORT_WAIT_SECONDS, ImportFailed, import_guides
    from portal.transactions import one_writer

    workbook = read_workbook(data)
    if workbook.structural:
        raise WorkbookFailed(workbook.errors)
    errors = list(workbook.errors)
    if check is not None:
        errors += check(workbook)
    report = None
    with one_writer("import_guides", wait_seconds=IMPORT_WAIT_SECONDS):
        try:
            # (the importer's messages are matched to columns in the workbook's language)
            with override("zh-hans"):
                report = import_guides(
                    workbook.lines(), publish=publish, user=user, findings_as_warnings=findings_as_warnings
                )
        except ImportFailed as failure:
            with override("zh-hans"):
                errors += workbook.locate(failure.errors)
        if report is not None and after is not None and not errors:
            errors += after(workbook, report)
        if errors:
            raise WorkbookFailed(errors)
    return report


def export_records(pages) -> Iterable[dict[str, Any]]:
    """The records an export writes for ``pages``: each guide's latest revision (what an editor
    would edit next, and what an import compares a row with)."""
    from guides.catalogue import latest_draft

    for page in pages:
        record = latest_draft(page)
        record.pop("change_note")
        yield record


def is_workbook(path: str) -> bool:
    return str(path).lower().endswith(".xlsx")
