"""The Elasticsearch backend configuration, shared by the settings, the tests and the benchmarks.
No Django imports: settings modules import it."""

# Only analysis built into every Elasticsearch distribution: Wagtail's defaults need the
# analysis-common module (ngram tokenizers), which minimal distributions lack. Our search fields
# are segmented in Python and split on spaces; the admin's autocomplete falls back to whole tokens.
CORE_ANALYSIS = {
    "analyzer": {
        "ngram_analyzer": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]},
        "edgengram_analyzer": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]},
    },
    "tokenizer": {},
    "filter": {},
}


def elasticsearch_backend(
    urls: str | list[str], *, index_prefix: str, timeout: float = 2.0, replicas: int = 1
) -> dict:
    """The backend of a cluster reached through ``urls`` (a list, or one string of
    comma-separated URLs: give every node that answers HTTP, so that a stopped node is skipped)."""
    if isinstance(urls, str):
        urls = [url.strip() for url in urls.split(",") if url.strip()]
    return {
        "BACKEND": "search.backends.elasticsearch",
        "URLS": urls,
        "INDEX_PREFIX": index_prefix,
        "TIMEOUT": timeout,
        # Not written inside the transaction of a save: the index outbox (search.outbox) brings
        # the cluster up to date afterwards, so a hung or absent cluster never holds up a publish.
        "AUTO_UPDATE": False,
        # Fail fast: the database backend answers while the cluster is away. A node that refuses
        # connections (stopped) is retried on the next node; a timeout is not retried anywhere.
        "OPTIONS": {"max_retries": len(urls) - 1, "retry_on_timeout": False},
        "INDEX_SETTINGS": {"settings": {"index": {"number_of_replicas": replicas}, "analysis": CORE_ANALYSIS}},
    }
