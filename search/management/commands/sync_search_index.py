"""Send what the search index outbox holds to Elasticsearch now. The outbox empties itself after
each change and retries on its own while the cluster is away; this is for an operator who wants to
see the backlog or not wait for the next retry."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from search.models import IndexUpdate
from search.outbox import outbox_backends, sync_index


class Command(BaseCommand):
    help = "把搜索索引待同步队列中的更新立即写入 Elasticsearch"

    def handle(self, *args, **options):
        if not outbox_backends():
            self.stdout.write("未配置 Elasticsearch，无需同步")
            return
        run = sync_index()
        waiting = IndexUpdate.objects.count()
        self.stdout.write(f"已同步 {run.synced} 条，待同步 {waiting} 条")
        if run.busy:
            self.stdout.write("另一个进程正在同步")
        if run.waiting:
            self.stdout.write("搜索服务暂不可用，稍后自动重试")
        if run.failed:
            self.stderr.write(f"同步失败，稍后自动重试：{run.error}")
