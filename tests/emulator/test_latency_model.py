"""The emulator's latency is the least time a call takes, its handling included: a call is
handled when it arrives and answered once the latency has passed (as ORCID's own answer time
includes ORCID's work). So a write whose answer the client gave up on is already on the
record, as it may be on ORCID, and the rate limit counts calls when they arrive."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from orcid_pyramid.emulator import seed

REDIRECT = "http://127.0.0.1:9/callback"


def _token(emulator) -> str:
    redirect = emulator.control.authorize(seed.DEMO_ORCID, seed.DEMO_CLIENT_ID,
                                          "/read-limited /activities/update", REDIRECT)
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    answer = requests.post(emulator.base_url + "/oauth/token", timeout=10, data={
        "client_id": seed.DEMO_CLIENT_ID, "client_secret": seed.DEMO_CLIENT_SECRET,
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        headers={"Accept": "application/json"})
    return answer.json()["access_token"]


def _titles(emulator) -> list[str]:
    """The works on the demo record, read through the control API (never delayed)."""
    record = emulator.control.record(seed.DEMO_ORCID)
    return [i["item"]["title"]["title"]["value"] for i in record["sections"]["works"]]


def test_a_write_is_on_the_record_before_its_delayed_answer(emulator):
    """With 3 s of latency and a client that waits 0.5 s, the work is on the record as soon
    as the client has given up (the old model slept first and wrote after the 3 s)."""
    token = _token(emulator)
    emulator.control.set_latency(3000)
    body = {"title": {"title": {"value": "Written at arrival"}}, "type": "journal-article",
            "external-ids": {"external-id": [{
                "external-id-type": "doi", "external-id-value": "10.5555/arrival",
                "external-id-relationship": "self"}]}}
    with pytest.raises(requests.Timeout):
        requests.post(f"{emulator.api_url}/v3.0/{seed.DEMO_ORCID}/work", timeout=0.5,
                      data=json.dumps(body), headers={
                          "Authorization": f"Bearer {token}",
                          "Content-Type": "application/json",
                          "Accept": "application/json"})
    assert "Written at arrival" in _titles(emulator)



def test_every_call_is_handled_when_it_arrives_however_many_are_in_their_latency(
        emulator_factory):
    """12 writes at once on a server of 8 threads, 3 s of latency, clients that give up
    after 0.5 s: all 12 works are on the record within a second, each handled when it
    arrived. (On the code before, a thread slept through each call's latency: 8 calls were
    in theirs and the other 4 waited for a thread, unhandled, until the first 8 were
    answered 3 s later; a first push of 50 bulks at 1 s was answered up to 1.4 s after it
    arrived, its handling bunched after the first second.)"""
    from concurrent.futures import ThreadPoolExecutor

    emulator = emulator_factory(rate_limit=None)
    token = _token(emulator)
    emulator.control.set_latency(3000)
    url = f"{emulator.api_url}/v3.0/{seed.DEMO_ORCID}/work"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "Accept": "application/json"}

    def write(n: int) -> None:
        body = {"title": {"title": {"value": f"At once {n}"}}, "type": "journal-article",
                "external-ids": {"external-id": [{
                    "external-id-type": "doi", "external-id-value": f"10.5555/once.{n}",
                    "external-id-relationship": "self"}]}}
        with requests.Session() as session, pytest.raises(requests.Timeout):
            session.post(url, data=json.dumps(body), headers=headers, timeout=0.5)

    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(write, range(12)))
    deadline = time.monotonic() + 1.0
    while True:  # read in process: every thread of a server of the code before was asleep
        record = emulator.state.record(seed.DEMO_ORCID)
        titles = {item.data["title"]["title"]["value"]
                  for item in record.section_items("work")}
        written = {f"At once {n}" for n in range(12)} & titles
        if len(written) == 12 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(written) == 12, sorted(written)


def test_an_answer_held_past_its_servers_close_writes_nothing_into_other_files(
        emulator_factory):
    """A call's answer is held for 0.6 s and its server is stopped meanwhile; the process
    then opens files of its own, which take the numbers the server's pipes had. When the
    answer falls due, nothing is written into any of them. (Without the guard on the server's
    trigger, its stale write end took a reused number: an "x" reached a TLS client of another
    emulator, which failed its handshake.)"""
    import os
    import select
    import threading

    emulator = emulator_factory(rate_limit=None, tls=False)
    token = _token(emulator)
    emulator.control.set_latency(600)
    url = f"{emulator.api_url}/v3.0/{seed.DEMO_ORCID}/works"
    recorded = emulator.state.calls_recorded

    def read() -> None:
        try:
            requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
        except requests.RequestException:
            pass  # the server went away before answering: the client's own business

    caller = threading.Thread(target=read)
    caller.start()
    deadline = time.monotonic() + 5
    while emulator.state.calls_recorded == recorded and time.monotonic() < deadline:
        time.sleep(0.01)  # handled on arrival, its answer held
    emulator.stop()
    pipes = [os.pipe() for _ in range(32)]
    try:
        time.sleep(0.9)  # past the answer's time
        readable, _, _ = select.select([r for r, _ in pipes], [], [], 0)
        assert readable == [], "a stopped server wrote into a file it no longer owns"
    finally:
        for r, w in pipes:
            os.close(r)
            os.close(w)
        caller.join(10)
