from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EditorialConfig(AppConfig):
    """Editorial governance (审管分离): department and centre roles scoped by Wagtail group page
    permissions, the two-step review workflow with four eyes, and the reviewers' queue."""

    name = "editorial"
    verbose_name = _("编审管理")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from editorial import signals  # noqa: F401  (connects the department and review receivers)
