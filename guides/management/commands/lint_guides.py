"""``manage.py lint_guides``: the quality findings (guides.domain.lint) of every guide and the
halls' calendars; exits with status 1 when a live guide or one under review has a blocking
finding."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guides.domain.lint import RULES, blocking
from guides.models import Department, ServiceHall
from guides.quality import STATE_LABELS, lint_catalogue, lint_halls


class Command(BaseCommand):
    help = gettext_lazy("检查办事指南的质量规则，列出每条指南的问题；已发布或审核中的指南有阻断性问题时以状态 1 退出")

    def add_arguments(self, parser):
        parser.add_argument("--department", metavar="CODE", help=gettext_lazy("只检查这个部门（部门编码）的指南"))
        parser.add_argument("--format", choices=["text", "json"], default="text", help=gettext_lazy("输出格式（默认 text）"))
        parser.add_argument(
            "--today", type=date.fromisoformat, metavar="YYYY-MM-DD",
            help=gettext_lazy("按这一天检查大厅日历（默认今天）"),
        )

    def handle(self, *args, department: str | None, format: str, today: date | None, **options):
        if department is not None and not Department.objects.filter(code=department).exists():
            raise CommandError(_("没有编码为“%(code)s”的部门") % {"code": department})
        today = today or timezone.localdate()
        guides = lint_catalogue(department=department)
        halls = ServiceHall.objects.prefetch_related("calendar_days").order_by("name")
        if department is not None:
            halls = halls.filter(windows__intake_guides__department__code=department).distinct()
        hall_reports = lint_halls(today=today, halls=halls)
        gating = [report for report in guides if report.gates]
        if format == "json":
            self.stdout.write(json.dumps(self._as_json(guides, hall_reports, gating), ensure_ascii=False, indent=2))
        else:
            self._write_text(guides, hall_reports, gating)
        if gating:
            raise CommandError(
                _("%(count)s 条已发布或审核中的指南有阻断性问题") % {"count": len(gating)}, returncode=1
            )

    @staticmethod
    def _as_json(guides, halls, gating) -> dict:
        return {
            "rules": {code: {"severity": str(rule.severity), "summary": _(rule.summary)} for code, rule in RULES.items()},
            "guides": [
                {
                    "code": report.code,
                    "name": report.name,
                    "department_code": report.department_code,
                    "state": report.state,
                    "findings": [finding.as_dict() for finding in report.findings],
                }
                for report in guides
            ],
            "halls": [{"hall": report.hall, "findings": [f.as_dict() for f in report.findings]} for report in halls],
            "summary": {
                "guides": len(guides),
                "with_blocking": sum(1 for report in guides if blocking(report.findings)),
                "with_findings": sum(1 for report in guides if report.findings),
                "gating": [report.code for report in gating],
            },
        }

    def _write_text(self, guides, halls, gating) -> None:
        for report in halls:
            for finding in report.findings:
                self.stdout.write(f"{report.hall}  {finding.code} [{_('提醒')}] {finding.message}")
        for report in guides:
            if not report.findings:
                continue
            self.stdout.write(f"{report.code} {report.name}（{report.department}，{_(STATE_LABELS[report.state])}）")
            for finding in report.findings:
                severity = _("阻断") if finding.is_blocking else _("提醒")
                self.stdout.write(f"  {finding.code} [{severity}] {finding.field}：{finding.message}")
        self.stdout.write(
            _("共 %(guides)s 条指南：%(blocking)s 条有阻断性问题，%(findings)s 条有问题；%(gating)s 条已发布或审核中的指南有阻断性问题")
            % {
                "guides": len(guides),
                "blocking": sum(1 for report in guides if blocking(report.findings)),
                "findings": sum(1 for report in guides if report.findings),
                "gating": len(gating),
            }
        )
