"""The demo site that ``make run`` loads: a district service centre with its hall, departments,
life-event themes and guides. Every step only creates what is missing, so running it again on
the same database changes nothing and keeps what editors changed."""

from __future__ import annotations

import json
import os
import secrets
from datetime import date, time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from editorial.models import Role
from editorial.roles import grant_centre_role, grant_department_role, roles_of
from guides.choices import CalendarDayKind
from guides.importer import import_guides, split_lines
from guides.models import (
    Department,
    GuideIndexPage,
    GuidePage,
    LifeEvent,
    ServiceHall,
    ServiceWindow,
)
from guides.serializers import RECORD_KEY, RecordKind
from journeys.catalogue import journey_codes, journey_fields
from journeys.models import JourneyIndexPage, JourneyPage
from portal.models import HomePage
from portal.public_urls import site_address, sync_default_site
from portal.skeleton import ensure_default_site, ensure_guide_index, ensure_home
from portal.skeleton import ensure_journey_index as ensure_journey_index_below

DEMO_DIR = Path(__file__).resolve().parent
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _load_json(name: str):
    return json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))


def ensure_site(title: str = "一窗办事指南") -> GuideIndexPage:
    home, created = ensure_home({"title": title, "slug": "home", "intro": "一次告知 · 一窗受理 · 一窗出件"})
    if created:
        hostname, port = site_address() or ("localhost", 80)
        ensure_default_site(home, {"hostname": hostname, "port": port, "site_name": title}, update=True)
    index, _ = ensure_guide_index(home, {"title": "办事指南", "slug": "guides", "intro": "按版块、部门或主题查找办事指南"})
    return index


def ensure_hall() -> ServiceHall:
    data = _load_json("hall.json")
    hall = ServiceHall.objects.filter(name=data["name"]).first()
    if hall is None:
        hall = ServiceHall(
            name=data["name"], address=data["address"], floor_guide=data.get("floor_guide", ""),
            phone=data.get("phone", ""),
        )
        from guides.models import HallCalendarDay, HallSession

        hall.sessions = [
            HallSession(weekday=WEEKDAYS.index(day), start=time.fromisoformat(start), end=time.fromisoformat(end))
            for day in WEEKDAYS
            for start, end in (session.split("-") for session in data["hours"].get(day, []))
        ]
        hall.calendar_days = sorted(
            (day for holidays in data["holidays"].values() for day in _calendar_days(holidays)), key=lambda d: d.date
        )
        hall.full_clean()
        hall.save()
    else:
        # A year the hall has no day of has not been entered yet: the demo's is (the calendar
        # rule of guides.domain.lint asks for next year's closed days from December).
        from guides.models import HallCalendarDay

        entered = {day.year for day in HallCalendarDay.objects.filter(hall=hall).values_list("date", flat=True)}
        for year, holidays in data["holidays"].items():
            if int(year) not in entered:
                for day in _calendar_days(holidays):
                    day.hall = hall
                    day.save()
    for window in data["windows"]:
        ServiceWindow.objects.get_or_create(
            hall=hall, name=window["name"], numbers=window.get("numbers", ""),
            defaults={"role": window["role"], "location": window.get("location", "")},
        )
    return hall


def _calendar_days(holidays: dict) -> list:
    """The closed days and make-up workdays of one year of hall.json's ``holidays``."""
    from guides.models import HallCalendarDay

    days = [HallCalendarDay(date=date.fromisoformat(d), kind=CalendarDayKind.CLOSED) for d in holidays["closed"]]
    days += [
        HallCalendarDay(date=date.fromisoformat(d), kind=CalendarDayKind.WORKDAY, hours_of_weekday=0)
        for d in holidays["makeup_workdays"]
    ]
    return days


def ensure_departments() -> None:
    for order, data in enumerate(_load_json("departments.json")):
        if not Department.objects.filter(name=data["name"]).exists():
            department = Department(sort_order=order, **data)
            department.full_clean()
            department.save()


def ensure_themes() -> None:
    for order, data in enumerate(_load_json("themes.json")):
        if not LifeEvent.objects.filter(slug=data["slug"]).exists():
            LifeEvent.objects.create(sort_order=order, **data)


def ensure_site_identity(home) -> None:
    """The footer's identifiers (demo values) and the accessibility statement page, once: what
    an editor changed later is kept."""
    from wagtail.models import Site

    from portal.models import SiteIdentity, StatementPage

    data = _load_json("site.json")
    page_data = data["accessibility_statement"]
    statement = StatementPage.objects.filter(slug=page_data["slug"]).first()
    if statement is None:
        statement = home.add_child(
            instance=StatementPage(body=(DEMO_DIR / "accessibility_statement.html").read_text(encoding="utf-8"), **page_data)
        )
        statement.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is not None and not SiteIdentity.objects.filter(site=site).exists():
        SiteIdentity.objects.create(site=site, accessibility_statement=statement, **data["identity"])


