"""Refusals of the admin as HTTP 403.

Wagtail's admin turns a PermissionDenied raised by a view (its own checks and ours) into a
redirect to the dashboard carrying the message "Sorry, you do not have permission to access
this area." (a 403 only for XMLHttpRequest). A refused request should say so in its status:
this middleware answers such a redirect with a 403 page that shows the message instead."""

from __future__ import annotations

from django.contrib import messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext


class AdminRefusalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 302 or response.get("Location") != reverse("wagtailadmin_home"):
            return response
        refusal = gettext("Sorry, you do not have permission to access this area.")
        storage = messages.get_messages(request)
        queued = list(storage)
        refused = [message for message in queued if message.level == messages.ERROR and refusal in str(message.message)]
        if not refused:
            storage.used = False  # (iterating marks them read; they are for the next page)
            return response
        # The message is shown here rather than on the next page.
        for message in queued:
            if message not in refused:
                messages.add_message(request, message.level, message.message, extra_tags=message.extra_tags)
        return TemplateResponse(request, "editorial/403.html", {"message": refusal}, status=403).render()
