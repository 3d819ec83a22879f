"""Shared set-up of the sync benchmarks: an emulator, a database, connected researchers.

The database is ``ORCID_PYRAMID_TEST_DATABASE_URL`` when set (PostgreSQL: several workers
share the rate bucket), else a temporary SQLite file (one worker). Run from the checkout:
``.venv/bin/python benchmarks/bench_sync_<name>.py``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from contextlib import contextmanager


def setup_path() -> None:
    """Make the checkout importable (the scripts run from ``benchmarks/``)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if root not in sys.path:
        sys.path.insert(0, root)


@contextmanager
def database():
    """A database URL with the add-on's tables (a private schema on PostgreSQL)."""
    setup_path()
    server = os.environ.get("ORCID_PYRAMID_TEST_DATABASE_URL", "").strip()
    if server:
        from orcid_pyramid.compliance.fixtures.database import _private_schema

        with _private_schema(server) as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{tmp}/bench.sqlite"


class EmulatorProcess:
    """An emulator in its own process (as ORCID is another machine: its work does not
    compete with the client for this interpreter's GIL)."""

    def __init__(self, base_url: str, proc) -> None:
        from orcid_pyramid.emulator.control_client import EmulatorControl

        self.base_url = base_url
        self.api_url = base_url + "/api"
        self.proc = proc
        self.control = EmulatorControl(base_url, timeout=60)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def emulator(rate_limit: str | None = None, latency_ms: float = 0, https: bool = False):
    """``orcid-pyramid emulator`` on a free port in a child process. ``https``: over HTTPS
    (``--tls``), trusted by this process and its children through ``REQUESTS_CA_BUNDLE`` set
    to a bundle the size of requests' default (certifi's public CAs and the emulator's CA),
    as a client of ORCID verifies its connections."""
    import subprocess

    import requests

    setup_path()
    port = _free_port()
    command = [sys.executable, "-m", "orcid_pyramid", "emulator", "--port", str(port),
               "--seed", "demo", "--latency-ms", str(latency_ms), "--threads", "16",
               "--rate-limit", rate_limit or "none"]
    tls_dir = tempfile.mkdtemp(prefix="bench-emulator-ca-") if https else None
    if tls_dir:
        command += ["--tls", "--tls-dir", tls_dir]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": os.getcwd() + "/.."})
    base = f"{'https' if https else 'http'}://127.0.0.1:{port}"
    earlier = os.environ.get("REQUESTS_CA_BUNDLE")
    try:
        if tls_dir:
            import certifi

            ca = os.path.join(tls_dir, "ca.pem")
            for _ in range(300):
                if os.path.exists(ca) and os.path.getsize(ca):
                    break
                time.sleep(0.1)
            bundle = os.path.join(tls_dir, "bundle.pem")
            with open(bundle, "wb") as out, open(certifi.where(), "rb") as public, \
                    open(ca, "rb") as local:
                out.write(public.read() + b"\n" + local.read())
            os.environ["REQUESTS_CA_BUNDLE"] = bundle
        for _ in range(300):
            try:
                requests.get(base + "/_emulator/faults", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield EmulatorProcess(base, proc)
    finally:
        proc.terminate()
        proc.wait(10)
        if tls_dir:
            if earlier is None:
                os.environ.pop("REQUESTS_CA_BUNDLE", None)
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = earlier
            import shutil

            shutil.rmtree(tls_dir, ignore_errors=True)


def world(handle, url, **settings):
    """A :class:`tests.functional.sync_support.SyncWorld` on ``url`` for ``handle``."""
    setup_path()
    from tests.functional.sync_support import build_world

    return build_world(handle, url, **settings)


def drain(world, workers: int = 1, **kwargs) -> tuple[float, list]:
    """Drain with ``workers`` threads (one on SQLite); returns (seconds, per-worker counts)."""
    if world.engine.dialect.name == "sqlite":
        workers = 1
    made = [world.worker(**kwargs) for _ in range(workers)]
    threads = [threading.Thread(target=w.run_once) for w in made]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, [w.counts for w in made]


def api_calls(handle, since: int) -> list[dict]:
    """Member-API calls the emulator received since index ``since``."""
    return [c for c in handle.control.calls()[since:] if c["host"] == "api"
            and "/v3.0/" in c["path"]]
