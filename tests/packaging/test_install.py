"""The wheel, installed into fresh virtual environments outside the checkout.

Bare, it is the add-on alone: none of the extras' libraries is there, and a small Pyramid site
served by the standard library's wsgiref shows the add-on's pages. With ``[compliance]``,
``orcid-pyramid report`` runs the whole suite and writes the report, against the demo and
against a site written here (``sites/small_site.py``).

Installs are ``--no-index`` from a wheelhouse (``$ORCID_PYRAMID_WHEELHOUSE``, default
``~/.cache/orcid-pyramid/wheelhouse``) that the package index fills once.
"""

from __future__ import annotations

import fcntl
import html
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from orcid_pyramid.compliance import FEATURES
from orcid_pyramid.compliance.evidence import read_scenarios

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]

ROOT = Path(__file__).resolve().parents[2]
SITES = Path(__file__).resolve().parent / "sites"
#: what the build needs from the checkout (the rest is not packaged)
SOURCES = ("setup.cfg", "pyproject.toml", "README.md", "LICENSE", "orcid_pyramid")
#: libraries only the extras bring
EXTRA_MODULES = ("waitress", "webtest", "pytest", "pytest_bdd", "playwright", "hypothesis")


def _wheelhouse() -> Path:
    default = Path.home() / ".cache" / "orcid-pyramid" / "wheelhouse"
    return Path(os.environ.get("ORCID_PYRAMID_WHEELHOUSE") or default)


def _env(**extra: str) -> dict[str, str]:
    """A clean environment: nothing of the checkout or of the test run leaks in."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "ORCID_CHROMIUM")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(extra)
    return env


def _run(command: list, *, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                            timeout=timeout, check=False, **kwargs)
    assert result.returncode == 0, f"{command}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """``pip wheel --no-deps`` of a copy of the checkout's packaged files."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif path.is_file():
            shutil.copy2(path, source / name)
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, source])
    return next(dist.glob("orcid_pyramid-*.whl"))


