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
