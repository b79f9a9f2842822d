from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from feed.atom import ChangesFeed
from portal.reading_mode import set_reading_mode
from portal.views import (
    favicon,
    guide_share_image,
    guide_short_url,
    hall_page,
    site_share_image,
    touch_icon,
)
from search import views as search_views

# Not language-prefixed: the admin (each editor's own language preference), the feed and the
# other machine-read addresses (language-neutral; see docs/i18n.md), files and icons.
urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/search/", search_views.search_api, name="search-api"),
    path("api/v1/search/suggest/", search_views.suggest_api, name="suggest-api"),
    path("g/<str:code>/share.png", guide_share_image, name="guide-share-image"),
    path("share.png", site_share_image, name="site-share-image"),
    path("favicon.ico", favicon, name="favicon"),
    path("apple-touch-icon.png", touch_icon, name="touch-icon"),
    path("api/v1/cpsv-ap/", include("feed.cpsv_urls")),
    path("api/v1/", include("feed.urls")),
    path("sitemap.xml", sitemap, name="sitemap"),
    # For people and channels (WeChat, news readers), beside the versioned JSON API.
    path("changes.atom", ChangesFeed(), name="changes-atom"),
]

# What people read, in Chinese at the plain address and in English under /en/ (LocaleMiddleware
# takes the language from the path alone: an address without a prefix is always Chinese, so a
# page's address says its language and the shared page cache, keyed by path, keeps one copy per
# language).
LANGUAGE_PREFIXED = [
    path("search/", search_views.search, name="search"),
    path("search/click/", search_views.search_click, name="search-click"),
    path("g/<str:code>/", guide_short_url, name="guide-short-url"),
    path("hall/", hall_page, name="hall"),
    path("mode/<slug:mode>/", set_reading_mode, name="reading-mode"),
    path("", include("printing.urls")),
    path("kiosk/", include("kiosk.urls")),
    path("feedback/", include("feedback.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += i18n_patterns(*LANGUAGE_PREFIXED, path("", include(wagtail_urls)), prefix_default_language=False)
