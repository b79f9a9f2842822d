"""A citizen's browser that votes many times, for the concurrent votes test
(tests/feedback/test_concurrent_votes.py): ``python -m tests.feedback.voter CODE COUNT`` posts
COUNT votes on the guide CODE through the whole request path (middleware, transaction) of the
settings and database the environment names, and prints how many were answered with 303."""

from __future__ import annotations

import sys


def vote(code: str, count: int) -> int:
    from django.test import Client

    client = Client(HTTP_HOST="localhost", HTTP_ORIGIN="http://localhost")
    taken = 0
    for number in range(count):
        response = client.post(f"/feedback/{code}/useful/", {"answer": "yes" if number % 3 else "no"})
        if response.status_code != 303:
            print(f"vote {number}: {response.status_code} {response.content[:300]!r}", file=sys.stderr)
            continue
        taken += 1
    return taken


if __name__ == "__main__":
    import django

    django.setup()
    print(vote(sys.argv[1], int(sys.argv[2])))
