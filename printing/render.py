"""Printable guide sheets: the citizen sheet (办事指南, A4 portrait) and the counter checklist
(受理清单, A4 landscape), rendered to PDF by WeasyPrint from Django templates.

Everything shown comes from the serialized record through ``guides.presentation`` (the same
GuideView, flow SVG and opening-hours table as the web page), so the printed checklist can never
disagree with the web page; this module only adds what paper needs (QR code, page footer).

Rendering never touches the network: the templates inline their CSS and their images (the flow
graphic, the logo and the QR code, as data: URIs), and WeasyPrint loads anything else only through
``RestrictedURLFetcher``. Text is set in the
print face and the CJK fonts of ``printing.fonts``, embedded as subsets (HarfBuzz subsetting).
"""

from __future__ import annotations

import atexit
import base64
import gc
import hashlib
import io
import logging
import multiprocessing
import os
import re
import signal
import stat
import threading
import time
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from guides.domain.hours import WEEKDAY_LABELS
from guides.presentation import (
    build_guide_view,
    flow_svg,
    hall_status,
    printed_answers,
    sheet_answers,
)
from portal.collector import collector_paused
from printing.fonts import PRINT_FAMILY, built_faces, find_source_face, font_dir, font_families

logger = logging.getLogger("printing")

KINDS = ("citizen", "counter")
TEMPLATES = {
    "citizen": "printing/citizen_sheet.html",
    "counter": "printing/counter_checklist.html",
}
# Templates whose source goes into the cache digest, so that a template change re-renders.
STYLESHEET = "printing/sheet.css"
DIGEST_TEMPLATES = (*TEMPLATES.values(), "printing/base_sheet.html", STYLESHEET, "guides/includes/item.html")
# Bump when the rendering changes in a way the template sources do not show.
RENDER_FORMAT = 2

UPCOMING_DAYS = 60  # holiday closures printed on the sheet: the next two months


class RenderError(Exception):
    """The PDF could not be produced."""


class RenderTimeout(RenderError):
    """The render took longer than PRINTING_RENDER_TIMEOUT seconds and was stopped."""


# --- small pieces of the sheet ------------------------------------------------------------------


def css_string(text: str) -> str:
    """A quoted CSS string; escapes quotes, backslashes, line breaks and "<" (so that no text
    can close the surrounding <style> element)."""
    escaped = []
    for char in str(text):
        if char in '"\\<>&' or ord(char) < 0x20 or char == "\x7f":
            escaped.append(f"\\{ord(char):x} ")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def page_counter_content() -> SafeString:
    """CSS ``content`` for “第 1 页 / 共 3 页”, built from one translatable string."""
    pattern = _("第 %(page)s 页 / 共 %(pages)s 页")
    parts = []
    for piece in re.split(r"(%\(pages?\)s)", pattern):
        if piece == "%(page)s":
            parts.append("counter(page)")
        elif piece == "%(pages)s":
            parts.append("counter(pages)")
        elif piece:
            parts.append(css_string(piece))
    return mark_safe(" ".join(parts))  # noqa: S308 - every literal went through css_string


def short_url(record: dict[str, Any], base_url: str, answers: dict[str, str]) -> str:
    """The absolute /g/<code>/ link printed as QR code, with the situation answers."""
    path = reverse("guide-short-url", args=[record["code"]])
    url = base_url.rstrip("/") + path
    return f"{url}?{urlencode(answers)}" if answers else url


