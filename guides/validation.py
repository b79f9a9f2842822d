"""Publication rules of a guide, checked on every save so that the admin, the import and any
programmatic edit enforce the same thing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guides.choices import WindowRole
from guides.domain.situations import Situation, validate_situations
from guides.domain.timelimits import check_handling_type, check_limits


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


def guide_errors(page, *, inline: bool = True) -> dict[str, list[str]]:
    """The rules of a guide, by field ("__all__" for the guide as a whole). ``inline=False``
    leaves out the rules on its rows (materials, fee items, situations): the admin's form
    checks those once its inline forms are applied (GuidePageForm)."""
    errors: dict[str, list[str]] = defaultdict(list)
    if not page.intake_window_id:
        errors["intake_window"].append(_("请选择受理窗口"))
    elif page.intake_window.role != WindowRole.INTAKE:
        errors["intake_window"].append(_("“%(window)s”不是综合受理窗口") % {"window": page.intake_window})
    if page.delivery_window_id and page.delivery_window.role != WindowRole.DELIVERY:
        errors["delivery_window"].append(_("“%(window)s”不是出件窗口") % {"window": page.delivery_window})

    try:
        limit_errors = check_limits(page.promised_limit, page.legal_limit)
        errors["handling_type"].extend(check_handling_type(page.handling_type, page.promised_limit))
    except ValueError as error:
        limit_errors = [str(error)]
    errors["promised_limit_value"].extend(limit_errors)
    if inline:
        for field, messages in inline_errors(page).items():
            errors[field].extend(messages)
    return {field: messages for field, messages in errors.items() if messages}


def inline_errors(page) -> dict[str, list[str]]:
    """The rules on a guide's rows, read from its in-memory relations."""
    errors: dict[str, list[str]] = defaultdict(list)
    materials = list(page.materials.all())
    if not materials:
        errors["__all__"].append(_("至少需要一项申请材料"))

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


# The inline rows of a guide, as the admin's tabs name them.
INLINE_LABELS = {
    "legal_bases": gettext_noop("设定依据"),
    "situations": gettext_noop("情形问题"),
    "materials": gettext_noop("申请材料"),
    "steps": gettext_noop("办理流程"),
    "fee_items": gettext_noop("收费项目"),
    "faqs": gettext_noop("常见问题"),
}
EMPTY_VALUES = (None, "", [], (), {})


def labelled_messages(instance, error: ValidationError) -> list[str]:
    """The messages of a model's ValidationError, each prefixed with its field's label."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    messages = []
    for name, field_errors in error.message_dict.items():
        if name == NON_FIELD_ERRORS:
            messages.extend(field_errors)
            continue
        try:
            label = instance._meta.get_field(name).verbose_name
        except FieldDoesNotExist:
            label = name
        messages.extend(f"{label}：{message}" for message in field_errors)
    return messages


def _blank_fields(instance) -> list[str]:
    return [field.name for field in instance._meta.concrete_fields if getattr(instance, field.attname) in EMPTY_VALUES]


def clean_guide(page, *, draft: bool = False, exclude: Sequence[str] = ()) -> None:
    """Validate a guide and its inline rows as the admin does before it saves them: the model's
    full_clean of the page (its fields' lengths, choices and validators, and guide_errors) and of
    every row (which Wagtail's own checks of a page leave out). For a draft, as when an editor
    saves one, an empty field is not required. Raises one ValidationError listing every problem,
    each message naming its field and row."""
    messages: list[str] = []
    try:
        page.full_clean(exclude=[*exclude, *(_blank_fields(page) if draft else ())])
    except ValidationError as error:
        messages.extend(labelled_messages(page, error))
    for relation, label in INLINE_LABELS.items():
        for position, row in enumerate(getattr(page, relation).all(), start=1):
            try:
                row.full_clean(exclude=["guide", *(_blank_fields(row) if draft else ())])
            except ValidationError as error:
                messages.extend(
                    _("%(rows)s第 %(position)s 项 · %(message)s") % {"rows": _(label), "position": position, "message": message}
                    for message in labelled_messages(row, error)
                )
    if messages:
        raise ValidationError(messages)
