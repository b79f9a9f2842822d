from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("门户")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import setting_changed
        from django.db.models.signals import post_delete, post_save
        from wagtail.models import Page, PageViewRestriction, Site
        from wagtail.signals import page_published, page_unpublished, post_page_move

        from guides.serializers import REFERENCE_CHANGED
        from portal.middleware import bump_content_version
        from portal.routing import bump_site_tree_version, bump_unless_a_guide

        # Anything that can change what a cached guide page shows, or who may see it.
        for signal in (page_published, page_unpublished, post_page_move, REFERENCE_CHANGED):
            signal.connect(bump_content_version, dispatch_uid=f"content-version-{id(signal)}")
        post_delete.connect(bump_content_version, sender=Page, dispatch_uid="content-version-page-delete")
        # Pages show settings too (the kiosk's idle time, the site's name): a setting changed while
        # the process runs (tests do) is a change of content. A deployment restarts the processes.
        setting_changed.connect(bump_content_version, dispatch_uid="content-version-setting")
        # What routing keeps cached (portal.routing): sites and every page but the guides.
        page_published.connect(bump_unless_a_guide, dispatch_uid="site-tree-version-publish")
        page_unpublished.connect(bump_unless_a_guide, dispatch_uid="site-tree-version-unpublish")
        post_page_move.connect(bump_site_tree_version, dispatch_uid="site-tree-version-move")
        post_delete.connect(bump_site_tree_version, sender=Page, dispatch_uid="site-tree-version-page-delete")
        # The site's identity is in every page's footer (portal.context_processors), with its
        # image (whose deletion clears the identity's link without saving the identity).
        from wagtail.images import get_image_model

        from portal.models import SiteIdentity

        for model in (Site, PageViewRestriction, SiteIdentity, get_image_model()):
            for signal in (post_save, post_delete):
                signal.connect(
                    bump_site_tree_version, sender=model, dispatch_uid=f"site-tree-version-{model.__name__}-{id(signal)}"
                )
        # Sites: their root URL is in the pages' links and the QR codes of the printed sheets.
        for model in (PageViewRestriction, Site, SiteIdentity):
            for signal in (post_save, post_delete):
                signal.connect(
                    bump_content_version, sender=model, dispatch_uid=f"content-version-{model.__name__}-{id(signal)}"
                )
