"""The benchmarks' throwaway database (benchmarks.common): guides written in bulk straight into
the page tree must be served like published ones and leave the database as the ORM expects it
(on PostgreSQL, sequences ahead of every id), and the PostgreSQL cluster of ``--workdir`` must
keep its data from one run to the next."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from benchmarks import common


@pytest.mark.django_db
def test_generated_guides_are_served_and_the_orm_writes_after_them(client, tmp_path):
    from django.db.models import Max

    from guides.importer import import_guides
    from guides.models import ChecklistVersion, GuideMaterial, GuidePage, GuideStep

    site = common.prepare_database(6, imported=1, workdir=tmp_path, log=lambda *a, **k: None)
    assert (site.imported, site.generated, GuidePage.objects.count()) == (1, 5, 6)

    generated = GuidePage.objects.filter(code__contains="-B").order_by("path")
    assert generated.count() == 5
    for page in (generated.first(), generated.last()):
        response = client.get(page.url)
        assert response.status_code == 200, page.url
        assert page.code in response.content.decode()

    # A guide saved by the product's own path after the bulk insert: every table that the
    # generator filled hands out a new id (PostgreSQL: its sequence is past the bulk rows).
    highest = {
        model: model.objects.aggregate(highest=Max("pk"))["highest"]
        for model in (GuidePage, GuideMaterial, GuideStep, ChecklistVersion)
    }
    line = common.demo_lines()[1]  # not imported by prepare_database (it imported the first)
    report = import_guides([line], publish=True)
    assert len(report.created) == 1 and report.published == report.created
    page = GuidePage.objects.exclude(pk__lte=highest[GuidePage]).get()
    assert page.live
    assert page.materials.exists() and page.steps.exists()
    assert min(page.materials.values_list("pk", flat=True)) > highest[GuideMaterial]
    assert min(page.steps.values_list("pk", flat=True)) > highest[GuideStep]
    assert ChecklistVersion.objects.get(guide=page).pk > highest[ChecklistVersion]
    assert client.get(page.url).status_code == 200


@pytest.fixture
def reachable_directory():
    """A new directory that the server's unprivileged account can reach (pytest's tmp_path is
    private to root when the tests run as root)."""
    path = Path(tempfile.mkdtemp(prefix="pg-kept-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.postgresql
def test_a_kept_cluster_starts_again_on_its_data(reachable_directory):
    import psycopg

    from portal.testing.pg_server import PostgresServer

    directory = reachable_directory / "postgresql"
    server = PostgresServer(directory=directory).start()
    try:
        with psycopg.connect(server.url, autocommit=True) as db:
            db.execute("CREATE TABLE kept (word text)")
            db.execute("INSERT INTO kept VALUES ('办事')")
    finally:
        server.stop()
    assert (directory / "data" / "PG_VERSION").exists()
    assert not any(os.scandir(directory / "socket")), "the server is still listening"

    again = PostgresServer(directory=directory).start()
    try:
        with psycopg.connect(again.url) as db:
            assert db.execute("SELECT word FROM kept").fetchall() == [("办事",)]
    finally:
        again.stop()
    assert (directory / "data" / "PG_VERSION").exists()
