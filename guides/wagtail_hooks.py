from wagtail.snippets.models import register_snippet

from guides.views import GuideRecordsGroup

register_snippet(GuideRecordsGroup)
