"""Each department's folder under the guide index: the subtree on which department roles are
granted (editorial.roles), created with the department and followed by its guides."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.utils import timezone

# The id and slug a restore gives the folder of the department it is saving (restoring_folder).
_restored_folder: ContextVar[tuple[int | None, str] | None] = ContextVar("restored_folder", default=None)


@contextmanager
def restoring_folder(page_id: int | None, slug: str) -> Iterator[None]:
    """A folder created inside this block (by the save of its new department: guides.signals)
    takes the id and slug it had in the restored catalogue (portal.page_ids)."""
    token = _restored_folder.set((page_id, slug))
    try:
        yield
    finally:
        _restored_folder.reset(token)


def department_folder(department, index=None):
    """The folder of ``department``, created when missing; None while the site has no guide
    index. Safe against a concurrent creator: the department row is locked while the folder is
    looked up and made."""
    from guides.models import Department, DepartmentFolderPage, GuideIndexPage, folder_slug
    from portal.page_ids import keep_id

    folder = DepartmentFolderPage.objects.filter(department=department).first()
    if folder is not None:
        return folder
    index = index or GuideIndexPage.objects.first()
    if index is None:
        return None
    with transaction.atomic():
        Department.objects.select_for_update().filter(pk=department.pk).first()
        folder = DepartmentFolderPage.objects.filter(department=department).first()
        if folder is None:
            now = timezone.now()
            page_id, slug = _restored_folder.get() or (None, folder_slug(department.code))
            taken = set(index.get_children().filter(slug__startswith=slug).values_list("slug", flat=True))
            number = 2
            unique_slug = slug
            while unique_slug in taken:
                unique_slug, number = f"{slug}-{number}", number + 1
            folder = index.add_child(
                instance=keep_id(
                    DepartmentFolderPage(
                        title=department.name, slug=unique_slug, department=department, live=True,
                        first_published_at=now, last_published_at=now,
                    ),
                    page_id,
                )
            )
    return folder


def ensure_department_folders(index=None) -> None:
    from guides.models import Department

    for department in Department.objects.filter(folder__isnull=True):
        department_folder(department, index)


def follow_department(department) -> None:
    """Keep the folder's title the department's name."""
    from guides.models import DepartmentFolderPage

    DepartmentFolderPage.objects.filter(department=department).exclude(title=department.name).update(
        title=department.name, draft_title=department.name
    )
