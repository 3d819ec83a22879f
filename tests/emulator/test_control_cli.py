"""``orcid-pyramid emulator``: serves the sandbox and prints the seeded credentials."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time

import pytest
import requests
from click.testing import CliRunner

from orcid_pyramid.cli.emulator import emulator
from orcid_pyramid.emulator import paste_app_factory, seed
from orcid_pyramid.emulator.control_client import EmulatorControl


@pytest.mark.subprocess
def test_command_serves_the_emulator_and_prints_credentials():
    """A real process on a free port: prints URLs and demo credentials, answers discovery."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "orcid_pyramid", "emulator", "--port", "0", "--seed", "demo",
         "--latency-ms", "0", "--rate-limit", "24/40"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        lines = [process.stdout.readline() for _ in range(4)]
        match = re.search(r"at (http://127\.0\.0\.1:\d+)", lines[0])
        assert match, lines
        doc = requests.get(match.group(1) + "/.well-known/openid-configuration",
                           timeout=10).json()
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()
    printed = "".join(lines)
    assert doc["issuer"] == match.group(1)
    assert seed.DEMO_CLIENT_ID in printed and seed.DEMO_CLIENT_SECRET in printed
    assert seed.DEMO_ORCID in printed and seed.DEMO_PASSWORD in printed


@pytest.mark.parametrize("args, message", [
    (["--faults", "5:500:1"], "between 0 and 1"),
    (["--faults", "0.1:explode:1"], "unknown fault kind"),
    (["--rate-limit", "fast"], "RATE/BURST"),
    (["--public-rate-limit", "fast"], "RATE/BURST"),
    (["--port", "70000"], "70000"),
])
def test_bad_options_get_a_clear_message_not_a_traceback(args, message):
    """Bad input exits 2 with click's usage error naming the problem."""
    result = CliRunner().invoke(emulator, args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_paste_factory_reads_ini_strings():
    """``use = egg:orcid-pyramid#emulator`` with ini values (all strings)."""
    app = paste_app_factory({}, seed="demo", latency_ms="5", rate_limit="none",
                            public_rate_limit="6/20", faults="0.5:500:9")
    try:
        assert app.rate_specs["member"] is None and app.faults.latency_ms == 5.0
        assert str(app.rate_specs["public"]) == "6/20"
        assert app.faults.config.kinds == ("500",) and app.faults.config.seed == 9
        assert app.state.client(seed.DEMO_CLIENT_ID) is not None
    finally:
        app.close()


@pytest.mark.subprocess
def test_command_takes_a_public_rate_limit_apart_from_the_member_one():
    """``--public-rate-limit`` limits ``pub.`` only; ``--rate-limit`` stays the member API's."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "orcid_pyramid", "emulator", "--port", "0", "--seed", "demo",
         "--rate-limit", "0.001/3", "--public-rate-limit", "0.001/1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        base = re.search(r"at (http://127\.0\.0\.1:\d+)", process.stdout.readline()).group(1)
        works = f"/v3.0/{seed.DEMO_ORCID}/works"
        public = [requests.get(f"{base}/pub{works}", timeout=10).status_code for _ in range(2)]
        token = requests.post(base + "/oauth/token", timeout=10, data={
            "client_id": seed.DEMO_CLIENT_ID, "client_secret": seed.DEMO_CLIENT_SECRET,
            "grant_type": "client_credentials", "scope": "/read-public"}).json()["access_token"]
        member = [requests.get(f"{base}/api{works}", timeout=10,
                               headers={"Authorization": f"Bearer {token}"}).status_code
                  for _ in range(4)]
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()
    assert public == [200, 503]
    assert member == [200, 200, 200, 503]


@pytest.mark.subprocess
def test_rate_limit_and_latency_count_from_arrival_not_from_a_free_thread():
    """ORCID counts a call when it arrives. Two slow token calls hold both of the emulator's
    threads for a second; two API calls arrive 0.2 s and 0.55 s in, 0.35 s apart at a limit of
    10/s with a burst of 1: both are within the limit. Counted when a thread was free they
    were counted together and the second got a 503; and the first waited for a thread, then
    a whole latency more (1.8 s). (Fails on the commit before: [200, 503].)"""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "orcid_pyramid", "emulator", "--port", "0", "--seed", "demo",
         "--threads", "2", "--latency-ms", "1000", "--rate-limit", "10/1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        base = re.search(r"at (http://127\.0\.0\.1:\d+)", process.stdout.readline()).group(1)
        token = requests.post(base + "/oauth/token", timeout=10, data={
            "client_id": seed.DEMO_CLIENT_ID, "client_secret": seed.DEMO_CLIENT_SECRET,
            "grant_type": "client_credentials", "scope": "/read-public"}).json()["access_token"]
        works = f"{base}/api/v3.0/{seed.DEMO_ORCID}/works"
        answers: dict[str, tuple[int, float]] = {}

        def slow_token_call(name: str) -> None:
            answers[name] = (requests.post(base + "/oauth/token", timeout=10, data={
                "grant_type": "client_credentials"}).status_code, 0.0)

        def api_call(name: str, after: float) -> None:
            time.sleep(after)
            sent = time.monotonic()
            status = requests.get(works, timeout=10,
                                  headers={"Authorization": f"Bearer {token}"}).status_code
            answers[name] = (status, time.monotonic() - sent)

        threads = [threading.Thread(target=slow_token_call, args=(f"slow{n}",)) for n in (1, 2)]
        threads += [threading.Thread(target=api_call, args=("first", 0.2)),
                    threading.Thread(target=api_call, args=("second", 0.55))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        calls = EmulatorControl(base).calls()[-4:]
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()
    assert [answers["first"][0], answers["second"][0]] == [200, 200], answers
    assert answers["first"][1] < 1.6, answers
    # the call log shows the API calls from their arrival, while the slow calls held the
    # threads (logged from when a thread started on them, they began after those ended)
    slow_end = min(c["time"] + c["duration_ms"] / 1000 for c in calls
                   if c["path"] == "/oauth/token")
    assert all(c["time"] < slow_end for c in calls if "/works" in c["path"]), calls
