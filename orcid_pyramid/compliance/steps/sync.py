"""Steps: an item ORCID refuses (DM-8), ORCID's webhook (CC-SYNC), every body against the XSDs
(REV-1)."""

from __future__ import annotations

import re
import secrets

import pytest
from pytest_bdd import then, when

from .. import records as helpers
from .. import schemas
from ..journey import calls_of
from ..site import local_path

REJECTED_KEY = "compliance-rejected-work-1"
REJECTED_TITLE = "A Dataset Named by an Identifier ORCID Does Not Know"
KINDS = ("work", "employment", "funding")


# -- DM-8: ORCID refuses an item -------------------------------------------------------------
def _identifier_type_orcid_refuses(site) -> str:
    """An external-id type the add-on's builders accept but the sandbox does not know.

    ORCID's identifier list changes on ORCID's side; a host whose list is newer (or older)
    than the registry's sends a work ORCID answers 400 for: the validation-error path.
    """
    from orcid_pyramid.emulator.vocabularies import EXTERNAL_ID_TYPES as THEIRS
    from orcid_pyramid.sync.builders.vocab import EXTERNAL_ID_TYPES as OURS

    unknown = sorted(set(OURS) - set(THEIRS))
    if not unknown:
        pytest.skip("every identifier type the builders accept is known to the sandbox: "
                    "no valid-looking work it refuses can be staged")
    return unknown[0]


@when("the site sends a work that ORCID rejects")
def _(journey, evidence):
    from orcid_pyramid.sync.builders import ExternalId, Work
    from orcid_pyramid.sync.service import SyncService

    id_type = _identifier_type_orcid_refuses(journey.site)
    work = Work(title=REJECTED_TITLE, type="data-set", publication_date="2024",
                external_ids=[ExternalId(id_type, "compliance-rejected-0001")])
    with journey.site.db() as db:
        SyncService(db, journey.site.settings).put(journey.researcher.user_id, REJECTED_KEY,
                                                   work)
        db.commit()
    counts = helpers.drain(journey.site)
    evidence.add("sync", f"The worker sent a work with a {id_type!r} identifier", counts)


def _panel_row(journey, title: str) -> tuple[object, str | None]:
    page = journey.open("orcid.panel")
    row = re.search(r"<tr>(?:(?!</tr>).)*" + re.escape(title) + r"(?:(?!</tr>).)*</tr>",
                    page.text, re.S)
    return page, re.sub(r"<[^>]+>|\s+", " ", row.group(0)).strip() if row else None


@then("the researcher's ORCID panel shows the work as rejected by ORCID with ORCID's message")
def _(journey, evidence):
    item = next((i for i in helpers.items_of(journey.site, journey.researcher.user_id)
                 if i.local_key == REJECTED_KEY), None)
    refused = [r for r in calls_of(journey.site) if r.method == "POST" and r.response_body
               and re.search(r"/works?$", r.url)]
    _page, row = _panel_row(journey, REJECTED_TITLE)
    evidence.add("rejected_item", "The work ORCID refused, on the researcher's panel",
                 {"status": item.status if item else None,
                  "orcid_message": item.last_error if item else None, "panel_row": row,
                  "orcid_answer": refused[-1].response_body[:500] if refused else None})
    assert item is not None, "the site kept no record of the work it sent"
    assert item.status == "rejected", f"the work's status is {item.status!r}, not rejected"
    assert item.last_error, "ORCID's message was not kept"
    assert row is not None, "the panel does not list the work"
    assert "rejected by ORCID" in row, f"the panel does not say ORCID rejected it: {row}"
    assert item.last_error in row, "the panel does not show ORCID's message"


@then("the researcher's ORCID panel names the support contact")
def _(journey, evidence):
    page = journey.open("orcid.panel")
    settings = journey.site.settings
    contacts = [c for c in (settings.support_email, settings.support_url) if c]
    evidence.add("support_contact", "The support contact on the panel",
                 {c: c in page.text for c in contacts})
    assert contacts, "the site configures no support contact"
    assert any(c in page.text for c in contacts), "the panel does not name the support contact"


