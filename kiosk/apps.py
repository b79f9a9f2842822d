from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KioskConfig(AppConfig):
    name = "kiosk"
    verbose_name = _("自助终端")
    default_auto_field = "django.db.models.BigAutoField"
