"""The skeleton of the portal's page tree: the home page, the guide index below it and the
default Site that serves them. The demo loader creates it when it is missing; a restore
(guides.importer) makes it say what the catalogue file says."""

from __future__ import annotations

from typing import Any

from wagtail.models import Page, Site

from guides.models import GuideIndexPage
from portal.models import HomePage


def _publish_fields(page, fields: dict[str, Any]) -> bool:
    """Set ``fields`` on a page and publish it if any of them changed; True if it did."""
    if all(getattr(page, name) == value for name, value in fields.items()):
        return False
    for name, value in fields.items():
        setattr(page, name, value)
    page.save_revision().publish()
    return True


def ensure_home(fields: dict[str, Any], *, update: bool = False) -> tuple[HomePage, bool]:
    """The home page, created with ``fields`` under the tree's root when there is none (and then
    published); an existing one is given ``fields`` only with ``update``. Returns the page and
    whether anything was written."""
    home = HomePage.objects.first()
    if home is not None:
        return home, update and _publish_fields(home, fields)
    root = Page.get_first_root_node()
    # Wagtail's placeholder "Welcome" page holds the slug "home" and the default site (which
    # goes with it when it is deleted); the portal's home page takes over both.
    for placeholder in root.get_children().filter(slug=fields.get("slug", "home")):
        if placeholder.specific_class is Page:
            placeholder.delete()
    home = root.add_child(instance=HomePage(**fields))
    home.save_revision().publish()
    return home, True


def ensure_guide_index(home: HomePage, fields: dict[str, Any], *, update: bool = False) -> tuple[GuideIndexPage, bool]:
    """The guide index below the home page, as ensure_home does for the home page."""
    index = GuideIndexPage.objects.first()
    if index is not None:
        return index, update and _publish_fields(index, fields)
    index = home.add_child(instance=GuideIndexPage(**fields))
    index.save_revision().publish()
    return index, True


def ensure_default_site(home: HomePage, fields: dict[str, Any], *, update: bool = False) -> bool:
    """The default Site with its root at the home page and ``fields`` (hostname, port,
    site_name); an existing default Site whose root is the home page keeps its fields unless
    ``update``."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is not None and site.root_page_id == home.pk and not update:
        return False
    if site is not None and site.root_page_id == home.pk and all(getattr(site, k) == v for k, v in fields.items()):
        return False
    Site.objects.update_or_create(is_default_site=True, defaults={"root_page": home, **fields})
    return True
