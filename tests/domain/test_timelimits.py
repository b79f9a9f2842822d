from datetime import date, timedelta

import pytest

from guides.domain.timelimits import (
    TimeLimit,
    TimeUnit,
    check_limits,
    due_date,
    max_natural_days,
    promised_within_legal,
)
from tests.domain.corpus import load_corpus

W = TimeUnit.WORKING_DAYS
N = TimeUnit.NATURAL_DAYS
IMMEDIATE = TimeLimit.immediate()


def weekdays_only(day: date) -> bool:
    return day.weekday() < 5


class TestTimeLimit:
    @pytest.mark.parametrize(
        ("limit", "text"),
        [
            (TimeLimit(20, W), "20个工作日"),
            (TimeLimit(15, N), "15个自然日"),
            (TimeLimit(0, TimeUnit.IMMEDIATE), "即办"),
        ],
    )
    def test_display(self, limit: TimeLimit, text: str) -> None:
        assert limit.display() == text
        assert str(limit) == text

    def test_unit_values_are_the_chinese_labels(self) -> None:
        assert [u.value for u in TimeUnit] == ["工作日", "自然日", "即办"]

    def test_plain_unit_label_is_coerced(self) -> None:
        limit = TimeLimit(5, "工作日")  # type: ignore[arg-type]
        assert limit.unit is TimeUnit.WORKING_DAYS
        assert limit == TimeLimit(5, W)

    @pytest.mark.parametrize(
        ("value", "unit", "fragment"),
        [
            (-1, W, "负数"),
            (3, TimeUnit.IMMEDIATE, "即办"),
            (True, W, "整数"),
            (2.5, N, "整数"),
            (3, "小时", "单位"),
        ],
    )
    def test_invalid_limits_raise_chinese_messages(
        self, value: object, unit: object, fragment: str
    ) -> None:
        with pytest.raises(ValueError, match=fragment):
            TimeLimit(value, unit)  # type: ignore[arg-type]

    def test_frozen(self) -> None:
        limit = TimeLimit(1, W)
        with pytest.raises(AttributeError):
            limit.value = 2  # type: ignore[misc]

    @pytest.mark.parametrize(
        "data",
        [
            {"value": 20, "unit": "工作日"},
            {"value": 7, "unit": "自然日"},
            {"value": 0, "unit": "即办"},
        ],
    )
    def test_dict_round_trip(self, data: dict) -> None:
        limit = TimeLimit.from_dict(data)
        assert limit.to_dict() == data
        assert isinstance(limit.unit, TimeUnit)

    def test_from_dict_allows_missing_value_only_for_immediate(self) -> None:
        assert TimeLimit.from_dict({"unit": "即办"}) == IMMEDIATE
        with pytest.raises(ValueError, match="数值"):
            TimeLimit.from_dict({"unit": "工作日"})
        with pytest.raises(ValueError, match="单位"):
            TimeLimit.from_dict({"value": 3})


