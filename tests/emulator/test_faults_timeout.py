"""How long the ``timeout`` fault holds a request: ``timeout_seconds`` from ``--faults`` and
``PUT /_emulator/faults`` (faults.py's docstring)."""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner

from orcid_pyramid.cli.emulator import emulator as emulator_command
from orcid_pyramid.emulator import seed
from orcid_pyramid.emulator.faults import FaultConfig

WORKS = f"/v3.0/{seed.DEMO_ORCID}/works"


@pytest.mark.parametrize("text, seconds", [
    ("1:timeout:0:0.25", 0.25),
    ("1:timeout:7:timeout_seconds=2", 2.0),
    ("1:timeout::1.5", 1.5),
    ("1:timeout:7", 3.0),
])
def test_command_line_form_takes_timeout_seconds(text, seconds):
    """``RATE:KINDS[:SEED[:TIMEOUT_SECONDS]]``; the default hold is 3 s."""
    assert FaultConfig.parse(text).timeout_seconds == seconds


@pytest.mark.parametrize("text, message", [
    ("1:timeout:0:soon", "TIMEOUT_SECONDS a number"),
    ("1:timeout:0:-1", "between 0 and 3600"),
    ("1:timeout:0:1:2", "RATE:KINDS[:SEED[:TIMEOUT_SECONDS]]"),
])
def test_bad_timeout_on_the_command_line_is_a_clear_message(text, message):
    """``--faults`` with a bad timeout exits 2 naming the problem, no traceback."""
    result = CliRunner().invoke(emulator_command, ["--faults", text])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_put_faults_takes_timeout_seconds_and_the_fault_holds_that_long(emulator):
    """``PUT faults {timeout_seconds}``: GET answers it; a client waiting longer than the hold
    gets the 504, one waiting less times out; the call took at least the hold."""
    answer = emulator.control.set_faults(1.0, ["timeout"], timeout_seconds=0.3)
    assert answer["timeout_seconds"] == 0.3
    assert emulator.control.faults()["timeout_seconds"] == 0.3
    start = emulator.control.calls_page()["next"]
    patient = requests.get(emulator.api_url + WORKS, timeout=30)
    assert patient.status_code == 504
    held = [c for c in emulator.control.calls(start) if c["path"].endswith("/works")]
    assert held[0]["duration_ms"] >= 300
    with pytest.raises(requests.Timeout):
        requests.get(emulator.api_url + WORKS, timeout=0.05)


def test_older_timeout_s_spelling_still_works(emulator):
    """``timeout_s`` (the first spelling) sets the same value."""
    answer = requests.put(emulator.base_url + "/_emulator/faults", timeout=5,
                          json={"rate": 1, "kinds": ["timeout"], "timeout_s": 0.2})
    assert answer.json()["timeout_seconds"] == 0.2


@pytest.mark.parametrize("value, message", [
    ("long", "must be numbers"), (True, "must be numbers"), (-2, "between 0 and 3600"),
])
def test_bad_timeout_seconds_is_a_400(emulator, value, message):
    """A timeout that is not a sensible number of seconds answers 400 with a reason."""
    answer = requests.put(emulator.base_url + "/_emulator/faults", timeout=5,
                          json={"rate": 1, "kinds": ["timeout"], "timeout_seconds": value})
    assert answer.status_code == 400 and message in answer.json()["error"]


def test_timeout_seconds_set_at_start(emulator_factory):
    """``make_app(faults="1:timeout:0:0.2")`` like ``--faults``: the setting is live."""
    other = emulator_factory(faults="1:timeout:0:0.2")
    assert other.control.faults()["timeout_seconds"] == 0.2
    assert requests.get(other.api_url + WORKS, timeout=30).status_code == 504
