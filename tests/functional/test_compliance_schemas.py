"""Without ORCID's XSDs the schema scenario skips, says which setting fixes it, and the report
does not count REV-1 as met; with them it passes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orcid_pyramid.compliance.checklist import load_checklist
from orcid_pyramid.compliance.evidence import read_scenarios
from orcid_pyramid.compliance.report import requirement_statuses

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "Every member API call uses the 3.0 message schema"

pytestmark = pytest.mark.subprocess


def _run(tmp_path: Path, model_dir: str | None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ORCID_MODEL_DIR", "ORCID_PYRAMID_TEST_DATABASE_URL")}
    if model_dir is not None:
        env["ORCID_MODEL_DIR"] = model_dir
    evidence = tmp_path / "evidence"
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "features", "-q", "-p", "no:cacheprovider",
         "-m", "REV-1 and not breach", "--orcid-evidence", str(evidence)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stdout[-3000:]
    return {s["scenario"]: s for s in read_scenarios(evidence)}


def test_without_the_xsds_the_schema_check_skips_naming_the_setting(tmp_path):
    empty = tmp_path / "no-schemas"
    empty.mkdir()
    scenarios = _run(tmp_path, str(empty))
    schema = scenarios[SCENARIO]
    assert schema["status"] == "skip"
    assert "ORCID_MODEL_DIR" in schema["message"] and str(empty) in schema["message"]
    statuses = requirement_statuses(load_checklist(), list(scenarios.values()))
    assert statuses["REV-1"] != "pass"


def test_with_the_packaged_xsds_the_schema_check_passes(tmp_path):
    assert _run(tmp_path, None)[SCENARIO]["status"] == "pass"