def qr_image(url: str) -> SafeString:
    """The QR code as a small PNG in a data: URI, drawn without smoothing (``image-rendering:
    pixelated`` in sheet.css). WeasyPrint parses an SVG path in Python: the same code as SVG
    costs about a tenth of a second per sheet."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=4, border=2)
    source = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return format_html('<img class="qr-code" src="{}" alt="{}">', source, _("二维码：%(url)s") % {"url": url})


def _runs(days: list[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][1] == timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs




def upcoming_calendar(hall: dict[str, Any], today: date) -> list[str]:
    """Closed days and make-up workdays of the next weeks, as printable lines."""
    end = today + timedelta(days=UPCOMING_DAYS)
    closed = [d for d in map(date.fromisoformat, hall["closed_days"]) if today <= d <= end]
    lines = []
    for first, last in _runs(closed):
        if first == last:
            lines.append(_("%(day)s 休息") % {"day": first.isoformat()})
        else:
            lines.append(_("%(first)s 至 %(last)s 休息") % {"first": first.isoformat(), "last": last.isoformat()})
    for day_text, weekday in sorted(hall["makeup_workdays"].items()):
        day = date.fromisoformat(day_text)
        if today <= day <= end:
            lines.append(
                _("%(day)s 调休上班（按%(weekday)s时间）")
                % {"day": day.isoformat(), "weekday": _(WEEKDAY_LABELS[int(weekday)])}
            )
    return lines


def svg_image(svg: str, css_class: str, alt: str) -> SafeString:
    """An SVG drawing as an <img> of a data: URI, drawn exactly as inline. WeasyPrint gives every
    element of an inline <svg> an HTML computed style before it draws the drawing as SVG; as an
    image it only draws it (about 20 ms less per citizen sheet, for the flow graphic). ``alt``
    names it in the PDF's structure tree, which screen readers follow."""
    source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return format_html('<img class="{}" src="{}" alt="{}">', css_class, source, alt)


# The portal's logo: the web theme's file, so that the web page and the paper show one mark.
LOGO_STATIC_PATH = "img/logo.svg"


@lru_cache(maxsize=1)
def logo_svg() -> str:
    from django.contrib.staticfiles import finders

    path = finders.find(LOGO_STATIC_PATH)
    if not path:
        raise RenderError(f"the logo {LOGO_STATIC_PATH} is missing from the static files")
    with open(path, encoding="utf-8") as handle:
        return handle.read()


# --- HTML ----------------------------------------------------------------------------------------


def sheet_context(
    record: dict[str, Any],
    *,
    params: Any = None,
    kind: str = "citizen",
    base_url: str,
    printed_at: datetime | None = None,
    checklist_version: int | None = None,
) -> dict[str, Any]:
    if kind not in TEMPLATES:
        raise ValueError(f"unknown sheet kind {kind!r}")
    printed_at = printed_at or timezone.now()
    local = timezone.localtime(printed_at) if timezone.is_aware(printed_at) else printed_at
    # The counter checklist is every material, whatever the citizen's case.
    answers = sheet_answers(record, params) if kind == "citizen" else {}
    view = build_guide_view(record, answers)
    link = short_url(record, base_url, view.answers)
    if checklist_version:
        version_label = _("受理清单第 %(version)s 版") % {"version": checklist_version}
    else:
        version_label = _("草稿预览：清单尚未发布")
    footer_left = f"{version_label}  {_('清单指纹')} {view.fingerprint}"
    footer_right = _("生成于 %(time)s") % {"time": local.strftime("%Y-%m-%d %H:%M")}
    return {
        "kind": kind,
        "guide": record,
        "view": view,
        "site_name": getattr(settings, "WAGTAIL_SITE_NAME", ""),
        "logo_image": svg_image(logo_svg(), "logo-mark", _("标志")),
        "printed_answers": printed_answers(view),
        # The flow graphic of the web page, in the sheet's typefaces; the steps are listed beside it.
        "flow_image": (
            svg_image(flow_svg(record, sheet_families()), "flow-graphic", _("办理流程图，各步骤见右侧列表"))
            if kind == "citizen"
            else ""
        ),
        "hours": hall_status(record, printed_at),
        "calendar": upcoming_calendar(record["hall"], local.date()),
        "short_url": link,
        # Printed under the QR code for typing: the guide's address, without the answers.
        "guide_url": short_url(record, base_url, {}),
        "qr_image": qr_image(link),
        "checklist_version": checklist_version,
        "version_label": version_label,
        "printed_at": local,
        "footer_left": mark_safe(css_string(footer_left)),  # noqa: S308
        "footer_right": mark_safe(css_string(footer_right + "  ")),  # noqa: S308
        "page_counter": page_counter_content(),
    }