class TestPromisedWithinLegal:
    @pytest.mark.parametrize(
        ("promised", "legal", "expected"),
        [
            (TimeLimit(20, W), TimeLimit(20, W), True),
            (TimeLimit(21, W), TimeLimit(20, W), False),
            (TimeLimit(30, N), TimeLimit(30, N), True),
            (TimeLimit(31, N), TimeLimit(30, N), False),
            (IMMEDIATE, TimeLimit(1, W), True),
            (IMMEDIATE, IMMEDIATE, True),
            (TimeLimit(1, W), IMMEDIATE, False),
            (TimeLimit(0, N), IMMEDIATE, False),
            # natural promised vs working legal: p <= l
            (TimeLimit(20, N), TimeLimit(20, W), True),
            (TimeLimit(21, N), TimeLimit(20, W), False),
            # working promised vs natural legal: p + 2*ceil(p/5) <= l
            (TimeLimit(5, W), TimeLimit(7, N), True),
            (TimeLimit(5, W), TimeLimit(6, N), False),
            (TimeLimit(6, W), TimeLimit(10, N), True),
            (TimeLimit(6, W), TimeLimit(9, N), False),
            (TimeLimit(20, W), TimeLimit(28, N), True),
            (TimeLimit(20, W), TimeLimit(27, N), False),
        ],
    )
    def test_rules(self, promised: TimeLimit, legal: TimeLimit, expected: bool) -> None:
        assert promised_within_legal(promised, legal) is expected
        assert (check_limits(promised, legal) == []) is expected

    @pytest.mark.parametrize("days", range(0, 31))
    def test_working_day_span_rule_is_the_true_worst_case_of_a_five_day_week(
        self, days: int
    ) -> None:
        limit = TimeLimit(days, W)
        monday = date(2025, 6, 2)
        spans = [
            (due_date(monday + timedelta(d), limit, weekdays_only) - (monday + timedelta(d))).days
            for d in range(7)
        ]
        # Never exceeded (safe), and reached for some start day (not overcautious).
        assert max(spans) == max_natural_days(limit)


class TestCheckLimits:
    def test_same_unit_message(self) -> None:
        assert check_limits(TimeLimit(25, W), TimeLimit(20, W)) == [
            "承诺办结时限（25个工作日）不得超过法定办结时限（20个工作日）"
        ]

    def test_mixed_unit_message_names_the_span(self) -> None:
        assert check_limits(TimeLimit(20, W), TimeLimit(20, N)) == [
            "承诺办结时限（20个工作日）最长可跨越28个自然日，超过法定办结时限（20个自然日）"
        ]

    def test_immediate_legal_message(self) -> None:
        assert check_limits(TimeLimit(3, W), IMMEDIATE) == [
            "法定办结时限为即办，承诺办结时限（3个工作日）也必须为即办"
        ]

    def test_every_corpus_guide_passes(self) -> None:
        guides = load_corpus()
        assert len(guides) >= 200
        failures = {}
        for guide in guides:
            promised = TimeLimit.from_dict(guide["promised_limit"])
            legal = TimeLimit.from_dict(guide["legal_limit"])
            if errors := check_limits(promised, legal):
                failures[guide["code"]] = errors
        assert failures == {}

    def test_every_corpus_step_limit_parses(self) -> None:
        for guide in load_corpus():
            for step in guide["steps"]:
                if step["limit"] is not None:
                    assert TimeLimit.from_dict(step["limit"]).to_dict() == step["limit"]


class TestDueDate:
    friday = date(2026, 3, 6)

    def test_immediate_is_due_the_same_day(self) -> None:
        assert due_date(self.friday, IMMEDIATE, weekdays_only) == self.friday

    def test_natural_days_ignore_the_calendar(self) -> None:
        assert due_date(self.friday, TimeLimit(3, N), weekdays_only) == date(2026, 3, 9)
        assert due_date(self.friday, TimeLimit(1, N), weekdays_only) == date(2026, 3, 7)

    def test_working_days_skip_the_weekend_and_not_count_the_receiving_day(self) -> None:
        assert due_date(self.friday, TimeLimit(1, W), weekdays_only) == date(2026, 3, 9)
        assert due_date(self.friday, TimeLimit(5, W), weekdays_only) == date(2026, 3, 13)
        assert due_date(date(2026, 3, 2), TimeLimit(1, W), weekdays_only) == date(2026, 3, 3)

    def test_received_on_a_weekend(self) -> None:
        saturday = date(2026, 3, 7)
        assert due_date(saturday, TimeLimit(1, W), weekdays_only) == date(2026, 3, 9)

    def test_zero_working_days(self) -> None:
        assert due_date(self.friday, TimeLimit(0, W), weekdays_only) == self.friday

    def test_calendar_without_working_days_raises(self) -> None:
        with pytest.raises(ValueError, match="没有任何工作日"):
            due_date(self.friday, TimeLimit(1, W), lambda _day: False)
