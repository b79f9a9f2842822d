from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from guides.domain.hours import (
    HallSchedule,
    OpeningStatus,
    Session,
    parse_session,
    parse_sessions,
)
from guides.domain.timelimits import TimeLimit, TimeUnit, due_date

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _days(first: str, last: str) -> set[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return {start + timedelta(n) for n in range((end - start).days + 1)}


# China's 2026 public holidays and make-up workdays (调休).
HOLIDAYS_2026 = frozenset(
    _days("2026-01-01", "2026-01-03")
    | _days("2026-02-15", "2026-02-23")
    | _days("2026-04-04", "2026-04-06")
    | _days("2026-05-01", "2026-05-05")
    | _days("2026-06-19", "2026-06-21")
    | _days("2026-09-25", "2026-09-27")
    | _days("2026-10-01", "2026-10-07")
)
MAKEUP_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]
OFFICE_HOURS = parse_sessions("09:00-12:00，13:30-18:00")


@pytest.fixture
def hall() -> HallSchedule:
    return HallSchedule(
        weekly=dict.fromkeys(range(5), OFFICE_HOURS),
        closed_days=HOLIDAYS_2026,
        makeup_workdays=MAKEUP_2026,
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class TestSession:
    def test_parse(self) -> None:
        assert parse_session("09:00-12:00") == Session(time(9), time(12))
        assert parse_session(" ０９：００ — １２：３０ ") == Session(time(9), time(12, 30))
        assert parse_session("8:30至17:00") == Session(time(8, 30), time(17))
        assert str(parse_session("13:30-18:00")) == "13:30-18:00"

    @pytest.mark.parametrize("text", ["12:00-09:00", "09:00-09:00", "9点-12点", "25:00-26:00", ""])
    def test_invalid(self, text: str) -> None:
        with pytest.raises(ValueError):
            parse_session(text)

    def test_parse_sessions(self) -> None:
        assert parse_sessions("09:00-12:00，13:30-18:00") == (
            Session(time(9), time(12)),
            Session(time(13, 30), time(18)),
        )
        assert parse_sessions("休息") == ()
        assert parse_sessions("") == ()


class TestScheduleValidation:
    def test_sessions_are_sorted(self) -> None:
        schedule = HallSchedule(weekly={0: tuple(reversed(OFFICE_HOURS))})
        assert schedule.weekly[0] == OFFICE_HOURS

    @pytest.mark.parametrize("second", ["11:00-14:00", "12:00-18:00"])
    def test_overlapping_or_touching_sessions_rejected(self, second: str) -> None:
        with pytest.raises(ValueError, match="重叠或相接"):
            HallSchedule(weekly={2: (parse_session("09:00-12:00"), parse_session(second))})

    def test_bad_weekday_rejected(self) -> None:
        with pytest.raises(ValueError, match="星期"):
            HallSchedule(weekly={7: OFFICE_HOURS})

    def test_day_cannot_be_both_holiday_and_makeup(self) -> None:
        with pytest.raises(ValueError, match="调休上班日"):
            HallSchedule(
                weekly={0: OFFICE_HOURS},
                closed_days=frozenset({date(2026, 10, 10)}),
                makeup_workdays=[date(2026, 10, 10)],
            )

    def test_unknown_time_zone_rejected(self) -> None:
        with pytest.raises(ValueError, match="时区"):
            HallSchedule(weekly={}, tz="Mars/Olympus")

    def test_schedule_is_immutable_and_hashable(self, hall: HallSchedule) -> None:
        with pytest.raises(TypeError):
            hall.weekly[5] = OFFICE_HOURS  # type: ignore[index]
        same = HallSchedule(
            weekly=dict.fromkeys(range(5), OFFICE_HOURS),
            closed_days=HOLIDAYS_2026,
            makeup_workdays=MAKEUP_2026,
        )
        assert same == hall and hash(same) == hash(hall)


class TestCalendar2026:
    def test_holiday_and_makeup_days(self, hall: HallSchedule) -> None:
        assert not hall.is_working_day(date(2026, 10, 1))  # National Day, Thursday
        assert not hall.is_working_day(date(2026, 2, 16))  # Spring Festival, Monday
        assert hall.is_working_day(date(2026, 10, 10))  # make-up Saturday
        assert hall.is_working_day(date(2026, 9, 20))  # make-up Sunday
        assert not hall.is_working_day(date(2026, 10, 17))  # ordinary Saturday
        assert hall.is_working_day(date(2026, 10, 9))  # ordinary Friday

    def test_working_days_in_october(self, hall: HallSchedule) -> None:
        october = [date(2026, 10, d) for d in range(1, 32)]
        # 22 weekdays, minus 5 holiday weekdays (Oct 1, 2, 5, 6, 7), plus make-up Oct 10.
        assert sum(hall.is_working_day(d) for d in october) == 18

    def test_makeup_day_uses_the_mapped_weekday_hours(self) -> None:
        saturday = date(2026, 10, 10)
        schedule = HallSchedule(
            weekly={0: OFFICE_HOURS, 3: (parse_session("09:00-12:00"),)},
            makeup_workdays={saturday: 3},
        )
        assert schedule.sessions_on(saturday) == (parse_session("09:00-12:00"),)
        assert (
            HallSchedule(weekly={0: OFFICE_HOURS}, makeup_workdays=[saturday]).sessions_on(saturday)
            == OFFICE_HOURS
        )

    def test_open_on_working_saturday(self, hall: HallSchedule) -> None:
        status = hall.status(at("2026-10-10T10:00"))
        assert status.is_open
        assert status.closes_at == at("2026-10-10T12:00")
        assert status.next_opening is None
        assert status.label() == "现在办公中"

    def test_closed_on_national_day(self, hall: HallSchedule) -> None:
        now = at("2026-10-01T10:00")
        status = hall.status(now)
        assert not status.is_open
        assert status.label() == "今日休息"
        assert status.closes_at is None
        assert status.next_opening == at("2026-10-08T09:00")
        assert status.next_opening_label(now) == "10月8日（周四）09:00 开始办公"

    def test_lunch_break(self, hall: HallSchedule) -> None:
        now = at("2026-03-04T12:30")
        status = hall.status(now)
        assert not status.is_open
        assert status.next_opening == at("2026-03-04T13:30")
        assert status.next_opening_label(now) == "今天 13:30 开始办公"
        assert status.label() == "午间休息"

    def test_session_boundaries(self, hall: HallSchedule) -> None:
        assert hall.status(at("2026-03-04T09:00")).is_open
        assert hall.status(at("2026-03-04T17:59:59")).is_open
        closed = hall.status(at("2026-03-04T12:00"))
        assert not closed.is_open and closed.next_opening == at("2026-03-04T13:30")

    def test_before_opening(self, hall: HallSchedule) -> None:
        status = hall.status(at("2026-03-04T07:45"))
        assert status.next_opening == at("2026-03-04T09:00")
        # Not "已下班" (closed for the day) in the morning: the day has not begun.
        assert status.label() == "尚未开始办公"

    def test_friday_evening_opens_monday(self, hall: HallSchedule) -> None:
        now = at("2026-03-06T18:30")
        status = hall.status(now)
        assert status.label() == "已下班"
        assert status.next_opening == at("2026-03-09T09:00")
        assert status.next_opening_label(now) == "3月9日（周一）09:00 开始办公"

    def test_friday_evening_before_makeup_saturday(self, hall: HallSchedule) -> None:
        now = at("2026-10-09T18:00")
        status = hall.status(now)
        assert not status.is_open
        assert status.next_opening == at("2026-10-10T09:00")
        assert status.next_opening_label(now) == "明天 09:00 开始办公"

    def test_friday_evening_before_makeup_sunday(self, hall: HallSchedule) -> None:
        now = at("2026-09-18T19:00")
        status = hall.status(now)
        assert status.next_opening == at("2026-09-20T09:00")
        assert status.next_opening_label(now) == "9月20日（周日）09:00 开始办公"

    def test_next_opening_in_the_next_year_names_the_year(self, hall: HallSchedule) -> None:
        now = at("2026-12-31T19:00")
        status = hall.status(now)
        # Jan 1 2027 is not in this 2026 calendar, so it counts as an ordinary Friday.
        assert status.next_opening_label(now) == "明天 09:00 开始办公"
        later = OpeningStatus(is_open=False, next_opening=at("2027-01-04T09:00"))
        assert later.next_opening_label(now) == "2027年1月4日（周一）09:00 开始办公"

    def test_spring_festival_gap_within_lookahead(self, hall: HallSchedule) -> None:
        status = hall.status(at("2026-02-14T18:30"))
        assert status.next_opening == at("2026-02-24T09:00")

    def test_no_opening_within_sixty_days(self) -> None:
        status = HallSchedule(weekly={}).status(at("2026-03-04T10:00"))
        assert status == OpeningStatus(is_open=False, closes_at=None, next_opening=None, closed_reason="day_off")
        assert status.next_opening_label(at("2026-03-04T10:00")) is None

    def test_aware_utc_datetime_is_converted_to_shanghai(self, hall: HallSchedule) -> None:
        # 02:00 UTC is 10:00 in Shanghai on the make-up Saturday.
        status = hall.status(datetime(2026, 10, 10, 2, 0, tzinfo=UTC))
        assert status.is_open
        assert status.closes_at == at("2026-10-10T12:00")
        assert status.closes_at.utcoffset() == timedelta(hours=8)
        # 23:30 UTC on Thursday Oct 8 is already Friday 07:30 in Shanghai.
        early = hall.status(datetime(2026, 10, 8, 23, 30, tzinfo=UTC))
        assert early.next_opening == at("2026-10-09T09:00")
        assert early.next_opening_label(datetime(2026, 10, 8, 23, 30, tzinfo=UTC)) == (
            "今天 09:00 开始办公"
        )

    def test_naive_datetimes_rejected(self, hall: HallSchedule) -> None:
        with pytest.raises(ValueError, match="时区"):
            hall.status(datetime(2026, 10, 10, 10, 0))
        status = hall.status(at("2026-10-01T10:00"))
        with pytest.raises(ValueError, match="时区"):
            status.next_opening_label(datetime(2026, 10, 1, 10, 0))

    def test_due_date_across_national_day(self, hall: HallSchedule) -> None:
        # Received Wed Sep 30: Oct 8, 9, 10 (make-up Sat), 12, 13 are the five working days.
        limit = TimeLimit(5, TimeUnit.WORKING_DAYS)
        assert due_date(date(2026, 9, 30), limit, hall.is_working_day) == date(2026, 10, 13)
        assert due_date(date(2026, 9, 30), limit, hall.is_statutory_working_day) == date(
            2026, 10, 13
        )
        # Natural days keep running through the holiday.
        natural = TimeLimit(5, TimeUnit.NATURAL_DAYS)
        assert due_date(date(2026, 9, 30), natural, hall.is_working_day) == date(2026, 10, 5)


class TestStatutoryWorkingDay:
    def test_weekend_service_does_not_shorten_legal_limits(self) -> None:
        weekend_hall = HallSchedule(
            weekly={**dict.fromkeys(range(5), OFFICE_HOURS), 5: (parse_session("09:00-12:00"),)},
            closed_days=HOLIDAYS_2026,
            makeup_workdays=MAKEUP_2026,
        )
        saturday = date(2026, 3, 7)
        assert weekend_hall.is_working_day(saturday)
        assert not weekend_hall.is_statutory_working_day(saturday)
        assert weekend_hall.is_statutory_working_day(date(2026, 10, 10))
        assert not weekend_hall.is_statutory_working_day(date(2026, 10, 1))
        limit = TimeLimit(1, TimeUnit.WORKING_DAYS)
        friday = date(2026, 3, 6)
        assert due_date(friday, limit, weekend_hall.is_statutory_working_day) == date(2026, 3, 9)
        assert due_date(friday, limit, weekend_hall.is_working_day) == saturday


class TestWeekTable:
    def test_merges_consecutive_identical_days(self) -> None:
        schedule = HallSchedule(
            weekly={**dict.fromkeys(range(5), OFFICE_HOURS), 5: (parse_session("09:00-12:00"),)}
        )
        assert schedule.week_table() == [
            ("周一至周五", "09:00-12:00，13:30-18:00"),
            ("周六", "09:00-12:00"),
            ("周日", "休息"),
        ]

    def test_two_day_runs_and_non_adjacent_repeats(self) -> None:
        morning = (parse_session("09:00-12:00"),)
        schedule = HallSchedule(
            weekly={0: OFFICE_HOURS, 1: OFFICE_HOURS, 2: morning, 3: OFFICE_HOURS, 4: OFFICE_HOURS}
        )
        assert schedule.week_table() == [
            ("周一、周二", "09:00-12:00，13:30-18:00"),
            ("周三", "09:00-12:00"),
            ("周四、周五", "09:00-12:00，13:30-18:00"),
            ("周六、周日", "休息"),
        ]

    def test_every_day_the_same(self) -> None:
        schedule = HallSchedule(weekly=dict.fromkeys(range(7), OFFICE_HOURS))
        assert schedule.week_table() == [("周一至周日", "09:00-12:00，13:30-18:00")]

    def test_empty_schedule(self) -> None:
        assert HallSchedule(weekly={}).week_table() == [("周一至周日", "休息")]


class TestCalendarRuns:
    ENTRIES = [
        *((date(2026, 10, day), True, "国庆节", None) for day in range(1, 8)),
        (date(2026, 10, 10), False, "国庆调休", 0),
        (date(2026, 9, 20), False, "", 4),
        (date(2026, 9, 25), True, "中秋节", None),
        (date(2026, 9, 26), True, "中秋节", None),
        (date(2026, 12, 31), True, "", None),
        (date(2027, 1, 1), True, "元旦", None),
    ]

    def test_holidays_in_a_row_are_one_run_and_makeup_days_keep_their_hours(self) -> None:
        from guides.domain.hours import CalendarRun, calendar_runs

        runs = calendar_runs(reversed(self.ENTRIES), date(2026, 9, 21), 30)
        assert runs == [
            CalendarRun(True, date(2026, 9, 25), date(2026, 9, 26), "中秋节"),
            CalendarRun(True, date(2026, 10, 1), date(2026, 10, 7), "国庆节"),
            CalendarRun(False, date(2026, 10, 10), date(2026, 10, 10), "国庆调休", 0),
        ]

    def test_a_closure_under_way_is_shown_whole_and_notes_split_runs(self) -> None:
        from guides.domain.hours import calendar_runs

        runs = calendar_runs(self.ENTRIES, date(2026, 10, 3), 3)
        assert [(run.first, run.last) for run in runs] == [(date(2026, 10, 1), date(2026, 10, 7))]
        new_year = calendar_runs(self.ENTRIES, date(2026, 12, 1), 60)
        assert [(run.first, run.note) for run in new_year] == [(date(2026, 12, 31), ""), (date(2027, 1, 1), "元旦")]
        assert calendar_runs(self.ENTRIES, date(2027, 2, 1), 60) == []
