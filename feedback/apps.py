from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """Citizens' feedback on guides: usefulness votes, error reports and the editors' inbox."""

    name = "feedback"
    verbose_name = _("群众反馈")
    default_auto_field = "django.db.models.BigAutoField"
