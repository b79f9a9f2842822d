"""Validation and normalization of the phone numbers printed in service guides.

Only mainland China numbers occur in guides: landlines with area code, mobiles,
service hotlines (12345 …), 95xxx short codes, emergency numbers and 400/800
numbers. Output formats: ``020-81380512``, ``0755-8123456转12``, ``13800138000``,
``12345``, ``110``, ``400-123-4567``.
"""

from __future__ import annotations

import re
import unicodedata

from guides.domain.text import gettext as _

__all__ = ["InvalidPhone", "is_valid_phone", "normalize_phone", "tel_uri"]

EMERGENCY_NUMBERS = frozenset({"110", "119", "120", "122"})

# Dash look-alikes from Chinese input methods and word processors.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−﹣", "-"))
# Extension marker: 转 or ext / ext. (case-insensitive), then the digits.
_EXTENSION_RE = re.compile(r"^(?P<main>.*?)\s*(?:转|ext\.?)\s*(?P<ext>\S*)\s*$", re.IGNORECASE)
_ALLOWED_MAIN_RE = re.compile(r"^\+?[\d\s()\-]+$")
_SEPARATORS_RE = re.compile(r"[\s()\-]+")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_MAX_EXTENSION_DIGITS = 6


class InvalidPhone(ValueError):
    """A phone number that cannot be normalized; the message says why (guides.domain.text)."""


def _split_landline(digits: str) -> tuple[str, str]:
    """Split ``0`` + area code + local number per the national numbering plan.

    Area codes 010 and 020–029 are the only two-digit ones and their cities use
    8-digit local numbers; every other area code has three digits and a 7- or
    8-digit local number. Local numbers never start with 0 or 1.
    """
    short_area = digits[1:2] in ("1", "2")
    area_len = 3 if short_area else 4
    area, local = digits[:area_len], digits[area_len:]
    if len(area) < area_len or area[1] == "0" or (area[1] == "1" and area != "010"):
        raise InvalidPhone(_("区号不正确"))
    if not local:
        raise InvalidPhone(_("缺少本地号码"))
    allowed = (8,) if short_area else (7, 8)
    if len(local) not in allowed:
        if short_area:
            expected = _("区号%(area)s的本地号码应为8位，“%(local)s”过短") if len(local) < 8 else _("区号%(area)s的本地号码应为8位，“%(local)s”过长")
        else:
            expected = _("区号%(area)s的本地号码应为7位或8位，“%(local)s”过短") if len(local) < 7 else _("区号%(area)s的本地号码应为7位或8位，“%(local)s”过长")
        raise InvalidPhone(expected % {"area": area, "local": local})
    if local[0] in "01":
        raise InvalidPhone(_("本地号码不能以0或1开头"))
    return area, local


def _is_full_landline(digits: str) -> bool:
    if not digits.startswith("0") or len(digits) < 10:
        return False
    try:
        _split_landline(digits)
    except InvalidPhone:
        return False
    return True


def _clean(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).translate(_DASHES)
    # NFKC turns the ideographic space into an ordinary one; collapse all runs.
    return " ".join(text.split())


def normalize_phone(raw: str) -> str:
    """Canonical form of a phone number; raises :class:`InvalidPhone` with the reason.

    Full-width digits, spaces, brackets around the area code and any dash
    look-alike are accepted. An extension must be written with 转 or ext;
    ``020-81380512-123`` is rejected because the trailing group is ambiguous.
    """
    if not isinstance(raw, str):
        raise TypeError("phone number must be a str")
    text = _clean(raw)
    if not text:
        raise InvalidPhone(_("电话号码不能为空"))

    extension = ""
    match = _EXTENSION_RE.match(text)
    if match:
        text, extension = match["main"], match["ext"]
        if not extension.isdigit() or len(extension) > _MAX_EXTENSION_DIGITS:
            raise InvalidPhone(_("分机号应为1至%(digits)s位数字") % {"digits": _MAX_EXTENSION_DIGITS})
    if "+" in text[1:]:
        raise InvalidPhone(_("“+”只能出现在号码开头"))
    if not _ALLOWED_MAIN_RE.match(text):
        raise InvalidPhone(_("电话号码只能包含数字、空格和连字符"))

    international = text.startswith("+")
    groups = [g for g in _SEPARATORS_RE.split(text.lstrip("+")) if g]
    digits = "".join(groups)
    if not digits:
        raise InvalidPhone(_("电话号码不能为空"))

    # Country code: +86 / 0086 before any number, bare 86 only before a mobile
    # (otherwise it is indistinguishable from a local number starting with 86).
    national_form = False
    if international:
        if not digits.startswith("86"):
            raise InvalidPhone(_("仅支持中国大陆电话号码（+86）"))
        digits, national_form = digits[2:], True
    elif digits.startswith("0086"):
        digits, national_form = digits[4:], True
    elif len(digits) == 13 and digits.startswith("86") and _MOBILE_RE.match(digits[2:]):
        digits = digits[2:]
    if national_form and not _MOBILE_RE.match(digits) and not digits.startswith("0"):
        # The international form drops the trunk 0 of the area code.
        digits = "0" + digits

    if _MOBILE_RE.match(digits):
        if extension:
            raise InvalidPhone(_("手机号码不能带分机号"))
        return digits

    if digits.startswith("0"):
        if len(groups) >= 3 and len(groups[-1]) <= 5 and _is_full_landline("".join(groups[:-1])):
            raise InvalidPhone(_("分机号请用“转”标注，例如 020-81380512转123"))
        area, local = _split_landline(digits)
        number = f"{area}-{local}"
        return f"{number}转{extension}" if extension else number

    if len(digits) == 10 and digits[:3] in ("400", "800"):
        number = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
        return f"{number}转{extension}" if extension else number

    if extension:
        raise InvalidPhone(_("只有固定电话和400/800号码可以带分机号"))
    if len(digits) == 5 and (digits.startswith("12") or digits.startswith("95")):
        return digits
    if digits in EMERGENCY_NUMBERS:
        return digits

    if digits.startswith("1"):
        if len(digits) == 11:
            raise InvalidPhone(_("手机号码第二位应为3至9"))
        if len(digits) in (10, 12):
            raise InvalidPhone(_("手机号码应为11位，“%(digits)s”为%(count)s位") % {"digits": digits, "count": len(digits)})
        raise InvalidPhone(_("不是可识别的服务热线或特服号码：“%(digits)s”") % {"digits": digits})
    if len(digits) in (7, 8) and digits[0] in "23456789":
        raise InvalidPhone(_("固定电话缺少区号，例如 020-81380512"))
    raise InvalidPhone(_("无法识别的电话号码：“%(digits)s”（%(count)s位）") % {"digits": digits, "count": len(digits)})


def is_valid_phone(raw: str) -> bool:
    """Whether :func:`normalize_phone` accepts ``raw``."""
    try:
        normalize_phone(raw)
    except InvalidPhone:
        return False
    return True


def tel_uri(raw: str) -> str:
    """A ``tel:`` link target for click-to-call; an extension becomes a dial pause.

    Uses the domestic digit string (no +86) so hotlines like 12345 work as dialled.
    """
    normalized = normalize_phone(raw)
    number, _separator, extension = normalized.partition("转")
    uri = "tel:" + number.replace("-", "")
    return f"{uri},{extension}" if extension else uri
