"""``pserve production.ini`` as a separate process, its secrets in the environment and its
tables made by ``orcid-pyramid initdb production.ini``: HTTPS only behind the proxy, an
oversized body refused with 413 before it is read (the server's memory stays flat), and a
log without a secret or a traceback. Only the listening port differs from the shipped file."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.functional.test_production_ini import HOST, PASSWORD, production_env

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def server(tmp_path):
    port = free_port()
    text = (ROOT / "production.ini").read_text()
    assert "listen = 127.0.0.1:6543" in text
    ini = tmp_path / "production.ini"
    ini.write_text(text.replace("listen = 127.0.0.1:6543", f"listen = 127.0.0.1:{port}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORCID_", "DEMO_"))}
    env.update(production_env(tmp_path))
    initdb = subprocess.run([str(BIN / "orcid-pyramid"), "initdb", str(ini)], env=env,
                            capture_output=True, text=True, timeout=120)
    assert initdb.returncode == 0, initdb.stderr
    log = open(tmp_path / "server.log", "w+")  # noqa: SIM115 -- closed below
    proc = subprocess.Popen([str(BIN / "pserve"), str(ini)], env=env, stdout=log,
                            stderr=subprocess.STDOUT, cwd=tmp_path)
    for _ in range(300):  # wait for the port (at most about a minute)
        if proc.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    assert proc.poll() is None, (tmp_path / "server.log").read_text()
    yield port, proc, env, tmp_path / "server.log"
    proc.terminate()
    proc.wait(30)
    log.close()


def request(port, method, path, *, https=True, headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    all_headers = {"Host": HOST, **({"X-Forwarded-Proto": "https"} if https else {}),
                   **(headers or {})}
    connection.request(method, path, body=body, headers=all_headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_pserve_production_ini_is_https_only_with_headers(server):
    port, _, _, _ = server
    assert request(port, "GET", "/login", https=False).status == 301
    page = request(port, "GET", "/login")
    assert page.status == 200
    assert page.getheader("Strict-Transport-Security")
    assert page.getheader("X-Frame-Options") == "DENY"


def test_an_oversized_body_is_413_before_it_is_read_and_memory_stays_flat(server):
    """Fails on main: production.ini had no body limit; a 300 MB form was read (111 -> 963 MB);
    here the request waited for the body (timeout) instead of a 413."""
    port, proc, _, _ = server
    request(port, "GET", "/")
    before = rss_kib(proc.pid)
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection.sendall(
        f"POST /orcid/disconnect HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 300000000\r\n\r\n".encode())
    try:
        for _ in range(64):  # 8 MB of the announced 300 MB; the server may hang up first
            connection.sendall(b"x" * 131072)
    except OSError:
        pass
    status_line = connection.makefile("rb").readline()
    connection.close()
    assert b" 413 " in status_line, status_line
    chunked = socket.create_connection(("127.0.0.1", port), timeout=30)
    chunked.sendall(
        f"POST /orcid/disconnect HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode())
    try:
        for _ in range(24):  # 3 MB in chunks, over the 1 MB limit
            chunked.sendall(b"20000\r\n" + b"x" * 131072 + b"\r\n")
        chunked.sendall(b"0\r\n\r\n")
    except OSError:
        pass
    status_line = chunked.makefile("rb").readline()
    chunked.close()
    assert b" 413 " in status_line, status_line
    assert rss_kib(proc.pid) - before < 20 * 1024  # KiB: flat, nowhere near the body size


def test_the_server_log_holds_no_secret_and_no_traceback(server):
    port, proc, env, log_path = server
    request(port, "GET", "/orcid/callback?code=AbC123xyz&state=forged")
    request(port, "POST", "/login", body=f"username=alice&password={PASSWORD}",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
    request(port, "GET", "/orcid/%ff")
    proc.terminate()
    proc.wait(30)
    text = log_path.read_text()
    for name in ("ORCID_CLIENT_SECRET", "ORCID_TOKEN_KEY", "SESSION_SECRET",
                 "DEMO_PASSWORD_HASH"):
        assert env[name] not in text, name
    assert PASSWORD not in text and "AbC123xyz" not in text
    assert "Traceback" not in text and " ERROR " not in text