@contextmanager
def _locked(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # test processes running side by side share it
        yield


@pytest.fixture(scope="session")
def wheelhouse(wheel) -> Path:
    """Wheels of every dependency of ``[compliance]`` (a superset of the bare install's)."""
    folder = _wheelhouse()
    command = [sys.executable, "-m", "pip", "wheel", "-q", "-w", folder, "--find-links", folder,
               f"{wheel}[compliance]"]
    with _locked(folder):
        offline = subprocess.run([str(c) for c in command[:5]] + ["--no-index"]
                                 + [str(c) for c in command[5:]],
                                 capture_output=True, text=True, timeout=600, check=False)
        if offline.returncode != 0:  # first run, or a dependency changed: ask the index
            _run(command, timeout=1200)
        for own in folder.glob("orcid_pyramid-*.whl"):
            own.unlink()  # only the wheel under test is ever installed
    return folder


def _venv(where: Path, wheel: Path, wheelhouse: Path, extra: str = "") -> Path:
    """A fresh venv with ``wheel`` (and ``extra``) installed; returns its ``bin``."""
    _run([sys.executable, "-m", "venv", where])
    _run([where / "bin" / "python", "-m", "pip", "install", "-q", "--no-index", "--find-links",
          wheelhouse, f"{wheel}{extra}"], env=_env(PIP_DISABLE_PIP_VERSION_CHECK="1"))
    return where / "bin"


def _read_port(server: subprocess.Popen, timeout: float = 60) -> int:
    ready, _, _ = select.select([server.stdout], [], [], timeout)
    line = server.stdout.readline() if ready else ""
    if not line.startswith("PORT "):
        server.kill()
        pytest.fail(f"the site did not start: {line}{server.stderr.read()}")
    return int(line.split()[1])


def test_the_bare_wheel_serves_the_addon_with_none_of_the_extras(wheel, wheelhouse, tmp_path):
    bin_dir = _venv(tmp_path / "venv", wheel, wheelhouse)
    python = bin_dir / "python"
    probe = _run([python, "-c", "import importlib.util, json, orcid_pyramid; print(json.dumps("
                  f"[orcid_pyramid.__file__, [m for m in {EXTRA_MODULES!r} "
                  "if importlib.util.find_spec(m)]]))"], cwd=tmp_path, env=_env())
    location, present = json.loads(probe.stdout)
    assert location.startswith(str(tmp_path / "venv")), location
    assert present == []

    site = shutil.copy(SITES / "bare_site.py", tmp_path / "bare_site.py")
    server = subprocess.Popen([str(python), str(site), str(tmp_path / "site.sqlite")],
                              cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{_read_port(server)}"
        signed_in = {"X-User": "researcher-1"}
        panel = requests.get(base + "/orcid/", headers=signed_in, timeout=10)
        assert panel.status_code == 200, panel.text[:500]
        assert "Connect your ORCID iD" in panel.text
        connect = requests.get(base + "/orcid/connect", headers=signed_in, timeout=10)
        assert connect.status_code == 200
        assert "https://sandbox.orcid.org/oauth/authorize?" in html.unescape(connect.text)
        assert requests.get(base + "/orcid-static/orcid.css", timeout=10).status_code == 200
        assert requests.get(base + "/orcid/", timeout=10).status_code == 403
    finally:
        server.terminate()
        server.wait(10)

    # the other parts' commands say which extra they need
    emulator = subprocess.run([str(bin_dir / "orcid-pyramid"), "emulator"], cwd=tmp_path,
                              env=_env(), capture_output=True, text=True, timeout=60)
    assert emulator.returncode == 1
    assert "pip install 'orcid-pyramid[emulator]'" in emulator.stderr
    assert "Traceback" not in emulator.stderr


def _scenario_names() -> set[str]:
    from pytest_bdd.feature import get_features

    return {name for feature in get_features([str(FEATURES)]) for name in feature.scenarios}


def _assert_report(out: Path, result: subprocess.CompletedProcess,
                   *, every_scenario: bool) -> dict[str, str]:
    output = result.stdout[-3000:] + (out / "pytest-output.txt").read_text()[-5000:]
    assert result.returncode in (0, 3), output  # 3: nothing failed, something not checked
    assert str(ROOT) not in (out / "pytest-output.txt").read_text(), "ran the checkout's code"
    statuses = {row["id"]: row["status"]
                for row in json.loads((out / "report.json").read_text())["requirements"]}
    assert "fail" not in statuses.values(), statuses
    # the exit code and the statuses agree
    assert (result.returncode == 3) == ("not-checked" in statuses.values()), statuses
    assert (out / "index.html").is_file() and (out / "report.md").is_file()
    # the scenarios that ran are the suite's (an outline's ``<kind>`` filled in by its examples);
    # on the demo, all of them
    ran = {s["scenario"] for s in read_scenarios(out)}
    templates = {name: re.compile(re.sub(r"<[^>]+>", ".+", re.escape(name)))
                 for name in _scenario_names()}
    assert ran and {r for r in ran if not any(t.fullmatch(r) for t in templates.values())} == set()
    if every_scenario:
        assert {n for n, t in templates.items() if not any(t.fullmatch(r) for r in ran)} == set()
    return statuses


def _assert_unknown(out: Path, field: str, why: str) -> None:
    """``target.field`` is null in report.json and named, with ``why``, in every output."""
    target = json.loads((out / "report.json").read_text())["target"]
    assert target[field] is None and why in target["missing"][field], target
    for name in ("index.html", "report.md"):
        text = html.unescape((out / name).read_text())
        assert f"not known: {target['missing'][field]}" in text, name


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _site_ini(folder: Path, token_key: str) -> Path:
    port = _free_port()
    ini = folder / "site.ini"
    ini.write_text(f"""[app:main]
use = call:small_site:main
orcid.environment = emulator
orcid.base_url = http://127.0.0.1:{port}
orcid.api_url = http://127.0.0.1:{port}/api
orcid.client_id = APP-DEMOCLIENT000001
orcid.client_secret = demo-client-secret
orcid.support_email = support@example.org
orcid.token_key = {token_key}
orcid.sqlalchemy.url = sqlite:///{folder / 'site.sqlite'}
orcid.create_tables = true
orcid.user_info = small_site:user_info
site.session_secret = small-site-session-secret-0123456789
orcid.compliance.sign_in = small_site:sign_in
orcid.compliance.users =
    alice:alice-site-password:Josiah:Carberry:josiah.carberry@example.org:0000-0002-1825-0097:demo-password
""", encoding="utf-8")
    return ini


def test_the_compliance_wheel_reports_on_the_demo_and_on_a_site_of_its_own(wheel, wheelhouse,
                                                                           tmp_path):
    from orcid_pyramid.crypto import generate_key

    bin_dir = _venv(tmp_path / "venv", wheel, wheelhouse, "[compliance]")
    command = bin_dir / "orcid-pyramid"

    demo = subprocess.run([str(command), "report", "--out", str(tmp_path / "demo-report")],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=900)
    demo_statuses = _assert_report(tmp_path / "demo-report", demo, every_scenario=True)
    assert set(demo_statuses.values()) <= {"pass", "not-checked"}
    # an installed package has no commit of its own: the report says so everywhere
    _assert_unknown(tmp_path / "demo-report", "commit", "not a git checkout")

    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(SITES / "small_site.py", site / "small_site.py")
    ini = _site_ini(site, generate_key())
    other = subprocess.run([str(command), "report", "--orcid-app", str(ini), "--out",
                            str(tmp_path / "site-report"), "--no-screenshots"],
                           cwd=tmp_path, env=_env(PYTHONPATH=str(site)), capture_output=True,
                           text=True, timeout=900)
    _assert_report(tmp_path / "site-report", other, every_scenario=False)
    # the site's ini sets no orcid.redirect_uri: its public address is not known, and named so
    _assert_unknown(tmp_path / "site-report", "site_url", "orcid.redirect_uri")
    # only what needs the demo's own pages, webhooks the site leaves off, or HTTPS from an
    # emulator the ini reaches over plain http, skips
    skipped = [s for s in read_scenarios(tmp_path / "site-report") if s["status"] == "skip"]
    assert all("(demo site only)" in s["message"] or "webhooks on" in s["message"]
               or "reached over plain http" in s["message"] for s in skipped), skipped
    https = next(r for r in json.loads((tmp_path / "site-report" / "report.json").read_text())
                 ["requirements"] if r["id"] == "DM-2")
    assert https["status"] == "not-checked" and "plain http" in https["reason"], https
