import re

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
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
    subpage_types = ["guides.GuideIndexPage", "portal.StatementPage", "journeys.JourneyIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = _("首页")

    def route(self, request, path_components):
        """Its children are guide indexes (subpage_types), kept in the cache under the site
        tree version (portal.routing); Wagtail's routing looks a child up on every request, as a
        page and again as its specific page. Anything else is Wagtail's routing."""
        from guides.models import GuideIndexPage
        from guides.translations import source_locale_id

        # Wagtail routes an English request from the home page's English copy (wagtail-localize
        # makes one when a guide is translated). Every address is routed through the Chinese
        # tree, which holds every page: a guide's page then shows its translation
        # (GuideIndexPage.route), every other page is in the reader's language as before.
        if self.locale_id != source_locale_id():
            source = HomePage.objects.filter(translation_key=self.translation_key, locale=source_locale_id()).first()
            if source is not None:
                return source.route(request, path_components)
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
        live = GuidePage.sources.live()
        counts = dict(live.order_by().values_list("section").annotate(n=Count("pk")).values_list("section", "n"))
        context["sections"] = [
            {"label": section.label, "slug": SECTION_SLUGS[section], "count": counts.get(section.value, 0)}
            for section in Section
        ]
        context["guide_index"] = GuideIndexPage.objects.live().first()
        context["departments"] = Department.objects.with_live_guides()
        context["themes"] = LifeEvent.objects.with_live_guides()
        context["popular_guides"] = live.filter(is_popular=True).select_related("department").order_by("code")[:12]
        context["guide_total"] = sum(counts.values())
        from portal.halls import main_hall_overview

        context["hall"] = main_hall_overview()
        context["meta_description"] = self.search_description or self.intro
        return context


class StatementPage(PublicUrlMixin, Page):
    """A page of fixed text the site owes its readers: the accessibility statement (无障碍声明),
    the privacy notice, the site's contact page."""

    body = RichTextField(_("正文"), features=["h2", "h3", "bold", "ol", "ul", "link"])

    content_panels = Page.content_panels + [FieldPanel("body")]
    parent_page_types = ["portal.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("说明页面")
        verbose_name_plural = _("说明页面")


site_code_validator = RegexValidator(r"^[0-9A-Za-z]{10}$", _("政府网站标识码为 10 位字母或数字"))


@register_setting(icon="site")
class SiteIdentity(BaseSiteSetting):
    """What the footer of a Chinese government website must carry (政府网站发展指引): the sponsor,
    the site identifier code, the ICP and public-security filing numbers, the 党政机关网站标识,
    contact details, the link to report errors (我为政府网站找错) and the accessibility statement."""

    sponsor = models.CharField(_("主办单位"), max_length=100, blank=True)
    operator = models.CharField(_("承办单位"), max_length=100, blank=True)
    site_code = models.CharField(
        _("政府网站标识码"), max_length=10, blank=True, validators=[site_code_validator],
    )
    icp_filing = models.CharField(_("ICP备案号"), max_length=50, blank=True, help_text=_("例如：京ICP备12345678号-1"))
    police_filing = models.CharField(
        _("公安机关备案号"), max_length=50, blank=True, help_text=_("例如：京公网安备 11010502000001号"),
    )
    party_mark_url = models.URLField(
        _("党政机关网站标识链接"), blank=True,
        help_text=_("开办单位从中国机构编制网获取的标识验证地址"),
    )
    party_mark_image = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("党政机关网站标识图片"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    error_report_url = models.URLField(
        _("“我为政府网站找错”链接"), blank=True, help_text=_("全国政府网站找错平台上本网站的地址"),
    )
    accessibility_statement = models.ForeignKey(
        "wagtailcore.Page", verbose_name=_("无障碍声明"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    panels = [
        FieldRowPanel([FieldPanel("sponsor"), FieldPanel("operator")]),
        MultiFieldPanel(
            [
                FieldPanel("site_code"),
                FieldRowPanel([FieldPanel("icp_filing"), FieldPanel("police_filing")]),
                FieldRowPanel([FieldPanel("party_mark_url"), FieldPanel("party_mark_image")]),
            ],
            heading=_("网站标识与备案"),
        ),
        FieldRowPanel([FieldPanel("contact_phone"), FieldPanel("contact_email")]),
        FieldPanel("error_report_url"),
        FieldPanel("accessibility_statement"),
    ]

    class Meta:
        verbose_name = _("网站标识")

    @property
    def icp_url(self) -> str:
        return "https://beian.miit.gov.cn/" if self.icp_filing else ""

    @property
    def police_url(self) -> str:
        """The public-security filing's page: the query of the national filing site by the
        filing's number."""
        number = "".join(re.findall(r"\d", self.police_filing))
        return f"https://beian.mps.gov.cn/#/query/webSearch?code={number}" if number else ""
