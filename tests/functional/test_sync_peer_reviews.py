"""A peer review end to end: the host queues it, the worker POSTs it to the emulator, a change
is a PUT to its put code, the pull finds it again (it is not taken as deleted on ORCID), and a
removal DELETEs it."""

from __future__ import annotations

from sqlalchemy import select

from orcid_pyramid.models import OrcidLink
from orcid_pyramid.models.sync import OrcidItem
from orcid_pyramid.sync.builders import (
    DisambiguatedOrganization,
    ExternalId,
    Organization,
    PeerReview,
)
from orcid_pyramid.sync.pull import pull_all

from .sync_support import build_world


def _review(subject: str = "On Research Integrations") -> PeerReview:
    return PeerReview(role="reviewer", type="review", review_group_id="issn:1741-4857",
                      completion_date="2024-03",
                      convening_organization=Organization(
                          "Learned Publishing", "London", None, "GB",
                          DisambiguatedOrganization("https://ror.org/04fa4r544", "ROR")),
                      external_ids=[ExternalId("source-work-id", "review-7")],
                      subject_name=subject, subject_type="journal-article")


def _member_api(world, user_id):
    with world.session() as db:
        link = db.execute(select(OrcidLink).where(OrcidLink.user_id == user_id)).scalar_one()
    return world.client().member(world.cipher.decrypt(link.access_token_enc), link.orcid)


def _item(world, user_id):
    with world.session() as db:
        return db.execute(select(OrcidItem).where(OrcidItem.user_id == user_id)).scalar_one()


def test_a_peer_review_is_posted_updated_pulled_and_removed(emulator, fresh_db_url):
    world = build_world(emulator, fresh_db_url)
    orcid = world.connect("u1")
    world.put("u1", "review-7", _review())
    assert world.drain().posted == 1
    on_orcid = world.record_items(orcid, "peer-reviews")
    item = _item(world, "u1")
    assert [r["put-code"] for r in on_orcid] == [item.put_code]
    assert item.title == "Review of On Research Integrations" and item.status == "synced"

    world.put("u1", "review-7", _review("On Research Integrations, revised"))
    assert world.drain().updated == 1
    (summary,) = world.record_items(orcid, "peer-reviews")
    assert summary["put-code"] == item.put_code
    updated = _member_api(world, "u1").read_item("peer-review", item.put_code)
    assert updated["subject-name"]["title"]["value"] == "On Research Integrations, revised"

    with world.session() as db:
        result = pull_all(db, world.client(), world.cipher, force=True)
    assert result.deleted == [] and _item(world, "u1").status == "synced"

    world.remove("u1", "review-7", "peer-review")
    assert world.drain().deleted == 1
    assert world.record_items(orcid, "peer-reviews") == []
