"""The emulator's duplicate index (``Record.find_duplicate``) answers exactly as the scan of
every item it replaced (``duplicates.find_duplicate`` over the client's own items), whatever
items were added, edited (new external ids) or deleted before (orcid-facts/member-api.md#writes)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from orcid_pyramid.emulator import duplicates, records

CLIENTS = ["APP-A", "APP-B", None]  # None: the researcher's own items
DOIS = [f"10.1000/{n}" for n in range(5)]


def _work(doi: str, relationship: str) -> dict:
    return {"title": {"title": {"value": "T"}}, "type": "journal-article",
            "external-ids": {"external-id": [{"external-id-type": "doi",
                                              "external-id-value": doi,
                                              "external-id-relationship": relationship}]}}


def _scan(record, client_id, content, skip=None):
    own = [i for i in record.section_items("work")
           if i.source_client_id == client_id and i.put_code != skip]
    return duplicates.find_duplicate("work", content, [(i.put_code, i.keys) for i in own])


_ops = st.lists(st.tuples(st.sampled_from(["add", "edit", "delete", "check"]),
                          st.sampled_from(CLIENTS), st.sampled_from(DOIS),
                          st.sampled_from(["self", "part-of", "version-of"]),
                          st.integers(0, 30)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(_ops)
def test_the_index_answers_as_the_scan_after_any_history(ops):
    record = records.new_record("0000-0002-1825-0097", "A", "B", None, "pw")
    codes = itertools.count(1000)
    for action, client, doi, relationship, pick in ops:
        content = _work(doi, relationship)
        existing = sorted(record.items.get("work", {}))
        target = existing[pick % len(existing)] if existing else None
        if action == "add":
            record.add(records.Item(section="work", put_code=next(codes), data=content,
                                    visibility="public", source_client_id=client,
                                    source_name="s", created=1, modified=1,
                                    keys=duplicates.duplicate_keys("work", content)))
        elif action == "edit" and target is not None:
            item = record.find("work", target)
            item.data = content
            item.keys = duplicates.duplicate_keys("work", content)
            record.reindex(item)
        elif action == "delete" and target is not None:
            record.remove("work", target)
        for who in ("APP-A", "APP-B"):
            keys = duplicates.duplicate_keys("work", content)
            assert record.find_duplicate("work", who, keys) == _scan(record, who, content)
            assert (record.find_duplicate("work", who, keys, skip=target)
                    == _scan(record, who, content, skip=target))
