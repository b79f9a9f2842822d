"""Crawling the admin's screens for text a user reads that is not Chinese."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Doctype

# Attributes whose text a user reads or hears.
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-w-tooltip-content-value")
# Choices that are names in any language: time zones (IANA) and languages in their own tongue.
NAME_LISTS = ("current_time_zone", "preferred_language")
LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'’]*(?:[ \-][A-Za-z][A-Za-z'’]*)*")
# Latin text that is right in a Chinese interface: product names, formats and abbreviations.
ALLOWED = {
    "Wagtail", "PDF", "API", "JSON", "URL", "Atom", "CPSV-AP", "HTTP", "HTTPS", "WeChat", "SEO", "CSV", "XLSX", "Excel",
    "ID", "JavaScript", "Elasticsearch", "SQLite", "PostgreSQL", "v",
}
# Removed before looking: addresses, e-mail, codes, fingerprints, model labels (app.model), numbers.
NOT_WORDS = re.compile(
    r"\S+@\S+|https?://\S+|/[\w/.?=&%-]*|\b[\w-]+\.[a-z]+\b|\b[A-Z0-9]+(?:-[A-Z0-9]+)+\b|\b[0-9a-f]{12,64}\b"
)


def visible_texts(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style", "template", "svg", "code", "pre", "head"]):
        hidden.decompose()
    for hidden in soup.find_all(attrs={"hidden": True}):
        hidden.decompose()
    for select in soup.find_all("select"):
        if any(select.get("name", "").endswith(name) for name in NAME_LISTS):
            select.decompose()
    for comment in soup.find_all(string=lambda text: isinstance(text, (Comment, Doctype))):
        comment.extract()
    texts = [text.strip() for text in soup.find_all(string=True) if text.strip()]
    for element in soup.find_all(True):
        for attribute in READ_ATTRIBUTES:
            value = element.get(attribute)
            if value and isinstance(value, str):
                texts.append(value.strip())
    return texts


def english_in(html: str, data: frozenset[str] = frozenset()) -> set[str]:
    """Runs of Latin words in what a user reads, apart from ``data`` (values the site holds, such
    as codes, slugs and user names) and the allowed names."""
    found = set()
    for text in visible_texts(html):
        if text in data:
            continue
        for run in LATIN_RUN.findall(NOT_WORDS.sub(" ", text)):
            words = run.replace("-", " ").split()
            if run in data or all(word in ALLOWED or word in data or len(word) < 2 for word in words):
                continue
            found.add(run)
    return found
