"""The pieces of the production rehearsal (``test_production_rehearsal.py``), each a real
process or a real server as an operator would run it:

- the emulator as its own process over HTTPS (``orcid-pyramid emulator --tls``), standing in for
  ORCID's sandbox, with a throwaway local CA;
- a fresh PostgreSQL database;
- ``pserve`` on a copy of the shipped ``production.ini`` with every secret in the environment,
  behind a TLS front (the same local CA) as a TLS proxy would be;
- the ``orcid-pyramid`` commands on the same file and environment.

Only what a test cannot avoid is changed in the copied ini (the port, the scheme the TLS front
cannot send as a header, the worker run as its own process); :func:`site_ini` fails loudly when
the shipped file no longer looks as expected.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
PRODUCTION_INI = REPO / "production.ini"
BIN = Path(sys.prefix) / "bin"
STARTUP_LIMIT_S = 90
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- PostgreSQL --------------------------------------------------------------------------------

@contextmanager
def fresh_postgres_database():
    """A new empty database on ``ORCID_PYRAMID_TEST_DATABASE_URL``'s server (else the local
    one); yields its URL and drops it at the end. Skips when no PostgreSQL answers."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    server = os.environ.get("ORCID_PYRAMID_TEST_DATABASE_URL", "").strip() or DEFAULT_SERVER
    admin = create_engine(server, isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 5})
    name = f"orcid_rehearsal_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"the production rehearsal needs PostgreSQL: none reachable at "
                    f"{make_url(server).render_as_string(hide_password=True)} "
                    f"({str(exc.orig).strip().splitlines()[0]}); set "
                    "ORCID_PYRAMID_TEST_DATABASE_URL or start one on 127.0.0.1:5432")
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def dump_database(url: str) -> str:
    """Every row of every table of the database as text (what a backup would hold)."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        lines = []
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                for row in conn.execute(select(table)):
                    lines.append(f"{table.name}: {tuple(row)!r}")
        return "\n".join(lines)
    finally:
        engine.dispose()


# --- processes ---------------------------------------------------------------------------------

def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it hangs."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@dataclass
class Emulator:
    """``orcid-pyramid emulator --tls`` running as its own process."""

    base_url: str
    ca_file: Path
    tls_dir: Path
    process: subprocess.Popen
    log_path: Path


def start_emulator(workdir: Path) -> Emulator:
    """The emulator over HTTPS on a free port, empty (the test registers the client and the
    researcher through the control API); its URL and CA file are read from what it prints."""
    tls_dir = workdir / "tls"
    log_path = workdir / "emulator.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(BIN / "orcid-pyramid"), "emulator", "--tls", "--tls-dir", str(tls_dir),
             "--port", "0", "--seed", "empty"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        url = re.search(r"emulator at (https://\S+)", text)
        ca = re.search(r"CA file (\S+)", text)
        if url and ca:
            return Emulator(url.group(1), Path(ca.group(1)), tls_dir, proc, log_path)
        if proc.poll() is not None:
            pytest.fail(f"the emulator exited with {proc.returncode}:\n{text}")
        time.sleep(0.1)
    stop(proc)
    pytest.fail("the emulator printed no https URL and CA file:\n"
                + log_path.read_text(errors="replace"))


def site_ini(ini_text: str, port: int) -> str:
    """The shipped production.ini as the README's "Production" section has an operator change
    it for a TLS front that relays bytes (stunnel, haproxy in TCP mode, here
    :class:`TLSFront`): the listen port; ``url_scheme = https`` instead of the
    ``trusted_proxy*`` lines (such a front adds no X-Forwarded-Proto, and it passes a client's
    own X-Forwarded-* headers through, which must not be trusted); the sync worker as its own
    process (``demo.sync_worker = false``: ``orcid-pyramid sync`` runs it)."""
    changes = {"listen": f"listen = 127.0.0.1:{port}\nurl_scheme = https\n",
               "demo.sync_worker": "demo.sync_worker = false\n",
               "trusted_proxy": "", "trusted_proxy_headers": "",
               "clear_untrusted_proxy_headers": ""}
    expected = {"listen": "127.0.0.1:6543", "demo.sync_worker": "true", "trusted_proxy":
                "127.0.0.1", "trusted_proxy_headers": "x-forwarded-for x-forwarded-host "
                "x-forwarded-proto x-forwarded-port", "clear_untrusted_proxy_headers": "true"}
    out, seen = [], set()
    for line in ini_text.splitlines(keepends=True):
        key, _, value = line.partition("=")
        key = key.strip()
        if key in changes and not line.lstrip().startswith(("#", ";")):
            assert value.strip() == expected[key], f"production.ini: {line!r}"
            line = changes[key]
            seen.add(key)
        out.append(line)
    assert seen == set(changes), f"production.ini lacks {set(changes) - seen}"
    return "".join(out)


@dataclass
class Site:
    """``pserve`` on the copied production.ini behind a TLS front; restartable with a new
    environment (a key rotation)."""

    ini_path: Path
    log_path: Path
    backend_port: int
    base_url: str
    ca_file: Path
    env: dict
    front: object = None
    process: subprocess.Popen | None = None
    #: every command's output, scanned for secrets like the server's log
    command_output: list[str] = field(default_factory=list)
    #: each command as the README writes it (``orcid-pyramid sync --once production.ini``)
    commands_run: list[str] = field(default_factory=list)

    def start(self) -> None:
        """Start pserve (its output appended to ``log_path``) and wait until it serves."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / "pserve"), str(self.ini_path)], cwd=self.ini_path.parent,
                env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"pserve exited with {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(self.base_url + "/", verify=str(self.ca_file),
                                timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        pytest.fail(f"pserve did not serve {self.base_url} in {STARTUP_LIMIT_S} s:\n"
                    + self.log())

    def restart(self, **env) -> None:
        """Stop pserve, change the environment, start it again."""
        stop(self.process)
        self.env.update(env)
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def command(self, *args: str, **env) -> str:
        """``orcid-pyramid ARGS... INI`` with the site's environment; fails on a non-zero exit.
        Returns stdout and stderr together."""
        done = subprocess.run([str(BIN / "orcid-pyramid"), *args, str(self.ini_path)],
                              env={**self.env, **env}, capture_output=True, text=True,
                              timeout=300, cwd=self.ini_path.parent, stdin=subprocess.DEVNULL)
        output = done.stdout + done.stderr
        self.command_output.append(output)
        self.commands_run.append(" ".join(["orcid-pyramid", *args, self.ini_path.name]))
        assert done.returncode == 0, f"orcid-pyramid {' '.join(args)}: {done.returncode}\n{output}"
        return output


