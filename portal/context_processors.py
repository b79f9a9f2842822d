"""What every public page's base template needs: the reading mode and its switch, the site's
name and identity (the footer), and the defaults of the sharing tags (description, address,
image)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.models import Site

from portal import languages
from portal.models import SiteIdentity
from portal.public_urls import public_url
from portal.reading_mode import ELDERLY, STANDARD, reading_mode, switch_url
from portal.routing import cached


def portal(request) -> dict:
    elderly = reading_mode(request) == ELDERLY
    site = Site.find_for_request(request)
    site_name = (site.site_name if site else "") or settings.WAGTAIL_SITE_NAME
    # Read, never created (Wagtail's settings.for_request would insert the row on a read path),
    # and kept under the site tree version, which its changes move (portal.apps).
    identity = (
        cached(
            f"site-identity:{site.pk}",
            lambda: SiteIdentity.objects.filter(site=site)
            .select_related("accessibility_statement", "party_mark_image")
            .first(),
        )
        if site
        else None
    )
    language = languages.current()
    return {
        "elderly_mode": elderly,
        "language": language,
        "html_lang": languages.bcp47(language),
        "language_alternates": languages.alternates(request),
        "home_url": languages.path_in("/", language),
        # Editors write in Chinese: in any other language the content is shown as written.
        "content_untranslated": language != languages.DEFAULT,
        "site_identity": identity,
        "mode_switch_url": switch_url(request, STANDARD if elderly else ELDERLY),
        "site_name": site_name,
        "default_description": _("%(site)s：办事指南、所需材料、办理流程、窗口和办公时间，一次告知，一窗受理。") % {"site": site_name},
        "public_page_url": public_url(request.path),
        "site_share_image": public_url(reverse("site-share-image")),
    }
