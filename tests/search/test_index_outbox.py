"""Publishing never waits on Elasticsearch: index updates go through the outbox after the commit.

The cluster is reached through a relay on loopback that first hangs (accepts connections and
never answers: the worst kind of outage, each request costs its whole timeout) and later forwards
to the session's real node. With the ImmediateBackend of development the outbox is emptied by a
thread of the process (portal.tasks.ThreadBackend); with the database queue of production by
``db_worker``. Either way no index request runs in the thread that publishes or imports, the
changes wait in the outbox while the cluster hangs, and the index catches up by itself once it
answers, without ``update_index``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import socket
import threading
import time
import uuid

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from elastic_transport import Transport

from search import service
from search.es_config import elasticsearch_backend
from search.models import IndexSync, IndexUpdate
from search.outbox import _Lease, sync_index
from search.service import breaker, search_backend, search_guides
from tests.conftest import build_hall, jsonl, make_record, request_transaction

ES_TIMEOUT = 3.0  # longer than the 1 s a publish may cost, so a request inside it would show


class Relay:
    """A TCP listener on 127.0.0.1. ``hang``: accepts and never answers. ``forward``: pipes new
    connections to ``target`` (host, port)."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.mode = "hang"
        self.accepted = 0
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            self._sockets.append(client)
            if self.mode == "forward":
                upstream = socket.create_connection(self.target)
                self._sockets.append(upstream)
                threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
                threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
            # "hang": the connection is held open and nothing is ever sent back.

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for sock in self._sockets:
            sock.close()


@pytest.fixture
def relay(running_search_node):
    relay = Relay(("127.0.0.1", running_search_node.port))
    yield relay
    relay.close()


@pytest.fixture
def hung_cluster(relay, settings, running_search_node):
    """Elasticsearch behind the hanging relay, the database backend as the fallback."""
    prefix = f"outbox{uuid.uuid4().hex[:8]}_"
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": elasticsearch_backend(relay.url, index_prefix=prefix, timeout=ES_TIMEOUT, replicas=0),
        "database": settings.DATABASE_SEARCH_BACKEND,
    }
    settings.SEARCH_INDEX_TIMEOUT = ES_TIMEOUT
    breaker.reset()
    yield relay
    breaker.reset()
    running_search_node.request("DELETE", f"/{prefix}*")


@pytest.fixture
def index_requests(monkeypatch):
    """The thread of every request the Elasticsearch client sends (a spy: requests still go out)."""
    threads: list[int] = []
    send = Transport.perform_request

    def spy(self, *args, **kwargs):
        threads.append(threading.get_ident())
        return send(self, *args, **kwargs)

    monkeypatch.setattr(Transport, "perform_request", spy)
    return threads


@pytest.fixture
def background():
    """The thread that runs background work with the immediate backend. The test's own thread
    waits for it before touching the database again (both share the in-memory test database,
    whose table locks do not wait), and nothing is left queued for the next test."""
    from django_tasks import task_backends

    backend = task_backends["background"]
    yield backend
    assert backend.wait(60), "background work still running after the test"
    backend.discard()


def site_without_search_cluster():
    """The site tree and hall, written before the cluster is configured: their pages would
    otherwise start a sync of their own while the test writes on."""
    from portal.demo.loader import ensure_site

    with override_settings(WAGTAILSEARCH_BACKENDS={"default": {"BACKEND": "search.backends.database"}}):
        ensure_site()
        build_hall()


def records(count: int, prefix: str = "T-OB") -> list[dict]:
    return [make_record(code=f"{prefix}-{number:04d}", name=f"食品经营许可证核发{number}号") for number in range(count)]


