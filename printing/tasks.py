"""Background pre-rendering, through Django's task framework (the django_tasks backport that
Wagtail 8 depends on; settings.TASKS chooses the backend)."""

from __future__ import annotations

from django_tasks import task


@task()
def prerender_guide(page_id: int) -> dict:
    """Pre-render the sheets of one live guide; enqueue it after a publish:
    ``transaction.on_commit(lambda: prerender_guide.enqueue(page.pk))``."""
    from guides.models import GuidePage
    from printing.cache import prerender

    page = GuidePage.sources.live().filter(pk=page_id).first()
    if page is None:
        return {"page_id": page_id, "skipped": "not live"}
    return prerender(page).as_dict()
