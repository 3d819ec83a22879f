"""Injected failures and latency over a real socket (issue "A local ORCID sandbox", item 6)."""

from __future__ import annotations

import pytest
import requests

from orcid_pyramid.emulator import seed
from orcid_pyramid.emulator.faults import FaultConfig

WORKS = f"/v3.0/{seed.DEMO_ORCID}/works"


def _get(emulator, timeout=5.0):
    return requests.get(emulator.api_url + WORKS, timeout=timeout,
                        headers={"Accept": "application/json"})


def test_500_is_an_orcid_error_body(emulator):
    """Kind ``500``: ORCID's five-key body with 9008."""
    emulator.control.set_faults(1.0, ["500"])
    answer = _get(emulator)
    assert answer.status_code == 500 and answer.json()["error-code"] == 9008


@pytest.mark.parametrize("kind", ["502", "503"])
def test_gateway_errors_are_html_from_the_front_proxy(emulator, kind):
    """Kinds ``502``/``503``: the status with an HTML body, as ORCID's proxy sends."""
    emulator.control.set_faults(1.0, [kind])
    answer = _get(emulator)
    assert answer.status_code == int(kind)
    assert answer.headers["Content-Type"].startswith("text/html")


def test_reset_drops_the_connection_without_a_response(emulator):
    """Kind ``reset``: the client sees a connection error, no HTTP response at all."""
    emulator.control.set_faults(1.0, ["reset"])
    with pytest.raises(requests.ConnectionError):
        _get(emulator)


def test_truncated_body_breaks_the_read(emulator):
    """Kind ``truncated``: fewer bytes than Content-Length announced."""
    emulator.control.set_faults(1.0, ["truncated"])
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _get(emulator)


def test_malformed_body_is_not_json(emulator):
    """Kind ``malformed``: 200 with a JSON content type and a broken body."""
    emulator.control.set_faults(1.0, ["malformed"])
    answer = _get(emulator)
    assert answer.status_code == 200
    with pytest.raises(requests.exceptions.JSONDecodeError):
        answer.json()


def test_timeout_holds_the_request_longer_than_the_client_waits(emulator):
    """Kind ``timeout``: the client's read timeout fires."""
    emulator.control.set_faults(1.0, ["timeout"], timeout_s=1.0)
    with pytest.raises(requests.Timeout):
        _get(emulator, timeout=0.2)


def test_token_endpoint_gets_faults_too(emulator):
    """Faults apply to the token path."""
    emulator.control.set_faults(1.0, ["500"])
    answer = requests.post(emulator.base_url + "/oauth/token", timeout=5, data={
        "client_id": seed.DEMO_CLIENT_ID, "client_secret": seed.DEMO_CLIENT_SECRET,
        "grant_type": "client_credentials", "scope": "/read-public"})
    assert answer.status_code == 500


def test_faults_never_touch_control_or_sign_in_pages(emulator):
    """``/_emulator/`` and the registry pages are never faulted."""
    emulator.control.set_faults(1.0, ["500", "reset"])
    assert emulator.control.faults()["rate"] == 1.0
    page = requests.get(emulator.base_url + "/signout", timeout=5)
    assert page.status_code == 200


def test_same_seed_repeats_the_same_sequence(emulator):
    """A seeded ``random.Random``: the run repeats exactly."""
    def run() -> list[int]:
        emulator.control.set_faults(0.4, ["500", "503"], seed=7)
        return [_get(emulator).status_code for _ in range(30)]

    normal = _get(emulator).status_code  # the unfaulted answer (403: no token)
    first, second = run(), run()
    assert first == second
    assert normal in first and (500 in first or 503 in first)
    emulator.control.set_faults(0.4, ["500", "503"], seed=8)
    assert [_get(emulator).status_code for _ in range(30)] != first


def test_latency_is_the_least_time_an_api_call_takes(emulator):
    """``PUT latency``: API calls take at least that long (lower bound only)."""
    emulator.control.set_latency(60)
    _get(emulator)
    call = [c for c in emulator.control.calls() if c["path"].endswith("/works")][-1]
    assert call["duration_ms"] >= 60


def test_faults_can_be_set_at_start(emulator_factory):
    """``make_app(faults="RATE:KINDS:SEED")`` like ``--faults``."""
    other = emulator_factory(faults="1:503:1")
    answer = requests.get(other.api_url + WORKS, timeout=5)
    assert answer.status_code == 503


@pytest.mark.parametrize("text, message", [
    ("2:500:1", "between 0 and 1"),
    ("0.5:boom:1", "unknown fault kind"),
    ("0.5", "RATE:KINDS"),
    ("x:500:1", "must be a number"),
])
def test_fault_specs_are_checked(text, message):
    """Bad ``--faults`` values raise a ValueError that says what is wrong."""
    with pytest.raises(ValueError, match=message):
        FaultConfig.parse(text)


def test_bad_fault_body_is_a_400(emulator):
    """``PUT faults`` with nonsense answers 400 with a reason."""
    answer = requests.put(emulator.base_url + "/_emulator/faults", timeout=5,
                          json={"rate": 0.5, "kinds": ["nope"]})
    assert answer.status_code == 400 and "unknown fault kind" in answer.json()["error"]
