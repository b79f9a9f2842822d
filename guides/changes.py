"""A checklist diff (guides.domain.checklist.ChecklistDiff, or its JSON form kept in the change
log) in words, for editors, reviewers and the Atom feed."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guides.presentation import limit_text

FIELD_LABELS = {
    "name": gettext_lazy("名称"),
    "code": gettext_lazy("实施编码"),
    "type": gettext_lazy("材料类型"),
    "form": gettext_lazy("材料形式"),
    "original": gettext_lazy("原件份数"),
    "copies": gettext_lazy("复印件份数"),
    "spec": gettext_lazy("规格"),
    "necessity": gettext_lazy("必要性"),
    "source": gettext_lazy("来源渠道"),
    "acceptance_standard": gettext_lazy("受理标准"),
    "note": gettext_lazy("填报须知"),
    "situation": gettext_lazy("适用情形"),
    "question": gettext_lazy("问题"),
    "options": gettext_lazy("选项"),
    "standard": gettext_lazy("收费标准"),
    "basis": gettext_lazy("收费依据"),
    "conditions": gettext_lazy("申请条件"),
    "legal_limit": gettext_lazy("法定办结时限"),
    "promised_limit": gettext_lazy("承诺办结时限"),
    "intake_window": gettext_lazy("受理窗口"),
    "delivery_window": gettext_lazy("出件窗口"),
    "fee.charged": gettext_lazy("是否收费"),
    "format": gettext_lazy("清单格式"),
}


def field_label(field: str) -> str:
    return str(FIELD_LABELS.get(field, field))


def show_value(value: Any) -> str:
    if value is None or value == "":
        return _("（空）")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dict) and "unit" in value:
        return limit_text(value)
    if isinstance(value, list):
        return "、".join(str(item) for item in value) or _("（空）")
    return str(value)


def _changes(fields: list[dict[str, Any]]) -> str:
    return "；".join(f"{field_label(f['field'])}：{show_value(f['old'])} → {show_value(f['new'])}" for f in fields)


def describe_diff(diff) -> list[str]:
    return describe_changes(diff.as_dict())


def describe_changes(changes: dict[str, Any]) -> list[str]:
    """One line per change (of ``ChecklistDiff.as_dict()``), in the order a checklist reads."""
    lines: list[str] = []
    for change in changes["fields"]:
        lines.append(f"{field_label(change['field'])}：{show_value(change['old'])} → {show_value(change['new'])}")
    situations, materials, fee_items = changes["situations"], changes["materials"], changes["fee_items"]
    for question in situations["added"]:
        lines.append(_("新增情形问题：%(name)s") % {"name": question})
    for question in situations["removed"]:
        lines.append(_("删除情形问题：%(name)s") % {"name": question})
    for change in situations["changed"]:
        lines.append(_("情形问题“%(name)s”：%(changes)s") % {"name": change["name"], "changes": _changes(change["fields"])})
    for name in materials["added"]:
        lines.append(_("新增材料：%(name)s") % {"name": name})
    for name in materials["removed"]:
        lines.append(_("删除材料：%(name)s") % {"name": name})
    for change in materials["changed"]:
        lines.append(_("材料“%(name)s”：%(changes)s") % {"name": change["name"], "changes": _changes(change["fields"])})
    if materials["reordered"]:
        lines.append(_("调整了材料顺序"))
    for name in fee_items["added"]:
        lines.append(_("新增收费项目：%(name)s") % {"name": name})
    for name in fee_items["removed"]:
        lines.append(_("删除收费项目：%(name)s") % {"name": name})
    for change in fee_items["changed"]:
        lines.append(_("收费项目“%(name)s”：%(changes)s") % {"name": change["name"], "changes": _changes(change["fields"])})
    return lines
