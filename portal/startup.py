"""What a serving process does once, before its first request (called by ``portal.wsgi``)."""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)


def prepare_process() -> None:
    """Load the search dictionaries and the print stack now rather than in a citizen's request,
    then move everything loaded so far out of the garbage collector's way. The segmentation,
    pinyin and synonym dictionaries are hundreds of thousands of objects that live as long as the
    process; without ``gc.freeze()`` every full collection walks them, which measured 10–15 ms in
    the middle of a search (and forked PDF renders copy fewer pages)."""
    from printing.render import warm_up as warm_up_printing
    from search.analysis import warm_up as warm_up_search

    warm_up_search()
    try:
        warm_up_printing()
    except Exception:  # the sheet views report a broken print stack to the user and the log
        logger.exception("the print stack could not be loaded; PDF sheets will fail")
    gc.collect()
    gc.freeze()
