"""Page ids of a restore.

A catalogue (``manage.py export_guides``) names the id of every page it describes: the home page,
the guide and journey indexes, the statements, the department folders, the guides and the
journeys. Ids are part of what a portal answers: the feed's list cursor is (last published,
id), and the admin's addresses and the journeys' links name pages by id. So a restore into an
empty database (no page but Wagtail's root and its placeholder) creates each page with the id it
had (``keep_id``), and a restored portal answers every address and cursor as before.

Any other import (plain guide records, or a catalogue imported on top of existing content)
leaves ids to the database: ids of another database would clash with the pages already there.
guides.importer decides which of the two it is doing, once per file (``is_empty``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from wagtail.models import Page


def is_empty() -> bool:
    """Whether the database holds no page but Wagtail's root and its placeholder "Welcome"
    page (a plain Page, which the restored home page replaces: portal.skeleton.ensure_home)."""
    placeholder = Page.objects.filter(depth=2, content_type__app_label="wagtailcore", content_type__model="page")
    return not Page.objects.filter(depth__gt=1).exclude(pk__in=placeholder.values("pk")).exists()


def keep_id(page: Page, page_id: int | None) -> Page:
    """Give an unsaved page of a specific type the id ``page_id`` (None: the database chooses).

    The id is set on the page's pointer to its Page row, not on ``id``: Wagtail's Page.save takes
    a page whose ``id`` is set for one that exists already, while Django, on the insert, gives the
    Page row the pointer's value. The id must be free: Django would otherwise update the row that
    holds it instead of inserting one."""
    if page_id is None:
        return page
    if Page.objects.filter(pk=page_id).exists():
        raise ValidationError(
            _("页面 id %(id)s 已被占用：带页面 id 的恢复只能导入到空数据库") % {"id": page_id}
        )
    setattr(page, page._meta.pk.attname, page_id)
    return page


def reserve(page_ids: Iterable[int]) -> None:
    """Move the database's next page id past ``page_ids``, so that a page the restore creates
    without an id from the file (a line added by hand) never takes one a later line names."""
    highest = max(page_ids, default=None)
    if highest is None:
        return
    table = connection.ops.quote_name(Page._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # (AUTOINCREMENT: the next id is one past the larger of this and the highest row)
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [highest, Page._meta.db_table]
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(%s, (SELECT COALESCE(MAX(id), 1) FROM {table})))",
                [Page._meta.db_table, highest],
            )
        else:
            raise NotImplementedError(f"page ids cannot be reserved on {connection.vendor}")
