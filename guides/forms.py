import copy

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminPageForm

from guides.choices import ServiceObject

# Buttons of the edit view that ask for a revision to be published (now, by a workflow, or by
# approving one).
PUBLISHING_ACTIONS = ("action-publish", "action-submit", "action-restart-workflow")
# The form field that holds a lint finding's place in the record (guides.domain.lint); findings
# on rows and lists are reported above the form, naming their row.
LINT_FIELDS = {
    "phone": "phone",
    "complaint_phone": "complaint_phone",
    "conditions": "conditions",
    "legal_limit": "legal_limit_value",
    "promised_limit": "promised_limit_value",
    "fee.items": "fee_charged",
}


def _with_field(formset, name: str, change) -> None:
    """Let ``change(field)`` alter a field of every form of ``formset`` (the empty form of new
    rows included) without touching the form class other forms share."""
    form_class = formset.form
    fields = copy.deepcopy(form_class.base_fields)
    change(fields[name])
    # (Assigned after the class is made: the model form metaclass would rebuild the fields.)
    restricted = type(form_class.__name__, (form_class,), {})
    restricted.base_fields = fields
    formset.form = restricted
    if "forms" in formset.__dict__:  # forms built already
        for form in formset.forms:
            change(form.fields[name])


class GuidePageForm(WagtailAdminPageForm):
    """Adds friendly widgets and reports inline-level rules on the tabs where editors fix them;
    asks for a change note and an effective date when the checklist changes."""

    service_objects = forms.MultipleChoiceField(
        label=gettext_lazy("服务对象"),
        choices=ServiceObject.choices,
        widget=forms.CheckboxSelectMultiple,
        required=True,
    )
    change_note = forms.CharField(
        label=gettext_lazy("变更说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "简要说明本次修改了什么。受理清单有变化时必须填写，发布后随变更日志、订阅推送和 Atom 订阅发给受理系统。"
            "说明只属于本次修改，下一次修改重新填写。"
        ),
    )

    def __init__(self, *args, parent_page=None, **kwargs):
        super().__init__(*args, parent_page=parent_page, **kwargs)
        page = self.instance
        if page.pk is None and parent_page is not None:
            # A new guide belongs to the department whose folder it is created in.
            department_id = getattr(parent_page.specific, "department_id", None)
            if department_id is not None:
                page.department_id = department_id
        self._start_from_draft_or_blank(page)
        self._offer_declared_situations(page)
        self._hide_technical_keys()

    def _start_from_draft_or_blank(self, page) -> None:
        """A draft in progress keeps its change note and effective date; a new draft starts
        without them, whatever the published version said."""
        from guides.models import RevisionChangeNote

        draft_in_progress = page.pk and page.latest_revision_id and page.latest_revision_id != page.live_revision_id
        if draft_in_progress:
            self.initial.setdefault("change_note", RevisionChangeNote.text_of(page.latest_revision_id))
        else:
            self.initial["change_note"] = ""
            if "go_live_at" in self.fields:
                self.initial["go_live_at"] = None

    def _offer_declared_situations(self, page) -> None:
        """A material's situation is picked among the options of the guide's situation
        questions, not typed (a value no question declares stays selectable so that nothing is
        lost; the guide's rules then report it)."""
        materials = self.formsets.get("materials")
        if materials is None:
            return
        choices = [("", _("始终需要（不区分情形）"))]
        for situation in page.situations.all():
            for option in situation.option_list:
                choices.append((option, f"{option}（{situation.question}）"))
        declared = {value for value, _label in choices}
        for material in page.materials.all():
            if material.situation and material.situation not in declared:
                choices.append((material.situation, _("%(value)s（未在情形问题中声明）") % {"value": material.situation}))
                declared.add(material.situation)

        def to_select(field):
            field.widget = forms.Select(choices=choices)
            field.help_text = _("从“情形问题”的选项中选择；新增的选项保存草稿后即可选择。")

        _with_field(materials, "situation", to_select)

    def _hide_technical_keys(self) -> None:
        """A situation's key is the parameter of shared links (s1, s2 …): generated, kept, and
        shown only to who may change technical keys."""
        situations = self.formsets.get("situations")
        user = self.for_user
        if situations is None or (user is not None and user.has_perm("guides.change_technical_keys")):
            return

        def to_hidden(field):
            field.disabled = True
            field.widget = forms.HiddenInput()

        _with_field(situations, "key", to_hidden)

    def _post_clean(self):
        self.instance.rows_checked_by_form = True
        super()._post_clean()

    def is_valid(self):
        valid = super().is_valid()
        if valid:
            self._check_rows()
            if self._asks_for_publication():
                # (built once: the form saves no instance once an error is added)
                page = self.save(commit=False)
                self._require_note_for_checklist_change(page)
                self._refuse_blocking_findings(page)
            valid = not self.errors
        return valid

    def _check_rows(self) -> None:
        """The guide's rules on its rows, as submitted (the model's validation saw the rows the
        guide had before this form)."""
        from guides.validation import inline_errors

        for field, messages in inline_errors(self.save(commit=False)).items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)

    def _refuse_blocking_findings(self, page) -> None:
        """A guide with blocking findings (guides.domain.lint) is neither submitted nor
        published: each finding is reported on the field that holds it, or above the form."""
        from guides.domain.lint import blocking
        from guides.quality import findings_of

        for finding in blocking(findings_of(page)):
            field = LINT_FIELDS.get(finding.field)
            self.add_error(field if field in self.fields else None, f"{finding.code} {finding.message}")

    def _asks_for_publication(self) -> bool:
        data = self.data
        approving = data.get("action-workflow-action") and data.get("workflow-action-name") == "approve"
        return bool(approving or any(data.get(action) for action in PUBLISHING_ACTIONS))

    def _require_note_for_checklist_change(self, page) -> None:
        from guides.checklists import checklist_change

        change = checklist_change(page)
        if not change.is_major:
            return
        if not self.cleaned_data.get("change_note", "").strip():
            self.add_error("change_note", _("受理清单有变化，请填写变更说明"))
        if "go_live_at" in self.fields:
            effective = self.cleaned_data.get("go_live_at")
            if effective is None:
                self.add_error("go_live_at", _("受理清单有变化，请填写生效时间（可填今天）"))
            elif timezone.localdate(effective) < timezone.localdate():
                self.add_error("go_live_at", _("生效时间不能早于今天"))

    def save(self, commit=True):
        page = super().save(commit=False)
        self._keep_formset_order(page)
        page.change_note = self.cleaned_data.get("change_note", "")
        if commit:
            page.save()
            self.save_m2m()
            if self.show_comments_toggle and self.subscription:
                self.subscription.save()
        return page

    def _keep_formset_order(self, page) -> None:
        """Every row of an inline panel in the order the form gives, numbered from 0: the
        formsets only hand back the rows that changed, and a row left with the sort order it
        had (none, for imported guides) would sort apart from the rest. A browser submits the
        line breaks of every text area as CR LF, so a row with a multi-line field always counts
        as changed: an unchanged guide's preview showed such rows out of order, with another
        checklist fingerprint."""
        for formset in self.formsets.values():
            if not (formset.can_order and hasattr(formset.model, "sort_order_field")):
                continue
            rows = [form.instance for form in formset.ordered_forms]
            for position, row in enumerate(rows):
                setattr(row, formset.model.sort_order_field, position)
            getattr(page, formset.rel_name).set(rows)
