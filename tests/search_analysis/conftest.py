"""Shared fixtures: one warmed-up default segmenter per test session.

These tests need no Django: run them alone with
``.venv/bin/python -m pytest tests/search_analysis -p no:django -q``.
"""

from __future__ import annotations

import pytest

from search.analysis import get_segmenter, warm_up


@pytest.fixture(scope="session", autouse=True)
def _warm_analysis():
    warm_up()


@pytest.fixture(scope="session")
def seg():
    return get_segmenter()
