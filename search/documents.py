"""What the search index holds for a guide, derived from the guide's serialized record.

Five weighted fields, already segmented by ``search.analysis`` so that every backend indexes
the same tokens: the name and the result, both with their pinyin and initials (the result is the
licence a citizen comes for: 营业执照 is the result of the business registrations, and only a
material of hundreds of other guides), the aliases (简称、俗称: the editors', the reviewed
dictionary's and those the shortening rules derive, see ``search.analysis.abbreviations``), the checklist (materials and conditions) and the rest.
The same token sets re-rank candidates in ``search.ranking``.
"""

from __future__ import annotations

from typing import Any

from search.analysis import index_text, pinyin_index_text
from search.analysis.abbreviations import (
    alias_index_tokens,
    code_index_tokens,
    guide_aliases,
    name_actions,
    result_aliases,
)

NAME_BOOST = 10.0
ALIAS_BOOST = 9.0
RESULT_BOOST = 5.0
CHECKLIST_BOOST = 3.0
TEXT_BOOST = 1.0
# The guide's model fields that hold each part of the document.
MODEL_FIELDS = {
    "search_name": "name",
    "search_alias": "alias",
    "search_result": "result",
    "search_checklist": "checklist",
    "search_text": "text",
}


def search_document(record: dict[str, Any]) -> dict[str, str]:
    materials = " ".join(m["name"] for m in record["materials"])
    rest = " ".join(
        [
            record["summary"],
            record["department"],
            record["item_type"],
            " ".join(f"{s['name']} {s['description']}" for s in record["steps"]),
            " ".join(m["note"] for m in record["materials"]),
            " ".join(f"{f['question']} {f['answer']}" for f in record["faq"]),
            " ".join(s["question"] for s in record["situations"]),
        ]
    )
    return {
        "name": " ".join(
            part
            for part in (index_text(record["name"]), pinyin_index_text(record["name"]), " ".join(code_index_tokens(record["code"])))
            if part
        ),
        # Each alias whole, in pinyin and in initials (出生证 chushengzheng csz).
        "alias": " ".join(
            alias_index_tokens(guide_aliases(record["name"], record.get("aliases", ())), name_actions(record["name"]))
        ),
        "result": " ".join(
            part
            for part in (
                index_text(record["result"]),
                pinyin_index_text(record["result"]),
                " ".join(alias_index_tokens(result_aliases(record["result"]))),
            )
            if part
        ),
        "checklist": " ".join(part for part in (index_text(materials), index_text(record["conditions"])) if part),
        "text": index_text(rest),
    }


def search_field_values(record: dict[str, Any]) -> dict[str, str]:
    """The values of the guide's search fields (``MODEL_FIELDS``) for a serialized record."""
    document = search_document(record)
    return {field_name: document[part] for field_name, part in MODEL_FIELDS.items()}
