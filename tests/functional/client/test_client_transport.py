"""The client's transport: timeouts with a caller's session, many threads on one client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from orcid_pyramid.client import OrcidClient, OrcidTimeout
from tests.functional.client.support import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_ORCID,
    REDIRECT_URI,
    make_work,
)


def test_a_callers_plain_session_still_gets_the_clients_timeout(client, endpoints, authorize,
                                                                emulator):
    token = client.exchange_code(authorize())
    session = requests.Session()  # no timeout adapter: the client must pass its own timeout
    impatient = OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                            redirect_uri=REDIRECT_URI, session=session, timeout=0.25)
    emulator.control.set_faults(1.0, ["timeout"], seed=2, timeout_s=1.0)
    try:
        with pytest.raises(OrcidTimeout):
            impatient.member(token.access_token, DEMO_ORCID).read("person")
    finally:
        emulator.control.set_faults(0.0)
    assert impatient.transport.session is session


def test_one_client_serves_many_threads(client, authorize, records):
    token = client.exchange_code(authorize())
    api = client.member(token.access_token, DEMO_ORCID)

    def write(i):
        return api.create("work", make_work(doi=f"10.5555/thread.{i}", title=f"T{i}"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        put_codes = list(pool.map(write, range(40)))
    assert len(set(put_codes)) == 40
    api_records = [r for r in records if r.kind == "api"]
    assert len(api_records) == 40 and all(r.status == 201 for r in api_records)
    titles = {w["title"]["title"]["value"] for w in api.read_works(put_codes)}
    assert titles == {f"T{i}" for i in range(40)}


def _session(kind: str) -> requests.Session:
    """The client's own session, one sending through a proxy, or a host's plain one."""
    from orcid_pyramid.client import build_session

    if kind == "host adapter":
        session = requests.Session()
    else:
        session = build_session()
    if kind == "proxy":
        # a proxy that refuses: whatever the proxy's connection is, the token comes first
        session.proxies = {"http": "http://127.0.0.1:9", "https": "http://127.0.0.1:9"}
    return session


@pytest.mark.parametrize("kind", ["own session", "proxy", "host adapter"])
def test_no_rate_limited_call_leaves_without_its_token(kind, client, endpoints, authorize,
                                                        emulator):
    """The token is taken on the client's own connections at the first write; through a
    proxy or a host's adapter, whose connections are not the client's, before sending. A
    bucket holding one token, refilled once in 1,000 s: after one call it is empty."""
    from orcid_pyramid.client import OrcidError
    from orcid_pyramid.sync.ratelimit import LocalTokenBucket

    token = client.exchange_code(authorize())
    bucket = LocalTokenBucket(0.001, 1)
    limited = OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                          redirect_uri=REDIRECT_URI, session=_session(kind), timeout=5.0,
                          rate_limiter=bucket)
    start = len(emulator.control.calls())
    api = limited.member(token.access_token, DEMO_ORCID)
    if kind == "proxy":
        with pytest.raises(OrcidError):
            api.read("person")
    else:
        api.read("person")
        arrived = [c for c in emulator.control.calls()[start:]
                   if c["path"].endswith(f"{DEMO_ORCID}/person")]
        assert len(arrived) == 1
    assert bucket.try_acquire() > 0, "the call left without taking the bucket's token"


def test_a_netrc_entry_for_orcids_host_never_replaces_the_bearer_token(
        client, authorize, emulator, tmp_path, monkeypatch):
    """requests adds a ``~/.netrc`` entry for the host to a call that names no ``auth``, as
    Basic credentials in place of the call's own ``Authorization`` header. A member API call
    keeps its bearer token (on the code before the emulator refused it, as ORCID does a call
    without one: 403, error 9014)."""
    from urllib.parse import urlsplit

    token = client.exchange_code(authorize())
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine {urlsplit(emulator.base_url).hostname} login someone "
                     "password not-orcids\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    person = client.member(token.access_token, DEMO_ORCID).read("person")
    assert person["name"] is not None


def test_a_proxy_set_in_the_environment_between_calls_is_used_by_the_next(
        client, authorize, monkeypatch):
    """The environment's proxies are read once per host while their variables keep their
    values: a variable set between two calls is seen by the second (a proxy that refuses:
    the call fails), and removed again, the third goes straight to ORCID."""
    from orcid_pyramid.client import OrcidError

    token = client.exchange_code(authorize())
    api = client.member(token.access_token, DEMO_ORCID)
    for name in ("no_proxy", "NO_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    api.read("person")
    for name in ("https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    with pytest.raises(OrcidError):
        api.read("person")
    for name in ("https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name)
    api.read("person")
