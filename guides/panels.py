"""Admin panels of the guide editor that show more than a field."""

from __future__ import annotations

from wagtail.admin.panels import Panel


class ChecklistChangePanel(Panel):
    """Whether the guide as edited changes its published checklist (a major change: new
    checklist version, change note and effective date required) or not (a minor change: the
    checklist version stays), with the changes themselves."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "guides/admin/checklist_change_panel.html"

        def get_context_data(self, parent_context=None):
            from guides.changes import describe_diff
            from guides.checklists import checklist_change

            context = super().get_context_data(parent_context)
            # A guide being created has no published checklist to compare with.
            change = checklist_change(self.instance) if self.instance.pk else None
            context["change"] = change
            context["lines"] = describe_diff(change.diff) if change and change.diff else []
            return context


class LintFindingsPanel(Panel):
    """The quality findings of the guide as edited (guides.domain.lint): blocking ones, which
    stop submission and publication, and warnings, which are for the editor to weigh."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "guides/admin/lint_findings_panel.html"

        def get_context_data(self, parent_context=None):
            from guides.domain.lint import blocking, warnings
            from guides.quality import findings_of

            context = super().get_context_data(parent_context)
            # A guide being created has no content to check yet.
            findings = findings_of(self.instance) if self.instance.pk else []
            context["blocking"] = blocking(findings)
            context["warnings"] = warnings(findings)
            return context
