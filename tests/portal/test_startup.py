"""What the WSGI entry point does before the first request."""

import gc

from portal.startup import prepare_process


def test_prepare_process_freezes_what_it_loaded_out_of_the_collector():
    gc.unfreeze()
    try:
        prepare_process()
        # Everything loaded so far (Django, the dictionaries, WeasyPrint) is now permanent.
        assert gc.get_freeze_count() > 10_000
        assert gc.isenabled()
    finally:
        gc.unfreeze()