def start_front(emulator: Emulator, backend_port: int):
    """The site's TLS proxy: a TLS front with the emulator's server certificate (same local
    CA, it names 127.0.0.1) relaying to pserve's plain loopback port."""
    from orcid_pyramid.emulator.tls import LocalCA, TLSFront, spki_hashes

    ca = LocalCA(emulator.tls_dir, emulator.ca_file, emulator.tls_dir / "server.pem",
                 emulator.tls_dir / "server-key.pem", spki_hashes(emulator.ca_file)[0])
    return TLSFront(("127.0.0.1", backend_port), ca.server_context()).start()


def make_site(workdir: Path, emulator: Emulator, env: dict):
    """Copy production.ini, start the TLS front, then pserve; returns the :class:`Site`.
    ``env`` gets ``ORCID_REDIRECT_URI`` (the front's address) before pserve starts."""
    backend_port = free_port()
    ini_path = workdir / "production.ini"
    ini_path.write_text(site_ini(PRODUCTION_INI.read_text(), backend_port))
    front = start_front(emulator, backend_port)
    base_url = f"https://127.0.0.1:{front.port}"
    env["ORCID_REDIRECT_URI"] = base_url + "/orcid/callback"
    return Site(ini_path, workdir / "pserve.log", backend_port, base_url, emulator.ca_file,
                env, front)


def readme_production_section() -> str:
    """The README's "## Production" section, which must describe what the rehearsal does."""
    text = (REPO / "README.md").read_text()
    start = text.index("\n## Production\n")
    return text[start:text.index("\n## ", start + 1)]


# --- what must never be written down ----------------------------------------------------------

def leaks(secret_values: dict[str, str], texts: dict[str, str]) -> list[str]:
    """Which secret (by name) appears in which text (by name). Secrets shorter than 6
    characters (ORCID's codes have 6) are refused: they could match by chance."""
    found = []
    for name, value in secret_values.items():
        assert value and len(value) >= 6, f"secret {name} is too short to scan for: {value!r}"
        for where, text in texts.items():
            if value in text:
                found.append(f"{name} in {where}")
    return found


def server_errors(log_text: str) -> list[str]:
    """Lines of a server log that show a server error: a 5xx in the access log
    (``demo.access_log``), ERROR/CRITICAL records, tracebacks, waitress's 'Exception while
    serving'."""
    pattern = re.compile(r"answered 5\d\d\b|\b(ERROR|CRITICAL)\b|"
                         r"Traceback \(most recent call last\)|Exception while serving")
    return [line for line in log_text.splitlines() if pattern.search(line)]
