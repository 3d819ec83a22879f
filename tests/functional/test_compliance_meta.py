"""The compliance suite can fail: against each deliberately broken demo configuration, exactly
the checklist IDs that configuration breaks fail, and every other ID keeps its status.

Each breakage runs as a real ``pytest features/`` subprocess with ``--orcid-breakage NAME`` on
only the scenarios it needs: its own IDs' scenarios plus a control set (connect, send an item,
disconnect) that shows the other requirements are untouched; two at a time (two cores).
Pass and fail come from the plugin's record of pytest's own outcomes.

The reference is the unbroken demo, scenario by scenario. When this session already ran the
features against the unbroken demo (``pytest features tests/functional/...``), its results are
read from the plugin's evidence store; otherwise one baseline subprocess runs just the
scenarios the breakages need. A requirement the unbroken demo already fails (a product bug,
reported by the suite itself) cannot show a breakage, so each breakage's IDs must pass there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from orcid_pyramid.compliance.breakage import BREAKAGES
from orcid_pyramid.compliance.checklist import load_checklist
from orcid_pyramid.compliance.evidence import read_scenarios
from orcid_pyramid.compliance.plugin import evidence_store
from orcid_pyramid.compliance.report import requirement_statuses

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]

ROOT = Path(__file__).resolve().parents[2]
BASELINE = "baseline"
#: scenarios every breakage also runs: connecting, sending an item, disconnecting (the
#: requirements' ordinary paths, not their breach checks)
CONTROL = "(CC-AUTH or DM-5 or BP-3) and not browser and not breach"
#: two cores: more parallel runs only queue for the CPU
PARALLEL = 2
RUN_TIMEOUT = 600


def _selection(name: str) -> str:
    if name == BASELINE:
        return " or ".join(f"({_selection(n)})" for n in sorted(BREAKAGES))
    return f"({BREAKAGES[name].selection}) or ({CONTROL})"


def _run(name: str, out: Path, nodeids: list[str] | None = None) -> dict:
    """One ``pytest features/`` subprocess: breakage ``name`` (or the unbroken baseline) on
    its selection, or on exactly ``nodeids``."""
    scope = nodeids if nodeids else ["features", "-m", _selection(name)]
    command = [sys.executable, "-m", "pytest", *scope, "-q", "-p", "no:cacheprovider",
               "--orcid-evidence", str(out)]
    if name != BASELINE:
        command += ["--orcid-breakage", name]
    env = dict(os.environ)
    # each run gets its own SQLite files; a shared server database would mix the runs
    env.pop("ORCID_PYRAMID_TEST_DATABASE_URL", None)
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=RUN_TIMEOUT, check=False)
    return {"returncode": completed.returncode,
            "output": (completed.stdout + completed.stderr)[-3000:],
            "scenarios": {s["nodeid"]: s for s in read_scenarios(out)}}


def _session_baseline(config) -> dict[str, dict]:
    """This session's own results of the unbroken demo, by node id (empty when it has none)."""
    if any(config.getoption(o) for o in ("orcid_app", "orcid_live", "orcid_breakage")):
        return {}
    return {nodeid: record.to_json() for nodeid, record in evidence_store(config).scenarios.items()
            if record.ids and nodeid.startswith("features/")}


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory) -> dict[str, dict]:
    """Every breakage (and, when this session has no results to compare with, the baseline)."""
    root = tmp_path_factory.mktemp("meta")
    # the breakages with the most scenarios first, so the two lanes finish together
    names = sorted(BREAKAGES, key=lambda name: (-len(BREAKAGES[name].ids), name))
    baseline = _session_baseline(request.config)
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        # no results of our own to compare with: the baseline runs alongside the breakages
        todo = names if baseline else [BASELINE, *names]
        futures = {name: pool.submit(_run, name, root / name) for name in todo}
        results = {name: future.result() for name, future in futures.items()}
    source = "this session's run of features/"
    if BASELINE in results:
        baseline, source = results.pop(BASELINE)["scenarios"], "a baseline subprocess"
    needed = {nodeid for name in names for nodeid in results[name]["scenarios"]}
    lacking = sorted(needed - set(baseline))
    if lacking:
        # this session ran only part of the features (e.g. another xdist worker ran the
        # rest): run just what it lacks, unbroken
        extra = _run(BASELINE, root / "baseline-rest", lacking)["scenarios"]
        baseline = {**baseline, **extra}
        source += f" and a baseline subprocess for {len(lacking)} scenario(s)"
    results[BASELINE] = {"scenarios": baseline, "source": source}
    return results


def _statuses(scenarios: list[dict]) -> dict[str, str]:
    """pass/fail/skip of each requirement the scenarios cover."""
    covered = {i for s in scenarios for i in s["ids"]}
    return {i: status for i, status in requirement_statuses(load_checklist(), scenarios).items()
            if i in covered}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_a_breakage_fails_exactly_its_checklist_ids(runs, name):
    breakage = BREAKAGES[name]
    broken = runs[name]
    assert broken["returncode"] in (0, 1) and broken["scenarios"], broken["output"]
    ran = broken["scenarios"]
    reference = runs[BASELINE]["scenarios"]
    missing = sorted(set(ran) - set(reference))
    assert not missing, f"no unbroken result for {missing} ({runs[BASELINE]['source']})"
    before = _statuses([reference[nodeid] for nodeid in ran])
    after = _statuses(list(ran.values()))
    assert breakage.ids <= set(after), f"{name}: no scenario ran for {breakage.ids - set(after)}"
    not_passing = sorted(i for i in breakage.ids if before[i] != "pass")
    assert not not_passing, (f"the unbroken demo does not pass {not_passing} "
                             f"({runs[BASELINE]['source']}): the breakage cannot be shown")
    newly_failed = {i for i, status in after.items() if status == "fail" and before[i] != "fail"}
    assert newly_failed == set(breakage.ids), (
        f"{name}: expected exactly {sorted(breakage.ids)} to fail, got {sorted(newly_failed)}"
        f"\n{broken['output']}")
    # every other requirement the run covered kept the unbroken demo's status
    changed = {i: (before[i], after[i]) for i in set(after) - breakage.ids
               if before[i] != after[i]}
    assert not changed, f"{name}: other requirements changed status: {changed}"
    assert set(after) - breakage.ids, f"{name}: the control scenarios did not run"


def test_an_unknown_breakage_is_refused_with_the_known_names():
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "features", "-q", "-p", "no:cacheprovider",
         "--orcid-breakage", "no-such-thing", "--collect-only"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 4
    assert "no-such-thing" in completed.stderr and "non-root-token-url" in completed.stderr
