from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.widgets import Button

from journeys import views
from journeys.models import JourneyPage


@hooks.register("register_admin_urls")
def register_merge_review_url():
    return [path("journeys/<int:page_id>/merge/", views.merge_review, name="journeys_merge_review")]


def _merge_review_button(page, user, priority: int):
    journey = page.specific_deferred
    if isinstance(journey, JourneyPage) and journey.permissions_for_user(user).can_edit():
        yield Button(_("审核材料合并"), reverse("journeys_merge_review", args=[page.pk]), icon_name="list-ol", priority=priority)


@hooks.register("register_page_listing_more_buttons")
def merge_review_listing_button(page, user, next_url=None):
    yield from _merge_review_button(page, user, 55)


@hooks.register("register_page_header_buttons")
def merge_review_header_button(page, user, view_name, next_url=None):
    yield from _merge_review_button(page, user, 55)
