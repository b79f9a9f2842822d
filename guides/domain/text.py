"""The words the domain rules say to people (validation errors, labels of hours and time
limits, the flow graphic's captions), translatable without Django in the domain.

The domain writes them in Chinese, through ``gettext`` as ``_("…")``, so that ``makemessages``
collects them as msgids of the project's catalogues like every other string. The Django app
installs Django's gettext at start-up (guides.apps), which translates into the active language;
until then, and in the domain's own unit tests, a message is returned as written. Messages with
values are formatted after translation (``_("…%(code)s…") % {"code": code}``), so the msgid is
the same whatever the values.
"""

from __future__ import annotations

from collections.abc import Callable


def _as_written(message: str) -> str:
    return message


_translate: Callable[[str], str] = _as_written


def install(translate: Callable[[str], str]) -> None:
    """Translate the domain's messages with ``translate`` from now on (Django's gettext)."""
    global _translate
    _translate = translate


def gettext(message: str) -> str:
    return _translate(message)


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue where it is defined; it is translated where shown."""
    return message
