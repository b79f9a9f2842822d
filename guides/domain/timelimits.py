"""Statutory and promised completion time limits (法定/承诺办结时限).

Plain domain logic, no framework imports: the models, the importer, the
publication checks and the PDF all share these rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from guides.domain.text import gettext as _

__all__ = [
    "HANDLING_TYPES",
    "TimeLimit",
    "TimeUnit",
    "check_handling_type",
    "check_limits",
    "due_date",
    "handling_type_of",
    "max_natural_days",
    "promised_within_legal",
]

# Longest run of consecutive non-working days we accept before declaring the
# calendar broken; real calendars never exceed a couple of weeks (春节 + weekends).
_MAX_NON_WORKING_RUN = 366


class TimeUnit(StrEnum):
    """Unit of a time limit; the values are the labels used in data and on screen."""

    WORKING_DAYS = "工作日"
    NATURAL_DAYS = "自然日"
    IMMEDIATE = "即办"


@dataclass(frozen=True)
class TimeLimit:
    """A time limit such as 20个工作日; ``即办`` always has value 0."""

    value: int
    unit: TimeUnit

    def __post_init__(self) -> None:
        # Accept the plain label ("工作日") so callers holding raw data need no conversion.
        if not isinstance(self.unit, TimeUnit):
            try:
                object.__setattr__(self, "unit", TimeUnit(self.unit))
            except ValueError:
                raise ValueError(_("时限单位“%(unit)s”无效，应为工作日、自然日或即办") % {"unit": self.unit}) from None
        # bool is an int subclass; True as a time limit is certainly a data error.
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise ValueError(_("时限数值必须是整数，收到“%(value)s”") % {"value": repr(self.value)})
        if self.value < 0:
            raise ValueError(_("时限数值不能为负数，收到%(value)s") % {"value": self.value})
        if self.unit is TimeUnit.IMMEDIATE and self.value != 0:
            raise ValueError(_("即办事项的时限数值必须为0，收到%(value)s") % {"value": self.value})

    @classmethod
    def immediate(cls) -> TimeLimit:
        """The 即办 limit."""
        return cls(0, TimeUnit.IMMEDIATE)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TimeLimit:
        """Build from ``{"value": 20, "unit": "工作日"}`` (the corpus/import format).

        ``value`` may be omitted for 即办, which some sources leave out.
        """
        if "unit" not in data:
            raise ValueError(_("时限缺少单位（unit）"))
        unit = data["unit"]
        if "value" not in data:
            if unit == TimeUnit.IMMEDIATE:
                return cls.immediate()
            raise ValueError(_("时限缺少数值（value）"))
        return cls(data["value"], unit)

    def to_dict(self) -> dict[str, Any]:
        """Inverse of :meth:`from_dict`; the unit is stored as its plain label."""
        return {"value": self.value, "unit": str(self.unit)}

    @property
    def is_immediate(self) -> bool:
        return self.unit is TimeUnit.IMMEDIATE

    def display(self) -> str:
        """Human label: ``20个工作日``, ``15个自然日`` or ``即办``."""
        if self.is_immediate:
            return _("即办")
        if self.unit is TimeUnit.WORKING_DAYS:
            return _("%(value)s个工作日") % {"value": self.value}
        return _("%(value)s个自然日") % {"value": self.value}

    def __str__(self) -> str:
        return self.display()


def max_natural_days(limit: TimeLimit) -> int:
    """Longest span in natural days that ``limit`` can cover in a 5-day working week.

    N working days counted from a Friday take N + 2 * ceil(N / 5) natural days
    (every started block of five working days crosses one weekend). Public
    holidays are ignored on purpose: their make-up workdays roughly compensate
    over a year, and a static comparison must not depend on the calendar year;
    use :func:`due_date` with a real calendar for a concrete application.
    """
    if limit.unit is TimeUnit.WORKING_DAYS:
        return limit.value + 2 * ((limit.value + 4) // 5)
    return limit.value


def promised_within_legal(promised: TimeLimit, legal: TimeLimit) -> bool:
    """Whether the promised limit is certain to be no longer than the legal one.

    Rules:

    * a promised 即办 fits any legal limit;
    * a legal 即办 admits only a promised 即办;
    * the same unit compares values;
    * promised p 自然日 vs legal l 工作日: p ≤ l, since p natural days contain at
      most p working days;
    * promised p 工作日 vs legal l 自然日: conservative, the worst-case span
      p + 2 * ceil(p / 5) natural days (see :func:`max_natural_days`) must be ≤ l.
    """
    if promised.is_immediate:
        return True
    if legal.is_immediate:
        return False
    if promised.unit is legal.unit:
        return promised.value <= legal.value
    if promised.unit is TimeUnit.NATURAL_DAYS:
        return promised.value <= legal.value
    return max_natural_days(promised) <= legal.value


def check_limits(promised: TimeLimit, legal: TimeLimit) -> list[str]:
    """Error messages for an inconsistent pair (guides.domain.text); empty when the pair is fine."""
    if promised_within_legal(promised, legal):
        return []
    if legal.is_immediate:
        return [_("法定办结时限为即办，承诺办结时限（%(promised)s）也必须为即办") % {"promised": promised.display()}]
    if promised.unit is TimeUnit.WORKING_DAYS and legal.unit is TimeUnit.NATURAL_DAYS:
        return [
            _("承诺办结时限（%(promised)s）最长可跨越%(days)s个自然日，超过法定办结时限（%(legal)s）")
            % {"promised": promised.display(), "days": max_natural_days(promised), "legal": legal.display()}
        ]
    return [
        _("承诺办结时限（%(promised)s）不得超过法定办结时限（%(legal)s）")
        % {"promised": promised.display(), "legal": legal.display()}
    ]


# 办件类型: an item handled on the spot (即办件) or one accepted with a promised time limit
# (承诺件). The values are the labels of the national tables and of the record.
IMMEDIATE_ITEM = "即办件"
PROMISED_ITEM = "承诺件"
HANDLING_TYPES = (IMMEDIATE_ITEM, PROMISED_ITEM)


def handling_type_of(promised: TimeLimit) -> str:
    """The 办件类型 a promised limit implies: 即办件 for 即办, 承诺件 for any number of days
    (what a record that predates the field is given)."""
    return IMMEDIATE_ITEM if promised.is_immediate else PROMISED_ITEM


def check_handling_type(handling_type: str, promised: TimeLimit) -> list[str]:
    """Error messages when the 办件类型 contradicts the promised limit (a guide copied from
    another item says 即办件 and promises 20 days); empty when they agree or no type is given."""
    if not handling_type or handling_type == handling_type_of(promised):
        return []
    if handling_type == IMMEDIATE_ITEM:
        return [_("即办件的承诺办结时限应为即办，现为%(promised)s") % {"promised": promised.display()}]
    return [_("承诺办结时限为即办的事项是即办件，不是承诺件")]


def due_date(start: date, limit: TimeLimit, is_working_day: Callable[[date], bool]) -> date:
    """The day by which an application received on ``start`` must be finished.

    The receiving day itself does not count (the limit runs from the next day).
    即办 is due the same day; 自然日 simply add days, even if the last one is a
    holiday; 工作日 count forward only days for which ``is_working_day`` is true.
    """
    if limit.unit is TimeUnit.IMMEDIATE:
        return start
    if limit.unit is TimeUnit.NATURAL_DAYS:
        return start + timedelta(days=limit.value)
    day = start
    remaining = limit.value
    idle = 0
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
            idle = 0
        else:
            idle += 1
            # Guards against a predicate that never returns True (empty schedule).
            if idle > _MAX_NON_WORKING_RUN:
                raise ValueError(_("工作日历在一年内没有任何工作日，无法计算办结日期"))
    return day
