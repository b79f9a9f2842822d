"""Template filters of the public pages."""

from django import template

from guides.domain.phones import InvalidPhone
from guides.domain.phones import tel_uri as phone_tel_uri

register = template.Library()


@register.filter
def tel_uri(phone: str) -> str:
    """The tel: link of a phone number as editors wrote it (validated on save); a number that no
    longer validates is dialled as its digits."""
    try:
        return phone_tel_uri(phone or "")
    except InvalidPhone:
        return "tel:" + "".join(ch for ch in phone or "" if ch.isdigit())
