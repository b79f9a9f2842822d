from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page

from guides.choices import SECTION_SLUGS, Section
from portal.public_urls import PublicUrlMixin
from portal.routing import cached


class HomePage(PublicUrlMixin, Page):
    """The portal's front page: search first, then ways to browse."""

    intro = models.CharField(_("导语"), max_length=200, blank=True)
    search_placeholder = models.CharField(
        _("搜索框提示"), max_length=100, blank=True, default="例如：开奶茶店要办什么证、身份证丢了、yyzz"
    )

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("search_placeholder")]
    subpage_types = ["guides.GuideIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = _("首页")

    def route(self, request, path_components):
        """Its children are guide indexes (subpage_types), kept in the cache under the site
        tree version (portal.routing); Wagtail's routing looks a child up on every request, as a
        page and again as its specific page. Anything else is Wagtail's routing."""
        from guides.models import GuideIndexPage

        if path_components:
            slug = path_components[0]
            index = cached(
                f"guide-index:{self.pk}:{slug}",
                lambda: GuideIndexPage.objects.child_of(self).filter(slug=slug).order_by().first(),
            )
            if index is not None:
                return index.route(request, path_components[1:])
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        from guides.models import Department, GuideIndexPage, GuidePage, LifeEvent

        context = super().get_context(request, *args, **kwargs)
        live = GuidePage.objects.live()
        counts = dict(live.order_by().values_list("section").annotate(n=Count("pk")).values_list("section", "n"))
        context["sections"] = [
            {"label": section.label, "slug": SECTION_SLUGS[section], "count": counts.get(section.value, 0)}
            for section in Section
        ]
        context["guide_index"] = GuideIndexPage.objects.live().first()
        live_filter = Q(guides__live=True)
        context["departments"] = Department.objects.annotate(
            guide_count=Count("guides", filter=live_filter)
        ).filter(guide_count__gt=0)
        context["themes"] = LifeEvent.objects.annotate(
            guide_count=Count("guides", filter=live_filter)
        ).filter(guide_count__gt=0)
        context["popular_guides"] = live.filter(is_popular=True).select_related("department").order_by("code")[:12]
        context["guide_total"] = sum(counts.values())
        return context
