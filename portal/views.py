from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext as _

from guides.models import GuidePage
from portal.params import bad_request

# Situation answers are a few short keys and values; a longer query is not an answer (and past
# 16 KB Django would refuse the redirect with a logged DisallowedRedirect).
MAX_QUERY_LENGTH = 2048


def guide_short_url(request, code: str):
    """/g/<code>/ → the guide page. A temporary redirect, because the page's slug or place in the
    tree may change while the code printed on QR codes never does; situation answers in the query
    string are carried over."""
    page = GuidePage.objects.live().filter(code__iexact=code).only("url_path", "path", "depth").first()
    if page is None:
        raise Http404("No published guide with this code")
    url = page.get_url(request)
    if url is None:
        raise Http404("Guide is not routable")
    query = request.META.get("QUERY_STRING", "")
    if len(query) > MAX_QUERY_LENGTH:
        return bad_request(request, _("情形参数过长"))
    return HttpResponseRedirect(f"{url}?{query}" if query else url)
