from django.http import Http404, HttpResponseRedirect

from guides.models import GuidePage


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
    return HttpResponseRedirect(f"{url}?{query}" if query else url)
