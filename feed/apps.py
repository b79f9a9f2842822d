from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedConfig(AppConfig):
    name = "feed"
    verbose_name = _("受理系统数据接口")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from feed import signals  # noqa: F401  (connects the change-log receivers)
        from feed.permissions import register_policies

        register_policies()
