"""Template filters of the public pages."""

from django import template
from django.utils.translation import gettext

from guides.domain.phones import InvalidPhone
from guides.domain.phones import tel_uri as phone_tel_uri
from guides.domain.situations import NO, YES

register = template.Library()


@register.filter
def tel_uri(phone: str) -> str:
    """The tel: link of a phone number as editors wrote it (validated on save); a number that no
    longer validates is dialled as its digits."""
    try:
        return phone_tel_uri(phone or "")
    except InvalidPhone:
        return "tel:" + "".join(ch for ch in phone or "" if ch.isdigit())


@register.filter
def answer_label(answer: str) -> str:
    """A situation answer as shown: 是 and 否 (guides.domain.situations) in the active language;
    the options editors wrote stay as written. The value sent with the form is never translated."""
    if answer == YES:
        return gettext("是")
    if answer == NO:
        return gettext("否")
    return answer


@register.filter
def value_label(value: str) -> str:
    """A value of the guide record that is one of the fixed choices (版块, 事项类型, 材料形式,
    必要性 …, guides.choices) in the active language: the choices' values are their Chinese
    labels, which are msgids of the catalogue. Anything else is shown as written."""
    return gettext(value) if value else value


@register.filter
def value_labels(values) -> str:
    """A list of such values, each in the active language, in one line."""
    return gettext("、").join(value_label(value) for value in values or ())
