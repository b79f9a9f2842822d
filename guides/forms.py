from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminPageForm

from guides.choices import ServiceObject


class GuidePageForm(WagtailAdminPageForm):
    """Adds friendly widgets and reports inline-level rules on the tabs where editors fix them."""

    service_objects = forms.MultipleChoiceField(
        label=gettext_lazy("服务对象"),
        choices=ServiceObject.choices,
        widget=forms.CheckboxSelectMultiple,
        required=True,
    )

    def clean(self):
        cleaned = super().clean()
        materials = self.formsets.get("materials")
        if materials is not None and materials.is_valid():
            kept = [
                form
                for form in materials.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
            ]
            if not kept:
                self.add_error(None, _("至少需要一项申请材料"))
        return cleaned