def password_file(username: str) -> Path:
    """Where a generated demo password is kept: beside a SQLite database file (named after it,
    as SQLite names its journal), else under VAR_DIR named after the database, so that loading
    the demo into another database never overwrites the logins of the first."""
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        database = Path(connection.settings_dict["NAME"])
        return database.with_name(f"{database.name}-{username}-password.txt")
    return Path(settings.VAR_DIR) / f"{connection.vendor}-{connection.settings_dict['NAME']}-{username}-password.txt"


def _new_password(username: str) -> str:
    password = secrets.token_urlsafe(12)
    path = password_file(username)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Readable by its owner only from the moment it exists.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    return password


def _print_login(stdout, username: str, role: str) -> None:
    path = password_file(username)
    if path.exists():
        stdout.write(f"管理后台：/admin/  {role}  用户名：{username}  密码：{path.read_text().strip()}")
    else:
        stdout.write(f"管理后台：/admin/  {role}  用户名：{username}（密码为已有账号的密码）")


def ensure_admin(stdout) -> None:
    User = get_user_model()
    if not User.objects.filter(is_superuser=True).exists():
        User.objects.create_superuser("admin", "admin@example.invalid", _new_password("admin"))
    if password_file("admin").exists():
        _print_login(stdout, "admin", "管理员")
    else:
        stdout.write("管理后台：/admin/（使用已有的管理员账号登录）")


def ensure_journey_index() -> JourneyIndexPage:
    fields = {"title": "一件事一次办", "slug": "journeys", "intro": "把一件事要办的多个事项串起来：按步骤办理，材料只备一套。"}
    return ensure_journey_index_below(HomePage.objects.first(), fields)[0]


def add_journey(data: dict) -> JourneyPage:
    """Create and publish a journey described as in journeys.json (guides named by code)."""
    from guides.models import GuidePage

    ids = dict(GuidePage.sources.filter(code__in=journey_codes(data)).values_list("code", "pk"))
    journey = JourneyPage(slug=data["slug"], **journey_fields(data, ids))
    ensure_journey_index().add_child(instance=journey)
    journey.save_revision().publish()
    return journey


def ensure_journeys() -> None:
    """The demo's one-thing journeys, from its guides; a journey already there is left as edited.
    (The demo guide 新生儿出生“一件事”联办 stays a guide: it is the joint application the counter
    takes on one form, so the journey offers it as the alternative of its 落户 step.)"""
    ensure_journey_index()
    for data in _load_json("journeys.json"):
        if not JourneyPage.objects.filter(slug=data["slug"]).exists():
            add_journey(data)


# One demo account per editorial role: a department's editor and approver, and a centre reviewer.
DEMO_DEPARTMENT_CODE = "YXSCJG"
DEMO_ACCOUNTS = (
    ("editor", Role.EDITOR),
    ("approver", Role.APPROVER),
    ("reviewer", Role.REVIEWER),
)


def ensure_demo_accounts(stdout) -> None:
    """Create each demo account once (its password in a file beside the database, as the
    administrator's: see password_file) and give it its role; an existing account keeps its
    password."""
    User = get_user_model()
    department = Department.objects.get(code=DEMO_DEPARTMENT_CODE)
    for username, role in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username, f"{username}@example.invalid", _new_password(username))
        roles = roles_of(user)
        if role == Role.REVIEWER:
            if not roles.is_centre_reviewer:
                grant_centre_role(user, role)
            label = f"{role.label}"
        else:
            held = roles.editor_of if role == Role.EDITOR else roles.approver_of
            if department.pk not in held:
                grant_department_role(user, department, role)
            label = f"{role.label}（{department.display_name}）"
        _print_login(stdout, username, label)


def ensure_translations() -> None:
    """The demo's English guides. translations.json holds translation lines of a catalogue
    without their ``record`` key, imported as a restore imports them (guides.translations.
    write_translation: as an editor translates in the admin); a guide translated already is left
    as it is (an editor may have changed the translation since)."""
    from guides.translations import live_translation

    records = [
        {RECORD_KEY: RecordKind.TRANSLATION, **data}
        for data in _load_json("translations.json")
        if (source := GuidePage.sources.filter(code=data["code"]).first()) is not None
        and live_translation(source, data["language"]) is None
    ]
    if records:
        import_guides([json.dumps(record, ensure_ascii=False) for record in records])


def load_demo(stdout, *, progress=None):
    with transaction.atomic():
        index = ensure_site(title=f"{_load_json('hall.json')['name']}办事指南")
        # `make run` serves another PORT than last time: the Site shows the address in use.
        sync_default_site()
        ensure_site_identity(index.get_parent().specific)
        ensure_hall()
        ensure_departments()
        ensure_themes()
        lines = split_lines((DEMO_DIR / "guides.jsonl").read_text(encoding="utf-8"))
        report = import_guides(lines, publish=True, progress=progress)
        ensure_journeys()
        ensure_translations()
        ensure_demo_accounts(stdout)
    ensure_admin(stdout)
    return report
