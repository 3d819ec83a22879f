"""Peer reviews on the member API: ORCID's required members and vocabularies
(orcid-facts/bodies.md#peer-reviews), and the double grouping of ``GET /peer-reviews``."""

from __future__ import annotations

import pytest

from .api_helpers import peer_review


@pytest.mark.parametrize("member", ["reviewer-role", "review-type", "review-completion-date",
                                    "review-group-id"])
def test_a_peer_review_without_a_required_member_is_400(api, member):
    body = peer_review()
    body.pop(member, None)
    assert api.post("peer-review", body, status=400).json["error-code"] == 9020


@pytest.mark.parametrize("member,value", [("reviewer-role", "referee"),
                                          ("review-type", "opinion")])
def test_a_role_or_type_outside_orcids_lists_is_400_9037(api, member, value):
    body = dict(peer_review(), **{member: value})
    answer = api.post("peer-review", body, status=400)
    assert answer.json["error-code"] == 9037 and value in answer.json["developer-message"]


def test_peer_reviews_read_back_grouped_by_group_id_then_identifiers(api):
    put_code = api.create("peer-review", peer_review())
    groups = api.get("peer-reviews").json["group"]
    inner = [g for group in groups for g in group["peer-review-group"]]
    summaries = [s for g in inner for s in g["peer-review-summary"]]
    assert [s["put-code"] for s in summaries] == [put_code]
