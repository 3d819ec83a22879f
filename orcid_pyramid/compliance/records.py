"""Writing items through the add-on's sync API, and reading them back from the sandbox.

The host's side is the public sync API (``SyncService.put/remove`` in the host's transaction,
then the worker drains the outbox, as ``orcid-pyramid sync`` does); the sandbox's side is the
emulator's record of the researcher's items and of every request it received.
"""

from __future__ import annotations

import time

import requests

WORK_KEY = "compliance-work-1"
WORK_TITLE = "A Compliance Study of Research Integrations"
CHANGED_TITLE = "A Compliance Study of Research Integrations (revised)"
OTHER_TITLE = "Notes Written Elsewhere"
#: sections on the emulator's record, by builder section
RECORD_SECTIONS = {"work": "works", "employment": "employments", "funding": "fundings",
                   "peer-review": "peer-reviews"}
#: the browser-facing registry paths (not calls the site's server makes)
BROWSER_PATHS = ("/oauth/authorize", "/userStatus.json", "/signout", "/signin", "/register")
DRAIN_SECONDS = 30


def builder(kind: str, title: str = WORK_TITLE, tag: str | None = None):
    """An item of ``kind`` as the host would build it. ``tag`` makes the item one of its own
    (in its role, title and ids), so that on a record kept between runs (the live sandbox) the
    site's adoption of what it wrote before does not stand in for sending it."""
    from orcid_pyramid.sync.builders import (
        DisambiguatedOrganization,
        Employment,
        ExternalId,
        Funding,
        Organization,
        PeerReview,
        Work,
    )

    suffix = f" {tag}" if tag else ""
    if kind == "work":
        return Work(title=title + suffix, type="journal-article", publication_date="2024",
                    external_ids=[ExternalId(
                        "doi", f"10.5555/compliance-{tag or '0001'}".lower())])
    if kind == "employment":
        return Employment(organization=Organization(
            "Boston University", "Boston", "Massachusetts", "US",
            DisambiguatedOrganization("https://ror.org/05qwgg493", "ROR")),
            role_title="Research Scientist" + suffix, start_date="2020-01")
    if kind == "funding":
        return Funding(type="grant", title="Compliance Research Grant" + suffix,
                       organization=Organization("Wellcome Trust", "London", None, "GB",
                                                 DisambiguatedOrganization(
                                                     "http://dx.doi.org/10.13039/100004440",
                                                     "FUNDREF")),
                       external_ids=[ExternalId("grant_number", f"CR-2024-{tag or '001'}")])
    if kind == "peer-review":
        return PeerReview(role="reviewer", type="review", review_group_id="issn:1741-4857",
                          completion_date="2024-03", subject_name=title,
                          subject_type="journal-article",
                          external_ids=[ExternalId("source-work-id", "compliance-review-1")],
                          convening_organization=Organization(
                              "Learned Publishing", "London", None, "GB",
                              DisambiguatedOrganization("https://ror.org/04fa4r544", "ROR")))
    raise ValueError(f"no builder for {kind!r}")


def _key(kind: str) -> str:
    return WORK_KEY if kind == "work" else f"compliance-{kind}-1"


def send(site, researcher, kind: str, item) -> dict:
    """Queue ``item`` in the host's transaction, then drain the outbox."""
    from orcid_pyramid.sync.service import SyncService

    with site.db() as db:
        SyncService(db, site.settings).put(researcher.user_id, _key(kind), item)
        db.commit()
    return drain(site)


def remove(site, researcher, kind: str) -> dict:
    """Ask for the item to be removed from ORCID, then drain the outbox."""
    from orcid_pyramid.sync.service import SyncService

    with site.db() as db:
        SyncService(db, site.settings).remove(researcher.user_id, _key(kind), kind)
        db.commit()
    return drain(site)


def drain(site) -> dict:
    """Run the site's sync worker until nothing is due (bounded, so a bug cannot hang)."""
    from orcid_pyramid.sync.worker import Worker

    registry = site.registry
    worker = Worker.from_registry(registry, backoff_base=0.05, backoff_cap=0.2)
    counts = worker.run_once(deadline=time.monotonic() + DRAIN_SECONDS)
    return {name: getattr(counts, name) for name in ("posted", "updated", "deleted",
                                                     "unchanged", "rejected", "held",
                                                     "deleted_on_orcid", "retried")
            if hasattr(counts, name)}


def items_of(site, user_id: str) -> list:
    """The researcher's put-code registry rows."""
    from sqlalchemy import select

    from orcid_pyramid.models.sync import OrcidItem

    with site.db() as db:
        return list(db.execute(select(OrcidItem).where(OrcidItem.user_id == user_id)).scalars())


def item_of(site, user_id: str, section: str):
    """The registry row of the compliance item in ``section``, or None."""
    key = _key(section)
    return next((i for i in items_of(site, user_id) if i.section == section
                 and i.local_key == key), None)


