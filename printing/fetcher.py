"""The only way a PDF render may load anything: a WeasyPrint URL fetcher that never opens a
network connection.

It serves ``data:`` URIs and regular files below the static and media roots (STATIC_ROOT,
STATICFILES_DIRS, MEDIA_ROOT), reached either by a ``file:`` URL or by the site's own
``STATIC_URL`` / ``MEDIA_URL`` under the render's base URL (mapped to the file, never fetched).
Everything else (other files, ``http(s)`` to any host including loopback and link-local
addresses, ``ftp:`` …) is refused and logged. Every attempt is recorded on the instance, so tests
and callers can see what a render tried to load.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request, url2pathname

from django.conf import settings
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger("printing")

# A sheet embeds a logo or a small picture at most; anything bigger is not ours.
MAX_FILE_BYTES = 5 * 1024 * 1024


class RefusedURL(ValueError):
    """Raised for every URL the fetcher will not serve; WeasyPrint treats it as a failed load
    (the image or stylesheet is skipped) and the render goes on."""


@dataclass(frozen=True)
class FetchAttempt:
    url: str
    allowed: bool
    reason: str


def default_roots() -> list[Path]:
    """The directories a render may read from, resolved (symlinks followed) once per fetcher."""
    candidates: list[Path | str | None] = [getattr(settings, "STATIC_ROOT", None)]
    for entry in getattr(settings, "STATICFILES_DIRS", ()) or ():
        # STATICFILES_DIRS entries may be (prefix, path) pairs.
        candidates.append(entry[1] if isinstance(entry, list | tuple) else entry)
    candidates.append(getattr(settings, "MEDIA_ROOT", None))
    roots = []
    for candidate in candidates:
        if not candidate:
            continue
        try:
            roots.append(Path(candidate).resolve())
        except (OSError, RuntimeError):
            continue
    return roots


class RestrictedURLFetcher(URLFetcher):
    """A WeasyPrint ≥ 68 URL fetcher (a ``URLFetcher`` subclass overriding ``fetch``)."""

    def __init__(self, *, base_url: str | None = None, roots: Iterable[Path | str] | None = None, **kwargs):
        # The parent's handlers stay installed but are never used: fetch() below does not call
        # the parent's opener for any URL.
        kwargs.setdefault("allowed_protocols", ("data", "file"))
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 1)
        super().__init__(**kwargs)
        self.roots = [Path(root).resolve() for root in roots] if roots is not None else default_roots()
        self.attempts: list[FetchAttempt] = []
        self._url_roots: list[tuple[str, list[Path]]] = []
        if base_url:
            origin = urlsplit(base_url)
            prefix = f"{origin.scheme}://{origin.netloc}".lower()
            static_url = getattr(settings, "STATIC_URL", None)
            media_url = getattr(settings, "MEDIA_URL", None)
            media_root = Path(settings.MEDIA_ROOT).resolve() if getattr(settings, "MEDIA_ROOT", None) else None
            if static_url and static_url.startswith("/"):
                static_roots = [root for root in self.roots if root != media_root]
                self._url_roots.append((prefix + static_url, static_roots))
            if media_url and media_url.startswith("/") and media_root is not None:
                self._url_roots.append((prefix + media_url, [media_root]))

    # -- bookkeeping ---------------------------------------------------------------------------

    @property
    def refused(self) -> list[FetchAttempt]:
        return [attempt for attempt in self.attempts if not attempt.allowed]

    def _refuse(self, url: str, reason: str):
        self.attempts.append(FetchAttempt(url, False, reason))
        logger.warning("PDF render refused to load %.200s: %s", url, reason)
        raise RefusedURL(f"{reason}: {url[:200]}")

    # -- the WeasyPrint API ----------------------------------------------------------------------

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            try:
                response = DataHandler().data_open(Request(url))
            except ValueError as error:
                self._refuse(url, f"malformed data URI ({error})")
            self.attempts.append(FetchAttempt(url[:64], True, "data URI"))
            return URLFetcherResponse(url, response.read(), dict(response.headers))
        if scheme == "file":
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                self._refuse(url, "remote file URL")
            path = url2pathname(unquote(parts.path))
            return self._serve_file(url, Path(path), self.roots)
        for prefix, roots in self._url_roots:
            if url.lower().startswith(prefix.lower()):
                relative = unquote(urlsplit(url).path)[len(urlsplit(prefix).path):]
                return self._serve_relative(url, relative, roots)
        self._refuse(url, f"scheme or host not allowed ({scheme or 'none'})")
        return None  # unreachable: _refuse raises

    def _serve_relative(self, url: str, relative: str, roots: list[Path]):
        if not relative or relative.startswith("/") or "\\" in relative or "\x00" in relative:
            self._refuse(url, "invalid relative path")
        for root in roots:
            candidate = root / relative
            if candidate.exists():
                return self._serve_file(url, candidate, [root])
        self._refuse(url, "no such static or media file")
        return None

    def _serve_file(self, url: str, path: Path, roots: list[Path]):
        if "\x00" in str(path) or not path.is_absolute():
            self._refuse(url, "invalid path")
        try:
            # strict: the file must exist; every symlink on the way is followed, so a link that
            # points out of the roots resolves outside them and is refused below.
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            self._refuse(url, "no such file")
        if not any(resolved.is_relative_to(root) for root in roots):
            self._refuse(url, "outside the static and media directories")
        try:
            fd = os.open(resolved, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as error:
            self._refuse(url, f"cannot open ({error.strerror})")
        try:
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode):
                self._refuse(url, "not a regular file")
            if status.st_size > MAX_FILE_BYTES:
                self._refuse(url, "file too large")
            with os.fdopen(fd, "rb", closefd=False) as handle:
                body = handle.read(MAX_FILE_BYTES + 1)
        finally:
            os.close(fd)
        content_type = mimetypes.guess_type(resolved.name)[0] or "application/octet-stream"
        self.attempts.append(FetchAttempt(url, True, str(resolved)))
        return URLFetcherResponse(resolved.as_uri(), body, {"Content-Type": content_type})
