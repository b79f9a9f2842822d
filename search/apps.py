from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    label = "portal_search"
    verbose_name = _("搜索")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.core.signals import setting_changed
        from django.db.models.signals import post_delete, post_save
        from wagtail.contrib.search_promotions.models import Query, SearchPromotion

        from portal.middleware import bump_content_version
        from search import outbox
        from search.clicks import forget_boosts
        from search.models import SearchClick, Synonym
        from search.service import forget_promoted_queries, forget_search_backends

        outbox.connect_signals()

        setting_changed.connect(forget_search_backends, dispatch_uid="forget-search-backends")

        # An editor's reset (delete) or edit of click counts applies to the next search.
        post_save.connect(forget_boosts, sender=SearchClick, dispatch_uid="forget-click-boosts")
        post_delete.connect(forget_boosts, sender=SearchClick, dispatch_uid="forget-click-boosts-delete")
        for model in (SearchPromotion, Query):
            post_save.connect(forget_promoted_queries, sender=model, dispatch_uid=f"forget-promoted-{model.__name__}")
            post_delete.connect(forget_promoted_queries, sender=model, dispatch_uid=f"forget-promoted-{model.__name__}-delete")
        # Search results are shared from the cache (portal.middleware) under the content version:
        # a synonym, a promoted result or an editor's reset of click counts changes them at once.
        for model in (Synonym, SearchPromotion, Query):
            post_save.connect(bump_content_version, sender=model, dispatch_uid=f"content-version-{model.__name__}")
            post_delete.connect(bump_content_version, sender=model, dispatch_uid=f"content-version-{model.__name__}-delete")
        post_delete.connect(bump_content_version, sender=SearchClick, dispatch_uid="content-version-click-reset")
