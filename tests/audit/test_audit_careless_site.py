"""The negative control: the Authlib site of ``test_audit_authlib_site`` with the mistakes
reviewers see most (``careless``), audited the same way. Each mistake must turn its line to
``fail``, and the lines it does not touch must still pass, so no check of the audit passes
whatever the site does. One audit run for the module."""

from __future__ import annotations

import functools

import pytest

from orcid_pyramid.compliance.browser import chromium_path

from .support import once_per_run
from .test_audit_authlib_site import audit_authlib_site

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.subprocess]

#: the mistake behind each failing line (see make_app's ``careless``)
FAILING = {
    "DM-6": "asked for /person/update but never used it",
    "DM-8": "no 'orcid-help@works-site.example' on the page",
    "BP-1": "nothing pre-filled",
    "BP-2": "without signing in again",
    # connecting again while connected got a second token; the site kept only the newest, so
    # its disconnect revoked that one and left the first alive at ORCID
    "BP-3": "the grant was still alive afterwards",
    "BP-4": "a connected researcher was sent to ORCID again",
    "BP-5": "POST(s) on update: a second copy",
    "BP-6": "no linked full iD URI with the iD icon",
    "CC-DISPLAY": "no linked full iD URI with the iD icon",
    "CC-SYNC": "no PUT to a put code on update",
}
UNTOUCHED = ("REV-1", "DM-1", "DM-2", "DM-3", "CC-AUTH", "CC-COLLECT", "CC-CONNECT")


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    if chromium_path() is None:
        pytest.skip("no Chromium: the audit drives one")
    return once_per_run(tmp_path_factory, "careless",
                        functools.partial(audit_authlib_site, careless=True))


@pytest.mark.parametrize("rid", sorted(FAILING))
def test_each_usual_mistake_fails_its_line_saying_what_was_seen(audited, rid):
    assert audited.statuses()[rid] == "fail", audited.messages(rid)
    assert any(FAILING[rid] in message for message in audited.messages(rid)), \
        audited.messages(rid)


def test_lines_the_mistakes_do_not_touch_still_pass(audited):
    statuses = audited.statuses()
    assert {rid: statuses[rid] for rid in UNTOUCHED} == dict.fromkeys(UNTOUCHED, "pass"), {
        rid: audited.messages(rid) for rid in UNTOUCHED}
    assert audited.code == 1
