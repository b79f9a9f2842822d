"""What citizens see around the checklist: the guide page's facts, the hall page and the home
page's hall card, the footer's site identity, the elderly mode (and the page cache that must keep
the modes apart), and the sharing tags and images."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from guides.models import HallCalendarDay
from portal.models import SiteIdentity, StatementPage
from portal.reading_mode import COOKIE
from tests.conftest import make_record

pytestmark = pytest.mark.django_db


def html_of(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def materials_section(html):
    return html.split('id="materials"', 1)[1].split("</section>", 1)[0]


def test_guide_page_fee_amount_marks_check_code_tel_links_and_no_zero_counts(client, publish_guide):
    record = make_record()
    record["fee"] = {"charged": True, "items": [{"name": "工本费", "standard": "20元/证，补证同", "basis": "", "reduction": ""}]}
    record["materials"][1].update(original=0, copies=0, marks=["免提交"])
    page = publish_guide(fee=record["fee"], materials=record["materials"])
    html = html_of(client, page.url)

    facts = html.split('class="facts"', 1)[1].split("</ul>", 1)[0]
    assert "<strong>20元/证</strong>" in facts
    materials = materials_section(html)
    assert "0 份" not in materials
    assert "无需提交纸质材料" in materials
    assert "<strong>免提交</strong>窗口通过电子证照库或数据共享获取" in materials
    # Every cell of a material row names its column, for the phone's card layout.
    assert materials.count('data-label="份数"') == 4 and materials.count('data-label="受理标准"') == 4
    code = re.search(r"核对码 <code>([0-9a-f ]+)</code>", html).group(1)
    assert code.replace(" ", "") == page.checklist_fingerprint[:12] and len(code) == 14
    assert page.checklist_fingerprint not in materials  # the full value only in the metadata
    assert '<a href="tel:02081380512">020-81380512</a>' in html
    assert "打印 / 下载办事指南" in html.split('id="materials"', 1)[0]


def test_hall_page_and_home_show_address_status_and_coming_closures(client, site):
    today = timezone.localdate()
    hall = site["hall"]
    HallCalendarDay.objects.create(hall=hall, date=today + timedelta(days=10), kind="closed", note="测试闭馆")
    HallCalendarDay.objects.create(hall=hall, date=today + timedelta(days=11), kind="closed", note="测试闭馆")
    HallCalendarDay.objects.create(
        hall=hall, date=today + timedelta(days=20), kind="workday", hours_of_weekday=0, note="测试调休"
    )
    for url in ("/hall/", "/"):
        html = html_of(client, url)
        assert "测试路 1 号" in html
        assert re.search(r'class="status status-(open|closed)"><strong>(现在办公中|尚未开始办公|午间休息|已下班|今日休息)', html)
        calendar = html.split('class="plain calendar"', 1)[1].split("</ul>", 1)[0]
        # Two closed days in a row are one entry; the make-up workday keeps Monday's hours.
        assert calendar.count("测试闭馆") == 1 and "至" in calendar
        assert "调休上班" in calendar and "按周一时间办公" in calendar
    hall_html = html_of(client, "/hall/")
    assert "综合受理窗口" in hall_html and "周一至周五" in hall_html


def test_footer_carries_the_site_identity_and_the_statement_page(client, site):
    from wagtail.models import Site

    home = site["index"].get_parent().specific
    statement = home.add_child(instance=StatementPage(title="无障碍声明", slug="accessibility", body="<p>声明正文</p>"))
    statement.save_revision().publish()
    before = html_of(client, "/")
    SiteIdentity.objects.create(
        site=Site.objects.get(is_default_site=True),
        sponsor="测试区人民政府办公室",
        site_code="1234567890",
        icp_filing="测ICP备12345678号-1",
        police_filing="测公网安备 44010602000001号",
        error_report_url="https://zfwzzc.www.gov.cn/",
        accessibility_statement=statement,
    )
    # Saving the setting bumps the content version: the cached home page is not served again.
    html = html_of(client, "/")
    assert "测试区人民政府办公室" not in before
    footer = html.split('class="site-footer"', 1)[1]
    assert "主办单位：测试区人民政府办公室" in footer and "网站标识码：1234567890" in footer
    assert 'href="https://beian.miit.gov.cn/"' in footer
    assert "code=44010602000001" in footer
    assert "我为政府网站找错" in footer and f'href="{statement.url}"' in footer
    assert "声明正文" in html_of(client, statement.url)
    # The footer follows every change of the identity.
    identity = SiteIdentity.objects.get()
    identity.sponsor = "测试区政务服务中心"
    identity.save()
    assert "主办单位：测试区政务服务中心" in html_of(client, "/").split('class="site-footer"', 1)[1]
    identity.delete()
    assert "主办单位：" not in html_of(client, "/")


def test_elderly_mode_is_a_link_a_cookie_and_its_own_cached_page(client, publish_guide):
    page = publish_guide()
    standard = html_of(client, page.url)
    assert '<html lang="zh-Hans">' in standard and "长者模式" in standard

    switch = re.search(r'class="header-link mode-switch" href="([^"]+)"', standard).group(1).replace("&amp;", "&")
    response = client.get(switch)
    assert response.status_code == 302 and response["Location"] == page.url
    assert response.cookies[COOKIE].value == "elderly"
    elderly = html_of(client, page.url)  # same path and query as the cached standard page
    assert 'class="elderly"' in elderly and "退出长者模式" in elderly
    assert 'id="header-q"' not in elderly  # the simplified header
    assert html_of(client, page.url).count("退出长者模式") == 1  # from the elderly copy of the cache

    client.cookies.pop(COOKIE)
    again = html_of(client, page.url)
    assert 'class="elderly"' not in again and "退出长者模式" not in again
    assert "Cookie" in client.get(page.url)["Vary"]

    # Only paths of this site are followed back.
    assert client.get("/mode/elderly/", {"next": "https://evil.example/"})["Location"] == "/"
    assert client.get("/mode/loud/").status_code == 404
    cleared = client.get("/mode/standard/", {"next": "/"})
    assert cleared.cookies[COOKIE].value == "" and cleared["Location"] == "/"


def test_sharing_tags_icons_and_share_cards(client, publish_guide):
    page = publish_guide()
    html = html_of(client, page.url)
    description = re.search(r'<meta name="description" content="([^"]+)">', html).group(1)
    assert description.startswith("食品经营许可证核发：") and len(description) <= 120
    assert '<meta property="og:title" content="食品经营许可证核发">' in html
    image_url = re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)
    assert image_url.endswith("/g/T-JY-0001/share.png")
    assert re.search(r'<meta property="og:url" content="https?://[^"]+/">', html)

    for url, kind, size in (
        ("/g/T-JY-0001/share.png", "PNG", (1200, 630)),
        ("/share.png", "PNG", (1200, 630)),
        ("/apple-touch-icon.png", "PNG", (180, 180)),
        ("/favicon.ico", "ICO", None),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        image = Image.open(io.BytesIO(response.content))
        assert image.format == kind
        if size:
            assert image.size == size
    assert client.get("/g/NOPE-1/share.png").status_code == 404
    page.unpublish()
    assert client.get("/g/T-JY-0001/share.png").status_code == 404


@pytest.fixture
def catalogue(publish_guide):
    publish_guide(code="T-JY-0001", online=True, popular=True)
    publish_guide(code="T-GM-0001", name="居住证申领", category="公民类", department="测试区公安分局", online=False)
    publish_guide(code="T-GC-0001", name="建筑工程施工许可", category="工程类", online=False)


def facet_links(html):
    nav = html.split('aria-label="筛选结果"', 1)[1].split("</nav>", 1)[0]
    return {
        re.sub(r"\d+$", "", re.sub(r"<[^>]+>|\s|✓|（已选，点击取消）", "", label)): (href.replace("&amp;", "&"), bool(current))
        for href, current, label in re.findall(r'<a href="([^"]+)"( aria-current="true")?>(.*?)</a>', nav, re.S)
    }


def test_search_facets_combine_mark_their_selection_and_filter_online(client, catalogue):
    from guides.models import Department

    html = html_of(client, "/search/", q="授权委托书")
    assert html.count('role="search"') == 1  # one search box on the search page
    links = facet_links(html)
    assert "公民类" in links, links
    assert links["公民类"] == ("?q=%E6%8E%88%E6%9D%83%E5%A7%94%E6%89%98%E4%B9%A6&section=gm", False)

    police = Department.objects.get(name="测试区公安分局").code
    html = html_of(client, "/search/", q="授权委托书", section="gm")
    links = facet_links(html)
    assert links["公民类"][1] and "section" not in links["公民类"][0]  # selected: the link removes it
    # Choosing a department keeps the section.
    assert f"section=gm&department={police}" in links["测试区公安分局"][0]
    assert "已选：公民类" in html
    assert re.findall(r"<strong>([^<]+)</strong></a>", html.split('class="results"', 1)[1]) == ["居住证申领"]

    online = html_of(client, "/search/", q="授权委托书", online="1")
    results = re.findall(r"<strong>([^<]+)</strong></a>", online.split('class="results"', 1)[1])
    assert results == ["食品经营许可证核发"]
    assert facet_links(online)["只看可网办"][1]


def test_zero_results_say_so_and_offer_the_halls_phone(client, catalogue):
    html = html_of(client, "/search/", q="完全不存在的事项名称")
    assert "没有找到与“完全不存在的事项名称”相关的事项" in html
    assert '<a href="tel:02081380000">020-81380000</a>' in html and 'href="tel:12345"' in html
    assert 'class="facets"' not in html

    empty = html_of(client, "/search/")
    assert "热门事项" in empty and "食品经营许可证核发" in empty and "按版块浏览" in empty


def test_search_pagination_has_previous_and_next(client, publish_guide):
    for number in range(1, 13):
        publish_guide(code=f"T-GM-{number:04d}", name=f"测试证明第{number}号开具", category="公民类")
    first = html_of(client, "/search/", q="测试证明")
    nav = first.split('class="pagination"', 1)[1].split("</nav>", 1)[0]
    assert "下一页" in nav and "上一页" not in nav and 'aria-current="page">1<' in nav
    second = html_of(client, "/search/", q="测试证明", page="2")
    nav = second.split('class="pagination"', 1)[1].split("</nav>", 1)[0]
    assert '<a rel="prev" href="?q=%E6%B5%8B%E8%AF%95%E8%AF%81%E6%98%8E">上一页</a>' in nav
