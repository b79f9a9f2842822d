"""Routing a request to its page without asking the database for what rarely changes.

Before serving a page Wagtail finds the site of the request (a query) and walks the page tree from
the site's root page (a query for the root's specific page, then a child lookup per level). The
site, its home page and the guide index change only when an editor changes a site or a page other
than a guide (publish, unpublish, move, delete), and those changes move the *site tree version*:
under it the cache keeps the site of each host with its home page (``CachedSiteMiddleware``) and
the guide index of each slug (``portal.models.HomePage.route``). A publish of a guide leaves them
cached, so its first reader pays for the guide alone. Every object comes out of the cache as a copy
of its own, so a request cannot change what the next one gets.
"""

from __future__ import annotations

from django.core.cache import cache
from wagtail.models import Site

from portal import versions

SITE_TREE_VERSION_KEY = "portal:site-tree-version"
# Cached "no such site" or "no such child", as opposed to a miss.
NOTHING = "nothing"


def site_tree_version() -> int:
    return versions.current(SITE_TREE_VERSION_KEY)


def bump_site_tree_version(**kwargs) -> None:
    """A signal receiver: sites or pages other than guides changed (portal.versions.bump)."""
    versions.bump(SITE_TREE_VERSION_KEY)


def bump_unless_a_guide(sender, instance=None, **kwargs) -> None:
    """For page_published and page_unpublished: a guide is looked up on every request anyway."""
    from guides.models import GuidePage

    if not isinstance(instance, GuidePage):
        bump_site_tree_version()


def _versioned(key: str) -> str:
    return f"portal:routing:{site_tree_version()}:{key}"


def cached(key: str, find):
    """The cached value of ``key`` under the site tree version, or ``find()``'s, kept (None is
    kept too)."""
    versioned = _versioned(key)
    value = cache.get(versioned)
    if value is None:
        value = find()
        cache.set(versioned, NOTHING if value is None else value, None)
        return value
    return None if value == NOTHING else value


def peek(key: str, default):
    """The cached value of ``key`` under the site tree version, or ``default`` if none is."""
    value = cache.get(_versioned(key), default)
    return None if value == NOTHING else value


def _site_with_its_home_page(request) -> Site | None:
    site = Site.find_for_request(request)
    if site is not None:
        site.root_page.specific  # noqa: B018  (loaded now, so that it is cached with the site)
    return site


def any_view_restrictions() -> bool:
    """Whether any page has a view restriction (most sites have none: then no page needs to
    look its own up). Kept under the site tree version, which view restrictions move too."""
    from wagtail.models import PageViewRestriction

    return bool(cached("any-view-restrictions", PageViewRestriction.objects.exists))


class CachedSiteMiddleware:
    """Gives a request its Wagtail site (``request._wagtail_site``, where Wagtail keeps the site
    it found for a request) from the cache, with the site's home page. A request that Wagtail
    routes to a page finds and caches it if it is not cached yet; other views (the feed's page
    URLs, for one) take it if it is cached, and else find it themselves only if they need it."""

    def __init__(self, get_response):
        from wagtail import views  # (loads models: not while the apps load, as portal.models does)

        self.get_response = get_response
        self.wagtail_serve = views.serve

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if hasattr(request, "_wagtail_site"):
            return
        key = f"site:{request.get_host()}:{request.get_port()}"
        if view_func is self.wagtail_serve:
            request._wagtail_site = cached(key, lambda: _site_with_its_home_page(request))
        else:
            site = peek(key, default=self)
            if site is not self:
                request._wagtail_site = site
