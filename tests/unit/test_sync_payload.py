"""Reading ORCID JSON for the sync engine: titles, section names, reconcile matching."""

from __future__ import annotations

from orcid_pyramid.sync.payload import describe, kind_name, put_code_of, section_name, summaries
from orcid_pyramid.sync.reconcile import match_put_code
from orcid_pyramid.sync.webhook import orcid_from_token, webhook_token

WORK = {"title": {"title": {"value": "On Umbrellas"}}, "type": "journal-article",
        "external-ids": {"external-id": [{"external-id-type": "doi",
                                          "external-id-value": "10.5555/ABC",
                                          "external-id-relationship": "self"}]}}


def _summary(put_code, doi, client="APP-1", relationship="self"):
    return {"put-code": put_code,
            "source": {"source-client-id": {"path": client}},
            "external-ids": {"external-id": [{"external-id-type": "doi",
                                              "external-id-value": doi,
                                              "external-id-relationship": relationship}]}}


def _works(*summaries_):
    return {"group": [{"work-summary": [s]} for s in summaries_]}


def test_section_and_kind_names_accept_either_form():
    assert section_name("work") == section_name("works") == "works"
    assert kind_name("employments") == kind_name("employment") == "employment"
    assert kind_name("invited_position") == "invited-position"


def test_describe_gives_a_title_or_the_role_at_the_organisation():
    assert describe("work", WORK) == "On Umbrellas"
    assert describe("employment", {"role-title": "Professor",
                                   "organization": {"name": "BU"}}) == "Professor, BU"


def test_reconcile_adopts_our_item_with_the_same_self_doi_ignoring_case():
    section = _works(_summary(11, "10.5555/other"), _summary(12, "10.5555/abc"))
    assert match_put_code(section, "work", WORK, "APP-1") == 12


def test_reconcile_never_adopts_another_clients_item_or_a_taken_put_code():
    section = _works(_summary(12, "10.5555/abc", client="APP-OTHER"))
    assert match_put_code(section, "work", WORK, "APP-1") is None
    section = _works(_summary(12, "10.5555/abc"))
    assert match_put_code(section, "work", WORK, "APP-1", taken={12}) is None


def test_reconcile_ignores_part_of_identifiers():
    section = _works(_summary(12, "10.5555/abc", relationship="part-of"))
    assert match_put_code(section, "work", WORK, "APP-1") is None


def test_a_put_code_is_a_positive_integer_or_nothing():
    assert put_code_of({"put-code": 12}) == 12 and put_code_of({"put-code": " 7 "}) == 7
    for garbled in (None, "", "12abc", "-3", 0, 1.5, True, [12], {"value": 12}):
        assert put_code_of({"put-code": garbled}) is None, garbled
    assert put_code_of({}) is None and put_code_of(None) is None


def test_reconcile_passes_over_summaries_with_garbled_put_codes():
    section = _works(_summary("garbled", "10.5555/abc"), _summary(None, "10.5555/abc"),
                     _summary("13", "10.5555/abc"))
    assert match_put_code(section, "work", WORK, "APP-1") == 13
    assert match_put_code(_works(_summary("x", "10.5555/abc")), "work", WORK, "APP-1") is None


def test_affiliation_summaries_are_found_in_affiliation_groups():
    emp = {"put-code": 5, "role-title": "Prof", "organization": {"name": "BU"},
           "start-date": {"year": {"value": "2020"}}}
    section = {"affiliation-group": [{"summaries": [{"employment-summary": emp}]}]}
    assert summaries(section, "employments") == [emp]
    wanted = {"role-title": "Prof", "organization": {"name": "BU"},
              "start-date": {"year": {"value": "2020"}}}
    assert match_put_code(section, "employment", wanted, None) == 5


def test_webhook_token_round_trips_and_forgeries_fail():
    token = webhook_token("s3cret", "0000-0002-1825-0097")
    assert orcid_from_token("s3cret", token) == "0000-0002-1825-0097"
    assert orcid_from_token("other", token) is None
    assert orcid_from_token("s3cret", token[:-2] + "00") in (None, "0000-0002-1825-0097") \
        and (token.endswith("00") or orcid_from_token("s3cret", token[:-2] + "00") is None)
    assert orcid_from_token("s3cret", "../etc/passwd") is None
    assert orcid_from_token(None, token) is None
