"""Builder output survives a trip through the ORCID sandbox emulator over real HTTP.

JSON goes through the real client's ``MemberApi`` (POST, GET, PUT, bulk); XML is POSTed with
``requests`` (the client speaks JSON only). What is read back parses with ``from_json`` into
an equal item with the same content hash. ``connect`` is shared with the Collect tests.
"""

from __future__ import annotations

import itertools
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from orcid_pyramid.client import Endpoints, OrcidBadRequest, OrcidClient
from orcid_pyramid.sync.builders import (
    Employment,
    ExternalId,
    Funding,
    OrcidValidationError,
    Work,
    item_class,
)
from tests.functional.test_conformance_xsd import EXAMPLES, RINGGOLD_ORG, examples

REDIRECT_URI = "https://host.example.org/orcid/callback"
WRITE_SCOPES = "/read-limited /activities/update /person/update"
_serial = itertools.count(1)


def new_client(emulator, tag: str, name: str | None = None) -> tuple[str, str]:
    """Register a member client on the emulator; returns (client_id, client_secret)."""
    client_id = "APP-" + f"{tag.upper()}{next(_serial):04d}".rjust(16, "0")[-16:]
    secret = f"secret-{client_id}"
    emulator.control.add_client(
        client_id=client_id, client_secret=secret, member=True, name=name or tag
    )
    return client_id, secret


def new_researcher(emulator, given="Ada", family: str | None = "Lovelace") -> str:
    """Create a record on the emulator; returns its iD."""
    email = f"researcher{next(_serial)}@example.org"
    return emulator.control.add_user(given, family, email, "researcher-password")


def connect(emulator, orcid: str, client: tuple[str, str], scope: str = WRITE_SCOPES):
    """The real OAuth flow (control-API consent, code exchange) -> the client's MemberApi."""
    client_id, secret = client
    redirect = emulator.control.authorize(orcid, client_id, scope, REDIRECT_URI, "state-1")
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    endpoints = Endpoints.for_environment("emulator", base_url=emulator.base_url)
    orcid_client = OrcidClient(endpoints, client_id, secret, redirect_uri=REDIRECT_URI)
    token = orcid_client.exchange_code(code)
    return orcid_client.member(token.access_token, token.orcid), token.access_token


@pytest.fixture
def ours(emulator):
    """Our client connected to a fresh researcher: (MemberApi, access token, client id)."""
    client = new_client(emulator, "ours")
    api, token = connect(emulator, new_researcher(emulator), client)
    return api, token, client[0]


@pytest.mark.parametrize("item", [i for _, i in EXAMPLES], ids=[n for n, _ in EXAMPLES])
def test_json_round_trip_through_the_emulator(ours, item):
    api, _, client_id = ours
    put_code = api.create(item.section, item.to_json())
    back = item_class(item.section).from_json(api.read_item(item.section, put_code))
    assert back == item
    assert back.content_hash() == item.content_hash()
    assert back.put_code == put_code
    assert back.source_client_id == client_id


@pytest.mark.parametrize("item", [i for _, i in EXAMPLES], ids=[n for n, _ in EXAMPLES])
def test_xml_round_trip_through_the_emulator(emulator, ours, item):
    api, token, _ = ours
    response = requests.post(
        f"{emulator.api_url}/v3.0/{api.orcid}/{item.section}",
        data=item.to_xml(),
        headers={
            "Content-Type": "application/vnd.orcid+xml",
            "Accept": "application/vnd.orcid+xml",
            "Authorization": f"Bearer {token}",
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    put_code = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    back = item_class(item.section).from_json(api.read_item(item.section, put_code))
    assert back == item


def test_put_with_a_changed_builder_updates_the_item(ours):
    api, _, _ = ours
    original = Employment(organization=RINGGOLD_ORG, role_title="Lecturer", start_date="2019")
    put_code = api.create(original.section, original.to_json())
    changed = Employment(
        organization=RINGGOLD_ORG, role_title="Professor", start_date="2019", end_date="2024-06"
    ).with_put_code(put_code)
    api.update(changed.section, put_code, changed.to_json())
    back = Employment.from_json(api.read_item("employment", put_code))
    assert back == changed
    assert back.content_hash() == changed.content_hash() != original.content_hash()


def test_bulk_works_round_trip(ours):
    api, _, _ = ours
    works = [item for _, item in examples("bulk") if isinstance(item, Work)]
    works += [i.with_put_code(None) for _, i in examples("bulk2") if isinstance(i, Work)]
    results = api.create_works([work.to_json() for work in works])
    assert all(isinstance(code, int) for code in results), results
    back = [Work.from_json(body) for body in api.read_works(results)]
    assert back == works


@pytest.mark.parametrize(
    "section, body, builder",
    [
        (
            "work",
            {
                "title": {"title": {"value": "No self id"}},
                "type": "book",
                "external-ids": {
                    "external-id": [
                        {
                            "external-id-type": "isbn",
                            "external-id-value": "1",
                            "external-id-relationship": "part-of",
                        }
                    ]
                },
            },
            lambda: Work(
                title="No self id", type="book", external_ids=[ExternalId("isbn", "1", "part-of")]
            ),
        ),
        (
            "employment",
            {"end-date": {"year": {"value": "2020"}}, "organization": RINGGOLD_ORG.to_json()},
            lambda: Employment(organization=RINGGOLD_ORG, end_date="2020"),
        ),
        (
            "funding",
            {
                "type": "grant",
                "title": {"title": {"value": "G"}},
                "amount": {"value": "10"},
                "external-ids": {
                    "external-id": [
                        {
                            "external-id-type": "grant_number",
                            "external-id-value": "1",
                            "external-id-relationship": "self",
                        }
                    ]
                },
                "organization": RINGGOLD_ORG.to_json(),
            },
            lambda: Funding(
                type="grant",
                title="G",
                organization=RINGGOLD_ORG,
                amount="10",
                external_ids=[ExternalId("grant_number", "1")],
            ),
        ),
    ],
    ids=["work-without-self-id", "end-without-start", "amount-without-currency"],
)
def test_builder_refuses_locally_what_orcid_refuses(ours, section, body, builder):
    """The builder's rules match the sandbox's: the same item fails in both places."""
    api, _, _ = ours
    with pytest.raises(OrcidValidationError):
        builder()
    with pytest.raises(OrcidBadRequest):
        api.create(section, body)
