"""Every gap a run can have is named in every output: no browser, no schemas, no contact.

The gaps are made for real (``ORCID_CHROMIUM`` at a missing file, ``ORCID_MODEL_DIR`` at an
empty folder, no ``--contact``) in one run of the whole suite by ``orcid-pyramid report``
itself (about a minute); each test then reads index.html, report.md, report.json and the exit
code. The control is a run without the gaps on a small copy of the suite (the review-basics
feature: the schema check, the flow, the browser walk-through), so it takes seconds: there,
none of the gaps is named.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html

from orcid_pyramid.cli.report import report
from orcid_pyramid.compliance import FEATURES
from orcid_pyramid.compliance.browser import VIEWPORT, chromium_path

ROOT = Path(__file__).resolve().parents[2]
CONTACT = "Review team <orcid-review@example.org>"
#: the feature files of the small copy: the schema check, the flow and the browser walk-through
#: (REV-1, REV-2), HTTPS and the other data-management lines (DM-*)
SMALL_SUITE = ("review_basics.feature", "data_management.feature")
#: the suite module of the small copy: binds the feature files next to it
SUITE = ("from pathlib import Path\n\nfrom pytest_bdd import scenarios\n\n"
         "scenarios(str(Path(__file__).parent))\n")


def _small_suite(folder: Path) -> Path:
    folder.mkdir()
    for name in SMALL_SUITE:
        shutil.copy(FEATURES / name, folder)
    (folder / "test_small_suite.py").write_text(SUITE, encoding="utf-8")
    return folder


def _report(tmp_path: Path, name: str, *args: str, env: dict | None = None,
            small: bool = False) -> dict:
    """``orcid-pyramid report`` on the suite (or its ``small`` copy); outputs and exit code."""
    out = tmp_path / name
    if small:
        args = ("--features", str(_small_suite(tmp_path / f"{name}-features")), *args)
    # each run gets its own SQLite files; a shared server database would mix the runs
    env = dict(env or {}, ORCID_PYRAMID_TEST_DATABASE_URL=None)
    result = CliRunner().invoke(report, ["--out", str(out), *args], env=env)
    assert result.exit_code in (0, 1, 3), result.output
    return {"exit": result.exit_code, "output": result.output, "out": out,
            "json": json.loads((out / "report.json").read_text(encoding="utf-8")),
            "md": (out / "report.md").read_text(encoding="utf-8"),
            "html": html.fromstring((out / "index.html").read_text(encoding="utf-8"))}


def _row(run: dict, requirement_id: str) -> dict:
    return next(r for r in run["json"]["requirements"] if r["id"] == requirement_id)


def _section(run: dict, requirement_id: str) -> str:
    return run["html"].get_element_by_id(requirement_id).text_content()


def _md_section(run: dict, requirement_id: str) -> str:
    text = run["md"]
    start = text.index(f"\n### {requirement_id}:")
    end = text.find("\n### ", start + 1)
    return text[start:end if end > 0 else None]


@pytest.fixture(scope="module")
def gaps(tmp_path_factory) -> dict:
    """One run with every gap: no Chromium, no XSDs, an emulator over plain http, no contact,
    and a checklist of the team's own (``ORCID_CHECKLIST``, here a copy of the packaged one)."""
    tmp_path = tmp_path_factory.mktemp("gaps")
    empty = tmp_path / "no-schemas"
    empty.mkdir()
    own = tmp_path / "our-checklist.md"
    shutil.copy(FEATURES.parent / "checklist.md", own)
    env = {"ORCID_CHROMIUM": str(tmp_path / "no-chromium-here"), "ORCID_MODEL_DIR": str(empty),
           "ORCID_EMULATOR_TLS": "0", "ORCID_CHECKLIST": str(own)}
    return _report(tmp_path, "gaps", "--no-require-browser", env=env)


@pytest.fixture(scope="module")
def control(tmp_path_factory) -> dict:
    """The same suite with Chromium, the packaged XSDs and a contact."""
    if chromium_path() is None:
        pytest.skip("the control run needs Chromium (apt-get install chromium)")
    return _report(tmp_path_factory.mktemp("control"), "control", "--contact", CONTACT,
                   env={"ORCID_MODEL_DIR": None, "ORCID_EMULATOR_TLS": None,
                        "ORCID_CHECKLIST": None}, small=True)


