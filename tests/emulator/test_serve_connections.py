"""The emulator takes as many open connections as a site's sync processes hold (issue 13).

Each worker thread keeps its connection to ORCID open between requests. waitress, which
serves the emulator, stops accepting new connections while 100 are open, so with two sync
processes of 64 threads the 101st connection waited in the kernel's queue until the client's
own timeout; its request then reached the emulator 10 s late, after the worker had given up
on it and another writer had sent it again. ORCID takes many more connections than that.
"""

from __future__ import annotations

import socket

import requests

from orcid_pyramid.compliance.fixtures.emulator import start_emulator

OPEN = 110  # idle keep-alive connections, more than waitress's default limit of 100


def _keep_open(host: str, port: int) -> socket.socket:
    """A connection that made one request and stays open, as a worker's does."""
    sock = socket.create_connection((host, port), timeout=10)
    sock.sendall(b"GET /_emulator/faults HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 200")
    return sock


def test_a_new_client_is_answered_while_more_than_100_connections_are_open():
    handle = start_emulator(tls=False)
    opened = []
    try:
        host, port = handle.base_url.split("//")[1].split(":")
        # before: the 101st connection got no answer (it waited for one of the others to
        # close) and timed out
        opened = [_keep_open(host, int(port)) for _ in range(OPEN)]
        answer = requests.get(handle.base_url + "/_emulator/faults", timeout=10)
        assert answer.status_code == 200
    finally:
        for sock in opened:
            sock.close()
        handle.stop()
