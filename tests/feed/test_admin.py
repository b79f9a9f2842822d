"""The feed in the Wagtail admin: a subscription's secret is shown once; deliveries and the change
log are visible and read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from feed.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.invalid", "pw")
    client.force_login(user)
    return client


def test_creating_a_subscription_shows_the_secret_once(admin_client, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["intake.example.invalid"]  # an intranet name: taken as it is
    response = admin_client.post(
        "/admin/feed/webhooks/new/",
        {"name": "综合受理系统", "url": "https://intake.example.invalid/hooks", "event_types": ["published", "checklist_changed"], "active": "on"},
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret.startswith("whsec_") and len(subscription.secret) > 40
    html = response.content.decode()
    assert subscription.secret in html and "离开本页后将无法再次查看" in html
    assert subscription.event_types == ["published", "checklist_changed"]
    for page in ("/admin/feed/webhooks/", f"/admin/feed/webhooks/edit/{subscription.pk}/", f"/admin/feed/webhooks/inspect/{subscription.pk}/"):
        response = admin_client.get(page)
        assert response.status_code == 200, page
        assert subscription.secret not in response.content.decode(), page
    # Editing keeps the secret.
    response = admin_client.post(
        f"/admin/feed/webhooks/edit/{subscription.pk}/",
        {"name": "综合受理系统", "url": "https://intake.example.invalid/v2", "event_types": ["unpublished"], "active": "on"},
    )
    assert response.status_code == 302
    secret = subscription.secret
    subscription.refresh_from_db()
    assert (subscription.secret, subscription.url, subscription.event_types) == (secret, "https://intake.example.invalid/v2", ["unpublished"])


def test_a_subscription_needs_an_http_url_and_an_event_type(admin_client):
    response = admin_client.post("/admin/feed/webhooks/new/", {"name": "x", "url": "ftp://example.invalid/", "event_types": []})
    assert response.status_code == 200
    assert not WebhookSubscription.objects.exists()


def test_deliveries_and_failures_are_listed_read_only(admin_client, publish_guide, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    subscription = WebhookSubscription.objects.create(name="综合受理系统", url="http://127.0.0.1:1/closed")
    publish_guide()
    from feed.webhooks import deliver_due

    deliver_due()
    failed = WebhookDelivery.objects.get(status="retrying")
    listing = admin_client.get("/admin/feed/deliveries/", {"status": "retrying"})
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "重试中" in html and "综合受理系统" in html
    inspect = admin_client.get(f"/admin/feed/deliveries/inspect/{failed.pk}/")
    assert inspect.status_code == 200 and "Connection refused" in inspect.content.decode()
    assert admin_client.get("/admin/feed/events/").status_code == 200
    for url in ("/admin/feed/deliveries/new/", f"/admin/feed/deliveries/edit/{failed.pk}/", "/admin/feed/events/new/"):
        assert admin_client.get(url).status_code in (302, 403), url
    assert subscription.deliveries.count() == 2
