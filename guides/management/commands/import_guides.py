import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from guides.importer import ImportFailed, RecordKind, import_guides


def read_jsonl(path: str) -> list[bytes]:
    """The lines of a JSON Lines file as bytes: the importer decodes each, so that a byte that is
    not UTF-8 is reported with its line like any other problem."""
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    return data.split(b"\n")


# One reader per file format; each returns the lines of the import format. (An Excel workbook,
# --format xlsx, is read by guides.excel, whose errors name sheets, rows and columns.)
FORMATS = {"jsonl": read_jsonl}

OUTCOMES = {"created": "新建", "updated": "更新", "unchanged": "未变"}
KIND_LABELS = {
    RecordKind.SITE: "站点结构",
    RecordKind.DEPARTMENT: "部门",
    RecordKind.HALL: "大厅",
    RecordKind.WINDOW: "窗口",
    RecordKind.THEME: "主题",
    RecordKind.SYNONYM: "同义词",
    RecordKind.JOURNEY: "一件事",
    RecordKind.TRANSLATION: "译文",
    RecordKind.CHANGE: "变更记录",
    RecordKind.PROMOTION: "推荐结果",
}


class Command(BaseCommand):
    help = (
        "从 JSON Lines 文件批量导入办事指南，或从 export_guides 导出的目录文件恢复整个目录"
        "（按编码新建或更新；任何一行有误则报告所有错误，不写入任何内容）"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="JSON Lines 文件，每行一个指南或目录记录；为 - 时从标准输入读取")
        parser.add_argument(
            "--format", choices=[*sorted(FORMATS), "xlsx"], help="文件格式：jsonl（默认）或 xlsx（Excel 工作簿；文件名以 .xlsx 结尾时默认）"
        )
        parser.add_argument("--publish", action="store_true", help="导入后直接发布（带发布状态的目录记录按文件中的状态恢复）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")
        parser.add_argument(
            "--findings-as-warnings", action="store_true",
            help="质量检查（lint_guides）的阻断性问题只作提醒：照常导入（及发布）并列出问题，而不作为错误拒绝该行",
        )

    def handle(
        self, *args, path: str, format: str | None, publish: bool, no_progress: bool, findings_as_warnings: bool, **options
    ):
        format = format or ("xlsx" if path.lower().endswith(".xlsx") else "jsonl")
        if format == "xlsx":
            report = self._import_workbook(path, publish, findings_as_warnings)
        else:
            report = self._import_lines(path, format, publish, no_progress, options["verbosity"], findings_as_warnings)
        self._print_report(report)

    def _import_workbook(self, path: str, publish: bool, findings_as_warnings: bool):
        from guides.excel import WorkbookFailed, import_workbook

        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"无法读取 {path}：{error}") from error
        try:
            return import_workbook(data, publish=publish, findings_as_warnings=findings_as_warnings)
        except WorkbookFailed as failure:
            for error in failure.errors:
                self.stderr.write(str(error))
            raise CommandError(f"导入失败：{len(failure.errors)} 处错误，未写入任何内容") from failure

    def _import_lines(
        self, path: str, format: str, publish: bool, no_progress: bool, verbosity: int, findings_as_warnings: bool
    ):
        try:
            lines = FORMATS[format](path)
        except OSError as error:
            raise CommandError(f"无法读取 {path}：{error}") from error
        total = sum(1 for line in lines if line.strip())
        with tqdm(total=total, unit="条", disable=no_progress or verbosity == 0, file=self.stderr) as bar:
            try:
                report = import_guides(lines, publish=publish, progress=bar.update, findings_as_warnings=findings_as_warnings)
            except ImportFailed as failure:
                bar.close()
                for error in failure.errors:
                    self.stderr.write(str(error))
                raise CommandError(f"导入失败：{len(failure.errors)} 处错误，未写入任何内容") from failure
        return report

    def _print_report(self, report):
        self.stdout.write(
            self.style.SUCCESS(
                f"办事指南：新建 {len(report.created)}，更新 {len(report.updated)}，"
                f"未变 {len(report.unchanged)}，发布 {len(report.published)}"
            )
        )
        for kind, label in KIND_LABELS.items():
            counts = {outcome: report.records[(kind, outcome)] for outcome in OUTCOMES}
            if any(counts.values()):
                self.stdout.write(f"{label}：" + "，".join(f"{OUTCOMES[o]} {n}" for o, n in counts.items()))
        self._report_findings(report)
        if report.document_links:
            self.stderr.write(
                self.style.WARNING(
                    f"注意：文件中的办事指南链接了 {report.document_links} 个文档（空白表格、示例样表、结果样本），"
                    "文档不在导入文件中，这些链接未导入；请从数据库备份和媒体目录恢复文档，或在后台重新上传"
                )
            )

    def _report_findings(self, report) -> None:
        """The guides written with blocking findings (taken as warnings) line by line; warnings
        only counted (``lint_guides`` lists them)."""
        warned = 0
        for code, findings in report.findings.items():
            for finding in findings:
                if finding.is_blocking:
                    self.stderr.write(self.style.WARNING(f"{code}：{finding.code} {finding.message}（按提醒导入）"))
                else:
                    warned += 1
        if warned:
            self.stdout.write(f"质量检查提醒：{warned} 项（python manage.py lint_guides 查看）")
