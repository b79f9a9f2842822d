from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from guides.importer import ImportFailed, import_guides


class Command(BaseCommand):
    help = "从 JSON Lines 文件批量导入办事指南（按编码新建或更新；任何一行有误则不写入任何内容）"

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="JSON Lines 文件，每行一个指南")
        parser.add_argument("--publish", action="store_true", help="导入后直接发布")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, path: Path, publish: bool, no_progress: bool, **options):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"无法读取 {path}：{error}") from error
        total = sum(1 for line in lines if line.strip())
        with tqdm(total=total, unit="条", disable=no_progress or options["verbosity"] == 0, file=self.stderr) as bar:
            try:
                report = import_guides(lines, publish=publish, progress=bar.update)
            except ImportFailed as failure:
                bar.close()
                for error in failure.errors:
                    self.stderr.write(str(error))
                raise CommandError(f"导入失败：{len(failure.errors)} 处错误，未写入任何内容") from failure
        self.stdout.write(
            self.style.SUCCESS(
                f"新建 {len(report.created)}，更新 {len(report.updated)}，"
                f"未变 {len(report.unchanged)}，发布 {len(report.published)}"
            )
        )
