"""Reconnecting never duplicates anything on the record: before the first POST of an item the
site has no put code for, the worker adopts the one this client already wrote for it."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import delete

from orcid_pyramid.cli import main
from orcid_pyramid.compliance.fixtures.app import (
    SEED_ORCID,
    connect_via_emulator,
    csrf_token,
)
from orcid_pyramid.models import OrcidLink
from orcid_pyramid.models.sync import OrcidItem
from orcid_pyramid.sync.builders import (
    ExternalId,
    Funding,
    Keyword,
    OtherName,
    PersonExternalIdentifier,
    ResearcherUrl,
)

from .sync_support import CLIENT_ID, REDIRECT, build_world, employment, section_items
from .test_promise_revocations import site_ini

PERSON_SCOPE = "/read-limited /activities/update /person/update"


def _ours(record: dict, section: str) -> list[dict]:
    return [i for i in section_items(record, section)
            if CLIENT_ID in str(i.get("source") or i.get("client_id") or i)]


def test_disconnect_reconnect_push_leaves_one_employment(testapp, app_settings, login,
                                                         emulator, tmp_path):
    """Connect, push, disconnect, reconnect, push again, twice: one employment and one copy of
    each work on the record (fails on old main: 3 employments)."""
    ini = site_ini(tmp_path, app_settings)
    login("alice")
    for _ in range(3):
        assert connect_via_emulator(testapp, emulator).status_int == 302
        testapp.post("/works/push", {"csrf_token": csrf_token(testapp.get("/works").text)})
        result = CliRunner().invoke(main, ["sync", ini, "--once"])
        assert result.exit_code == 0, result.output
        testapp.post("/orcid/disconnect",
                     {"csrf_token": csrf_token(testapp.get("/works").text)})
    record = emulator.control.record(SEED_ORCID)
    assert len(_ours(record, "employments")) == 1
    works = _ours(record, "works")
    assert len(works) == 2


def _connect(world, user_id: str, orcid: str | None = None) -> str:
    """A researcher who granted the person scope too, stored as the callback stores it."""
    orcid = orcid or world.emulator.control.add_user("Pat", "Reconnect",
                                                     f"{user_id}@example.org", "password-123")
    redirect = world.emulator.control.authorize(orcid, CLIENT_ID, PERSON_SCOPE, REDIRECT,
                                                state="s")
    token = world.client().exchange_code(redirect.split("code=", 1)[1].split("&", 1)[0])
    with world.session() as db:
        db.execute(delete(OrcidLink).where(OrcidLink.user_id == user_id))
        db.add(OrcidLink(user_id=user_id, orcid=orcid, scope=" ".join(token.scopes),
                         access_token_enc=world.cipher.encrypt(token.access_token)))
        db.commit()
    return orcid


def _items():
    from orcid_pyramid.sync.builders import DisambiguatedOrganization, Organization

    org = Organization("Wellcome Trust", "London", None, "GB",
                       DisambiguatedOrganization("https://ror.org/029chgv08", "ROR"))
    return {
        "job": employment(),
        "grant": Funding(type="grant", title="A funded project", organization=org,
                         external_ids=[ExternalId("grant_number", "WT-2024-001")]),
        "kw": Keyword(content="Reproducibility"),
        "alias": OtherName(content="P. Reconnect"),
        "homepage": ResearcherUrl(url="https://example.org/~pat", name="Home page"),
        "scopus": PersonExternalIdentifier(type="Scopus Author ID", value="57000000001",
                                           url="https://www.scopus.com/authid/detail.uri"
                                               "?authorId=57000000001"),
    }


def test_every_section_adopts_after_the_put_codes_were_forgotten(emulator, fresh_db_url):
    """Affiliations, fundings and person items: the put codes are forgotten as a disconnect
    forgets them, the link is granted again, and the worker pushes everything again; each
    item is on the record once (fails on old main: two of each)."""
    world = build_world(emulator, fresh_db_url)
    orcid = _connect(world, "u1")
    world.put_many("u1", _items())
    world.drain()
    with world.session() as db:  # what Disconnect does to the sync rows
        db.execute(delete(OrcidItem))
        db.commit()
    _connect(world, "u1", orcid)
    world.put_many("u1", _items())
    counts = world.drain()
    record = emulator.control.record(orcid)
    for section in ("employments", "fundings", "keywords", "other-names", "researcher-urls",
                    "external-identifiers"):
        assert len(section_items(record, section)) == 1, section
    assert counts.adopted == 6 and counts.posted == 0
