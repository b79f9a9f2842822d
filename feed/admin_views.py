"""The feed in the Wagtail admin: webhook subscriptions (the secret is generated server-side and
shown once, right after creation), the delivery log with its failures, and the change log."""

from __future__ import annotations

from django import forms
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from feed.models import ChangeEvent, WebhookDelivery, WebhookSubscription


class WebhookSubscriptionForm(WagtailAdminModelForm):
    event_types = forms.MultipleChoiceField(
        label=_("事件类型"),
        choices=ChangeEvent.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("至少选择一项"),
    )

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("接收地址必须以 http:// 或 https:// 开头"))
        return url


class WebhookCreateView(CreateView):
    """Saves, then shows the generated secret on the response page instead of redirecting. The
    secret is not kept in a message or the session, and no later page shows it again."""

    def get_success_json(self):
        return {**super().get_success_json(), "secret": self.object.secret}

    def save_action(self):
        if self.expects_json_response:
            return super().save_action()
        return TemplateResponse(
            self.request,
            "feed/admin/webhook_secret.html",
            {
                "subscription": self.object,
                "index_url": reverse(self.index_url_name),
                "edit_url": self.get_edit_url(),
                "page_title": _("推送订阅已创建"),
                "header_title": _("推送订阅已创建"),
                "header_icon": "link",
            },
        )


class WebhookSubscriptionViewSet(ModelViewSet):
    model = WebhookSubscription
    name = "feed_webhooks"
    url_prefix = "feed/webhooks"
    icon = "link"
    menu_label = _("推送订阅")
    add_view_class = WebhookCreateView
    list_display = ["name", "url", "event_types_display", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = ["name", "url", "event_types", "active", "created_at"]
    edit_handler = ObjectList(
        [FieldPanel("name"), FieldPanel("url"), FieldPanel("event_types"), FieldPanel("active")],
        base_form_class=WebhookSubscriptionForm,
    )


class ReadOnlyViewSet(ModelViewSet):
    """Rows the feed writes itself; their read-only permission policy is registered for the
    models (feed.permissions), so it holds outside these views too."""

    copy_view_enabled = False
    inspect_view_enabled = True


class WebhookDeliveryViewSet(ReadOnlyViewSet):
    model = WebhookDelivery
    name = "feed_deliveries"
    url_prefix = "feed/deliveries"
    icon = "history"
    menu_label = _("推送记录")
    list_display = ["event", "subscription", "status", "attempts", "response_code", "next_attempt_at", "delivered_at", "last_error"]
    list_filter = ["status", "subscription"]
    inspect_view_fields = [
        "subscription", "event", "status", "attempts", "response_code", "last_error", "next_attempt_at",
        "last_attempt_at", "delivered_at", "history",
    ]
    form_fields = ["status"]


class ChangeEventViewSet(ReadOnlyViewSet):
    model = ChangeEvent
    name = "feed_events"
    url_prefix = "feed/events"
    icon = "list-ul"
    menu_label = _("变更日志")
    list_display = [
        Column("id", label=_("序号"), sort_key="id"), "kind", "code", "name", "checklist_version", "change_note", "created_at",
    ]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    ordering = ["-id"]
    inspect_view_fields = ["id", "kind", "code", "name", "checklist_version", "fingerprint", "change_note", "changes", "created_at"]
    form_fields = ["kind"]


class FeedViewSetGroup(ViewSetGroup):
    menu_label = _("数据接口")
    menu_icon = "link"
    menu_order = 250
    items = (WebhookSubscriptionViewSet, WebhookDeliveryViewSet, ChangeEventViewSet)
