from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel

if TYPE_CHECKING:
    from search.query_log import QueryTally

SYNONYM_CACHE_KEY = "search:synonym-rows"
ALIAS_VERSION_KEY = "search:alias-lexicon-version"


def forget_alias_lexicon() -> None:
    """A guide's aliases changed: every process reloads the alias lexicon on its next search
    (search.service.alias_lexicon)."""
    cache.delete(ALIAS_VERSION_KEY)


def forget_synonyms() -> None:
    """Drop the cached synonym rows so that an editor's change applies to the next search."""
    cache.delete(SYNONYM_CACHE_KEY)


class Synonym(models.Model):
    """A citizen's phrase and the official terms it means; takes effect on the next search."""

    phrases = models.CharField(
        _("群众说法"), max_length=200, unique=True,
        help_text=_("一个或多个说法，用“|”分隔，例如：开饭店|开餐馆"),
    )
    expansions = models.CharField(
        _("规范用语"), max_length=300,
        help_text=_("搜索时一并查找的规范用语，用“|”分隔，例如：食品经营许可|餐饮服务"),
    )
    enabled = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    panels = [FieldPanel("phrases"), FieldPanel("expansions"), FieldPanel("enabled"), FieldPanel("note")]

    class Meta:
        ordering = ["phrases"]
        verbose_name = _("同义词")
        verbose_name_plural = _("同义词")

    def __str__(self) -> str:
        return f"{self.phrases} → {self.expansions}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget_synonyms()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        forget_synonyms()
        return result

    @property
    def row(self) -> tuple[list[str], list[str]]:
        split = lambda text: [part.strip() for part in text.split("|") if part.strip()]  # noqa: E731
        return split(self.phrases), split(self.expansions)


class SearchQueryStat(models.Model):
    """How often a (normalized) query is asked and whether it finds anything, for editors."""

    query = models.CharField(_("搜索词"), max_length=100, unique=True)
    hits = models.PositiveIntegerField(_("搜索次数"), default=0)
    zero_result_hits = models.PositiveIntegerField(_("无结果次数"), default=0)
    last_result_count = models.PositiveIntegerField(_("最近结果数"), default=0)
    last_searched_at = models.DateTimeField(_("最近搜索"), default=timezone.now)

    class Meta:
        ordering = ["-hits"]
        verbose_name = _("搜索记录")
        verbose_name_plural = _("搜索记录")

    def __str__(self) -> str:
        return self.query

    @property
    def has_results(self) -> bool:
        return self.last_result_count > 0

    @classmethod
    def add_tallies(cls, tallies: Mapping[str, QueryTally]) -> None:
        """Add what searches counted (search.query_log) in one transaction: the new queries in
        one INSERT, then one UPDATE per query that adds to its counts. Safe against another
        process adding at the same time: an insert that finds the row ignores it, the updates
        add to whatever is there, and an older tally does not overwrite a newer last search."""
        with transaction.atomic():
            cls.objects.bulk_create(
                [
                    cls(query=query, hits=0, zero_result_hits=0, last_result_count=tally.last_result_count,
                        last_searched_at=tally.last_searched_at)
                    for query, tally in tallies.items()
                ],
                ignore_conflicts=True,
            )
            for query, tally in tallies.items():
                newer = Q(last_searched_at__lte=tally.last_searched_at)
                cls.objects.filter(query=query).update(
                    hits=F("hits") + tally.hits,
                    zero_result_hits=F("zero_result_hits") + tally.zero_result_hits,
                    last_result_count=Case(
                        When(newer, then=Value(tally.last_result_count)), default=F("last_result_count"),
                        output_field=cls._meta.get_field("last_result_count"),
                    ),
                    last_searched_at=Case(
                        When(newer, then=Value(tally.last_searched_at)), default=F("last_searched_at"),
                        output_field=cls._meta.get_field("last_searched_at"),
                    ),
                )


class SuggestionTerm(models.Model):
    """Prefix keys for the search box and the kiosk keyboard: each word-start suffix of a guide's
    name and result, its aliases, the documents it asks for (in characters, full pinyin and pinyin
    initials) and every suffix of its code, so that an indexed range query answers "yyzz",
    "yingye", "营业" and "0015" alike on every keystroke (search.suggest)."""

    term = models.CharField(max_length=120, db_index=True)
    guide = models.ForeignKey("guides.GuidePage", on_delete=models.CASCADE, related_name="suggestion_terms")
    position = models.PositiveSmallIntegerField(help_text="0 when the term starts at the beginning of the name")
    # What the term comes from (search.suggest: name, alias, code, result, material) and the
    # text shown as the reason of the suggestion.
    kind = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["term", "position"])]

    def __str__(self) -> str:
        return self.term


class SearchClick(models.Model):
    """How often citizens opened a guide from the results of a (normalized) query. Written in
    batches outside requests (search.clicks); frequent clicks raise the guide for the query.
    Deleting the rows of a query resets its boost."""

    query = models.CharField(_("搜索词"), max_length=100)
    guide = models.ForeignKey(
        "guides.GuidePage", verbose_name=_("打开的事项"), on_delete=models.CASCADE, related_name="search_clicks"
    )
    clicks = models.PositiveIntegerField(_("打开次数"), default=0)
    last_clicked_at = models.DateTimeField(_("最近打开"), default=timezone.now)

    class Meta:
        ordering = ["-clicks"]
        constraints = [models.UniqueConstraint(fields=["query", "guide"], name="search_click_query_guide")]
        verbose_name = _("点击记录")
        verbose_name_plural = _("点击记录")

    def __str__(self) -> str:
        return f"{self.query} → {self.guide_id}"

    @property
    def boost(self) -> float:
        from search.clicks import boost_of

        return round(boost_of(self.clicks), 2)


class IndexUpdate(models.Model):
    """The search index outbox: an object of an indexed model was saved or deleted. Written in the
    transaction of the change (so it commits or rolls back with it) for the search backends that
    are not updated inside that transaction (Elasticsearch); ``search.outbox`` sends the object's
    state to them afterwards and then deletes the row. Nothing is lost while they are away."""

    model = models.CharField(max_length=100)  # "app_label.modelname" of the object's own class
    object_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.model} #{self.object_id}"


class IndexSync(models.Model):
    """The one row of the outbox's state: the lease of the process emptying it (one at a time,
    so that an older state of an object never overwrites a newer one), the failures in a row, and
    the time of the one retry scheduled after a failure."""

    lease_until = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"index sync (failures: {self.failures})"
