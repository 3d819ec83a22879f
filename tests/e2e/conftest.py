"""The quick start as a new user runs it: the shipped ``development.ini`` served by a real
``pserve`` process, and Debian's Chromium driven by Playwright.

The ini is copied into a temporary directory, so the demo's SQLite file is created there on
first start; only the listen port (and the two ORCID URLs that name it) are rewritten, to a free
port.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from .rehearsal import stop as _stop

REPO = Path(__file__).resolve().parents[2]
DEVELOPMENT_INI = REPO / "development.ini"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
#: the keys whose values name the server's own address; nothing else is touched
PORT_KEYS = ("listen", "orcid.base_url", "orcid.api_url")
#: how long a loaded machine may take to import everything and open the port
STARTUP_LIMIT_S = 90


@dataclass
class QuickstartServer:
    """A running ``pserve`` of the copied ini."""

    base_url: str
    ini_path: Path
    db_path: Path
    log_path: Path
    db_existed_before_start: bool
    process: subprocess.Popen

    def log_text(self) -> str:
        """Everything the server printed so far (its logging goes to stderr)."""
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _key_of(line: str) -> str | None:
    """The setting name of an ini line ``key = value`` (None for comments and sections)."""
    stripped = line.strip()
    if not stripped or stripped[0] in "#;[" or "=" not in stripped:
        return None
    return stripped.split("=", 1)[0].strip()


def rewrite_port(ini_text: str, port: int) -> str:
    """``ini_text`` with the listen address's port replaced by ``port`` in the lines of
    :data:`PORT_KEYS` only. Fails loudly when the shipped ini no longer looks like that, rather
    than silently testing a different setup."""
    listen = [line.split("=", 1)[1].strip() for line in ini_text.splitlines()
              if _key_of(line) == "listen"]
    assert len(listen) == 1, f"development.ini should have one listen line, has {listen}"
    address = listen[0]  # e.g. 127.0.0.1:6543
    host, _, old_port = address.rpartition(":")
    new_address = f"{host}:{port}"
    out, changed = [], set()
    for line in ini_text.splitlines(keepends=True):
        key = _key_of(line)
        if key in PORT_KEYS:
            assert address in line, f"development.ini: {key} does not name {address}: {line!r}"
            line = line.replace(address, new_address)
            changed.add(key)
        out.append(line)
    assert changed == set(PORT_KEYS), f"development.ini lacks {set(PORT_KEYS) - changed}"
    return "".join(out)


def _wait_until_serving(proc: subprocess.Popen, url: str, log_path: Path) -> None:
    """Poll ``url`` until it answers 200; fail with the server log if pserve dies or never
    opens the port."""
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"pserve exited with {proc.returncode} before serving:\n"
                        + log_path.read_text(errors="replace"))
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(f"pserve did not serve {url} within {STARTUP_LIMIT_S} s:\n"
                + log_path.read_text(errors="replace"))




@pytest.fixture(scope="module")
def quickstart_server(tmp_path_factory):
    """``pserve development.ini`` (a copy, on a free port) as a real subprocess; stopped at
    the end whatever happens. One server per module: starting it costs seconds."""
    workdir = tmp_path_factory.mktemp("quickstart")
    port = free_port()
    ini_path = workdir / "development.ini"
    ini_path.write_text(rewrite_port(DEVELOPMENT_INI.read_text(), port))
    db_path = workdir / "orcid-demo.sqlite"  # sqlite:///%(here)s/orcid-demo.sqlite
    existed = db_path.exists()
    log_path = workdir / "pserve.log"
    pserve = Path(sys.prefix) / "bin" / "pserve"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(pserve), str(ini_path)], cwd=workdir, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_serving(proc, base_url + "/", log_path)
        yield QuickstartServer(base_url=base_url, ini_path=ini_path, db_path=db_path,
                               log_path=log_path, db_existed_before_start=existed,
                               process=proc)
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def chromium_browser():
    """Debian's headless Chromium through Playwright (never Playwright's own download)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); the browser "
                    "quick-start check needs it")
    from orcid_pyramid.compliance.browser import playwright_driver

    # the process's one Playwright driver: the sync API allows one per thread, and the
    # compliance suite's session browser may be open in this worker too
    browser = playwright_driver().chromium.launch(executable_path=str(CHROMIUM),
                                                  args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so a fixture can tell that the test failed."""
    report = yield
    setattr(item, f"e2e_report_{report.when}", report)
    return report


@pytest.fixture
def page(request, chromium_browser, quickstart_server, tmp_path):
    """A fresh browser profile (no cookies: neither the demo's nor ORCID's) for one test. When
    the test fails, the page's URL, a screenshot and the server log's tail are printed."""
    from playwright.sync_api import expect

    # generous ceilings for waiting on pages: the machines running this can be loaded
    expect.set_options(timeout=20_000)
    context = chromium_browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    try:
        yield tab
        report = getattr(request.node, "e2e_report_call", None)
        if report is not None and report.failed:
            shot = tmp_path / "failure.png"
            tab.screenshot(path=str(shot), full_page=True)
            log_tail = "\n".join(quickstart_server.log_text().splitlines()[-40:])
            print(f"\nfailed on {tab.url}\nscreenshot: {shot}\nserver log (tail):\n{log_tail}")
    finally:
        context.close()
        expect.set_options(timeout=None)  # back to Playwright's default for other suites
