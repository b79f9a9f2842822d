"""The evaluation corpus of the domain tests, as parsed records."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import corpus_lines


def load_corpus() -> list[dict[str, Any]]:
    """All guides of the corpus (tests/data/guides.jsonl; a missing file fails the test)."""
    return [json.loads(line) for line in corpus_lines() if line.strip()]
