from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrintingConfig(AppConfig):
    name = "printing"
    verbose_name = _("打印")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.core.signals import setting_changed

        from printing.render import forget_font_settings, retire_render_workers
        from printing.upstream import fix_tinyhtml5_pattern_cache, set_pdf_deflate_level

        fix_tinyhtml5_pattern_cache()
        set_pdf_deflate_level()

        setting_changed.connect(forget_font_settings, dispatch_uid="printing-forget-font-settings")
        # Render workers render with the settings of the moment they were forked.
        setting_changed.connect(retire_render_workers, dispatch_uid="printing-retire-render-workers")