def remote_items(site, orcid: str, kind: str) -> list[dict]:
    """The items of ``kind`` on the record whose source is the site's client.

    Each is the emulator's control shape: ``put-code``, ``source-client-id``, ``item``.
    Without a control API (the live sandbox) the record is read through the member API.
    """
    if site.sandbox is None:
        from .live import record_items

        researcher = next((r for r in site.researchers.values() if r.orcid == orcid), None)
        assert researcher is not None, f"no researcher of this site has the iD {orcid}"
        client_id = site.settings.client_id
        return [item for item in record_items(site, researcher, kind)
                if source_of(item) == client_id]
    record = site.sandbox.record(orcid)
    section = record["sections"].get(RECORD_SECTIONS.get(kind, kind + "s"), [])
    client_id = site.settings.client_id
    return [item for item in section if source_of(item) == client_id]


def record_names(site, researcher) -> tuple[str | None, str | None]:
    """The given and family names on the researcher's record, read by the suite itself: the
    emulator's control API, or (live) the member API with the site's stored token, unlogged."""
    if site.sandbox is not None:
        record = site.sandbox.record(researcher.orcid)
        return record.get("given-names"), record.get("family-names")
    from .live import read_own

    name = (read_own(site, researcher, "person") or {}).get("name") or {}
    return ((name.get("given-names") or {}).get("value"),
            (name.get("family-name") or {}).get("value"))


def source_of(item: dict) -> str | None:
    """The client id that wrote an item."""
    return item.get("source-client-id")


def title_of(item: dict) -> str | None:
    """A work's or funding's title."""
    title = (item.get("item") or {}).get("title") or {}
    inner = title.get("title") if isinstance(title, dict) else None
    return inner.get("value") if isinstance(inner, dict) else None


def site_calls(journey) -> list[dict]:
    """What the sandbox received during this scenario, without the control API's calls."""
    return [c for c in journey.site.sandbox_calls(journey.mark)
            if not c["path"].startswith("/_emulator")]


def server_side_calls(journey) -> list[dict]:
    """The calls the site's server made (browser page loads and other clients left out)."""
    client_id = journey.site.settings.client_id
    return [c for c in site_calls(journey)
            if not c["path"].startswith(BROWSER_PATHS)
            and c.get("client_id") in (None, client_id)]


def work_calls(journey, method: str) -> list[dict]:
    """The member-API calls of ``method`` on the researcher's works."""
    orcid = journey.researcher.orcid
    return [c for c in site_calls(journey) if c["method"] == method and c["host"] == "api"
            and f"/{orcid}/work" in c["path"]]


def other_source_adds_work(site, orcid: str) -> None:
    """Another member integration writes a work to the record (its own client and token)."""
    sandbox = site.sandbox
    client = sandbox.add_client(name="Another integration", member=True)
    redirect = sandbox.authorize(orcid, client["client_id"], "/activities/update",
                                 "https://other.example.org/callback")
    code = requests.utils.urlparse(redirect).query.split("code=")[1].split("&")[0]
    base = site.sandbox_url
    token = requests.post(f"{base}/oauth/token", data={
        "client_id": client["client_id"], "client_secret": client["client_secret"],
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": "https://other.example.org/callback"},
        headers={"Accept": "application/json"}, timeout=10).json()["access_token"]
    work = {"title": {"title": {"value": OTHER_TITLE}}, "type": "book",
            "external-ids": {"external-id": [{"external-id-type": "isbn",
                                              "external-id-value": "978-3-16-148410-0",
                                              "external-id-relationship": "self"}]}}
    answer = requests.post(f"{base}/api/v3.0/{orcid}/work", json=work, timeout=10, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/json"})
    assert answer.status_code == 201, f"the other source could not write: {answer.text[:200]}"


def collect(site, researcher) -> list:
    """The works the site imports from the researcher's record (CC-COLLECT)."""
    from orcid_pyramid.sync.collect import import_works, read_profile

    from .journey import link_of

    link = link_of(site, researcher.user_id)
    assert link is not None, "the researcher is not connected"
    client = site.registry["orcid.client"]
    token = site.registry["orcid.cipher"].decrypt(link.access_token_enc)
    api = client.member(token, link.orcid, log_context={"user_id": link.user_id})
    return import_works(read_profile(api), exclude_source_client_id=client.client_id)


def pull(site):
    """The scheduled read of every linked record, as ``orcid-pyramid sync --pull`` runs it."""
    from orcid_pyramid.sync.pull import pull_all
    from orcid_pyramid.sync.worker import db_call_sink

    registry = site.registry
    with site.db() as db:
        client = registry["orcid.client_factory"](db_call_sink(db), None)
        result = pull_all(db, client, registry["orcid.cipher"], notify=registry.notify,
                          force=True)
        db.commit()
    return result
