from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.models import MESSAGE_MAX_CHARS, MESSAGE_MIN_CHARS, PHONE_MAX_CHARS, ReportedPart
from guides.domain.phones import InvalidPhone, normalize_phone

# The field that people never see and bots fill in (the form's honeypot).
HONEYPOT_FIELD = "website"


class ErrorReportForm(forms.Form):
    part = forms.ChoiceField(label=_("哪一部分有误？"), choices=ReportedPart.choices)
    message = forms.CharField(
        label=_("哪里不对？"),
        min_length=MESSAGE_MIN_CHARS,
        max_length=MESSAGE_MAX_CHARS,
        widget=forms.Textarea,
        error_messages={
            "required": _("请写下哪里不对"),
            "min_length": _("请至少写 %(limit_value)d 个字，说明哪里不对"),
            "max_length": _("最多 %(limit_value)d 个字（现在 %(show_value)d 个字），请精简后再提交"),
        },
    )
    phone = forms.CharField(
        label=_("联系电话（选填）"),
        required=False,
        max_length=PHONE_MAX_CHARS,
        error_messages={"max_length": _("电话号码最多 %(limit_value)d 位")},
    )

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return ""
        try:
            return normalize_phone(phone)
        except InvalidPhone as error:
            raise forms.ValidationError(_("电话号码无效：%(reason)s"), params={"reason": str(error)}) from error
