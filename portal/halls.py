"""What the home page and the hall page say about a service hall: where it is, whether it is open
now, today's hours and the coming closures and make-up workdays (调休)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from guides.choices import Weekday, WindowRole
from guides.domain.hours import CalendarRun, calendar_runs, sessions_text
from guides.presentation import floor_lines, floor_plan_anchor, status_of_schedule

# Closures and make-up workdays shown: those of the next two months.
UPCOMING_DAYS = 60


def day_label(day: date, today: date) -> str:
    """10月1日（周四）, with the year when it is not this year's."""
    label = _("%(month)s月%(day)s日（%(weekday)s）") % {
        "month": day.month, "day": day.day, "weekday": Weekday(day.weekday()).label,
    }
    return _("%(year)s年") % {"year": day.year} + label if day.year != today.year else label


def run_label(run: CalendarRun, today: date) -> str:
    if run.first == run.last:
        return day_label(run.first, today)
    return _("%(first)s至%(last)s") % {"first": day_label(run.first, today), "last": day_label(run.last, today)}


def hall_overview(hall, now: datetime | None = None) -> dict[str, Any]:
    """The hall's address, status now, today's hours, the coming calendar, floors and windows,
    from the hall with its sessions, calendar days and windows (prefetched or not)."""
    schedule = hall.schedule()
    now = now or timezone.now()
    today = now.astimezone(schedule.zone).date()
    entries = [
        (day.date, day.kind == "closed", day.note, day.hours_of_weekday) for day in hall.calendar_days.all()
    ]
    calendar = [
        {
            "closed": run.closed,
            "dates": run_label(run, today),
            "note": run.note,
            "weekday": Weekday(run.hours_of_weekday).label if run.hours_of_weekday is not None else "",
        }
        for run in calendar_runs(entries, today, UPCOMING_DAYS)
    ]
    roles = dict(WindowRole.choices)
    windows: dict[str, list[Any]] = {}
    for window in hall.windows.all():
        windows.setdefault(window.role, []).append(window)
    return {
        "hall": hall,
        "status": status_of_schedule(schedule, now),
        "today_hours": sessions_text(schedule.sessions_on(today)),
        "calendar": calendar,
        "floor_lines": floor_lines(hall.floor_guide),
        "floor_plan_anchor": floor_plan_anchor(hall.name),
        "window_groups": [
            {"role": role, "label": roles[role], "windows": windows[role]} for role in WindowRole.values if role in windows
        ],
    }


def halls():
    from guides.models import ServiceHall

    return ServiceHall.objects.select_related("floor_plan").prefetch_related("sessions", "calendar_days", "windows").order_by("pk")


def main_hall_overview(now: datetime | None = None) -> dict[str, Any] | None:
    """The overview of the portal's hall (the first one entered), or None before there is one."""
    hall = halls().first()
    return hall_overview(hall, now) if hall is not None else None
