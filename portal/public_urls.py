"""The portal's one public address, ``PUBLIC_BASE_URL``.

Every absolute URL the portal writes starts with it, whatever Host header a request came with and
whatever the Wagtail Site record says: QR codes on sheets and on the kiosk, short links, canonical
links, the sitemap, JSON-LD ``@id``s, the Atom feed, CPSV-AP (and its ``@context``), the feed's
links and webhook payloads. Page URLs go through ``PublicUrlMixin.get_url_parts``, so Wagtail's
``full_url`` and the sitemap follow it too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def public_base_url() -> str:
    """``scheme://host[:port]`` without a slash at the end (validated by the settings)."""
    return settings.PUBLIC_BASE_URL


def public_url(path: str) -> str:
    """The absolute URL of a path of the portal (an absolute URL is returned as it is)."""
    if path.startswith(("http://", "https://")):
        return path
    return f"{public_base_url()}/{path.lstrip('/')}"


def site_address() -> tuple[str, int] | None:
    """(hostname, port) of a Wagtail Site whose root URL is PUBLIC_BASE_URL, or None where a Site
    cannot say it (https on another port than 443)."""
    parts = urlsplit(public_base_url())
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if parts.scheme == "https" and port != 443:
        return None
    if parts.scheme == "http" and port == 443:
        return None
    return parts.hostname, port


def sync_default_site() -> bool:
    """Point the default Wagtail Site at PUBLIC_BASE_URL (the admin shows its address; page URLs
    do not depend on it). Run by ``load_demo`` and ``manage.py sync_site``, never in a request.
    Returns whether the Site changed."""
    from wagtail.models import Site

    address = site_address()
    site = Site.objects.filter(is_default_site=True).first()
    if address is None or site is None or (site.hostname, site.port) == address:
        return False
    site.hostname, site.port = address
    site.save(update_fields=["hostname", "port"])
    return True


class PublicUrlMixin:
    """For page models: their absolute URLs start with PUBLIC_BASE_URL, not with the root URL of
    the Wagtail Site they belong to."""

    def get_url_parts(self, request=None):
        """The page's address in the active language: every page is routed through the Chinese
        tree (HomePage.route), so a Chinese page's English address is its path under /en/
        (Wagtail's i18n would give a page the prefix of its own locale), and a translation's
        is its source's (it keeps the source's slug)."""
        from guides.translations import source_locale_id
        from portal.languages import current, path_in

        parts = super().get_url_parts(request=request)
        if parts is None or parts[1] is None:
            return parts
        site_id, _site_root_url, page_path = parts
        if self.locale_id == source_locale_id():
            page_path = path_in(page_path, current())
        return site_id, public_base_url(), page_path

    def get_sitemap_urls(self, request=None):
        """The page at its Chinese address, with its address in every language as hreflang
        alternates (Django's sitemap template writes them as xhtml:link)."""
        from django.conf import settings

        from portal.languages import bcp47, path_in

        urls = super().get_sitemap_urls(request)
        for url in urls:
            path = url["location"].removeprefix(public_base_url())
            url["alternates"] = [
                {"lang_code": bcp47(code), "location": public_url(path_in(path, code))}
                for code, _name in settings.LANGUAGES
            ] + [{"lang_code": "x-default", "location": public_url(path_in(path, settings.LANGUAGE_CODE))}]
        return urls
