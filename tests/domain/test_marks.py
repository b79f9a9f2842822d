import copy

import pytest

from guides.choices import MaterialMark
from guides.domain.checklist import CANONICAL_FORMAT, canonical_checklist, fingerprint
from guides.domain.marks import (
    MARKS,
    InvalidMarks,
    canonical_marks,
    hands_in_paper,
    marks_of,
    parse_marks,
)
from tests.domain.test_checklist import RECORD


def test_marks_come_in_canonical_order_and_deferrable_follows_the_necessity():
    assert marks_of(obtained_by_office=True, commitment_accepted=True, necessity="容缺后补") == [
        "免提交", "告知承诺", "容缺后补",
    ]
    assert marks_of(obtained_by_office=False, commitment_accepted=True, necessity="必要") == ["告知承诺"]
    assert marks_of(obtained_by_office=False, commitment_accepted=False, necessity="非必要") == []
    assert parse_marks(["容缺后补", "免提交"], necessity="容缺后补") == ["免提交", "容缺后补"]
    # The necessity alone implies the mark.
    assert parse_marks([], necessity="容缺后补") == ["容缺后补"]


@pytest.mark.parametrize(
    ("values", "necessity", "message"),
    [
        (["免交"], "必要", "未知的材料标记“免交”"),
        (["免提交", "免提交"], "必要", "重复"),
        ([3], "必要", "未知的材料标记"),
        (["容缺后补"], "必要", "与必要性“必要”矛盾"),
    ],
)
def test_bad_marks_are_refused_with_a_reason(values, necessity, message):
    with pytest.raises(InvalidMarks, match=message):
        parse_marks(values, necessity=necessity)


def test_the_models_choices_are_the_domains_marks_in_the_same_order():
    assert tuple(MaterialMark.values) == MARKS


def test_marks_are_part_of_the_fingerprint_and_the_format_moved():
    assert CANONICAL_FORMAT == 2
    plain = canonical_checklist(RECORD)
    assert plain["format"] == 2 and plain["materials"][0]["marks"] == []
    marked = copy.deepcopy(RECORD)
    marked["materials"][0]["marks"] = ["免提交"]
    assert canonical_checklist(marked)["materials"][0]["marks"] == ["免提交"]
    assert fingerprint(canonical_checklist(marked)) != fingerprint(plain)
    # Order and spelling in the record do not matter; the necessity brings 容缺后补 along.
    reordered = copy.deepcopy(RECORD)
    reordered["materials"][0].update(marks=[" 告知承诺", "免提交"])
    both = copy.deepcopy(RECORD)
    both["materials"][0].update(marks=["免提交", "告知承诺"])
    assert fingerprint(canonical_checklist(reordered)) == fingerprint(canonical_checklist(both))
    deferred = copy.deepcopy(RECORD)
    deferred["materials"][0]["necessity"] = "容缺后补"
    assert canonical_checklist(deferred)["materials"][0]["marks"] == ["容缺后补"]
    assert canonical_marks(None, necessity="必要") == []


def test_paper_is_handed_in_only_with_an_original_or_a_copy():
    assert hands_in_paper(1, 0) and hands_in_paper(0, 2)
    assert not hands_in_paper(0, 0)
