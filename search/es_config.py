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


def elasticsearch_backend(url: str, *, index_prefix: str, timeout: float = 2.0, replicas: int = 1) -> dict:
    return {
        "BACKEND": "search.backends.elasticsearch",
        "URLS": [url],
        "INDEX_PREFIX": index_prefix,
        "TIMEOUT": timeout,
        # Fail fast: the database backend answers while the cluster is away.
        "OPTIONS": {"max_retries": 0, "retry_on_timeout": False},
        "INDEX_SETTINGS": {"settings": {"index": {"number_of_replicas": replicas}, "analysis": CORE_ANALYSIS}},
    }