@lru_cache(maxsize=len(KINDS))
def sheet_stylesheet(kind: str):
    """The parsed stylesheet of a kind of sheet, shared by every render in the process: parsing
    and compiling its selectors anew for each sheet cost about a tenth of its render time."""
    from weasyprint import CSS

    families = mark_safe(", ".join(css_string(f) for f in sheet_families()))  # noqa: S308 - each quoted by css_string
    return CSS(string=render_to_string(STYLESHEET, {"kind": kind, "font_families": families}), media_type="print")


def sheet_html(record: dict[str, Any], *, language: str | None = None, **kwargs) -> str:
    """The HTML of a sheet in ``language`` (the site's by default, never the language that
    happens to be active: a cached PDF serves every reader of its language)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        context = sheet_context(record, **kwargs)
        return render_to_string(TEMPLATES[context["kind"]], context)


# --- PDF -----------------------------------------------------------------------------------------


_fonts = threading.local()


# Released while the interpreter is still whole: its __del__ calls into modules that are gone
# once interpreter shutdown clears them.
@atexit.register
def _release_font_configurations() -> None:
    global _process_configuration
    vars(_fonts).pop("configuration", None)
    _process_configuration = None


def font_configuration():
    """One WeasyPrint FontConfiguration per thread, reused by every render. A new one per render
    (WeasyPrint's default) sets up fontconfig and Pango again each time, which is slower and
    leaves memory behind that is never returned (RSS grew ~25 MB per 100 sheets)."""
    from weasyprint.text.fonts import FontConfiguration

    global _process_configuration
    if getattr(_fonts, "configuration", None) is None or getattr(_fonts, "generation", None) != _font_generation:
        configuration = FontConfiguration()
        register_print_faces(configuration)
        _fonts.configuration = configuration
        _fonts.generation = _font_generation
        if _process_configuration is None:
            _process_configuration = configuration
    return _fonts.configuration


def _adopt_process_fonts() -> None:
    """In a render worker: use the process's first font configuration (the one warm_up built),
    whatever thread the worker was forked from. Forked from another thread (a request thread, a
    thread of printing.pending), the worker built a second one beside the first (whose thread's
    state the fork lets go of), and its sheets came out with the bold text's glyphs mapped to the
    wrong characters (seen in tests/printing/test_views.py once sheets rendered from a thread of
    printing.pending)."""
    if _process_configuration is not None:
        _fonts.configuration = _process_configuration
        _fonts.generation = _font_generation


FONT_SETTINGS = ("PRINTING_FONT_DIR", "PRINTING_FONT_FAMILIES")
# Moved by a change of the font settings: every thread builds its font configuration again (the
# threads that render sheets in the background, printing.pending, live as long as the process, and
# a render worker forked from one of them starts with that thread's configuration).
_font_generation = 0
# The first font configuration built in the process, kept for its render workers.
_process_configuration = None


def forget_font_settings(*, setting: str, **kwargs) -> None:
    """setting_changed receiver: a new font directory or family list takes effect at once, in
    every thread."""
    global _font_generation, _process_configuration
    if setting in FONT_SETTINGS:
        for cached in (font_families, built_faces, sheet_stylesheet, check_environment, template_digest, logo_svg):
            cached.cache_clear()
        _font_generation += 1
        _process_configuration = None
        vars(_fonts).pop("configuration", None)


def sheet_families() -> tuple[str, ...]:
    """The font families of the sheets: the print face (printing.fonts) where it is built,
    then the full CJK fonts, which also print what the print face lacks."""
    if any(face.style == "Regular" for face in built_faces()):
        return (PRINT_FAMILY, *font_families())
    return font_families()


def register_print_faces(configuration) -> None:
    """Make the built print faces known to a WeasyPrint FontConfiguration, through @font-face
    rules read from the font directory only."""
    from weasyprint import CSS

    from printing.fetcher import RestrictedURLFetcher

    rules = "".join(
        f"@font-face {{ font-family: {css_string(PRINT_FAMILY)}; font-weight: {face.css_weight}; "
        f"src: url({css_string(face.path.as_uri())}); }}"
        for face in built_faces()
    )
    if rules:
        CSS(string=rules, font_config=configuration, url_fetcher=RestrictedURLFetcher(roots=[font_dir()]))


# WeasyPrint's options, given to both the layout and the writing (each starts from the defaults).
PDF_OPTIONS = {
    # Only the glyphs used, through HarfBuzz (see check_environment).
    "full_fonts": False,
    "hinting": False,
    "uncompressed_pdf": False,
    "pdf_tags": True,
}


def html_to_pdf(html: str, *, base_url: str, url_fetcher=None, stylesheets=()) -> bytes:
    """Lay out and write a PDF with the restricted fetcher (a new one unless given)."""
    # A sheet allocates hundreds of thousands of small linked objects (boxes, computed styles):
    # the collector took about a third of the render time (p50 0.8 s with it, 0.5 s without).
    with collector_paused():
        document = layout(html, base_url=base_url, url_fetcher=url_fetcher, stylesheets=stylesheets)
        return document.write_pdf(**PDF_OPTIONS)


def layout(html: str, *, base_url: str, url_fetcher=None, stylesheets=()):
    """The laid-out pages of a sheet (a WeasyPrint Document), before anything is written."""
    from weasyprint import HTML

    from printing.fetcher import RestrictedURLFetcher

    fetcher = url_fetcher if url_fetcher is not None else RestrictedURLFetcher(base_url=base_url)
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher, media_type="print")
    return document.render(stylesheets=list(stylesheets), font_config=font_configuration(), **PDF_OPTIONS)


def layout_sheet(record: dict[str, Any], *, kind: str = "citizen", base_url: str, **kwargs):
    """The laid-out pages of a sheet as render_guide_pdf() would write them: for counting pages
    and finding where sections fall without writing the PDF."""
    html = sheet_html(record, kind=kind, base_url=base_url, **kwargs)
    with collector_paused():
        return layout(html, base_url=base_url, stylesheets=[sheet_stylesheet(kind)])


def render_guide_pdf(
    record: dict[str, Any],
    *,
    params: Any = None,
    kind: str = "citizen",
    base_url: str,
    printed_at: datetime | None = None,
    checklist_version: int | None = None,
    url_fetcher=None,
    language: str | None = None,
) -> bytes:
    """The PDF of one sheet, rendered in this process.

    ``record`` is a serialize_guide() record, ``params`` the situation answers (a QueryDict or
    dict, as for the web page; ignored for the counter checklist), ``base_url`` the site root
    (``https://host``) used for the QR code, ``checklist_version`` the published checklist
    version (None prints “draft”), ``language`` the language of the sheet's words (the guide's
    content is printed as written). Use render_guide_pdf_limited() where a time limit matters.
    """
    check_environment()
    started = time.monotonic()
    html = sheet_html(
        record,
        params=params,
        kind=kind,
        base_url=base_url,
        printed_at=printed_at,
        checklist_version=checklist_version,
        language=language,
    )
    pdf = html_to_pdf(html, base_url=base_url, url_fetcher=url_fetcher, stylesheets=[sheet_stylesheet(kind)])
    logger.info(
        "rendered %s sheet of %s: %d bytes in %.2f s",
        kind,
        record.get("code"),
        len(pdf),
        time.monotonic() - started,
    )
    return pdf


# --- time limit ----------------------------------------------------------------------------------


def render_timeout() -> float:
    return float(getattr(settings, "PRINTING_RENDER_TIMEOUT", 30))


@lru_cache(maxsize=1)
def warm_up() -> None:
    """Load WeasyPrint, fontconfig and the font checks once in the parent, so that every forked
    render inherits them instead of paying for them again (about half a second each)."""
    from weasyprint import HTML

    check_environment()
    template_digest()
    for kind in KINDS:
        sheet_stylesheet(kind)
    families = ", ".join(css_string(f) for f in sheet_families())
    HTML(string=f"<style>p {{ font-family: {families} }}</style><p>中文</p>").write_pdf(font_config=font_configuration())


# A render worker serves this many sheets, then a fresh one takes over: whatever a layout leaves
# behind goes with the process.
RENDERS_PER_WORKER = 100
# Idle workers kept per process; more are started while more sheets render at once.
IDLE_WORKERS_KEPT = 2

# Sheets rendered at once by a process: a layout keeps a core busy, and each one more than the
# cores there are only made all of them slower (under load, past the time limit). The rest wait
# for a turn, for as long as a render may take.
RENDERS_AT_ONCE = max(1, (os.cpu_count() or 1) // 2)

_workers_lock = threading.Lock()
_render_turns = threading.BoundedSemaphore(RENDERS_AT_ONCE)
_idle_workers: list[RenderWorker] = []
_worker_generation = 0


class RenderWorker:
    """A child process forked from this one that renders sheets sent to it, one at a time.

    Forked with WeasyPrint, the fonts and the stylesheets loaded (warm_up). It is kept between
    sheets because a fresh child is slow, not to start but to run: every page of the parent it
    writes to is copied first, and a sheet rendered in a new child took 150 ms longer than in
    this process (10,000 page copies in this VM). It is killed when a sheet overruns the time
    limit or fails, and retired after RENDERS_PER_WORKER sheets or when settings change.
    """

    def __init__(self, context, generation: int):
        self.connection, child_end = context.Pipe()
        # Daemonic: stopped with this process, and never a parent itself (it renders inline).
        self.process = context.Process(
            target=_serve_renders, args=(child_end, os.getpid()), name="pdf-render-worker", daemon=True
        )
        self.process.start()
        child_end.close()
        self.generation = generation
        self.renders = 0

    def render(self, record: dict[str, Any], kwargs: dict[str, Any], timeout: float) -> bytes:
        self.renders += 1
        self.connection.send((record, kwargs))
        if not self.connection.poll(timeout):
            raise RenderTimeout(_("生成 PDF 超时（%(seconds)s 秒）") % {"seconds": f"{timeout:g}"})
        try:
            message = self.connection.recv_bytes()
        except EOFError:
            self.process.join(5)
            raise RenderError(f"render process died (exit code {self.process.exitcode})") from None
        if message[:1] == b"K":
            return message[1:]
        raise RenderError(message[1:].decode("utf-8", "replace"))

    def retire(self, *, kill: bool) -> None:
        """End the worker: at once (``kill``, e.g. stuck in a layout) or once it sees its pipe
        closed; waited for in the background, as nobody needs to wait for it."""
        if kill:
            self.process.kill()
        self.connection.close()
        threading.Thread(target=_reap, args=(self.process,), name=f"reap-{self.process.pid}", daemon=True).start()


# How often an idle render worker looks whether its parent is still there.
PARENT_CHECK_SECONDS = 1.0
# Signals whose handlers a web server installs in its processes (gunicorn: graceful stop, reload,
# more or fewer workers); a render worker takes the default action of each instead.
SERVER_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGTTIN", "SIGTTOU", "SIGCHLD")


def _detach_from_server(keep: int) -> None:
    """What a render worker does first, as a fork of a web server process: it takes back the
    default handling of the server's signals (a SIGTERM must end it, not set a flag of the server
    it was copied from) and lets go of every socket it inherited except ``keep``, its own end of
    the pipe. The listening socket would otherwise keep the port bound after the server stopped,
    and the parent's ends of the pipes (its own and its siblings') would keep each worker from
    seeing its parent go."""
    for name in SERVER_SIGNALS:
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    try:
        descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:  # no /proc: nothing to look at
        return
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for descriptor in descriptors:
            if descriptor <= 2 or descriptor in (keep, null):
                continue
            try:
                is_socket = stat.S_ISSOCK(os.fstat(descriptor).st_mode)
            except OSError:  # the directory listing's own descriptor, already closed
                continue
            if is_socket:
                # Replaced rather than closed: the inherited socket objects still name this
                # number, and a number that stays taken cannot be handed to a file opened later.
                os.dup2(null, descriptor)
    finally:
        os.close(null)


def _serve_renders(connection, parent_pid: int) -> None:
    """The body of a render worker process."""
    _detach_from_server(keep=connection.fileno())
    _adopt_process_fonts()
    _render_loop(connection, parent_pid)


def _render_loop(connection, parent_pid: int) -> None:
    """The loop of a render worker: a sheet in, its PDF (b"K…") or the error (b"E…") out.

    It ends when its pipe closes, and when its parent is gone (checked every
    PARENT_CHECK_SECONDS while idle): a parent killed outright closes nothing. Not
    PR_SET_PDEATHSIG: Linux sends it when the *thread* that forked the worker ends, and servers
    fork it from request threads that end after each request (runserver).

    The worker runs its collector itself, after each answer, and never during a render: with
    automatic collection on, the first allocation after a layout set off a pass over all of the
    layout's young objects (50-80 ms) before the PDF went out. What it inherited from the parent
    is frozen, so those passes walk only what the worker made itself (and never write to, and
    so copy, the parent's pages).
    """
    gc.disable()
    gc.freeze()
    while True:
        try:
            while not connection.poll(PARENT_CHECK_SECONDS):
                if os.getppid() != parent_pid:
                    return
            record, kwargs = connection.recv()
        except (EOFError, OSError):
            return
        try:
            pdf = render_guide_pdf(record, **kwargs)
        except BaseException as error:  # noqa: BLE001 - everything is reported to the parent
            connection.send_bytes(b"E" + f"{type(error).__name__}: {error}".encode("utf-8", "replace"))
            return  # a failed layout may have left anything behind: the parent starts a new worker
        connection.send_bytes(b"K" + pdf)
        del pdf
        # The layout's cyclic garbage, collected while nobody waits. A full pass: collecting the
        # youngest generation only left some behind (the worker grew 0.1 MB a sheet; flat with
        # this).
        gc.collect()


def _take_worker() -> RenderWorker:
    with _workers_lock:
        while _idle_workers:
            worker = _idle_workers.pop()
            if worker.generation == _worker_generation and worker.process.is_alive():
                return worker
            worker.retire(kill=True)
        generation = _worker_generation
    return RenderWorker(multiprocessing.get_context("fork"), generation)


def _give_back(worker: RenderWorker) -> None:
    with _workers_lock:
        keep = (
            worker.generation == _worker_generation
            and worker.renders < RENDERS_PER_WORKER
            and len(_idle_workers) < IDLE_WORKERS_KEPT
        )
        if keep:
            _idle_workers.append(worker)
    if not keep:
        worker.retire(kill=False)


def retire_render_workers(**kwargs) -> None:
    """Retire every render worker of this process: the next sheet is rendered by a worker forked
    from the process as it is then (settings, loaded code). A setting_changed receiver too."""
    global _worker_generation
    with _workers_lock:
        _worker_generation += 1
        idle = list(_idle_workers)
        _idle_workers.clear()
    for worker in idle:
        worker.retire(kill=False)


# Set in a process that exists only to render (a worker of ``render_pdfs``): sheets render in it,
# stopped by SIGALRM, instead of in a render worker forked from it (two processes per core).
_renders_here = False


def render_in_this_process() -> None:
    """Render every sheet of this process inline, under a SIGALRM time limit. For a process of
    its own whose main thread renders (render_pdfs' pool workers), never for a web server.

    The collector is handled as in a render worker (_render_loop): off, with what the process
    holds at this point frozen, and a pass after each sheet (_render_with_alarm) over what the
    process made since. With automatic collection on, the pass set off as a layout ended walked
    all of its young objects, and the pass after the sheet the whole heap of Django, Wagtail and
    WeasyPrint: with both, a sheet took 1.4× the CPU time (benchmarks/pdf.py, pre-rendering)."""
    global _renders_here
    _renders_here = True
    gc.disable()
    gc.freeze()


def _render_with_alarm(record: dict[str, Any], kwargs: dict[str, Any], timeout: float) -> bytes:
    if threading.current_thread() is not threading.main_thread():
        raise RenderError("render_in_this_process() needs the main thread for its time limit")

    def expired(signum, frame):
        raise RenderTimeout(_("生成 PDF 超时（%(seconds)s 秒）") % {"seconds": f"{timeout:g}"})

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return render_guide_pdf(record, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        # What the layout left behind, collected between sheets rather than during one.
        gc.collect()


def render_guide_pdf_limited(record: dict[str, Any], *, timeout: float | None = None, **kwargs) -> bytes:
    """render_guide_pdf() in a render worker process (RenderWorker), stopped after ``timeout``
    seconds (default settings.PRINTING_RENDER_TIMEOUT, 30 s).

    Layout of hostile or huge content can run long and WeasyPrint cannot be interrupted from
    inside (a thread cannot be stopped; SIGALRM only works in the main thread of the process,
    which a threaded server does not give us). A worker process can be killed for real, freeing
    its memory too. Where fork is unavailable (or inside a daemonic worker that may not have
    children) the render runs inline and an overrun is only logged.
    """
    timeout = render_timeout() if timeout is None else timeout
    if _renders_here:
        return _render_with_alarm(record, kwargs, timeout)
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        started = time.monotonic()
        pdf = render_guide_pdf(record, **kwargs)
        if time.monotonic() - started > timeout:
            logger.warning("render of %s took longer than %.0f s (not isolated)", record.get("code"), timeout)
        return pdf

    warm_up()
    if not _render_turns.acquire(timeout=timeout):
        raise RenderTimeout(_("生成 PDF 的请求过多，%(seconds)s 秒内未能开始") % {"seconds": f"{timeout:g}"})
    try:
        worker = _take_worker()
        try:
            pdf = worker.render(record, kwargs, timeout)
        except BaseException:
            worker.retire(kill=True)
            raise
        _give_back(worker)
    finally:
        _render_turns.release()
    return pdf


def _reap(process) -> None:
    """Wait for a render worker to end, killing it if it does not within a few seconds."""
    process.join(5)
    if process.is_alive():
        process.kill()
        process.join()


# --- environment --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def check_environment() -> tuple[str, ...]:
    """Problems that make PDFs slow or wrong, logged once per process: without HarfBuzz subset
    WeasyPrint falls back to fontTools (~8 s per CJK sheet instead of ~0.3 s); without a CJK
    font Chinese text prints as boxes; without the print face sheets are slower and bigger."""
    problems = []
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    if not harfbuzz_subset or not harfbuzz.hb_version_atleast(4, 1, 0):
        problems.append("libharfbuzz-subset0 (>= 4.1) is missing: fonts are subset with fontTools, which is slow")
    if find_source_face("Regular") is None:
        problems.append(f"no CJK font among {', '.join(font_families())} (install fonts-noto-cjk)")
    elif not built_faces():
        problems.append(f"no print face in {font_dir()} (run manage.py build_print_fonts): sheets are slower")
    for problem in problems:
        logger.error("printing: %s", problem)
    return tuple(problems)


@lru_cache(maxsize=1)
def template_digest() -> str:
    """Changes whenever a sheet template, WeasyPrint or the render format changes: part of the
    cache key, so that a deploy with new templates does not serve old PDFs."""
    import weasyprint

    digest = hashlib.sha256(f"{RENDER_FORMAT}:{weasyprint.__version__}:{sheet_families()}".encode())
    for name in DIGEST_TEMPLATES:
        source = getattr(get_template(name).template, "source", "")
        digest.update(name.encode() + b"\0" + source.encode("utf-8"))
    digest.update(logo_svg().encode("utf-8"))
    # The translations of the sheets' words.
    for directory in settings.LOCALE_PATHS:
        for catalogue in sorted(Path(directory).glob("*/LC_MESSAGES/django.mo")):
            digest.update(str(catalogue.relative_to(directory)).encode() + b"\0" + catalogue.read_bytes())
    return digest.hexdigest()[:12]
