from django.core.management.base import BaseCommand, CommandError

from guides.importer import ImportFailed
from portal.demo.loader import load_demo


class Command(BaseCommand):
    help = "载入演示站点：服务大厅、部门、主题和办事指南（可重复运行，不会重复创建）"

    def handle(self, *args, **options):
        try:
            report = load_demo(self.stdout)
        except ImportFailed as failure:
            for error in failure.errors:
                self.stderr.write(str(error))
            raise CommandError("演示内容有误，未载入") from failure
        self.stdout.write(
            self.style.SUCCESS(
                f"演示内容：新建 {len(report.created)}，更新 {len(report.updated)}，未变 {len(report.unchanged)}"
            )
        )
