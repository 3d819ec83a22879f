"""Collect: importing works from other sources without echoing our own, and parsing ORCID's
own full record sample."""

from __future__ import annotations

import json

import pytest

from orcid_pyramid.sync.builders import Contributor, ExternalId, Work
from orcid_pyramid.sync.collect import import_works, profile_from_record, read_profile
from tests.functional.test_collect_profile import _post, _work
from tests.functional.test_conformance_emulator import connect, new_client, new_researcher
from tests.orcid_samples import RECORD_FULL


@pytest.fixture
def setting(emulator):
    """A record with works from another client and from ours (one DOI written by both)."""
    orcid = new_researcher(emulator)
    other_client = new_client(emulator, "other", name="Other Repository")
    our_client = new_client(emulator, "ours", name="Our Site")
    other, _ = connect(emulator, orcid, other_client)
    ours, _ = connect(emulator, orcid, our_client)
    full = Work(
        title="Their full work",
        type="data-set",
        external_ids=[ExternalId("doi", "10.5555/full")],
        short_description="Only in the full work, not in the summary.",
        contributors=[
            Contributor(
                orcid="0000-0002-1825-0097",
                credit_name="Josiah Carberry",
                role="author",
                sequence="first",
            )
        ],
    )
    _post(other, full, "limited")
    _post(other, _work("Theirs only", "10.5555/theirs"), "public")
    _post(other, _work("Shared (their copy)", "10.5555/shared"), "public")
    _post(ours, _work("Shared (our copy)", "10.5555/shared"), "public")
    _post(ours, _work("Ours only", "10.5555/ours"), "public")
    return {"api": ours, "our_client": our_client[0], "other_client": other_client[0], "full": full}


def test_import_skips_our_own_works_and_groups_that_hold_one(setting):
    profile = read_profile(setting["api"])
    assert len(profile.work_groups) == 4  # the shared DOI makes one group of two versions
    works = import_works(profile, exclude_source_client_id=setting["our_client"])
    assert sorted(w.title for w in works) == ["Their full work", "Theirs only"]
    assert all(isinstance(w, Work) for w in works)
    assert {w.source_client_id for w in works} == {setting["other_client"]}
    assert all(w.put_code is None for w in works)


def test_without_an_exclusion_every_group_is_imported_once(setting):
    works = import_works(read_profile(setting["api"]), exclude_source_client_id=None)
    assert len(works) == 4


def test_imported_summary_work_is_valid_for_orcid(setting):
    works = import_works(
        read_profile(setting["api"]), exclude_source_client_id=setting["our_client"]
    )
    theirs = next(w for w in works if w.title == "Theirs only")
    theirs.validate()
    assert theirs == _work("Theirs only", "10.5555/theirs")


def test_import_with_member_api_reads_the_full_works(setting):
    profile = read_profile(setting["api"])
    works = import_works(
        profile, exclude_source_client_id=setting["our_client"], member_api=setting["api"]
    )
    full = next(w for w in works if w.title == "Their full work")
    assert full == setting["full"]
    assert full.put_code is None and full.source_client_id == setting["other_client"]


SAMPLE = RECORD_FULL


def test_orcid_full_record_sample_parses():
    """ORCID's own full record (null biography, no emails, items from several sources)."""
    profile = profile_from_record(json.loads(SAMPLE.read_text(encoding="utf-8")))
    assert profile.orcid == "0000-0002-7319-2192"
    assert (profile.given_names, profile.family_names, profile.credit_name) == (
        "Three",
        "releasecandidate1",
        None,
    )
    assert profile.biography is None and profile.emails == ()
    assert len(profile.other_names) == 5 and len(profile.researcher_urls) == 2
    assert profile.researcher_urls[0].url == "https://site1.com/"
    assert profile.external_identifiers[0].type == "My ID System"
    assert profile.addresses and profile.addresses[0].country == "US"
    assert len(profile.works) == 1 and len(profile.fundings) == 2
    assert {k: len(v) for k, v in profile.affiliations.items()} == {
        "employment": 1,
        "education": 3,
        "distinction": 1,
        "invited-position": 1,
        "membership": 1,
        "qualification": 1,
        "service": 2,
    }
    employment = profile.employments[0]
    assert employment.put_code == 9266 and employment.source_client_id == "APP-OQYKBIN9CXD9U3SH"
    # the sample's only work comes from that client: excluding it leaves nothing to import
    assert import_works(profile, exclude_source_client_id="APP-OQYKBIN9CXD9U3SH") == []
    (work,) = import_works(profile, exclude_source_client_id="APP-OTHER000000001")
    assert (work.title, work.journal_title, work.url) == (
        "Work Title",
        "Jounral Title",
        "http://alt-uri.org",
    )


@pytest.mark.parametrize(
    "record",
    [
        {},
        {"person": None, "activities-summary": None},
        {"person": {"name": None, "emails": {"email": None}}},
    ],
)
def test_empty_or_null_sections_give_an_empty_profile(record):
    profile = profile_from_record(record, orcid="0000-0002-1825-0097")
    assert profile.orcid == "0000-0002-1825-0097"
    assert profile.works == () and profile.given_names is None and profile.emails == ()


def test_unreadable_entries_are_skipped_and_logged(caplog):
    record = {"person": {"keywords": {"keyword": [{"content": "kept"}, "not an item"]}}}
    with caplog.at_level("WARNING", logger="orcid_pyramid.sync.collect"):
        profile = profile_from_record(record, orcid="0000-0002-1825-0097")
    assert [k.content for k in profile.keywords] == ["kept"]
    assert "skipped an unreadable keywords" in caplog.text
