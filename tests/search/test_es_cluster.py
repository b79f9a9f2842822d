"""An Elasticsearch cluster of two nodes of the same distribution, formed on loopback
(``discovery.seed_hosts`` with transport ports chosen at run time, ``cluster.initial_master_nodes``
on the first start, no single-node discovery). The guides' index has one replica. One node is
stopped mid-run: searches keep answering from Elasticsearch with the same results and publishing
keeps working; the node comes back and the cluster is green again.

Which node stops: of two master-eligible nodes only one holds the cluster's vote, and stopping
that one would stop the cluster. The test stops the node that holds the guides' primary shard (so
that the replica on the other node must take over) and, as an operator would before a planned
stop, first moves the vote away from it with a voting-config exclusion; when that node was the
elected master, the other node becomes master. The exclusion is cleared once the node is back.
"""

from __future__ import annotations

import uuid

import pytest

from search.es_config import elasticsearch_backend
from search.models import IndexUpdate
from search.outbox import sync_index
from search.service import breaker, search_backend, search_guides
from search.testing.es_node import DistributionError, ElasticsearchCluster, JavaNotFoundError
from tests.feed.conftest import CATALOGUE

pytestmark = pytest.mark.django_db

QUERIES = ["食品经营许可", "身份证", "建筑工程施工许可", "出生证明补办", "换身份证"]


@pytest.fixture(scope="module")
def cluster():
    # A node that returns mid-run starts while the machine is busy with the rest of the suite.
    cluster = ElasticsearchCluster(2, heap_max="256m", startup_timeout=300)
    try:
        cluster.start()
    except (DistributionError, JavaNotFoundError) as error:
        pytest.fail(f"the search test cluster cannot be started: {error}", pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture
def cluster_search(cluster, settings):
    """Elasticsearch through every node's URL, the database backend as the fallback."""
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": elasticsearch_backend(cluster.urls, index_prefix=f"cluster{uuid.uuid4().hex[:8]}_", timeout=5, replicas=1),
        "database": settings.DATABASE_SEARCH_BACKEND,
    }
    breaker.reset()
    yield cluster
    breaker.reset()


def answers(query: str) -> list[str]:
    outcome = search_guides(query, log=False)
    assert outcome.backend == "default" and not outcome.degraded, query  # Elasticsearch answered
    return [hit.page.code for hit in outcome.hits]


def synced(cluster, index: str) -> None:
    run = sync_index()
    assert not run.failed and run.synced, run
    assert not IndexUpdate.objects.exists()
    cluster.request("POST", f"/{index}/_refresh")


def shards(cluster, index: str) -> list[dict]:
    return cluster.request("GET", f"/_cat/shards/{index}?format=json&h=prirep,state,node")


def test_searches_and_publishing_go_on_while_a_node_is_stopped(cluster_search, publish_guide):
    from guides.models import GuidePage

    cluster = cluster_search
    pages = [publish_guide(**overrides) for overrides in CATALOGUE]
    index = search_backend("default").get_index_for_model(GuidePage).name
    synced(cluster, index)
    assert cluster.wait_for(status="green", nodes=2)["status"] == "green"
    copies = shards(cluster, index)
    assert sorted(copy["prirep"] for copy in copies) == ["p", "r"]
    assert {copy["state"] for copy in copies} == {"STARTED"} and len({copy["node"] for copy in copies}) == 2
    before = {query: answers(query) for query in QUERIES}
    assert all(before.values()), before

    stopped = next(copy["node"] for copy in copies if copy["prirep"] == "p")
    cluster.exclude_from_voting(stopped)
    assert stopped not in cluster.voting_names()
    cluster.node(stopped).stop(keep_data=True)
    health = cluster.wait_for(status="yellow", nodes=1)
    assert (health["number_of_nodes"], health["unassigned_primary_shards"]) == (1, 0) and health["unassigned_shards"] > 0
    survivor = next(node.node_name for node in cluster.running())
    assert cluster.master_name() == survivor
    assert [(copy["prirep"], copy["node"]) for copy in shards(cluster, index) if copy["state"] == "STARTED"] == [("p", survivor)]

    # Searches: the same answers, from Elasticsearch, although the client's first URL may be down.
    for _ in range(3):
        assert {query: answers(query) for query in QUERIES} == before

    # Publishing: a new guide and an unpublished one reach the index through the outbox.
    added = publish_guide(code="T-GM-0003", name="居住证签注", category="公民类", department="测试区公安分局")
    pages[1].unpublish()
    synced(cluster, index)
    assert answers("居住证签注")[0] == "T-GM-0003"
    documents = cluster.request("POST", f"/{index}/_search", {"query": {"ids": {"values": [str(added.pk), str(pages[1].pk)]}}})
    live = {hit["_id"]: hit["_source"]["live_filter"] for hit in documents["hits"]["hits"]}
    assert live == {str(added.pk): True, str(pages[1].pk): False}
    during = {query: answers(query) for query in [*QUERIES, "居住证签注"]}

    # The node returns: green again, and its copy holds what was published while it was away.
    cluster.node(stopped).start()
    cluster.clear_voting_exclusions()
    health = cluster.wait_for(status="green", nodes=2)
    assert (health["status"], health["number_of_nodes"], health["unassigned_shards"]) == ("green", 2, 0)
    assert len(cluster.voting_names()) == 1
    assert {copy["state"] for copy in shards(cluster, index)} == {"STARTED"}
    local = cluster.request(
        "POST", f"/{index}/_search?preference=_only_nodes:{stopped}", {"query": {"ids": {"values": [str(added.pk)]}}}
    )
    assert local["hits"]["total"]["value"] == 1
    assert {query: answers(query) for query in during} == during
