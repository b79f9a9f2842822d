"""The garbage collector is paused during bursts of allocation (a PDF render), and always
switched back on."""

import gc
import threading

import pytest

from guides.serializers import serialize_guide
from portal.collector import collector_paused
from printing.fetcher import RestrictedURLFetcher
from printing.render import render_guide_pdf
from tests.printing.conftest import BASE_URL


@pytest.fixture
def collector_enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_nested_and_concurrent_pauses_end_with_the_collector_on(collector_enabled):
    inside, release = threading.Event(), threading.Event()

    def other_render():
        with collector_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_render)
    with collector_paused():
        assert not gc.isenabled()
        thread.start()
        inside.wait(5)
        with collector_paused():
            assert not gc.isenabled()
    assert not gc.isenabled()  # the other render still runs
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled(collector_enabled):
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
    gc.enable()


def test_the_collector_is_back_on_after_a_failed_render(collector_enabled):
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("layout failed")
    assert gc.isenabled()


class CollectorWatchingFetcher(RestrictedURLFetcher):
    """Notes whether the collector ran while WeasyPrint fetched the sheet's images."""

    def fetch(self, url, headers=None):
        self.collector_states = [*getattr(self, "collector_states", []), gc.isenabled()]
        return super().fetch(url, headers)


def test_a_real_render_runs_with_the_collector_paused(publish_guide, collector_enabled):
    fetcher = CollectorWatchingFetcher(base_url=BASE_URL)
    pdf = render_guide_pdf(serialize_guide(publish_guide()), base_url=BASE_URL, url_fetcher=fetcher)
    assert pdf.startswith(b"%PDF-")
    # The QR code, the logo and the flow graphic, all fetched with the collector off.
    assert fetcher.collector_states == [False, False, False]
    assert gc.isenabled()
