"""Webhooks go to public addresses only, unless the host is named in WEBHOOK_ALLOWED_HOSTS:
checked when a subscription is saved and again before each delivery, after resolving the name,
connecting to the address that was checked."""

from __future__ import annotations

import socket

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from feed.models import WebhookDelivery, WebhookSubscription
from feed.targets import is_public, resolve_target, validate_webhook_url
from feed.webhooks import deliver_due
from tests.feed.receivers import Receiver

REFUSED = [
    "http://127.0.0.1/hook",
    "http://localhost:6379/",
    "http://127.1/",  # short form of 127.0.0.1
    "http://2130706433/",  # 127.0.0.1 as one number
    "http://0x7f000001/",
    "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.10:8080/hook",
    "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
    "http://0.0.0.0/",
    "http://224.0.0.1/",  # multicast
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",
    "http://192.0.2.1/",  # documentation
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[fe80::1]/",  # link-local
    "http://[fc00::1]/",  # unique local
    "http://[ff02::1]/",  # multicast
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
]
PUBLIC = ["http://93.184.215.14/hook", "https://8.8.8.8/", "https://[2606:4700:4700::1111]/hook"]


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_targets_are_refused(url):
    with pytest.raises(ValidationError) as refused:
        validate_webhook_url(url)
    assert "WEBHOOK_ALLOWED_HOSTS" in refused.value.messages[0] or "无效" in refused.value.messages[0]


@pytest.mark.parametrize("url", PUBLIC)
def test_public_targets_are_accepted(url):
    validate_webhook_url(url)
    assert all(is_public(address) for address in resolve_target(url).addresses)


def test_a_named_host_may_be_allowed(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", "intake.internal"]
    validate_webhook_url("http://127.0.0.1:8080/hook")
    validate_webhook_url("https://intake.internal/hook")  # taken as it is, not resolved
    for url in ("http://localhost:8080/hook", "http://127.0.0.2/", "http://10.0.0.1/"):
        with pytest.raises(ValidationError):
            validate_webhook_url(url)


def test_names_that_do_not_resolve_are_refused_with_a_clear_message():
    with pytest.raises(ValidationError) as refused:
        validate_webhook_url("https://intake.example.invalid/hooks")
    assert refused.value.messages == ["无法解析主机名 intake.example.invalid"]


@pytest.mark.django_db
def test_the_admin_form_refuses_a_private_target(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.invalid", "pw")
    client.force_login(user)
    response = client.post(
        "/admin/feed/webhooks/new/",
        {"name": "x", "url": "http://localhost:6379/", "event_types": ["published"], "active": "on"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "指向非公网地址" in html and "WEBHOOK_ALLOWED_HOSTS" in html
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
def test_every_delivery_checks_the_target_again(publish_guide, settings):
    """A subscription saved before the rule (or whose name now resolves elsewhere) is not
    delivered to: the try fails with the reason, and the receiver hears nothing."""
    receiver = Receiver().start()
    try:
        subscription = WebhookSubscription.objects.create(name="x", url=f"http://localhost:{receiver.port}/hook")
        publish_guide()
        run = deliver_due()
        assert run.failed and not run.delivered and receiver.requests == []
        failed = WebhookDelivery.objects.get(pk=run.failed[0])
        assert "指向非公网地址" in failed.last_error and failed.status == "retrying"

        # Allowed by name, it is delivered.
        settings.WEBHOOK_ALLOWED_HOSTS = ["localhost"]
        WebhookDelivery.objects.update(next_attempt_at=failed.last_attempt_at)
        run = deliver_due()
        assert len(run.delivered) == 2 and len(receiver.requests) == 2
        assert not subscription.deliveries.exclude(status="delivered").exists()
    finally:
        receiver.stop()


@pytest.mark.django_db
def test_the_delivery_connects_to_the_address_it_checked(publish_guide, settings, monkeypatch):
    """The name is resolved once per try; the request goes to that address with the name in its
    Host header. (The resolver is outside the portal: the test answers for it.)"""
    receiver = Receiver().start()
    answers = {"intake.test": ["127.0.0.1"], "rebound.test": ["93.184.215.14", "127.0.0.1"]}
    asked = []
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    try:
        settings.WEBHOOK_ALLOWED_HOSTS = ["intake.test"]
        WebhookSubscription.objects.create(name="intranet", url=f"http://intake.test:{receiver.port}/hook")
        publish_guide()
        run = deliver_due()
        assert len(run.delivered) == 2 and asked == ["intake.test", "intake.test"]
        assert {request["headers"]["Host"] for request in receiver.requests} == {f"intake.test:{receiver.port}"}

        # A name that answers with a public and a private address is refused, before any connection.
        with pytest.raises(ValidationError):
            validate_webhook_url("http://rebound.test/hook")
        WebhookSubscription.objects.all().delete()
        WebhookSubscription.objects.create(name="rebound", url=f"http://rebound.test:{receiver.port}/hook")
        publish_guide(code="T-GM-0001", name="居民身份证换领", category="公民类")
        run = deliver_due()
        assert run.failed and len(receiver.requests) == 2
        assert "127.0.0.1" in WebhookDelivery.objects.get(pk=run.failed[0]).last_error
    finally:
        receiver.stop()
