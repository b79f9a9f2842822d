"""The catalogue the search tests run on: the 250-guide corpus and the demo site, imported once
for the package, indexed in the database backend and in a real Elasticsearch node (the primary),
and rolled back after the package."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command
from django.test import override_settings

from search.es_config import elasticsearch_backend
from search.service import breaker
from tests.conftest import imported_corpus

BACKENDS = ["elasticsearch", "database"]


def backends_config(node_url: str, prefix: str) -> dict:
    from django.conf import settings as django_settings

    es = elasticsearch_backend(node_url, index_prefix=prefix, timeout=5, replicas=0)
    return {"default": es, "database": django_settings.DATABASE_SEARCH_BACKEND}


def backend_name(backend: str) -> str:
    return "default" if backend == "elasticsearch" else "database"


@pytest.fixture(scope="package")
def corpus(django_db_setup, django_db_blocker, search_node):
    """The corpus and the demo site, imported once, indexed in both backends; Elasticsearch is
    the primary."""
    from guides.importer import import_guides
    from portal.demo.loader import DEMO_DIR, ensure_departments, ensure_themes

    prefix = f"test{uuid.uuid4().hex[:8]}_"
    try:
        with imported_corpus(django_db_blocker), override_settings(
            WAGTAILSEARCH_BACKENDS=backends_config(search_node.url, prefix)
        ):
            with django_db_blocker.unblock():
                ensure_departments()
                ensure_themes()
                demo = (DEMO_DIR / "guides.jsonl").read_text(encoding="utf-8").splitlines()
                import_guides([line for line in demo if line.strip()], publish=True)
            call_command("update_index", backend_name="default", verbosity=0)
            breaker.reset()
            yield search_node
    finally:
        if search_node.is_running():
            search_node.request("DELETE", f"/{prefix}*")


@pytest.fixture
def search_settings(corpus, db):
    """Per test: the catalogue's settings, the node running, and a closed circuit breaker."""
    if not corpus.is_running():
        corpus.start()
    breaker.reset()
    return corpus
