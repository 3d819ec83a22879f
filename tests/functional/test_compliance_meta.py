"""The compliance suite can fail: against each deliberately broken demo configuration, exactly
the checklist IDs that configuration breaks fail, and every other ID keeps its status.

Each run is a real ``pytest features/`` subprocess with ``--orcid-breakage NAME``; the runs go
in parallel. Pass and fail come from the plugin's record of pytest's own outcomes. A baseline
run (no breakage) is the reference: a requirement the unbroken demo already fails (a product
bug, reported by the suite itself) cannot show a breakage, so each breakage's IDs must pass in
the baseline.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from orcid_pyramid.compliance.checklist import load_checklist
from orcid_pyramid.compliance.evidence import read_scenarios
from orcid_pyramid.compliance.report import requirement_statuses
from orcid_pyramid.demo.breakage import BREAKAGES

ROOT = Path(__file__).resolve().parents[2]
BASELINE = "baseline"
#: every scenario any breakage selects, so the baseline covers them all
BASELINE_SELECTION = " or ".join(sorted({f"({b.selection})" for b in BREAKAGES.values()}))
PARALLEL = 4
RUN_TIMEOUT = 900


def _run(name: str, out: Path) -> dict:
    selection = BASELINE_SELECTION if name == BASELINE else BREAKAGES[name].selection
    command = [sys.executable, "-m", "pytest", "features", "-q", "-p", "no:cacheprovider",
               "--orcid-evidence", str(out), "-m", selection]
    if name != BASELINE:
        command += ["--orcid-breakage", name]
    env = dict(os.environ)
    # each run gets its own SQLite files; a shared server database would mix the runs
    env.pop("ORCID_PYRAMID_TEST_DATABASE_URL", None)
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=RUN_TIMEOUT, check=False)
    scenarios = read_scenarios(out)
    statuses = requirement_statuses(load_checklist(), scenarios)
    covered = {i for s in scenarios for i in s["ids"]}
    return {
        "returncode": completed.returncode,
        "output": (completed.stdout + completed.stderr)[-3000:],
        "scenarios": scenarios,
        "failed": {i for i, status in statuses.items() if status == "fail"},
        "passed": {i for i, status in statuses.items() if status == "pass"},
        "covered": covered,
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict]:
    """Every breakage and the baseline, run in parallel subprocesses."""
    names = [BASELINE, *sorted(BREAKAGES)]
    root = tmp_path_factory.mktemp("meta")
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        futures = {name: pool.submit(_run, name, root / name) for name in names}
        return {name: future.result() for name, future in futures.items()}


def test_the_baseline_run_recorded_its_scenarios(runs):
    baseline = runs[BASELINE]
    assert baseline["scenarios"], baseline["output"]
    assert baseline["returncode"] in (0, 1), baseline["output"]


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_a_breakage_fails_exactly_its_checklist_ids(runs, name):
    breakage = BREAKAGES[name]
    baseline, broken = runs[BASELINE], runs[name]
    assert broken["scenarios"], broken["output"]
    assert breakage.ids <= baseline["passed"], (
        f"the unbroken demo already fails {sorted(breakage.ids - baseline['passed'])}: "
        "the breakage cannot be shown")
    newly_failed = broken["failed"] - baseline["failed"]
    assert newly_failed == set(breakage.ids), (
        f"{name}: expected exactly {sorted(breakage.ids)} to fail, got {sorted(newly_failed)}"
        f"\n{broken['output']}")
    # every other requirement the run covered kept the baseline's status
    for requirement_id in broken["covered"] - breakage.ids:
        assert (requirement_id in broken["failed"]) == (requirement_id in baseline["failed"]), (
            f"{name}: {requirement_id} changed status")


def test_an_unknown_breakage_is_refused_with_the_known_names():
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "features", "-q", "-p", "no:cacheprovider",
         "--orcid-breakage", "no-such-thing", "--collect-only"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 4
    assert "no-such-thing" in completed.stderr and "non-root-token-url" in completed.stderr
