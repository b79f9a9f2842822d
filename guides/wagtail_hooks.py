from wagtail import hooks
from wagtail.snippets.models import register_snippet

from guides.views import GuideListingViewSet, GuideRecordsGroup

register_snippet(GuideRecordsGroup)


@hooks.register("register_admin_viewset")
def register_guide_list():
    return GuideListingViewSet()
