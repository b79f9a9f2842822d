from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuidesConfig(AppConfig):
    name = "guides"
    verbose_name = _("办事指南")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.translation import gettext

        from guides import signals  # (connects the publish receiver)
        from guides.domain import text

        # The domain's messages in the language of the request (guides.domain.text).
        text.install(gettext)

        signals.connect_reference_invalidation()
