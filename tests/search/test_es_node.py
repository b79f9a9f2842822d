"""The throw-away search node used by the search tests really starts, indexes and stops.

The node is the session's (``search_node`` in tests/conftest.py): Java and, unless the
distribution is already in ``.cache/elasticsearch/``, Maven are required, and their absence fails
the run on purpose.
"""

from __future__ import annotations

import pytest

from search.testing.es_node import ElasticsearchNode, port_is_open

INDEX = "guides-segmented"

# Text as the Python side indexes it: segmented by jieba, words separated by spaces,
# lowercased (the modules-only Elasticsearch distribution has no lowercase *tokenizer*
# and no whitespace tokenizer for custom analyzers; the built-in ``whitespace``
# analyzer exists in every distribution).
SEGMENTED_DOCS = {
    "1": "办理 居民身份证 需要 携带 户口簿 原件 咨询 电话 12345",
    "2": "食品 经营 许可证 核发 需要 营业执照 etc 卡",
}


@pytest.fixture
def node(running_search_node: ElasticsearchNode) -> ElasticsearchNode:
    return running_search_node


def _create_segmented_index(node: ElasticsearchNode) -> None:
    node.request("DELETE", f"/{INDEX}?ignore_unavailable=true")
    node.request(
        "PUT",
        f"/{INDEX}",
        {
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "mappings": {"properties": {"body": {"type": "text", "analyzer": "whitespace"}}},
        },
    )
    for doc_id, body in SEGMENTED_DOCS.items():
        node.request("PUT", f"/{INDEX}/_doc/{doc_id}", {"body": body})
    node.request("POST", f"/{INDEX}/_refresh")


def _hit_ids(node: ElasticsearchNode, words: str) -> set[str]:
    result = node.request(
        "POST", f"/{INDEX}/_search", {"query": {"match": {"body": words}}, "size": 10}
    )
    return {hit["_id"] for hit in result["hits"]["hits"]}


def test_node_is_healthy_on_loopback(node: ElasticsearchNode) -> None:
    assert node.url.startswith("http://127.0.0.1:")
    health = node.request("GET", "/_cluster/health")
    assert health["status"] in {"green", "yellow"}
    assert health["number_of_nodes"] == 1
    info = node.request("GET", "/_nodes/_local?filter_path=nodes.*.version")
    assert [n["version"] for n in info["nodes"].values()] == [node.version]


def test_whitespace_analysis_keeps_segmented_words(node: ElasticsearchNode) -> None:
    tokens = node.request(
        "POST", "/_analyze", {"analyzer": "whitespace", "text": SEGMENTED_DOCS["1"]}
    )["tokens"]
    assert [t["token"] for t in tokens][:3] == ["办理", "居民身份证", "需要"]


def test_segmented_chinese_document_is_found(node: ElasticsearchNode) -> None:
    _create_segmented_index(node)

    assert _hit_ids(node, "居民身份证") == {"1"}
    assert _hit_ids(node, "营业执照") == {"2"}
    assert _hit_ids(node, "12345") == {"1"}
    assert _hit_ids(node, "etc") == {"2"}
    assert _hit_ids(node, "需要") == {"1", "2"}
    # Whole jieba words are the tokens: a fragment of a word does not match.
    assert _hit_ids(node, "身份") == set()


def test_stop_closes_port_and_restart_reuses_it(node: ElasticsearchNode) -> None:
    _create_segmented_index(node)
    port = node.port

    node.stop(keep_data=True)
    assert not node.is_running()
    assert not port_is_open("127.0.0.1", port), f"port {port} still answers after stop()"

    node.start()
    assert node.port == port
    assert _hit_ids(node, "户口簿") == {"1"}, "index lost across stop(keep_data=True)/start()"
    node.request("DELETE", f"/{INDEX}")
