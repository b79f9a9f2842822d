"""The skeleton of the portal's page tree: the home page, the guide index below it with its
department folders and review workflow, the journey index and the statement pages below the home
page, the default Site that serves them and the site's identity. The demo loader creates it when it
is missing; a restore
(guides.importer) makes it say what the catalogue file says."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from wagtail.models import Page, Site

from editorial.roles import grant_centre_pages
from editorial.workflow import ensure_review_workflow
from guides.folders import ensure_department_folders
from guides.models import GuideIndexPage
from guides.validation import labelled_messages
from journeys.models import JourneyIndexPage
from portal.models import HomePage, SiteIdentity, StatementPage
from portal.page_ids import keep_id


def _publish_fields(page, fields: dict[str, Any]) -> bool:
    """Set ``fields`` on a page and publish it if any of them changed; True if it did."""
    if all(getattr(page, name) == value for name, value in fields.items()):
        return False
    for name, value in fields.items():
        setattr(page, name, value)
    page.save_revision().publish()
    return True


def ensure_home(fields: dict[str, Any], *, update: bool = False, page_id: int | None = None) -> tuple[HomePage, bool]:
    """The home page, created with ``fields`` (and ``page_id``, in a restore: portal.page_ids)
    under the tree's root when there is none (and then published); an existing one is given
    ``fields`` only with ``update``. Returns the page and whether anything was written."""
    home = HomePage.objects.first()
    if home is not None:
        return home, update and _publish_fields(home, fields)
    root = Page.get_first_root_node()
    # Wagtail's placeholder "Welcome" page holds the slug "home" and the default site (which
    # goes with it when it is deleted); the portal's home page takes over both.
    for placeholder in root.get_children().filter(slug=fields.get("slug", "home")):
        if placeholder.specific_class is Page:
            placeholder.delete()
    home = root.add_child(instance=keep_id(HomePage(**fields), page_id))
    home.save_revision().publish()
    return home, True


def ensure_guide_index(
    home: HomePage, fields: dict[str, Any], *, update: bool = False, page_id: int | None = None
) -> tuple[GuideIndexPage, bool]:
    """The guide index below the home page, as ensure_home does for the home page, with a folder
    for every department and the review workflow (a department created later gets its folder
    when it is saved: guides.signals)."""
    index = GuideIndexPage.objects.first()
    if index is not None:
        changed = update and _publish_fields(index, fields)
    else:
        index = home.add_child(instance=keep_id(GuideIndexPage(**fields), page_id))
        index.save_revision().publish()
        changed = True
    ensure_department_folders(index)
    ensure_review_workflow(index)
    return index, changed


def ensure_journey_index(
    home: HomePage, fields: dict[str, Any], *, update: bool = False, page_id: int | None = None
) -> tuple[JourneyIndexPage, bool]:
    """The journey index below the home page, as ensure_home does for the home page; the centre's
    roles get their page permissions on it (editorial.roles)."""
    index = JourneyIndexPage.objects.first()
    if index is not None:
        return index, update and _publish_fields(index, fields)
    index = home.add_child(instance=keep_id(JourneyIndexPage(**fields), page_id))
    index.save_revision().publish()
    grant_centre_pages()
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


def ensure_statement(home: HomePage, record: dict[str, Any], *, page_id: int | None = None) -> bool:
    """The statement page of the record's slug below the home page, with the record's fields,
    publishing state and publishing times; True if anything was written."""
    fields = {name: record[name] for name in ("title", "slug", "seo_title", "search_description", "body")}
    times = {name: record[name] for name in ("first_published_at", "last_published_at")}
    page = StatementPage.objects.child_of(home).filter(slug=record["slug"]).first()
    if page is not None and page.live == record["live"] and all(
        getattr(page, name) == value for name, value in {**fields, **times}.items()
    ):
        return False
    if page is None:
        page = home.add_child(instance=keep_id(StatementPage(live=False, **fields), page_id))
    else:
        for name, value in fields.items():
            setattr(page, name, value)
    revision = page.save_revision()
    if record["live"]:
        revision.publish()
    elif page.live:
        StatementPage.objects.get(pk=page.pk).unpublish()
    Page.objects.filter(pk=page.pk).update(**times)
    return True


def ensure_site_identity(record: dict[str, Any]) -> bool:
    """The default Site's identity with the record's fields, its accessibility statement found
    by the page's path; True if anything was written."""
    site = Site.objects.filter(is_default_site=True).first()
    statement_path = record["accessibility_statement"]
    statement = Page.objects.filter(url_path=statement_path).first() if statement_path else None
    if statement_path and statement is None:
        raise ValidationError(_("无障碍声明指向的页面“%(path)s”不存在") % {"path": statement_path})
    values = {**{name: value for name, value in record.items() if name != "accessibility_statement"},
              "accessibility_statement": statement}
    identity = SiteIdentity.objects.filter(site=site).first()
    if identity is not None and all(getattr(identity, name) == value for name, value in values.items()):
        return False
    identity = identity or SiteIdentity(site=site)
    for name, value in values.items():
        setattr(identity, name, value)
    try:
        identity.full_clean()
    except ValidationError as error:
        raise ValidationError(labelled_messages(identity, error)) from None
    identity.save()
    return True
