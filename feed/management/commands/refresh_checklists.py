"""Record the checklist of every live guide whose recorded fingerprint is no longer the one its
record gives: after a release that moves the canonical format (guides.domain.checklist
CANONICAL_FORMAT), every guide; otherwise those naming a window that was renamed. Each such guide
gets a new checklist version and a ``checklist_changed`` event for the intake system. Run after
``migrate`` (``make run`` does); running it again changes nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from feed.signals import refresh_checklist
from guides.domain.checklist import CANONICAL_FORMAT
from guides.models import GuidePage
from guides.serializers import checklist_of, serialize_guide


class Command(BaseCommand):
    help = "重新记录受理清单已与记录指纹不一致的在线指南（清单格式升级或窗口更名后运行，可重复运行）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--note",
            default=f"受理清单规范格式第 {CANONICAL_FORMAT} 版：清单内容未改，指纹随格式更新",
            help="写入变更事件的说明",
        )

    def handle(self, *args, note: str, **options):
        refreshed = []
        pks = list(GuidePage.sources.live().order_by("pk").values_list("pk", flat=True))
        for pk in pks:
            page = GuidePage.sources.live().filter(pk=pk).first()
            if page is None:  # unpublished meanwhile
                continue
            if checklist_of(serialize_guide(page))[1] == page.checklist_fingerprint:
                continue
            if refresh_checklist(page, note) is not None:
                refreshed.append(page.code)
        self.stdout.write(f"重新记录受理清单 {len(refreshed)} 个，其余 {len(pks) - len(refreshed)} 个未变")
