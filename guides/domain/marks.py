"""Marks of a material in a checklist, as provincial service guides use them.

- 免提交 (obtained by the office): the counter obtains the material itself, from the electronic
  licence library (电子证照库) or by data sharing between departments; the citizen need not
  bring it.
- 告知承诺 (commitment accepted): a signed commitment (告知承诺书) may replace the material.
- 容缺后补 (may follow later): the application is accepted without it; it is handed in later.

容缺后补 is also one of the national standard's values of a material's necessity (必要性): a
material with that necessity carries the mark, and a mark of 容缺后补 on a material of another
necessity is a contradiction. The marks are part of the canonical checklist (they change what
the counter accepts), always in the order of ``MARKS``.
"""

from __future__ import annotations

from collections.abc import Iterable

from guides.domain.text import gettext as _

OBTAINED_BY_OFFICE = "免提交"
COMMITMENT_ACCEPTED = "告知承诺"
DEFERRABLE = "容缺后补"
MARKS: tuple[str, ...] = (OBTAINED_BY_OFFICE, COMMITMENT_ACCEPTED, DEFERRABLE)

# The necessity (必要性) value that is the 容缺后补 mark.
DEFERRABLE_NECESSITY = DEFERRABLE


class InvalidMarks(ValueError):
    pass


def marks_of(*, obtained_by_office: bool, commitment_accepted: bool, necessity: str) -> list[str]:
    """The marks of a material, in canonical order, from what the record stores."""
    present = {
        OBTAINED_BY_OFFICE: obtained_by_office,
        COMMITMENT_ACCEPTED: commitment_accepted,
        DEFERRABLE: necessity == DEFERRABLE_NECESSITY,
    }
    return [mark for mark in MARKS if present[mark]]


def parse_marks(values: Iterable[object], *, necessity: str) -> list[str]:
    """Validate marks as written in a record: known marks only, each at most once, and 容缺后补
    only on a material whose necessity says so. Returned in canonical order, with 容缺后补 added
    when the necessity implies it."""
    seen: list[str] = []
    for value in values:
        if not isinstance(value, str) or value.strip() not in MARKS:
            raise InvalidMarks(_("未知的材料标记“%(value)s”，应为%(marks)s之一") % {"value": value, "marks": "、".join(MARKS)})
        mark = value.strip()
        if mark in seen:
            raise InvalidMarks(_("材料标记“%(mark)s”重复") % {"mark": mark})
        seen.append(mark)
    if DEFERRABLE in seen and necessity != DEFERRABLE_NECESSITY:
        raise InvalidMarks(
            _("标记“%(mark)s”与必要性“%(necessity)s”矛盾：容缺后补的材料，必要性应为“%(expected)s”")
            % {"mark": DEFERRABLE, "necessity": necessity, "expected": DEFERRABLE_NECESSITY}
        )
    return marks_of(
        obtained_by_office=OBTAINED_BY_OFFICE in seen,
        commitment_accepted=COMMITMENT_ACCEPTED in seen,
        necessity=necessity,
    )


def canonical_marks(values: Iterable[object] | None, *, necessity: str) -> list[str]:
    """Marks of a serialized material for the canonical checklist: the known ones, once each, in
    order, 容缺后补 following the necessity (a record written before marks existed has none
    but that one)."""
    given = {str(value).strip() for value in values or ()}
    return marks_of(
        obtained_by_office=OBTAINED_BY_OFFICE in given,
        commitment_accepted=COMMITMENT_ACCEPTED in given,
        necessity=necessity,
    )


def hands_in_paper(original: int, copies: int) -> bool:
    """Whether the citizen hands in any paper of this material (an original or a copy)."""
    return bool(original or copies)
