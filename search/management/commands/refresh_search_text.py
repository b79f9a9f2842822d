from django.core.management.base import BaseCommand
from tqdm import tqdm

from guides.models import GuidePage
from guides.serializers import live_record
from search.documents import search_field_values
from search.models import forget_alias_lexicon
from search.suggest import refresh_suggestions


class Command(BaseCommand):
    help = "重新计算已发布指南的分词检索文本和输入提示（更新词典或升级后运行，随后运行 update_index）"

    def handle(self, *args, **options):
        pages = GuidePage.sources.live().select_related("department", "intake_window__hall", "delivery_window")
        for page in tqdm(pages, total=pages.count(), unit="条", disable=options["verbosity"] == 0, file=self.stderr):
            record = live_record(page)
            GuidePage.sources.filter(pk=page.pk).update(**search_field_values(record))
            refresh_suggestions(page, record)
        forget_alias_lexicon()
