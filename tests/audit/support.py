"""Running ``orcid-pyramid audit`` as a user does (a child process) on a site served here."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from orcid_pyramid.compliance.fixtures.emulator import process_ca


@dataclass
class Audited:
    """One audit run: exit status, output and the report folder."""

    code: int
    output: str
    out: Path

    @property
    def report(self) -> dict:
        """``report.json``."""
        assert (self.out / "report.json").is_file(), self.output
        return json.loads((self.out / "report.json").read_text(encoding="utf-8"))

    def statuses(self) -> dict[str, str]:
        """Requirement ID -> status."""
        return {row["id"]: row["status"] for row in self.report["requirements"]}

    def messages(self, rid: str) -> list[str]:
        """The messages of the checks of one requirement."""
        row = next(r for r in self.report["requirements"] if r["id"] == rid)
        return [scenario["message"] for scenario in row["scenarios"]]


def run_audit(folder: Path, journey: str, site_url: str, client_id: str, secret: str,
              redirect_uri: str, *options: str) -> Audited:
    """Write the journey, run the audit with ``options`` (``--emulator URL`` or the ports of
    the emulator and proxy it starts); the browser trusts the site's CA (this process's)."""
    (folder / "journey.toml").write_text(journey, encoding="utf-8")
    # the audit's own environment: no proxy variables (the site's are the site's)
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    done = subprocess.run(
        [sys.executable, "-m", "orcid_pyramid", "audit", "--site", site_url,
         "--client-id", client_id, "--client-secret", secret, "--redirect-uri", redirect_uri,
         "--journey", str(folder / "journey.toml"), "--out", str(folder / "report"),
         "--site-ca", str(process_ca().ca_file), *options],
        env=env, capture_output=True, text=True, timeout=280, check=False)
    return Audited(done.returncode, done.stdout + done.stderr, folder / "report")


def once_per_run(tmp_path_factory, name: str, audit: Callable[[Path], Audited]) -> Audited:
    """``audit(folder)`` once per pytest run, even when xdist spreads a module's tests over
    several workers (each would otherwise run its own module-scoped audit): the first worker
    runs it under a file lock, the others read its result."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's own folder, shared by its workers
    folder = base / f"audit-{name}"
    with open(base / f"audit-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = base / f"audit-{name}.json"
        if done.is_file():
            data = json.loads(done.read_text(encoding="utf-8"))
            return Audited(data["code"], data["output"], Path(data["out"]))
        folder.mkdir(exist_ok=True)
        result = audit(folder)
        done.write_text(json.dumps(dict(asdict(result), out=str(result.out))),
                        encoding="utf-8")
        return result
