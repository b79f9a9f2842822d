"""The Atom feed of published changes (``/changes.atom``): the change log of
``/api/v1/changes/`` for people and for channels that take a feed (WeChat accounts, news
readers), newest first. Built with Django's syndication framework, which escapes every text.
Summaries are plain text (an editor's change note is not markup), and every link starts with
PUBLIC_BASE_URL."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feed.models import ChangeEvent
from guides.changes import describe_changes
from portal.public_urls import public_url

ENTRIES = 50


class PlainTextAtomFeed(Atom1Feed):
    """Atom with ``<summary type="text">``: Django's Atom1Feed declares every description HTML,
    which tells feed readers to render an editor's text as markup."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class ChangesFeed(Feed):
    feed_type = PlainTextAtomFeed
    title = gettext_lazy("办事指南变更")
    subtitle = gettext_lazy("办事指南的发布、撤下和受理清单变更，最新的在前。")

    def link(self):
        return public_url("/")

    def feed_url(self):
        return public_url(reverse("changes-atom"))

    def feed_guid(self):
        return "urn:yichuang:changes"

    def items(self):
        return ChangeEvent.objects.order_by("-id")[:ENTRIES]

    def item_title(self, event: ChangeEvent) -> str:
        return f"{event.get_kind_display()}：{event.name or event.code}"

    def item_description(self, event: ChangeEvent) -> str:
        parts = [event.change_note] if event.change_note else []
        if event.changes:
            parts.extend(describe_changes(event.changes))
        if event.checklist_version:
            parts.append(
                _("受理清单第 %(version)s 版，指纹 %(fingerprint)s")
                % {"version": event.checklist_version, "fingerprint": event.fingerprint}
            )
        return "\n".join(parts) or event.get_kind_display()

    def item_link(self, event: ChangeEvent) -> str:
        return public_url(reverse("guide-short-url", args=[event.code]))

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
