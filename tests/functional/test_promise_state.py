"""The OAuth ``state`` is single-use on the server, not only in the cookie: a replayed
pre-callback cookie and concurrent identical callbacks exchange the code exactly once."""

from __future__ import annotations

import html
import re
import threading
from urllib.parse import parse_qs, urlsplit

import requests

from orcid_pyramid.compliance.fixtures.app import (
    DEMO_PASSWORD,
    SEED_ORCID,
    approve,
    authorize_request,
    local_path,
    serve,
    stored_link,
)


def _token_calls(emulator, before):
    return [c for c in emulator.control.calls()[before:] if c["path"] == "/oauth/token"]


def _live(emulator, orcid=SEED_ORCID):
    with emulator.state.lock:
        return [t for t in emulator.state.tokens.values() if t.orcid == orcid and t.live()]


def test_a_replayed_pre_callback_cookie_cannot_spend_the_state_again(testapp, demo_app, login,
                                                                      emulator):
    """The browser's cookie as it was before the callback still lists the state; sent again
    with the same callback URL, the state is refused before any exchange and the stored link
    keeps working (fails on old main: the code was exchanged a second time, and ORCID's
    rule for a reused code revoked the tokens just stored)."""
    login("alice")
    auth = authorize_request(testapp.get("/orcid/connect").text)
    saved = dict(testapp.cookies)
    redirect = approve(emulator, auth)
    before = len(emulator.control.calls())
    assert testapp.get(local_path(redirect)).status_int == 302
    stored = stored_link(demo_app, "alice")
    for name, value in saved.items():  # the replay: yesterday's cookie, same URL
        testapp.set_cookie(name, value)
    response = testapp.get(local_path(redirect), status="*")
    assert response.status_int < 500
    assert len(_token_calls(emulator, before)) == 1
    assert stored_link(demo_app, "alice").access_token_enc == stored.access_token_enc
    assert len(_live(emulator)) == 1


def _signed_in(base_url: str) -> requests.Session:
    browser = requests.Session()
    # the site is served over HTTPS, where Pyramid's CSRF check also wants the Origin a
    # browser sends with every POST
    browser.headers["Origin"] = base_url
    page = browser.get(f"{base_url}/login", timeout=10)
    token = html.unescape(re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1))
    browser.post(f"{base_url}/login", data={"username": "alice", "password": DEMO_PASSWORD,
                                           "csrf_token": token, "next": "/profile"},
                 timeout=10, allow_redirects=False).raise_for_status()
    return browser


def test_concurrent_identical_callbacks_exchange_the_code_once(demo_app, emulator):
    """Three copies of the callback, same cookie and URL, sent at the same moment to the
    served site: one exchange at ORCID, one link, no 5xx (fails on old main: three
    exchanges)."""
    server = serve(demo_app, threads=4)
    try:
        browser = _signed_in(server.base_url)
        auth = authorize_request(browser.get(f"{server.base_url}/orcid/connect",
                                             timeout=10).text)
        redirect = approve(emulator, auth)
        url = server.base_url + local_path(redirect)
        assert parse_qs(urlsplit(url).query)["state"] == [auth.state]
        cookies = browser.cookies.get_dict()
        before = len(emulator.control.calls())
        start = threading.Barrier(3)
        statuses: list[int] = []

        def callback() -> None:
            start.wait()
            answer = requests.get(url, cookies=cookies, allow_redirects=False, timeout=30)
            statuses.append(answer.status_code)

        threads = [threading.Thread(target=callback) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        server.stop()
    assert len(statuses) == 3 and all(status < 500 for status in statuses), statuses
    # one copy connects (302 to the panel); a copy refused while that exchange is under way
    # gets the 400 page, and one that arrives after it committed is a reload of a finished
    # connect and goes to the panel too (CI once saw [400, 302, 302]): the exchange count
    # below is the promise
    assert statuses.count(302) >= 1 and set(statuses) <= {302, 400}, statuses
    assert len(_token_calls(emulator, before)) == 1
    assert stored_link(demo_app, "alice") is not None
    assert len(_live(emulator)) == 1


def test_two_tabs_racing_leave_exactly_one_live_grant(demo_app, emulator):
    """Two tabs each start connecting, both approve and both callbacks arrive at the same
    moment: one link is stored, and the other tab's token, granted at ORCID but not kept,
    is revoked: exactly one live token at ORCID, the stored one. (A race: on old main the
    losing tab's grant stayed live whenever the two inserts met; a pass there proves
    nothing, a failure here is always real.)"""
    from orcid_pyramid.compliance.fixtures.app import app_registry

    server = serve(demo_app, threads=4)
    try:
        browser = _signed_in(server.base_url)
        urls = []
        for _ in range(2):
            auth = authorize_request(browser.get(f"{server.base_url}/orcid/connect",
                                                 timeout=10).text)
            urls.append(server.base_url + local_path(approve(emulator, auth)))
        cookies = browser.cookies.get_dict()
        start = threading.Barrier(2)
        statuses: list[int] = []

        def callback(url: str) -> None:
            start.wait()
            statuses.append(requests.get(url, cookies=cookies, allow_redirects=False,
                                         timeout=30).status_code)

        threads = [threading.Thread(target=callback, args=(url,)) for url in urls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        server.stop()
    assert len(statuses) == 2 and all(status < 500 for status in statuses), statuses
    link = stored_link(demo_app, "alice")
    live = _live(emulator)
    cipher = app_registry(demo_app)["orcid.cipher"]
    assert [t.access_token for t in live] == [cipher.decrypt(link.access_token_enc)]
