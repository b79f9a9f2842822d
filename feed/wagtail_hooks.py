from wagtail import hooks

from feed.admin_views import FeedViewSetGroup


@hooks.register("register_admin_viewset")
def register_feed_viewsets():
    return FeedViewSetGroup()
