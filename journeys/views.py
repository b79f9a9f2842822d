"""The editors' review of a journey's merge: which materials were merged, why (same name and
type, or an editor's link), what each member item asks for, and where merged entries disagree."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from journeys.models import JourneyPage
from journeys.records import build_journey_view, journey_errors


def merge_review(request, page_id: int):
    page = get_object_or_404(JourneyPage, pk=page_id)
    # The latest draft is what an editor is about to publish; reviewing it is editing work.
    if not page.permissions_for_user(request.user).can_edit():
        raise PermissionDenied
    draft = page.get_latest_revision_as_object()
    view = build_journey_view(draft, request.GET)
    return TemplateResponse(
        request,
        "journeys/admin/merge_review.html",
        {
            "page": page,
            "journey_view": view,
            "errors": journey_errors(draft),
            "header_title": _("材料合并审核：%(title)s") % {"title": page.title},
        },
    )
