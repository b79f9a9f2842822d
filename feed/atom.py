"""The Atom feed of published changes (``/changes.atom``): the change log of
``/api/v1/changes/`` for people and for channels that take a feed (WeChat accounts, news
readers), newest first. Built with Django's syndication framework, which escapes every text."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feed.models import ChangeEvent

ENTRIES = 50


class ChangesFeed(Feed):
    feed_type = Atom1Feed
    title = gettext_lazy("办事指南变更")
    subtitle = gettext_lazy("办事指南的发布、撤下和受理清单变更，最新的在前。")

    def link(self):
        return "/"

    def feed_guid(self):
        return "urn:yichuang:changes"

    def items(self):
        return ChangeEvent.objects.order_by("-id")[:ENTRIES]

    def item_title(self, event: ChangeEvent) -> str:
        return f"{event.get_kind_display()}：{event.name or event.code}"

    def item_description(self, event: ChangeEvent) -> str:
        parts = [event.change_note] if event.change_note else []
        if event.checklist_version:
            parts.append(
                _("受理清单第 %(version)s 版，指纹 %(fingerprint)s")
                % {"version": event.checklist_version, "fingerprint": event.fingerprint}
            )
        return "\n".join(parts) or event.get_kind_display()

    def item_link(self, event: ChangeEvent) -> str:
        return reverse("guide-short-url", args=[event.code])

    def item_guid(self, event: ChangeEvent) -> str:
        return f"urn:yichuang:change:{event.pk}"

    item_guid_is_permalink = False

    # In the site's time zone, as the changes endpoint gives them.
    def item_pubdate(self, event: ChangeEvent):
        return timezone.localtime(event.created_at)

    def item_updateddate(self, event: ChangeEvent):
        return timezone.localtime(event.created_at)

    def item_categories(self, event: ChangeEvent):
        return [event.kind]
