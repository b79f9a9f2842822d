"""What a portal answers to a list of paths, for comparing a database with its restore: called in
the test process on the source database, and run as ``python -m tests.portal.restore_probe PATHS
ANSWERS`` (JSON files) on the restored one."""

from __future__ import annotations

import json
import sys


def answers(paths: list[str]) -> dict[str, list]:
    from django.test import Client

    client = Client()
    result = {}
    for path in paths:
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        result[path] = [response.status_code, response.get("Location"), body.decode("utf-8")]
    return result


if __name__ == "__main__":
    import django

    django.setup()
    with open(sys.argv[1], encoding="utf-8") as handle:
        requested = json.load(handle)
    with open(sys.argv[2], "w", encoding="utf-8") as handle:
        json.dump(answers(requested), handle, ensure_ascii=False)