# -- CC-SYNC through ORCID's webhook ---------------------------------------------------------
def _registered_webhook(journey) -> str | None:
    client_id = journey.site.settings.client_id
    return next((hook["callback"] for hook in journey.site.sandbox.webhooks()["webhooks"]
                 if hook["orcid"] == journey.researcher.orcid
                 and hook["client_id"] == client_id), None)


@then("the site registered a webhook for the researcher's record")
def _(journey, evidence):
    url = _registered_webhook(journey)
    evidence.add("webhook", "The webhook the site registered at ORCID when the researcher "
                 "connected (path token shortened)",
                 {"url": re.sub(r"/webhook/(\w{8})\w+", r"/webhook/\1…", url or ""),
                  "registered": url is not None})
    assert url, "the site registered no webhook for the researcher's record"
    journey.webhook_url = url


@when("ORCID calls the site's webhook for the researcher's record")
def _(journey, evidence):
    from pyramid.config import Configurator

    from orcid_pyramid.events import OrcidItemChanged, OrcidItemDeleted

    url = journey.webhook_url or _registered_webhook(journey)
    assert url, "the site registered no webhook for the researcher's record"
    journey.events.clear()
    config = Configurator(registry=journey.site.registry)
    for kind in (OrcidItemDeleted, OrcidItemChanged):
        config.add_subscriber(journey.events.append, kind)
    config.commit()
    # as ORCID sends it: a POST with an empty body, no cookies, no credentials
    answer = journey.site.testapp().post(local_path(url), params=b"", status="*")
    journey.webhook_status = answer.status_int
    evidence.add("webhook", "The site's answer to ORCID's webhook call",
                 {"status": answer.status_int})
    # the delivery only queues a read of the record; the site's sync worker makes it
    evidence.add("sync", "The sync worker's loop after the delivery", helpers.drain(journey.site))


@then("the site's webhook answered as ORCID expects")
def _(journey):
    assert journey.webhook_status in (200, 204), (
        f"the webhook answered {journey.webhook_status}: ORCID would retry it")


@then("the site announced that the work was deleted on ORCID")
def _(journey, evidence):
    from orcid_pyramid.events import OrcidItemDeleted

    deleted = [e for e in journey.events if isinstance(e, OrcidItemDeleted)]
    evidence.add("events", "Events the site's webhook raised for the host",
                 [{"event": type(e).__name__, "section": e.section, "put_code": e.put_code}
                  for e in journey.events])
    put_code = journey.put_codes.get("work")
    assert any(e.section == "work" and e.put_code == put_code for e in deleted), (
        f"no OrcidItemDeleted for the work {put_code}")


# -- REV-1: every body the site sends --------------------------------------------------------
@when("the site sends a work, an employment and a funding to the researcher's ORCID record")
def _(journey, evidence):
    from orcid_pyramid.sync.service import SyncService

    # items of this run's own (the live sandbox keeps what earlier runs wrote)
    tag = secrets.token_hex(4)
    with journey.site.db() as db:
        service = SyncService(db, journey.site.settings)
        for kind in KINDS:
            service.put(journey.researcher.user_id, f"compliance-{kind}-schema-{tag}",
                        helpers.builder(kind, tag=tag))
        db.commit()
    evidence.add("sync", "The worker sent a work, an employment and a funding",
                 helpers.drain(journey.site))


@then("every item body the site sent validates against ORCID's 3.0 schema")
def _(journey, evidence):
    sent = schemas.sent_items(calls_of(journey.site))
    sections = sorted({section for _method, section, _item in sent})
    assert set(KINDS) <= set(sections), f"bodies in the call log: {sections}; expected {KINDS}"
    absent = [s for s in sections if schemas.schema(s) is None]
    if absent:
        pytest.skip(schemas.missing_reason() or f"ORCID's 3.0 XSDs for {absent} are not in "
                    f"{schemas.model_dir()} (ORCID_MODEL_DIR)")
    problems = {f"{method} {section} #{n}": errors
                for n, (method, section, item) in enumerate(sent)
                if (errors := schemas.validate(section, item))}
    evidence.add("schema", "Bodies sent, as the builders' XML, validated against ORCID's XSDs",
                 {"validated": [f"{m} {s}" for m, s, _ in sent],
                  "schemas": {s: schemas.XSD_FILES[s] for s in sections},
                  "problems": problems})
    assert not problems, f"bodies that break ORCID's XSD: {problems}"
