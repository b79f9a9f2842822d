from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("门户")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save
        from wagtail.models import Page, PageViewRestriction, Site
        from wagtail.signals import page_published, page_unpublished, post_page_move

        from guides.serializers import REFERENCE_CHANGED
        from portal.middleware import bump_content_version

        # Anything that can change what a cached guide page shows, or who may see it.
        for signal in (page_published, page_unpublished, post_page_move, REFERENCE_CHANGED):
            signal.connect(bump_content_version, dispatch_uid=f"content-version-{id(signal)}")
        post_delete.connect(bump_content_version, sender=Page, dispatch_uid="content-version-page-delete")
        # Sites: their root URL is in the pages' links and the QR codes of the printed sheets.
        for model in (PageViewRestriction, Site):
            for signal in (post_save, post_delete):
                signal.connect(
                    bump_content_version, sender=model, dispatch_uid=f"content-version-{model.__name__}-{id(signal)}"
                )
