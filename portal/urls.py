from django.conf import settings
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

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("search/", search_views.search, name="search"),
    path("search/click/", search_views.search_click, name="search-click"),
    path("api/v1/search/", search_views.search_api, name="search-api"),
    path("api/v1/search/suggest/", search_views.suggest_api, name="suggest-api"),
    path("g/<str:code>/", guide_short_url, name="guide-short-url"),
    path("g/<str:code>/share.png", guide_share_image, name="guide-share-image"),
    path("hall/", hall_page, name="hall"),
    path("mode/<slug:mode>/", set_reading_mode, name="reading-mode"),
    path("share.png", site_share_image, name="site-share-image"),
    path("favicon.ico", favicon, name="favicon"),
    path("apple-touch-icon.png", touch_icon, name="touch-icon"),
    path("", include("printing.urls")),
    path("kiosk/", include("kiosk.urls")),
    path("api/v1/cpsv-ap/", include("feed.cpsv_urls")),
    path("api/v1/", include("feed.urls")),
    path("sitemap.xml", sitemap, name="sitemap"),
    # For people and channels (WeChat, news readers), beside the versioned JSON API.
    path("changes.atom", ChangesFeed(), name="changes-atom"),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
