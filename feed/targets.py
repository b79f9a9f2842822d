"""Where webhooks may be sent: to public addresses only.

A subscription's URL is entered in the admin, and the portal then POSTs to it from inside the
network it runs in. Left open, that reaches what only the portal can reach: the cloud metadata
service (169.254.169.254), Redis on ``localhost:6379``, the database, the intranet. So a target
host must resolve to public unicast addresses only, unless its name is listed in the setting
``WEBHOOK_ALLOWED_HOSTS`` (for an intake system on the intranet, say).

The check runs when a subscription is saved (the model field's validator, so in the admin form)
and again before every delivery, after resolving the name: the delivery then connects to the
address that was checked, never resolving the name a second time, so a name that resolved to a
public address when checked cannot point somewhere else when connected to (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class TargetRefused(Exception):
    """The URL may not be delivered to; the message says why, for the editor and the log."""


@dataclass(frozen=True)
class Target:
    scheme: str  # "http" or "https"
    host: str  # as written in the URL (sent as Host, checked by TLS)
    port: int
    path: str  # path and query, at least "/"
    addresses: tuple[str, ...]  # resolved and checked: connect to these, in order


def allowed_hosts() -> set[str]:
    return {host.strip().lower().strip("[]") for host in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", []) if host.strip()}


def is_public(address: str) -> bool:
    """A unicast address on the public internet: not loopback, private, link-local (the cloud
    metadata service), shared (CGNAT), multicast, reserved, unspecified or documentation, and
    not one of those in an IPv6 form that carries an IPv4 address (mapped, 6to4, NAT64: the
    last is in ::/8, reserved)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # without an IPv6 zone ("fe80::1%eth0")
    if (
        not ip.is_global
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_unspecified
        or getattr(ip, "is_site_local", False)
    ):
        return False
    if ip.version == 6:
        # 6to4 is public space carrying any IPv4 address; mapped and Teredo addresses count as
        # private in Python 3.11, but newer versions judge a mapped address by its IPv4 one.
        carried = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        return all(is_public(str(inner)) for inner in carried if inner is not None)
    return True


def _getaddrinfo(host: str, port: int, timeout: float) -> list[str]:
    """The addresses of ``host``, within ``timeout`` seconds (the resolver has no timeout of its
    own; a resolver that hangs is left behind in its thread)."""
    answer: list = []

    def resolve():
        try:
            answer.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as error:
            answer.append(error)

    worker = threading.Thread(target=resolve, daemon=True)
    worker.start()
    worker.join(timeout)
    if not answer:
        raise TargetRefused(_("解析主机名 %(host)s 超时") % {"host": host})
    if isinstance(answer[0], OSError):
        raise TargetRefused(_("无法解析主机名 %(host)s") % {"host": host})
    return list(dict.fromkeys(info[4][0] for info in answer[0]))


def _parse(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRefused(_("接收地址无效：%(error)s") % {"error": error}) from error
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(_("接收地址必须以 http:// 或 https:// 开头并包含主机名"))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80), path


def resolve_target(url: str, *, timeout: float = 5.0) -> Target:
    """Parse ``url``, resolve its host and check every address; raise TargetRefused."""
    scheme, host, port, path = _parse(url)
    addresses = _getaddrinfo(host, port, timeout)
    if host not in allowed_hosts():
        refused = [address for address in addresses if not is_public(address)]
        if refused:
            raise TargetRefused(
                _(
                    "接收地址 %(host)s 指向非公网地址 %(address)s（本机、内网、链路本地、组播或保留地址），"
                    "不能推送。如需推送到内网系统，请由系统管理员将该主机名加入 WEBHOOK_ALLOWED_HOSTS 设置。"
                )
                % {"host": host, "address": refused[0]}
            )
    return Target(scheme, host, port, path, tuple(addresses))


def validate_webhook_url(url: str) -> None:
    """Model field validator of a subscription's URL. A host named in WEBHOOK_ALLOWED_HOSTS is
    taken as it is (it may not resolve from where the admin runs); any other must resolve now, to
    public addresses."""
    try:
        _, host, _, _ = _parse(url)
        if host not in allowed_hosts():
            resolve_target(url)
    except TargetRefused as error:
        raise ValidationError(str(error), code="webhook_target") from error
