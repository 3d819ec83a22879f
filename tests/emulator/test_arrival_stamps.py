"""The emulator counts a call from when its bytes reached the machine (the kernel's stamp),
even while its one interpreter is busy elsewhere, as ORCID's proxy counts it."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from orcid_pyramid.compliance.fixtures.emulator import process_ca, start_emulator
from orcid_pyramid.emulator import seed
from orcid_pyramid.emulator.stamps import _STAMPING_MACHINES

#: a client in its own process: at the wall-clock time given, it sends one API call and prints
#: when its bytes left, then waits for the answer
#: (over HTTPS, given a CA file, the connection and its handshake come before the wait)
CLIENT = """
import socket, ssl, sys, time
host, port, path, token, at, ca = sys.argv[1:7]
if ca:
    sock = socket.create_connection((host, int(port)))
    sock = ssl.create_default_context(cafile=ca).wrap_socket(sock, server_hostname=host)
time.sleep(max(0.0, float(at) - time.time()))
if not ca:
    sock = socket.create_connection((host, int(port)))
request = (f"GET {path} HTTP/1.1\\r\\nHost: {host}:{port}\\r\\nAccept: application/json\\r\\n"
           f"Authorization: Bearer {token}\\r\\nConnection: close\\r\\n\\r\\n")
sent = time.time()
sock.sendall(request.encode())
print(sent, flush=True)
while sock.recv(65536):
    pass
"""


def _hold_the_interpreter(seconds: float) -> None:
    """Keep this process's interpreter (and the emulator's threads in it) for ``seconds``."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(60.0)  # no other thread is let in meanwhile
    try:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass
    finally:
        sys.setswitchinterval(interval)
    time.sleep(0.001)  # let the others in now


@pytest.mark.subprocess
@pytest.mark.skipif(not sys.platform.startswith("linux")
                    or __import__("platform").machine() not in _STAMPING_MACHINES,
                    reason="the kernel's receive stamps are read on Linux only")
@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_call_is_counted_from_when_its_bytes_arrived_while_the_emulator_was_busy(tls):
    """A call arrives while the emulator's interpreter is held for 1.2 s: it is logged (and
    rate-limited, and its latency counted) from its arrival, not from when the emulator could
    read it 0.3 s or more later. (Fails on the code before: logged at the end of the hold.)
    The hold is long so that the client, another process asked to send 0.2 s into it, still
    sends inside it on a loaded machine (with a 0.6 s hold, a CI run's client sent 11 ms too
    late for the check that its bytes came during the hold).

    Over HTTPS the bytes reach the TLS front first, which runs in the same interpreter: the
    call counts from when they reached the front's socket, not from when the front could
    pass them on (on the code before, the end of the hold: a CI run's first push then got
    a 503 ORCID would not have given, its front held up behind the emulator's threads)."""
    handle = start_emulator(rate_limit="none", tls=tls)
    ca = str(process_ca().ca_file) if tls else ""
    try:
        token = requests.post(handle.base_url + "/oauth/token", timeout=10, data={
            "client_id": seed.DEMO_CLIENT_ID, "client_secret": seed.DEMO_CLIENT_SECRET,
            "grant_type": "client_credentials", "scope": "/read-public"}).json()["access_token"]
        host, port = handle.base_url.split("//")[1].split(":")
        path = f"/api/v3.0/{seed.DEMO_ORCID}/works"
        at = time.time() + 1.0
        client = subprocess.Popen([sys.executable, "-c", CLIENT, host, port, path, token,
                                   str(at), ca], stdout=subprocess.PIPE, text=True)
        time.sleep(max(0.0, at - 0.2 - time.time()))
        held_from = time.time()
        _hold_the_interpreter(1.2)
        held_to = time.time()
        sent = float(client.communicate(timeout=30)[0].split()[0])
        call = [c for c in handle.control.calls() if c["path"].endswith("/works")][-1]
    finally:
        handle.stop()
    assert held_from < sent < held_to - 0.3  # the bytes came while the interpreter was held
    assert call["status"] == 200
    assert -0.005 < call["time"] - sent < 0.05, (call["time"] - sent, held_to - sent)
