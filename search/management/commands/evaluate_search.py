from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from search.evaluation import evaluate, read_judgements
from search.service import search_guides


class Command(BaseCommand):
    help = "用查询评测文件衡量搜索相关性：Recall@1/3/10、MRR、零结果率，并列出失败的查询"

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="TSV：查询<TAB>编码[,编码]<TAB>类型")
        parser.add_argument("--backend", default="default", help="要评测的搜索后端（WAGTAILSEARCH_BACKENDS 中的名称）")

    def handle(self, *args, path: Path, backend: str, **options):
        try:
            judgements = read_judgements(path.read_text(encoding="utf-8").splitlines())
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise CommandError(f"无法读取 {path}：{error}") from error
        if backend not in settings.WAGTAILSEARCH_BACKENDS:
            raise CommandError(f"未配置搜索后端 {backend}（可选：{'、'.join(settings.WAGTAILSEARCH_BACKENDS)}）")
        report = evaluate(
            judgements, lambda q: [h.page.code for h in search_guides(q, log=False, backend=backend).hits]
        )
        engine = settings.WAGTAILSEARCH_BACKENDS[backend]["BACKEND"]
        self.stdout.write(f"backend: {backend} ({engine})  queries: {report.judgements}")
        for k in (1, 3, 10):
            self.stdout.write(f"Recall@{k}: {report.recall(k):.3f}")
        self.stdout.write(f"MRR: {report.mrr:.3f}")
        self.stdout.write(f"zero-result rate: {report.zero_result_rate:.3f}")
        if report.failures:
            self.stdout.write("\nnot in the top 3:")
            for judgement, top in report.failures:
                self.stdout.write(f"  [{judgement.kind}] {judgement.query} → want {','.join(judgement.codes)}, got {','.join(top) or '—'}")
