"""Deliver the webhook events that are due: run it from cron every minute, or keep it running
with ``--loop`` as a worker. Safe to run several at once: each subscriber is served by one
process at a time, in event order. ``--now`` first makes every undelivered event due (after a
receiver was repaired, rather than waiting out the backoff)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from feed.webhooks import deliver_due, retry_now


class Command(BaseCommand):
    help = "投递到期的推送通知（按订阅方、按事件顺序）"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="持续运行，每隔 --interval 秒检查一次")
        parser.add_argument("--interval", type=float, default=5.0, help="--loop 的检查间隔（秒）")
        parser.add_argument("--batch", type=int, default=None, help="每个订阅方每轮最多投递的条数")
        parser.add_argument("--max-rounds", type=int, default=None, help="--loop 最多运行的轮数（测试用）")
        parser.add_argument("--now", action="store_true", help="不等退避时间，立即重试所有未送达的推送")

    def handle(self, *args, loop=False, interval=5.0, batch=None, max_rounds=None, now=False, **options):
        if now:
            self.stdout.write(f"已将 {retry_now()} 条未送达的推送设为立即重试")
        rounds = 0
        while True:
            run = deliver_due(batch=batch)
            summary = run.as_dict()
            if summary["delivered"] or summary["failed"] or not loop:
                self.stdout.write(
                    f"已送达 {summary['delivered']} 条，失败 {summary['failed']} 条，"
                    f"其他进程处理中的订阅方 {summary['busy']} 个"
                )
            rounds += 1
            if not loop or (max_rounds is not None and rounds >= max_rounds):
                return
            time.sleep(interval)
