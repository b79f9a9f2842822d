"""Locate the shared evaluation corpus, which lives outside the repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

_REPO = Path(__file__).resolve().parents[2]
# Developers have it at /work/shared; CI lays a copy of shared/ beside the clone.
_CANDIDATES = (
    _REPO.parent / "shared" / "corpus" / "guides.jsonl",
    Path("/work/shared/corpus/guides.jsonl"),
)


def load_corpus() -> list[dict[str, Any]]:
    """All guides of the corpus, or skip the calling test when it is absent."""
    for path in _CANDIDATES:
        if path.is_file():
            with path.open(encoding="utf-8") as handle:
                return [json.loads(line) for line in handle if line.strip()]
    pytest.skip("shared corpus guides.jsonl not available")
