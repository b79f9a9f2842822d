"""Permission policies of the feed's models, registered with Wagtail in FeedConfig.ready()."""

from __future__ import annotations

from wagtail.permission_policies import ModelPermissionPolicy


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Rows written by the feed itself: visible in the admin, never created or edited there."""

    def user_has_permission(self, user, action):
        if action in {"add", "change", "delete"}:
            return False
        return super().user_has_permission(user, action)


def register_policies() -> None:
    from wagtail.permissions import register_permission_policy

    from feed.models import ChangeEvent, WebhookDelivery

    for model in (ChangeEvent, WebhookDelivery):
        register_permission_policy(model, ReadOnlyPermissionPolicy(model), exact_class=True)
