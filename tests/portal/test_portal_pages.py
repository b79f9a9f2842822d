import re

import pytest

from guides.models import Department, LifeEvent
from tests.conftest import make_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(publish_guide):
    LifeEvent.objects.create(name="开办企业", slug="kaiban-qiye", audience="企业")
    publish_guide(code="T-JY-0001", themes=["kaiban-qiye"], popular=True)
    publish_guide(code="T-GM-0001", name="居住证申领", category="公民类", department="测试区公安分局")
    publish_guide(code="T-GC-0001", name="建筑工程施工许可", category="工程类")
    draft = make_record(code="T-GC-0002", name="尚未发布的事项", category="工程类")
    from guides.importer import import_guides
    from tests.conftest import jsonl

    import_guides(jsonl(draft), publish=False)


def test_home_shows_search_sections_departments_themes_and_popular(client, catalogue):
    html = client.get("/").content.decode()
    assert 'role="search"' in html and 'name="q"' in html
    for label, count in (("工程类", 1), ("经营类", 1), ("公民类", 1)):
        assert re.search(rf"<strong>{label}</strong><span>{count} 个事项", html), label
    assert "测试区公安分局" in html and "开办企业" in html
    popular = html.split('id="popular-heading"', 1)[1].split("</section>", 1)[0]
    assert "食品经营许可证核发" in popular and "居住证申领" not in popular
    assert "尚未发布的事项" not in html


def test_department_and_theme_lists_follow_their_sort_order(client, catalogue, publish_guide):
    """The lists count live guides (an aggregate query, which drops Meta.ordering): they must
    still come in the editors' sort order, the same on every database, on the home page and the
    kiosk."""
    from django.core.cache import cache

    LifeEvent.objects.create(name="生育服务", slug="shengyu", sort_order=1)
    publish_guide(code="T-GM-0002", name="生育登记", category="公民类", department="测试区公安分局", themes=["shengyu"])
    # The department created first goes last, the theme created last goes first.
    first, second = Department.objects.order_by("pk")
    Department.objects.filter(pk=first.pk).update(sort_order=200)
    cache.clear()
    for path in ("/", "/kiosk/"):
        html = client.get(path).content.decode()
        departments = html[html.index('id="departments-heading"'):]
        themes = html[html.index('id="themes-heading"'):]
        assert departments.index(second.display_name) < departments.index(first.display_name), path
        assert themes.index("生育服务") < themes.index("开办企业"), path


def test_listings_by_section_department_and_theme(client, catalogue):
    def names(url):
        response = client.get(url)
        assert response.status_code == 200
        return set(re.findall(r"<strong>([^<]+)</strong></a>", response.content.decode()))

    assert names("/guides/section/gc/") == {"建筑工程施工许可"}
    assert names("/guides/section/gm/") == {"居住证申领"}
    department = Department.objects.get(name="测试区公安分局")
    assert names(f"/guides/department/{department.code}/") == {"居住证申领"}
    assert names("/guides/theme/kaiban-qiye/") == {"食品经营许可证核发"}
    assert names("/guides/") == {"食品经营许可证核发", "居住证申领", "建筑工程施工许可"}
    assert client.get("/guides/section/xx/").status_code == 404
    assert client.get("/guides/department/NOPE/").status_code == 404


def test_search_finds_names_first_then_materials(client, catalogue):
    def names(q):
        html = client.get("/search/", {"q": q}).content.decode()
        return re.findall(r"<strong>([^<]+)</strong></a>", html)

    assert names("居住证")[0] == "居住证申领"
    assert set(names("授权委托书")) == {"食品经营许可证核发", "居住证申领", "建筑工程施工许可"}
    assert "尚未发布的事项" not in names("尚未发布")
    for hostile in ['"', "*", "OR", "NEAR(", "a" * 5000, "\x00", "🙂"]:
        assert client.get("/search/", {"q": hostile}).status_code == 200


