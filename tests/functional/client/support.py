"""Shared values and helpers for the client's functional tests (real client, real emulator).

The fixtures are in ``conftest.py`` beside this module.
"""

from __future__ import annotations

DEMO_CLIENT_ID = "APP-DEMOCLIENT000001"


DEMO_CLIENT_SECRET = "demo-client-secret"


DEMO_ORCID = "0000-0002-1825-0097"


REDIRECT_URI = "http://127.0.0.1:9/orcid/callback"


MEMBER_SCOPES = "/read-limited /activities/update /person/update"


def make_work(doi: str = "10.1087/20120404", title: str = "Work Title") -> dict:
    """A minimal valid v3.0 work (orcid-facts/bodies.md#works)."""
    return {
        "title": {"title": {"value": title}},
        "type": "journal-article",
        "external-ids": {"external-id": [{
            "external-id-type": "doi",
            "external-id-value": doi,
            "external-id-url": {"value": f"https://doi.org/{doi}"},
            "external-id-relationship": "self",
        }]},
    }


def make_employment(role: str = "Professor") -> dict:
    """A minimal employment with a disambiguated organisation
    (orcid-facts/bodies.md#affiliations)."""
    return {
        "role-title": role,
        "start-date": {"year": {"value": "2021"}, "month": {"value": "01"}},
        "organization": {
            "name": "Boston University",
            "address": {"city": "Boston", "region": "Massachusetts", "country": "US"},
            "disambiguated-organization": {
                "disambiguated-organization-identifier": "https://ror.org/05qwgg493",
                "disambiguation-source": "ROR",
            },
        },
    }
