"""Every listing and chooser of the admin answers, with and without a search query, as a
superuser sees them. The URLs come from the admin's URL resolver and its menu, so a view added
later (by us or by a Wagtail upgrade) is crawled without editing this test."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from search.models import SearchQueryStat, Synonym

pytestmark = pytest.mark.django_db

ADMIN_PREFIX = "admin/"
# Parameterless admin URLs that are not pages to look at: logging out would end the crawl, and
# Wagtail's error test view fails on purpose.
SKIPPED_NAMES = {"wagtailadmin_logout", "wagtailadmin_error_test"}
# ASCII (prefix autocompletion), Chinese (a department: 局) and several words of both.
QUERIES = ["a", "局", "食品 许可 a"]


def _route(pattern) -> str | None:
    """The literal text of a URL pattern, or None when it takes parameters."""
    if isinstance(pattern, RoutePattern):
        return None if pattern.converters else str(pattern)
    if isinstance(pattern, RegexPattern):
        regex = pattern.regex
        if regex.groups:
            return None
        text = regex.pattern.removeprefix("^").removesuffix("$").removesuffix("\\Z")
        if re.search(r"[\\()\[\]?*+{}|.]", text.replace("\\/", "").replace("\\.", "")):
            return None  # a pattern that matches more than one literal path
        return text.replace("\\", "")
    return None


def parameterless_urls(patterns, prefix: str = "") -> dict[str, str]:
    """Every parameterless GET URL below ``patterns``, with its URL name."""
    found: dict[str, str] = {}
    for entry in patterns:
        route = _route(entry.pattern)
        if route is None:
            continue
        if isinstance(entry, URLResolver):
            found.update(parameterless_urls(entry.url_patterns, prefix + route))
        elif isinstance(entry, URLPattern) and entry.name not in SKIPPED_NAMES:
            found["/" + prefix + route] = entry.name or ""
    return found


def admin_urls() -> dict[str, str]:
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and _route(entry.pattern) == ADMIN_PREFIX:
            return parameterless_urls(entry.url_patterns, ADMIN_PREFIX)
    pytest.fail("the Wagtail admin is not mounted at /admin/")


def menu_urls(request) -> set[str]:
    """The URLs of the admin's main menu and its submenus, as this user sees them."""
    from wagtail.admin.menu import admin_menu

    urls = set()
    pending = list(admin_menu.menu_items_for_request(request))
    while pending:
        item = pending.pop()
        if getattr(item, "menu", None) is not None:
            pending.extend(item.menu.menu_items_for_request(request))
        elif item.url.startswith("/admin/"):
            urls.add(item.url.split("?", 1)[0])
    return urls


@pytest.fixture
def content(publish_guide):
    """Something in every listing: guides, a department, images, documents, a synonym, logged
    queries, a redirect and a search promotion."""
    from wagtail.contrib.redirects.models import Redirect
    from wagtail.contrib.search_promotions.models import Query, SearchPromotion
    from wagtail.documents.models import Document
    from wagtail.images.models import Image
    from wagtail.images.tests.utils import get_test_image_file

    first = publish_guide()
    publish_guide(code="T-GM-0001", name="居住证申领", category="公民类", department="测试区公安分局")
    Image.objects.create(title="a 食品 样表", file=get_test_image_file())
    Document.objects.create(title="a 食品 申请书", file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="a.pdf"))
    Synonym.objects.create(phrases="开饭店|开餐馆", expansions="食品经营许可")
    SearchQueryStat.objects.create(query="食品", hits=3, last_result_count=1)
    Redirect.objects.create(old_path="/a-old", redirect_page=first)
    SearchPromotion.objects.create(query=Query.get("食品"), page=first, sort_order=0)
    return first


@pytest.fixture
def superuser_client(client):
    user = get_user_model().objects.create_superuser("crawler", "crawler@example.invalid", "pw")
    client.force_login(user)
    client.raise_request_exception = False
    return client, user


def fetch_all(client, urls) -> list[str]:
    """GET every URL, bare and with each query; the failures as "status URL: exception"."""
    failures = []
    for url in sorted(urls):
        for query in [None, *QUERIES]:
            try:
                response = client.get(url, {"q": query} if query is not None else {})
            except Exception as error:  # noqa: BLE001  (a crash is a failure to report, with the rest)
                failures.append(f"raised {url} q={query!r}: {type(error).__name__}: {error}")
                continue
            if response.status_code >= 500:
                error = response.exc_info[1] if getattr(response, "exc_info", None) else ""
                failures.append(f"{response.status_code} {url} q={query!r}: {type(error).__name__}: {error}")
    return failures


def test_every_admin_listing_and_chooser_answers_with_and_without_a_query(superuser_client, content, rf):
    from guides.models import GuideIndexPage

    client, user = superuser_client
    urls = admin_urls()
    index = GuideIndexPage.objects.get()
    # The page tree: the explorer and the page chooser at the root, the home page and the guides.
    parented = {
        f"/admin/pages/{page_id}/" for page_id in (1, index.get_parent().pk, index.pk)
    } | {f"/admin/choose-page/{page_id}/" for page_id in (1, index.pk)}

    request = rf.get("/admin/")
    request.user = user
    menu = menu_urls(request)
    assert menu, "the admin menu is empty"
    # The walk finds every parameterless route; a menu entry outside it must be a route with
    # parameters (a page's explorer, a settings model), which the crawl visits from the menu.
    missing = {url for url in menu if url not in urls and not resolve(url).kwargs}
    assert not missing, f"menu entries the URL resolver walk did not find: {sorted(missing)}"

    # What the brief of this crawl names, so that a broken discovery cannot pass by finding little.
    expected = {
        "/admin/pages/search/", "/admin/choose-page/", "/admin/choose-page/search/", "/admin/images/",
        "/admin/documents/", "/admin/users/", "/admin/groups/", "/admin/reports/locked/",
        "/admin/workflows/list/", "/admin/redirects/", "/admin/searchpicks/",
        "/admin/snippets/guides/department/", "/admin/snippets/portal_search/synonym/",
        "/admin/snippets/choose/guides/department/", "/admin/images/chooser/", "/admin/documents/chooser/",
        "/admin/search_query_stats/", "/admin/feed/webhooks/",
    }
    assert expected <= urls.keys(), f"not discovered: {sorted(expected - urls.keys())}"

    failures = fetch_all(client, set(urls) | parented | menu)
    assert not failures, "\n".join(failures)


def test_department_listing_searches_the_fields_it_names(superuser_client):
    """The listing names name, short name and code (guides.views.DepartmentViewSet); each is
    found by its start, the way the admin autocompletes."""
    from guides.models import Department

    client, _user = superuser_client
    Department.objects.create(name="测试区市场监督管理局", short_name="区市监局", code="11440000MB2C")
    Department.objects.create(name="测试区公安分局", short_name="区公安", code="11440000MB3D")
    for query in ("测试区市场", "区市监", "11440000MB2"):
        html = client.get("/admin/snippets/guides/department/", {"q": query}).content.decode()
        assert "测试区市场监督管理局" in html and "测试区公安分局" not in html, query
