"""Publication rules of a guide, checked on every save so that the admin, the import and any
programmatic edit enforce the same thing."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _

from guides.choices import WindowRole
from guides.domain.situations import Situation, validate_situations
from guides.domain.timelimits import check_limits


def assign_situation_keys(situations) -> None:
    """Give new questions a short, stable URL key (s1, s2 …) that never reuses a taken one."""
    taken = {s.key for s in situations if s.key}
    number = 1
    for situation in situations:
        if situation.key:
            continue
        while f"s{number}" in taken:
            number += 1
        situation.key = f"s{number}"
        taken.add(situation.key)


def guide_errors(page) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = defaultdict(list)
    materials = list(page.materials.all())
    if not materials:
        errors["__all__"].append(_("至少需要一项申请材料"))

    if not page.intake_window_id:
        errors["intake_window"].append(_("请选择受理窗口"))
    elif page.intake_window.role != WindowRole.INTAKE:
        errors["intake_window"].append(_("“%(window)s”不是综合受理窗口") % {"window": page.intake_window})
    if page.delivery_window_id and page.delivery_window.role != WindowRole.DELIVERY:
        errors["delivery_window"].append(_("“%(window)s”不是出件窗口") % {"window": page.delivery_window})

    try:
        limit_errors = check_limits(page.promised_limit, page.legal_limit)
    except ValueError as error:
        limit_errors = [str(error)]
    errors["promised_limit_value"].extend(limit_errors)

    fee_items = list(page.fee_items.all())
    if page.fee_charged and not fee_items:
        errors["fee_charged"].append(_("收费事项须至少填写一个收费项目"))
    if not page.fee_charged and fee_items:
        errors["fee_charged"].append(_("不收费的事项不应填写收费项目"))

    situations = list(page.situations.all())
    assign_situation_keys(situations)
    errors["__all__"].extend(
        validate_situations(
            [Situation(s.key, s.question, tuple(s.option_list)) for s in situations],
            [m.situation or None for m in materials],
        )
    )
    return {field: messages for field, messages in errors.items() if messages}
