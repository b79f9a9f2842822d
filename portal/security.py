"""Security pieces shared by the portal's apps: the Content-Security-Policy middleware that gives
the admin its own policy, the client address behind a reverse proxy, and a request counter that
every process sees (the rate limits of the feed and of citizens' feedback)."""

from __future__ import annotations

import fcntl
import ipaddress
import math
import time
from contextlib import contextmanager
from pathlib import Path

from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config
from django.conf import settings
from django.core.cache.backends.filebased import FileBasedCache
from django.core.exceptions import ImproperlyConfigured


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with two policies: ``CONTENT_SECURITY_POLICY`` (strict) for the
    public site, the kiosk and the API, and ``ADMIN_CONTENT_SECURITY_POLICY`` for the paths of
    ``ADMIN_URL_PREFIXES`` (the Wagtail admin with its previews, and Django's admin), which cannot
    run without inline script and style. Previews count as admin: Wagtail renders them through
    the whole middleware chain with a stand-in request for the page's public path (``is_dummy``),
    inside the admin's preview frame. A view's own @csp_* decorators still apply on top."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        admin = is_admin_path(request.path_info) or getattr(request, "is_dummy", False)
        if not report_only and parts.config is None and admin:
            parts.config = default_config(settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"])
        return parts


def is_admin_path(path: str) -> bool:
    return path.startswith(tuple(settings.ADMIN_URL_PREFIXES))


def request_address(request) -> str | None:
    """The client's address: the right-most address of ``FEED_CLIENT_IP_HEADER`` (the one the
    site's own reverse proxy appended; those left of it are the client's word) when that header
    is configured and present, else the peer address. None when neither is an address (a proxy
    on a Unix socket, a test client's forced login): django-axes records that as no address,
    which every database stores, where PostgreSQL's inet column refuses a placeholder."""
    header = getattr(settings, "FEED_CLIENT_IP_HEADER", None)
    candidates = []
    if header and request.META.get(header):
        candidates.append(request.META[header].split(",")[-1].strip())
    candidates.append(request.META.get("REMOTE_ADDR", ""))
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def client_ip(request) -> str:
    """The client's address as a cache-key part: ``request_address``, "unknown" when there is none."""
    return request_address(request) or "unknown"


@contextmanager
def cache_lock(cache):
    """Django's file cache reads, changes and writes a counter in three steps, so two processes
    incrementing it at once lose a count; an exclusive lock on a file beside the entries makes
    the steps one. The other backends increment atomically themselves (Redis INCR; the memory
    cache under its lock)."""
    if not isinstance(cache, FileBasedCache):
        yield
        return
    directory = Path(cache._dir)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "counters.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def count_request(cache, key: str, lifetime: int) -> int:
    """Add one to the counter ``key`` of ``cache`` and return its new value; a new counter lives
    ``lifetime`` seconds from its first count."""
    with cache_lock(cache):
        if cache.add(key, 1, timeout=lifetime):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=lifetime)
            return 1


RATE_UNITS = {"second": 1, "s": 1, "minute": 60, "min": 60, "m": 60, "hour": 3600, "h": 3600}


def parse_rate_limit(value, setting: str) -> tuple[int, int] | None:
    """(requests, seconds) of a rate setting: ``"120/minute"``, ``"10/second"``, ``"1000/hour"``,
    an int (per minute), a (requests, seconds) pair, or None / ``"0"`` for no limit."""
    if not value or str(value).strip() == "0":
        return None
    if isinstance(value, int):
        return value, 60
    if isinstance(value, tuple | list):
        return int(value[0]), int(value[1])
    count, _, unit = str(value).partition("/")
    try:
        return int(count), RATE_UNITS[unit.strip() or "minute"]
    except (KeyError, ValueError) as error:
        raise ImproperlyConfigured(f"{setting}={value!r}: expected e.g. '120/minute'") from error


def over_rate_limit(cache, scope: str, client: str, limit: tuple[int, int]) -> int | None:
    """Count one request of ``client`` in ``scope`` in the current window of ``limit``; the
    seconds to wait when it is over the limit, else None."""
    allowed, period = limit
    now = time.time()
    window = int(now // period)
    count = count_request(cache, f"{scope}:rate:{period}:{window}:{client}", period + 1)
    if count <= allowed:
        return None
    return max(1, math.ceil((window + 1) * period - now))
