"""Situations (情形): questions a guide asks so that each citizen sees only the materials of
their case.

A question with one option is a yes/no question: answering 是 means that case applies. A question
with several options is a single choice among cases. A material names the case (an option label)
in which it is needed; a material naming no case is always needed. Answers travel as query
parameters (``?s1=是&s2=有限责任公司``) so the filtered checklist works without JavaScript and can
be shared as a link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from guides.domain.text import gettext as _

YES = "是"
NO = "否"


@dataclass(frozen=True)
class Situation:
    key: str
    question: str
    options: tuple[str, ...]

    @property
    def is_yes_no(self) -> bool:
        return len(self.options) == 1

    @property
    def answers(self) -> tuple[str, ...]:
        """The values a citizen may submit for this question."""
        return (YES, NO) if self.is_yes_no else self.options

    def case_for(self, answer: str) -> str | None:
        """The case label an answer selects (None for 否)."""
        if self.is_yes_no:
            return self.options[0] if answer == YES else None
        return answer if answer in self.options else None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Situation:
        return cls(
            key=str(data["key"]),
            question=str(data["question"]),
            options=tuple(str(option) for option in data.get("options") or ()),
        )


def validate_situations(
    situations: Sequence[Situation], material_cases: Iterable[str | None]
) -> list[str]:
    """Messages for editors: every case a material names must be declared exactly once."""
    errors: list[str] = []
    seen_keys: set[str] = set()
    declared: dict[str, str] = {}
    for situation in situations:
        if not situation.question.strip():
            errors.append(_("情形问题不能为空"))
        if not situation.options:
            errors.append(_("情形“%(question)s”至少需要一个选项") % {"question": situation.question})
        if situation.key in seen_keys:
            errors.append(_("情形标识“%(key)s”重复") % {"key": situation.key})
        seen_keys.add(situation.key)
        for option in situation.options:
            if option in declared:
                errors.append(_("情形选项“%(option)s”在多个问题中重复出现") % {"option": option})
            declared[option] = situation.key
    for case in material_cases:
        if case and case not in declared:
            errors.append(_("材料所需情形“%(case)s”未在情形问题中声明") % {"case": case})
    return errors


def parse_answers(situations: Sequence[Situation], params: Mapping[str, Any]) -> dict[str, str]:
    """Keep only well-formed answers; anything else is ignored rather than an error, because the
    parameters come from shared links that may outlive an edit of the guide."""
    answers: dict[str, str] = {}
    for situation in situations:
        value = params.get(situation.key)
        if isinstance(value, list | tuple):
            value = value[-1] if value else None
        if isinstance(value, str) and value in situation.answers:
            answers[situation.key] = value
    return answers


@dataclass(frozen=True)
class MaterialSelection:
    material: Mapping[str, Any]
    # None when the material's question is unanswered, so the reader sees it as conditional.
    applies: bool | None


def select_materials(
    materials: Sequence[Mapping[str, Any]],
    situations: Sequence[Situation],
    answers: Mapping[str, str],
) -> list[MaterialSelection]:
    """Every material with whether it applies to the answered case."""
    question_of_case = {option: s for s in situations for option in s.options}
    selections = []
    for material in materials:
        case = material.get("situation") or None
        if case is None:
            selections.append(MaterialSelection(material, True))
            continue
        situation = question_of_case.get(case)
        if situation is None or situation.key not in answers:
            selections.append(MaterialSelection(material, None))
            continue
        selected_case = situation.case_for(answers[situation.key])
        selections.append(MaterialSelection(material, selected_case == case))
    return selections


def filter_materials(
    materials: Sequence[Mapping[str, Any]],
    situations: Sequence[Situation],
    answers: Mapping[str, str],
) -> list[Mapping[str, Any]]:
    """The checklist for the answers given: unanswered questions keep their materials."""
    return [
        selection.material
        for selection in select_materials(materials, situations, answers)
        if selection.applies is not False
    ]


def equivalent_answers(
    situation: Situation, materials: Sequence[Mapping[str, Any]], answer: str
) -> tuple[str, ...]:
    """The answers to ``situation`` that select the same materials as ``answer``: an answer
    whose case no material names selects nothing, like every other such answer."""
    named = {material.get("situation") for material in materials if material.get("situation")}
    selected = situation.case_for(answer)
    if selected in named:
        return (answer,)
    return tuple(other for other in situation.answers if situation.case_for(other) not in named)


def canonical_answers(
    situations: Sequence[Situation], materials: Sequence[Mapping[str, Any]], answers: Mapping[str, str]
) -> dict[str, str]:
    """One set of answers for each checklist: every answer replaced by the first of its
    equivalent answers. Two sets with the same canonical form give the same checklist, so what
    is printed for them (and stored) can be one and the same."""
    return {
        situation.key: equivalent_answers(situation, materials, answers[situation.key])[0]
        for situation in situations
        if situation.key in answers
    }


def describe_answers(situations: Sequence[Situation], answers: Mapping[str, str]) -> list[str]:
    """Human-readable answers in question order, printed with a filtered checklist."""
    return [
        f"{situation.question} {answers[situation.key]}"
        for situation in situations
        if situation.key in answers
    ]


def yes_no_question(case: str) -> str:
    """The question the import asks for a case it found only on a material."""
    return f"是否{case}？"
