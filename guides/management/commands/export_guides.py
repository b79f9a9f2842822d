import os
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guides.catalogue import catalogue_snapshot, document_links, floor_plan_images, iter_catalogue


def write_jsonl(stream) -> int:
    lines = 0
    for line in iter_catalogue():
        stream.write(line)
        lines += 1
    return lines


def write_xlsx(stream) -> int:
    """The guides of the catalogue as an Excel workbook (guides.excel): every guide's latest
    revision, in tree order. The rest of a catalogue (departments, halls, history …) is JSON
    Lines only."""
    from guides.excel import export_records, write_workbook
    from guides.models import GuidePage

    return write_workbook(export_records(GuidePage.sources.order_by("path")), stream)


# One writer per file format; each writes the whole catalogue to a binary stream and returns the
# number of records written.
FORMATS = {"jsonl": write_jsonl, "xlsx": write_xlsx}


class Command(BaseCommand):
    help = (
        "导出整个目录（全部办事指南及其清单版本历史、译文、变更记录，部门、大厅、窗口、主题、同义词、推荐结果、一件事和站点结构），"
        "格式与 import_guides 读取的相同，可导入空数据库恢复"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default="-", help="输出文件；省略或为 - 时写到标准输出")
        parser.add_argument(
            "--format", choices=sorted(FORMATS),
            help="文件格式：jsonl（每行一个 JSON 对象，默认）或 xlsx（Excel 工作簿，只含办事指南；文件名以 .xlsx 结尾时默认）",
        )

    def handle(self, *args, path: str, format: str | None, **options):
        format = format or ("xlsx" if path.lower().endswith(".xlsx") else "jsonl")
        write = FORMATS[format]
        if path == "-":
            with catalogue_snapshot():
                count = write(sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            count = self._write_file(Path(path), write)
            self.stderr.write(self.style.SUCCESS(f"已导出 {count} 条记录到 {path}"))
        links = document_links()
        if links:
            self.stderr.write(
                self.style.WARNING(
                    f"注意：办事指南链接了 {links} 个文档（空白表格、示例样表、结果样本）；文件中只有它们的网址，"
                    "导入时不能恢复这些链接：文档请随数据库备份和媒体目录（MEDIA_ROOT）一起备份"
                )
            )
        plans = floor_plan_images()
        if plans:
            self.stderr.write(
                self.style.WARNING(
                    f"注意：{plans} 个服务大厅上传了楼层平面图；文件中只有平面图的文字说明，导入时不能恢复图片："
                    "图片请随数据库备份和媒体目录（MEDIA_ROOT）一起备份，或在导入后重新上传"
                )
            )

    def _write_file(self, path: Path, write) -> int:
        """Written beside the target and renamed over it when complete: an export that fails
        halfway never leaves a truncated file where the last good one was."""
        directory = path.resolve().parent
        if not directory.is_dir():
            raise CommandError(f"目录不存在：{directory}")
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
        try:
            with os.fdopen(handle, "wb") as stream:
                with catalogue_snapshot():
                    count = write(stream)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return count
