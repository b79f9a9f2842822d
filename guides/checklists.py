"""Recording published checklists (the version a publish gets, and the history kept per guide) and
comparing a draft with the published checklist."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from guides.domain.checklist import ChecklistDiff, diff_checklists, next_version
from guides.serializers import checklist_of, serialize_guide

_restoring_history: ContextVar[bool] = ContextVar("restoring_history", default=False)


@contextmanager
def restoring_history() -> Iterator[None]:
    """While a restore writes a guide, its publish or unpublish records no checklist version
    and no change event: the restore writes those of its file, with their numbers and times."""
    token = _restoring_history.set(True)
    try:
        yield
    finally:
        _restoring_history.reset(token)


def history_is_restored() -> bool:
    return _restoring_history.get()


@transaction.atomic
def record_published_checklist(page, revision=None):
    """Store the checklist of a just-published guide when it differs from the last one.

    Returns the new ChecklistVersion, or None when the checklist is unchanged (a summary edit)."""
    from guides.models import ChecklistVersion, GuidePage

    checklist, digest = checklist_of(serialize_guide(page))
    latest = (
        ChecklistVersion.objects.select_for_update()
        .filter(guide_id=page.pk)
        .order_by("-version")
        .first()
    )
    version = next_version(latest.version if latest else 0, latest.fingerprint if latest else None, digest)
    created = None
    if latest is None or version != latest.version:
        created = ChecklistVersion.objects.create(
            guide_id=page.pk,
            version=version,
            fingerprint=digest,
            checklist=checklist,
            revision=revision,
            published_at=timezone.now(),
        )
    if page.checklist_version != version or page.checklist_fingerprint != digest:
        GuidePage.sources.filter(pk=page.pk).update(checklist_version=version, checklist_fingerprint=digest)
        page.checklist_version = version
        page.checklist_fingerprint = digest
    return created


@dataclass(frozen=True)
class ChecklistChange:
    """A version of a guide (a draft, a submitted revision) against its published checklist."""

    fingerprint: str
    live_version: int | None
    live_fingerprint: str | None
    diff: ChecklistDiff | None

    @property
    def is_first_publication(self) -> bool:
        return self.live_version is None

    @property
    def is_major(self) -> bool:
        """The checklist the counter accepts against changes: a new checklist version, which needs
        a change note and an effective date. Anything else is a minor change."""
        return self.live_fingerprint != self.fingerprint


def checklist_change(page) -> ChecklistChange:
    """How ``page`` (a guide as edited, in memory or from a revision) differs from the newest
    published checklist of the guide."""
    from guides.models import ChecklistVersion

    checklist, digest = checklist_of(serialize_guide(page))
    live = (
        ChecklistVersion.objects.filter(guide_id=page.pk).order_by("-version").first() if page.pk else None
    )
    if live is None:
        return ChecklistChange(fingerprint=digest, live_version=None, live_fingerprint=None, diff=None)
    return ChecklistChange(
        fingerprint=digest,
        live_version=live.version,
        live_fingerprint=live.fingerprint,
        diff=diff_checklists(live.checklist, checklist),
    )
