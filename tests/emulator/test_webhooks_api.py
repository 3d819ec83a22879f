"""Webhooks (orcid-facts/webhooks.md): registration, permissions, delivery with retry and
backoff."""

from __future__ import annotations

import threading
from urllib.parse import quote

import pytest
import requests

from orcid_pyramid.emulator import seed

from .receiver import Receiver

ORCID = seed.DEMO_ORCID
WORK = {"title": {"title": {"value": "Hooked"}}, "type": "journal-article",
        "external-ids": {"external-id": [{"external-id-type": "doi",
                                          "external-id-value": "10.1234/hook",
                                          "external-id-relationship": "self"}]}}


@pytest.fixture
def receiver():
    handle = Receiver()
    yield handle
    handle.close()


def _token(base_url, scope, client_id=seed.DEMO_CLIENT_ID, secret=seed.DEMO_CLIENT_SECRET):
    answer = requests.post(base_url + "/oauth/token", timeout=5, data={
        "client_id": client_id, "client_secret": secret, "grant_type": "client_credentials",
        "scope": scope})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _eventually(check, timeout: float = 10.0) -> bool:
    """Poll ``check`` until it is true (background delivery); False after ``timeout``."""
    pause = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if check():
            return True
        pause.wait(0.02)
    return bool(check())


def _hook_url(emu, callback: str, orcid: str = ORCID) -> str:
    return f"{emu.api_url}/{orcid}/webhook/{quote(callback, safe='')}"


def _write_work(emu) -> None:
    redirect = emu.control.authorize(ORCID, seed.DEMO_CLIENT_ID, "/activities/update",
                                     "http://127.0.0.1:9/cb")
    code = redirect.split("code=")[1].split("&")[0]
    token = requests.post(emu.base_url + "/oauth/token", timeout=5, data={
        "client_id": seed.DEMO_CLIENT_ID, "client_secret": seed.DEMO_CLIENT_SECRET,
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": "http://127.0.0.1:9/cb"}).json()["access_token"]
    answer = requests.post(f"{emu.api_url}/v3.0/{ORCID}/work", json=WORK, timeout=5,
                           headers={"Authorization": f"Bearer {token}",
                                    "Accept": "application/json"})
    assert answer.status_code == 201, answer.text


def test_register_201_again_204_delete_204_then_404(emulator, receiver):
    """orcid-facts/webhooks.md: PUT 201 + Location, PUT again 204, DELETE 204, DELETE unknown
    404/9028."""
    headers = _token(emulator.base_url, "/webhook")
    url = _hook_url(emulator, receiver.url + f"/hook/{ORCID}")
    first = requests.put(url, headers=headers, timeout=5)
    again = requests.put(url, headers=headers, timeout=5)
    gone = requests.delete(url, headers=headers, timeout=5)
    unknown = requests.delete(url, headers=headers, timeout=5)
    assert first.status_code == 201 and first.headers["Location"] == url
    assert again.status_code == 204 and gone.status_code == 204
    assert unknown.status_code == 404 and unknown.json()["error-code"] == 9028


def test_registering_needs_the_webhook_scope(emulator, receiver):
    """orcid-facts/webhooks.md: a /read-public token gets 403/9038; no valid token gets 401
    invalid_token."""
    url = _hook_url(emulator, receiver.url + "/h")
    wrong = requests.put(url, headers=_token(emulator.base_url, "/read-public"), timeout=5)
    anonymous = requests.put(url, headers={"Authorization": "Bearer nope"}, timeout=5)
    assert wrong.status_code == 403 and wrong.json()["error-code"] == 9038
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_token"


def test_only_the_registering_client_may_unregister(emulator, receiver):
    """orcid-facts/webhooks.md: "Only the client that register the webhook can unregister it"."""
    emulator.control.add_client("APP-OTHERPREMIUM0001", "s", premium=True)
    url = _hook_url(emulator, receiver.url + "/h")
    requests.put(url, headers=_token(emulator.base_url, "/webhook"), timeout=5)
    other = requests.delete(url, timeout=5, headers=_token(
        emulator.base_url, "/webhook", "APP-OTHERPREMIUM0001", "s"))
    assert other.status_code == 403 and "Only the client" in other.json()["developer-message"]


def test_unknown_record_is_404(emulator, receiver):
    answer = requests.put(_hook_url(emulator, receiver.url + "/h", "0000-0001-5109-3700"),
                          headers=_token(emulator.base_url, "/webhook"), timeout=5)
    assert answer.status_code == 404


def test_a_record_change_posts_an_empty_body_to_the_callback(emulator, receiver):
    """orcid-facts/webhooks.md: after a write ORCID POSTs an empty body to each registered
    callback."""
    requests.put(_hook_url(emulator, receiver.url + f"/hook/{ORCID}"), timeout=5,
                 headers=_token(emulator.base_url, "/webhook"))
    _write_work(emulator)
    assert receiver.wait_for(1)
    assert receiver.hits[0] == (f"/hook/{ORCID}", b"")


def test_user_deleting_an_item_also_notifies(emulator, receiver):
    """A deletion made by the user on ORCID triggers the webhook too."""
    requests.put(_hook_url(emulator, receiver.url + "/d"), timeout=5,
                 headers=_token(emulator.base_url, "/webhook"))
    _write_work(emulator)
    assert receiver.wait_for(1)
    put_code = emulator.control.record(ORCID)["sections"]["works"][0]["put-code"]
    emulator.control.delete_item(ORCID, "work", put_code)
    assert receiver.wait_for(2)


def test_failed_deliveries_are_retried_with_doubling_delay(emulator_factory):
    """orcid-facts/webhooks.md: non-2xx → retried "doubling the time between each attempt"."""
    receiver = Receiver(statuses=[500, 503])
    try:
        emu = emulator_factory(webhook_base_delay=0.05)
        requests.put(_hook_url(emu, receiver.url + "/r"), timeout=5,
                     headers=_token(emu.base_url, "/webhook"))
        _write_work(emu)
        assert receiver.wait_for(3)
        assert _eventually(lambda: len(emu.state.deliveries) == 3)
        deliveries = emu.control.webhooks()["deliveries"]
    finally:
        receiver.close()
    assert [(d["attempt"], d["status"]) for d in deliveries] == [(1, 500), (2, 503), (3, 204)]
    gaps = [b["time"] - a["time"] for a, b in zip(deliveries, deliveries[1:], strict=False)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # lower bounds: the schedule, not the speed


def test_attempts_are_bounded_and_the_thread_stops(emulator_factory):
    """An unreachable callback is tried ``max_attempts`` times; ``close`` stops the thread."""
    receiver = Receiver()
    dead_url = receiver.url + "/gone"
    receiver.close()  # nothing listens there any more
    emu = emulator_factory(webhook_base_delay=0.01, webhook_max_attempts=3)
    requests.put(_hook_url(emu, dead_url), timeout=5, headers=_token(emu.base_url, "/webhook"))
    _write_work(emu)
    assert _eventually(lambda: len(emu.state.deliveries) >= 3 and emu.app.webhooks.idle())
    attempts = [(d["attempt"], d["status"], d["error"]) for d in emu.state.deliveries]
    assert attempts == [(1, None, "ConnectionError"), (2, None, "ConnectionError"),
                        (3, None, "ConnectionError")]
    emu.app.close()
    assert not emu.app.webhooks._thread.is_alive()
