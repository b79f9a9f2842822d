"""Opening hours of a service hall and the holiday calendar (incl. 调休 make-up workdays)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from guides.domain.text import gettext as _
from guides.domain.text import gettext_noop

__all__ = [
    "AFTER_HOURS",
    "CalendarRun",
    "calendar_runs",
    "BEFORE_OPENING",
    "BREAK",
    "CLOSED_LABELS",
    "DAY_OFF",
    "WEEKDAY_LABELS",
    "weekday_label",
    "sessions_text",
    "HallSchedule",
    "OpeningStatus",
    "Session",
    "parse_session",
    "parse_sessions",
]

# In Chinese, as data (the CPSV-AP export); translated where shown (``weekday_label``).
WEEKDAY_LABELS: tuple[str, ...] = (
    gettext_noop("周一"),
    gettext_noop("周二"),
    gettext_noop("周三"),
    gettext_noop("周四"),
    gettext_noop("周五"),
    gettext_noop("周六"),
    gettext_noop("周日"),
)


def weekday_label(weekday: int) -> str:
    """周一 … 周日 (0 … 6) in the active language."""
    return _(WEEKDAY_LABELS[weekday])

# How far ahead status() looks for the next opening; covers 春节 plus any weekend.
_LOOKAHEAD_DAYS = 60

_SESSION_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*(?:-|~|至|到)\s*(\d{1,2}):(\d{2})$")
# Dash look-alikes typed from Chinese input methods or pasted from Word.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−﹣～〜", "-"))


@dataclass(frozen=True, order=True)
class Session:
    """One opening period within a day, e.g. 09:00-12:00 (end is exclusive)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError(_("办公时段不应带时区，时区由办公时间表统一设定"))
        if self.start >= self.end:
            raise ValueError(
                _("办公时段的开始时间（%(start)s）必须早于结束时间（%(end)s）")
                % {"start": f"{self.start:%H:%M}", "end": f"{self.end:%H:%M}"}
            )

    def display(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def __str__(self) -> str:
        return self.display()


def sessions_text(sessions: Iterable[Session]) -> str:
    """``09:00-12:00，13:30-18:00``, with the active language's separator."""
    return _("，").join(session.display() for session in sessions)


def parse_session(text: str) -> Session:
    """Parse ``"09:00-12:00"``; full-width digits/colons and 至/～ are accepted."""
    normalized = unicodedata.normalize("NFKC", text).translate(_DASHES).strip()
    match = _SESSION_RE.match(normalized)
    if not match:
        raise ValueError(_("无法识别办公时段“%(text)s”，格式应为 09:00-12:00") % {"text": text})
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError:
        raise ValueError(_("办公时段“%(text)s”中的时间无效") % {"text": text}) from None
    return Session(start, end)


def parse_sessions(text: str) -> tuple[Session, ...]:
    """Parse ``"09:00-12:00，13:30-18:00"``; an empty string or 休息 means closed."""
    normalized = unicodedata.normalize("NFKC", text).strip()
    if normalized in ("", "休息"):
        return ()
    parts = [p for p in re.split(r"[,;、\s]+", normalized) if p]
    return tuple(parse_session(p) for p in parts)


def _validated_sessions(weekday: int, sessions: Iterable[Session]) -> tuple[Session, ...]:
    ordered = tuple(sorted(sessions))
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        # Touching sessions are rejected too: they are one session and would
        # report a misleading closing time at the joint.
        if later.start <= earlier.end:
            raise ValueError(
                _("%(weekday)s的办公时段%(earlier)s与%(later)s重叠或相接，请合并为一个时段")
                % {"weekday": weekday_label(weekday), "earlier": earlier.display(), "later": later.display()}
            )
    return ordered


def _check_weekday(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
        raise ValueError(
            _("%(what)s必须是0（周一）到6（周日）之间的整数，收到“%(value)s”") % {"what": what, "value": repr(value)}
        )
    return value


# Why a hall is closed at a moment: before the day's first session, between two sessions, after
# the last one, or on a day without sessions (weekend, holiday).
BEFORE_OPENING = "before_opening"
BREAK = "break"
AFTER_HOURS = "after_hours"
DAY_OFF = "day_off"
CLOSED_LABELS = {
    BEFORE_OPENING: gettext_noop("尚未开始办公"),
    BREAK: gettext_noop("午间休息"),
    AFTER_HOURS: gettext_noop("已下班"),
    DAY_OFF: gettext_noop("今日休息"),
}


@dataclass(frozen=True)
class OpeningStatus:
    """Whether the hall is open at a moment, and when it closes or next opens; when closed,
    ``closed_reason`` says why (one of the keys of CLOSED_LABELS)."""

    is_open: bool
    closes_at: datetime | None = None
    next_opening: datetime | None = None
    closed_reason: str = ""

    def label(self) -> str:
        if self.is_open:
            return _("现在办公中")
        return _(CLOSED_LABELS.get(self.closed_reason, CLOSED_LABELS[AFTER_HOURS]))

    def next_opening_label(self, now: datetime) -> str | None:
        """``今天 13:30 开始办公`` / ``明天 09:00 开始办公`` / ``10月8日（周四）09:00 开始办公``.

        ``now`` is the viewer's current time (aware); days are compared in the
        schedule's time zone. None when there is no known next opening.
        """
        if self.next_opening is None:
            return None
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError(_("当前时间必须带时区"))
        opening = self.next_opening
        today = now.astimezone(opening.tzinfo).date()
        day = opening.date()
        values = {
            "clock": f"{opening:%H:%M}",
            "year": day.year,
            "month": day.month,
            "day": day.day,
            "weekday": weekday_label(day.weekday()),
        }
        if day == today:
            return _("今天 %(clock)s 开始办公") % values
        if day == today + timedelta(days=1):
            return _("明天 %(clock)s 开始办公") % values
        if day.year == today.year:
            return _("%(month)s月%(day)s日（%(weekday)s）%(clock)s 开始办公") % values
        return _("%(year)s年%(month)s月%(day)s日（%(weekday)s）%(clock)s 开始办公") % values


@dataclass(frozen=True)
class HallSchedule:
    """Weekly opening hours plus the public-holiday calendar of one hall.

    ``weekly`` maps weekday (0 = Monday … 6 = Sunday) to its sessions; missing
    days are closed. ``closed_days`` are public holidays. ``makeup_workdays``
    (调休上班) maps a normally free date to the weekday whose hours apply; a
    plain iterable of dates is accepted and uses Monday's hours.
    """

    # Mappings are unhashable; leaving them out of the hash keeps the
    # dataclass hashable (e.g. for caching) while equality still compares them.
    weekly: Mapping[int, tuple[Session, ...]] = field(hash=False)
    closed_days: frozenset[date] = frozenset()
    makeup_workdays: Mapping[date, int] = field(default_factory=dict, hash=False)
    tz: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        weekly: dict[int, tuple[Session, ...]] = {}
        for weekday, sessions in self.weekly.items():
            _check_weekday(weekday, _("星期"))
            weekly[weekday] = _validated_sessions(weekday, sessions)
        # Read-only copies so a frozen schedule cannot change behind our back.
        object.__setattr__(self, "weekly", MappingProxyType(weekly))
        object.__setattr__(self, "closed_days", frozenset(self.closed_days))

        raw = self.makeup_workdays
        makeup = dict(raw) if isinstance(raw, Mapping) else dict.fromkeys(raw, 0)
        for day, weekday in makeup.items():
            _check_weekday(weekday, _("调休上班日%(day)s对应的星期") % {"day": day.isoformat()})
        clash = sorted(self.closed_days & makeup.keys())
        if clash:
            raise ValueError(_("%(day)s不能既是休息日又是调休上班日") % {"day": clash[0].isoformat()})
        object.__setattr__(self, "makeup_workdays", MappingProxyType(makeup))

        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(_("未知时区“%(zone)s”") % {"zone": self.tz}) from None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def sessions_on(self, day: date) -> tuple[Session, ...]:
        """Sessions of a calendar day, holidays and make-up workdays applied."""
        if day in self.closed_days:
            return ()
        weekday = self.makeup_workdays.get(day, day.weekday())
        return self.weekly.get(weekday, ())

    def is_working_day(self, day: date) -> bool:
        """Whether the hall opens at all on ``day`` (it may open on weekends)."""
        return bool(self.sessions_on(day))

    def is_statutory_working_day(self, day: date) -> bool:
        """Statutory 工作日: Monday–Friday or a make-up workday, minus holidays.

        Unlike :meth:`is_working_day` this ignores the hall's own weekend
        service, which must not shorten legal time limits.
        """
        if day in self.closed_days:
            return False
        return day in self.makeup_workdays or day.weekday() < 5

    def status(self, at: datetime) -> OpeningStatus:
        """Opening status at an aware moment, evaluated in the schedule's time zone."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(_("查询时间必须带时区"))
        zone = self.zone
        local = at.astimezone(zone)
        today = local.date()
        sessions = self.sessions_on(today)
        for session in sessions:
            start = datetime.combine(today, session.start, tzinfo=zone)
            end = datetime.combine(today, session.end, tzinfo=zone)
            if start <= local < end:
                return OpeningStatus(is_open=True, closes_at=end)
        if not sessions:
            reason = DAY_OFF
        elif local.time() < sessions[0].start:
            reason = BEFORE_OPENING
        elif local.time() >= sessions[-1].end:
            reason = AFTER_HOURS
        else:
            reason = BREAK
        for offset in range(_LOOKAHEAD_DAYS + 1):
            day = today + timedelta(days=offset)
            for session in self.sessions_on(day):
                start = datetime.combine(day, session.start, tzinfo=zone)
                if start > local:
                    return OpeningStatus(is_open=False, next_opening=start, closed_reason=reason)
        return OpeningStatus(is_open=False, closed_reason=reason)

    def week_table(self) -> list[tuple[str, str]]:
        """Rows like ``("周一至周五", "09:00-12:00，13:30-18:00")`` for display.

        Consecutive weekdays with identical hours are merged: three or more as
        “周一至周五”, two as “周六、周日”. Holidays are not part of this table.
        """
        rows: list[tuple[str, str]] = []
        run_start = 0
        for weekday in range(1, 8):
            current = self.weekly.get(run_start, ())
            if weekday < 7 and self.weekly.get(weekday, ()) == current:
                continue
            run_end = weekday - 1
            first, last = weekday_label(run_start), weekday_label(run_end)
            if run_end == run_start:
                days = first
            elif run_end == run_start + 1:
                days = _("%(first)s、%(last)s") % {"first": first, "last": last}
            else:
                days = _("%(first)s至%(last)s") % {"first": first, "last": last}
            hours = sessions_text(current) if current else _("休息")
            rows.append((days, hours))
            run_start = weekday
        return rows


@dataclass(frozen=True)
class CalendarRun:
    """Days that differ from the weekly hours: a closure (one day or several in a row, e.g. 国庆节
    10月1日至7日) or a make-up workday (调休上班) that keeps the hours of ``hours_of_weekday``."""

    closed: bool
    first: date
    last: date
    note: str = ""
    hours_of_weekday: int | None = None


def calendar_runs(
    entries: Iterable[tuple[date, bool, str, int | None]], start: date, days: int
) -> list[CalendarRun]:
    """The closures and make-up workdays among ``entries`` (date, closed, note, weekday of the
    hours kept) from ``start`` for ``days`` days, in date order. Closed days in a row with the
    same note are one run; a closure already under way at ``start`` runs from its first day."""
    ordered = sorted(entries, key=lambda entry: entry[0])
    end = start + timedelta(days=days)
    runs: list[CalendarRun] = []
    for day, closed, note, weekday in ordered:
        previous = runs[-1] if runs else None
        if (
            closed
            and previous is not None
            and previous.closed
            and previous.note == note
            and day - previous.last == timedelta(days=1)
        ):
            runs[-1] = CalendarRun(True, previous.first, day, note)
        elif day <= end:
            runs.append(CalendarRun(closed, day, day, note, None if closed else weekday))
    return [run for run in runs if run.last >= start and run.first <= end]
