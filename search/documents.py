"""What the search index holds for a guide, derived from the guide's serialized record.

Three weighted fields, already segmented by ``search.analysis`` so that every backend indexes
the same tokens: the name (with its pinyin and initials), the checklist (materials and
conditions) and the rest. The same token sets re-rank candidates in ``search.ranking``.
"""

from __future__ import annotations

from typing import Any

from search.analysis import index_text, pinyin_index_text

NAME_BOOST = 10.0
CHECKLIST_BOOST = 3.0
TEXT_BOOST = 1.0


def search_document(record: dict[str, Any]) -> dict[str, str]:
    materials = " ".join(m["name"] for m in record["materials"])
    rest = " ".join(
        [
            record["summary"],
            record["department"],
            record["item_type"],
            record["result"],
            " ".join(f"{s['name']} {s['description']}" for s in record["steps"]),
            " ".join(m["note"] for m in record["materials"]),
            " ".join(f"{f['question']} {f['answer']}" for f in record["faq"]),
            " ".join(s["question"] for s in record["situations"]),
        ]
    )
    return {
        "name": " ".join(
            part
            for part in (index_text(record["name"]), pinyin_index_text(record["name"]), index_text(record["code"]))
            if part
        ),
        "checklist": " ".join(part for part in (index_text(materials), index_text(record["conditions"])) if part),
        "text": index_text(rest),
    }