def test_without_chromium_the_report_stops_with_one_line_unless_told_not_to(tmp_path):
    missing = str(tmp_path / "no-chromium-here")
    result = CliRunner().invoke(report, ["--out", str(tmp_path / "r")],
                                env={"ORCID_CHROMIUM": missing})
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert "no browser" in lines[0] and "apt-get install chromium" in lines[0]
    assert "--no-require-browser" in lines[0]
    assert not (tmp_path / "r").exists(), "nothing is written for a run that did not start"



@pytest.mark.subprocess
def test_pytest_features_requires_a_browser_only_when_asked(tmp_path):
    env = dict(os.environ, ORCID_CHROMIUM=str(tmp_path / "no-chromium-here"))
    env.pop("ORCID_PYRAMID_TEST_DATABASE_URL", None)
    base = [sys.executable, "-m", "pytest", "features", "-q", "-p", "no:cacheprovider",
            "-m", "BP-2 and browser"]
    asked = subprocess.run([*base, "--orcid-require-browser"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300, check=False)
    assert asked.returncode == 4, asked.stdout[-2000:]
    assert "--orcid-require-browser: no browser" in asked.stderr
    assert "apt-get install chromium" in asked.stderr
    plain = subprocess.run(base, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300, check=False)
    assert plain.returncode == 0 and "1 skipped" in plain.stdout, plain.stdout[-2000:]


@pytest.mark.slow
@pytest.mark.subprocess
def test_no_browser_is_named_in_every_output_and_claims_no_screenshots(gaps):
    assert gaps["exit"] == 3, gaps["output"]
    browser = [s for r in gaps["json"]["requirements"] for s in r["scenarios"]
               if "browser" in s["name"]]
    assert browser and {s["status"] for s in browser} == {"not-checked"}
    for requirement_id in ("REV-2", "BP-1", "BP-2", "CC-DISPLAY"):
        row = _row(gaps, requirement_id)
        assert row["status"] == "not-checked", row
        assert "no browser" in row["reason"] and "apt-get install chromium" in row["reason"]
        for text in (_section(gaps, requirement_id), _md_section(gaps, requirement_id)):
            assert "not-checked" in text and "apt-get install chromium" in text
    run = gaps["json"]["run"]
    assert run["screenshots"] is False and run["counts"]["not-checked"] >= len(browser)
    assert not list((gaps["out"] / "screenshots").glob("*.png"))
    for text in (gaps["md"], gaps["html"].text_content(), gaps["output"]):
        assert "with screenshots" not in text and "without screenshots" in text
    assert not (gaps["out"] / "report.pdf").exists(), "no Chromium, no PDF"
    assert "no PDF: no browser" in gaps["output"]


@pytest.mark.slow
@pytest.mark.subprocess
def test_no_schemas_is_named_in_every_output(gaps):
    row = _row(gaps, "REV-1")
    assert row["status"] == "not-checked" and "ORCID_MODEL_DIR" in row["reason"], row
    assert "fail" not in {s["status"] for s in row["scenarios"]}
    for text in (_section(gaps, "REV-1"), _md_section(gaps, "REV-1"), gaps["output"]):
        assert "ORCID_MODEL_DIR" in text


@pytest.mark.slow
@pytest.mark.subprocess
def test_an_emulator_over_plain_http_leaves_https_not_checked_in_every_output(gaps):
    row = _row(gaps, "DM-2")
    assert row["status"] == "not-checked" and "plain http" in row["reason"], row
    assert "fail" not in {s["status"] for s in row["scenarios"]}
    for text in (_section(gaps, "DM-2"), _md_section(gaps, "DM-2")):
        assert "reached over plain http" in text
    assert gaps["json"]["target"]["orcid_url"].startswith("http://127.0.0.1:")
    assert "ORCID_EMULATOR_TLS=0" in gaps["json"]["target"]["command"]


@pytest.mark.slow
@pytest.mark.subprocess
def test_the_gaps_are_the_only_things_not_checked(gaps):
    """Exit 3 is the gaps' doing: every other requirement passed on this machine."""
    reasons = {r["id"]: r["reason"] for r in gaps["json"]["requirements"]
               if r["status"] != "pass"}
    assert reasons and all("no browser" in why or "ORCID_MODEL_DIR" in why
                           or "plain http" in why for why in reasons.values()), reasons
    assert {r["status"] for r in gaps["json"]["requirements"]} == {"pass", "not-checked"}


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_missing_contact_is_named_in_every_output(gaps):
    target = gaps["json"]["target"]
    assert target["contact"] is None
    assert "--contact" in target["missing"]["contact"]
    heading = gaps["html"].get_element_by_id("target").text_content()
    assert "Contact" in heading and "not known: not given: pass --contact" in heading
    assert "**Contact**: not known: not given: pass --contact" in gaps["md"]
    # what is known is there: the client, the environment, the command to run it again
    assert target["client_id"] == "APP-DEMOCLIENT000001"
    assert target["orcid_environment"] == "emulated"
    assert target["command"].startswith("ORCID_CHROMIUM=") and "--no-require-browser" in (
        target["command"])


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.browser
def test_a_run_without_gaps_names_none_of_them(control):
    for requirement_id in ("REV-1", "REV-2"):
        assert _row(control, requirement_id)["status"] == "pass", _row(control, requirement_id)
    target = control["json"]["target"]
    assert target["contact"] == CONTACT and "contact" not in target["missing"]
    assert target["commit"] and target["suite_version"] and target["addon_version"]
    assert f"**Contact**: {CONTACT}" in control["md"]
    assert CONTACT in control["html"].get_element_by_id("target").text_content()
    assert control["json"]["run"]["screenshots"] is True
    for text in (control["md"], control["html"].text_content()):
        assert "no browser" not in text and "ORCID_MODEL_DIR" not in text
        assert "HTTPS could not be shown" not in text and "with screenshots" in text
    # HTTPS shown: every request of a connection, as the sandbox received it
    https = _row(control, "DM-2")
    assert https["status"] == "pass", https
    seen = [i for i in https["evidence"] if i["kind"] == "requests_over_https"]
    assert seen and all(line.startswith("https://") for line in seen[0]["data"]["requests"])
    # the endpoints themselves, the token URL included, shown in full (no secret in them)
    endpoints = next(i for i in https["evidence"] if i["kind"] == "endpoints")["data"]
    assert len(endpoints) == 4 and all(url.startswith("https://127.0.0.1:")
                                       for url in endpoints.values()), endpoints
    assert target["orcid_url"].startswith("https://127.0.0.1:")


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.browser
def test_each_screenshot_is_cropped_shown_once_and_in_the_markdown_too(control):
    shots = sorted(p.relative_to(control["out"]).as_posix()
                   for p in (control["out"] / "screenshots").glob("*.png"))
    assert len(shots) >= 8
    images = control["html"].xpath("//img/@src")
    assert sorted(images) == shots, "each screenshot exactly once in index.html"
    assert sorted(re.findall(r"!\[[^]]*\]\(([^)]+)\)", control["md"])) == shots
    for shot in shots:
        width, height = _png_size(control["out"] / shot)
        # the element or the window, never the whole page (1000 px wide and taller than that)
        assert width < VIEWPORT["width"] or height <= VIEWPORT["height"], (shot, width, height)
    pdf = control["out"] / "report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert "report.pdf" in control["output"]


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.browser
def test_the_pdf_carries_what_the_page_carries(control):
    """report.pdf, page by page: every checklist line with its status, the target, and every
    screenshot as an image, on more than one page (the page is printed, not cut off)."""
    from pypdf import PdfReader

    reader = PdfReader(control["out"] / "report.pdf")
    assert len(reader.pages) > 1
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    for row in control["json"]["requirements"]:
        assert row["id"] in flat, row["id"]
    assert "not-checked" in flat and "pass" in flat
    assert CONTACT.split(" <")[0] in flat
    images = sum(len(page.images) for page in reader.pages)
    shots = control["html"].xpath("//img/@src")
    assert images >= len(shots) > 0, (images, len(shots))


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_checklist_of_ones_own_is_named_in_every_output(gaps, control):
    """The report's lines come from ``ORCID_CHECKLIST`` when it is set: the target says so
    (report.json, report.md, index.html); a run on the packaged checklist says nothing."""
    own = str(gaps["out"].parent / "our-checklist.md")
    version = gaps["json"]["target"]["suite_version"]
    assert own in version and "ORCID_CHECKLIST" in version, version
    assert version in gaps["md"]
    assert version in gaps["html"].get_element_by_id("target").text_content()
    assert "ORCID_CHECKLIST" not in control["json"]["target"]["suite_version"]
    assert "feature files from" not in version  # the packaged ones


@pytest.mark.slow
@pytest.mark.subprocess
def test_feature_files_of_ones_own_are_named_and_digested(control, gaps):
    """``--features``: the suite line names the folder, and its digest is of those files, not
    of the packaged ones (the small copy ran 2 of the feature files)."""
    version = control["json"]["target"]["suite_version"]
    folder = str(control["out"].parent / "control-features")
    assert f"feature files from {folder}" in version, version
    assert version in control["md"]
    digest = re.search(r"sha256:(\w+)", version).group(1)
    assert digest not in gaps["json"]["target"]["suite_version"]
