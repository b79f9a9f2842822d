from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    name = "journeys"
    verbose_name = _("一件事")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wagtail.signals import page_published

        from journeys.records import forget_renamed_members

        page_published.connect(forget_renamed_members, dispatch_uid="journeys-renamed-members")
