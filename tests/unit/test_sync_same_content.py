"""Reconciling a lost answer compares what ORCID holds with what would be sent."""

from orcid_pyramid.sync.reconcile import same_content

SENT = {"title": {"title": {"value": "A"}}, "type": "journal-article",
        "external-ids": {"external-id": [{"external-id-type": "doi",
                                          "external-id-value": "10.1/x",
                                          "external-id-relationship": "self"}]}}
STORED = {"created-date": {"value": 1}, "last-modified-date": {"value": 2},
          "source": {"source-client-id": {"path": "APP-1"}}, "put-code": 7, "path": "/x/work/7",
          "visibility": "public", "display-index": "0", "journal-title": None,
          "title": {"title": {"value": "A"}, "subtitle": None}, "type": "journal-article",
          "external-ids": {"external-id": [{"external-id-type": "doi",
                                            "external-id-value": "10.1/x",
                                            "external-id-relationship": "self",
                                            "external-id-normalized": {"value": "10.1/x"}}]}}


def test_what_orcid_adds_itself_and_empty_fields_are_not_differences():
    assert same_content(STORED, SENT)


def test_a_changed_or_extra_or_missing_field_is_a_difference():
    assert not same_content({**STORED, "title": {"title": {"value": "B"}}}, SENT)
    assert not same_content({**STORED, "short-description": "added on ORCID"}, SENT)
    assert not same_content(STORED, {**SENT, "url": {"value": "https://x.org"}})
    two_ids = {"external-id": SENT["external-ids"]["external-id"] * 2}
    assert not same_content(STORED, {**SENT, "external-ids": two_ids})