def indexed_ids(node, index: str) -> dict[str, bool]:
    """Document id → live, as the node holds them."""
    node.request("POST", f"/{index}/_refresh")
    found = node.request("POST", f"/{index}/_search", {"size": 1000, "_source": ["live_filter"], "query": {"match_all": {}}})
    return {hit["_id"]: hit["_source"]["live_filter"] for hit in found["hits"]["hits"]}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_hung_cluster_holds_up_no_publish_and_nothing_is_lost(
    hung_cluster, background, index_requests, running_search_node, settings
):
    from guides.importer import import_guides
    from guides.models import GuidePage

    site_without_search_cluster()
    me = threading.get_ident()

    # An import of 40 guides: no index request in its thread, before or after its commit, and
    # nothing waits after the commit; the outbox holds them.
    with request_transaction() as timing:
        import_guides(jsonl(*records(40)), publish=True)
    assert me not in index_requests and timing.after_commit <= 1.0
    assert background.wait(ES_TIMEOUT * 3)  # the thread's try: hung, timed out, a retry scheduled
    assert index_requests and me not in index_requests and hung_cluster.accepted >= 1
    state = IndexSync.objects.get()
    assert state.failures == 1 and "Timeout" in state.last_error and state.retry_at > timezone.now()
    assert IndexUpdate.objects.filter(model="guides.guidepage").values("object_id").distinct().count() == 40

    # An editor's publish and unpublish, each in its transaction as in an admin request.
    revision = GuidePage.objects.get(code="T-OB-0001").get_latest_revision_as_object()
    revision.title = "食品经营许可证核发（新）"
    with request_transaction() as publish:
        revision.save_revision().publish()
    assert background.wait(ES_TIMEOUT * 3)
    with request_transaction() as unpublish:
        GuidePage.objects.get(code="T-OB-0002").unpublish()
    assert background.wait(ES_TIMEOUT * 3)
    assert publish.after_commit <= 1.0 and unpublish.after_commit <= 1.0
    assert me not in index_requests
    # Searches meanwhile are answered, by the database backend while the breaker is open.
    outcome = search_guides("食品经营许可证核发", log=False)
    assert outcome.hits and outcome.degraded

    # The cluster answers again: the next change (or the scheduled retry) sends the whole backlog.
    hung_cluster.mode = "forward"
    settings.SEARCH_INDEX_TIMEOUT = 30  # the hang needed a short wait, a loaded node may need more
    breaker.reset()  # its 30 s have passed
    with request_transaction():
        GuidePage.objects.get(code="T-OB-0003").save_revision().publish()
    assert background.wait(60)
    assert not IndexUpdate.objects.exists(), IndexSync.objects.values().get()
    assert me not in index_requests
    index = search_backend("default").get_index_for_model(GuidePage).name
    held = indexed_ids(running_search_node, index)
    pages = dict(GuidePage.objects.filter(code__startswith="T-OB-").values_list("code", "pk"))
    assert {str(pk) for pk in pages.values()} <= held.keys()
    assert held[str(pages["T-OB-0002"])] is False and held[str(pages["T-OB-0001"])] is True
    outcome = search_guides("食品经营许可证核发（新）", log=False)
    assert outcome.backend == "default" and not outcome.degraded
    assert outcome.hits[0].page.code == "T-OB-0001"
    assert IndexSync.objects.get().failures == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_sync_retries_by_itself(hung_cluster, background, settings, monkeypatch, running_search_node):
    """No further change needed: the retry that a failed try scheduled empties the outbox once
    the cluster answers."""
    from guides.importer import import_guides
    from guides.models import GuidePage

    settings.SEARCH_INDEX_RETRY_SECONDS = 0.5
    monkeypatch.setattr(service, "BACKEND_RETRY_SECONDS", 0.5)
    site_without_search_cluster()

    import_guides(jsonl(*records(3, "T-RT")), publish=True)
    deadline = time.monotonic() + 30
    while not hung_cluster.accepted and time.monotonic() < deadline:
        time.sleep(0.05)
    hung_cluster.mode = "forward"  # the first try still hangs; the next ones get through
    settings.SEARCH_INDEX_TIMEOUT = 30
    assert background.wait(60, deferred=True)
    state = IndexSync.objects.get()
    assert not IndexUpdate.objects.exists() and hung_cluster.accepted >= 2, (vars(state), hung_cluster.accepted)
    assert state.failures == 0 and state.last_synced_at is not None
    pks = GuidePage.objects.filter(code__startswith="T-RT").values_list("pk", flat=True)
    assert {str(pk) for pk in pks} <= indexed_ids(running_search_node, search_backend("default").get_index_for_model(GuidePage).name).keys()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_the_database_queue_the_worker_catches_up(hung_cluster, settings, index_requests, running_search_node):
    """Production: the sync is a queued task for ``db_worker``; a failed try queues one retry."""
    from django_tasks_db.models import DBTaskResult

    from guides.importer import import_guides
    from guides.models import GuidePage

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.BACKGROUND_TASK_BACKEND = "default"
    site_without_search_cluster()
    import_guides(jsonl(*records(5, "T-DB")), publish=True)
    assert index_requests == [] and hung_cluster.accepted == 0
    queued = DBTaskResult.objects.filter(task_path="search.outbox.sync_search_index")
    assert queued.count() == 1

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert hung_cluster.accepted >= 1 and IndexUpdate.objects.count() >= 5
    retry = queued.filter(status="READY").get()
    assert retry.run_after is not None and retry.run_after > timezone.now() + dt.timedelta(seconds=20)
    assert IndexSync.objects.get().retry_at == retry.run_after

    # Many changes while the cluster is away still leave one retry queued, not one each.
    import_guides(jsonl(*records(2, "T-DC")), publish=True)
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert queued.filter(status="READY").count() == 1

    hung_cluster.mode = "forward"
    settings.SEARCH_INDEX_TIMEOUT = 30
    breaker.reset()  # the worker's breaker: its 30 s have passed
    queued.filter(status="READY").update(run_after=timezone.now())  # and so has the retry's time
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert not IndexUpdate.objects.exists()
    index = search_backend("default").get_index_for_model(GuidePage).name
    pks = GuidePage.objects.filter(code__startswith="T-D").values_list("pk", flat=True)
    assert {str(pk) for pk in pks} <= indexed_ids(running_search_node, index).keys()


@pytest.mark.django_db
def test_one_process_syncs_at_a_time(hung_cluster, publish_guide):
    """While another process holds the lease, a sync leaves the rows to it."""
    publish_guide()
    rows = IndexUpdate.objects.count()
    assert rows > 0
    other = _Lease(seconds=60)
    assert other.claim()
    run = sync_index()
    assert run.busy and not run.synced and IndexUpdate.objects.count() == rows
    output = io.StringIO()
    call_command("sync_search_index", stdout=output)
    assert output.getvalue() == f"已同步 0 条，待同步 {rows} 条\n另一个进程正在同步\n"
    assert hung_cluster.accepted == 0
    other.release()


@pytest.mark.django_db
def test_without_elasticsearch_nothing_is_written_to_the_outbox(publish_guide):
    publish_guide()
    assert not IndexUpdate.objects.exists()
    output = io.StringIO()
    call_command("sync_search_index", stdout=output)
    assert output.getvalue() == "未配置 Elasticsearch，无需同步\n"
