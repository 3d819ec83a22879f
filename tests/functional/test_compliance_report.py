"""The report renderer and the evidence store, on synthetic scenario results."""

from __future__ import annotations

import json

from lxml import html

from orcid_pyramid.compliance.checklist import load_checklist
from orcid_pyramid.compliance.evidence import EvidenceStore, read_scenarios, redact, scrub
from orcid_pyramid.compliance.report import RunInfo, requirement_statuses, write_report


def _scenario(ids, status, name="s", items=None, tags=()):
    return {
        "nodeid": f"features/test_features.py::{name}",
        "feature": "features/x.feature",
        "scenario": name,
        "tags": sorted(set(ids) | set(tags)),
        "ids": list(ids),
        "items": items or [],
        "status": status,
        "message": "" if status == "pass" else f"{name} said no",
        "duration": 0.1,
    }


def test_a_requirement_fails_if_any_scenario_fails_and_skips_without_a_pass():
    requirements = load_checklist()
    statuses = requirement_statuses(
        requirements,
        [
            _scenario(["DM-3"], "pass", "a"),
            _scenario(["DM-3"], "fail", "b"),
            _scenario(["DM-4"], "pass", "c"),
            _scenario(["DM-4"], "skip", "d"),
            _scenario(["BP-2"], "skip", "e"),
        ],
    )
    assert statuses["DM-3"] == "fail"
    assert statuses["DM-4"] == "not-checked"  # a skip is never a pass
    assert statuses["BP-2"] == "not-checked"
    assert statuses["REV-1"] == "not-checked"  # no scenario at all is never a pass


def test_report_json_has_the_design_shape_with_one_entry_per_checklist_id(tmp_path):
    requirements = load_checklist()
    items = [{"kind": "token_endpoint", "caption": "token URL", "data": {"host": "root"},
              "file": None}]
    scenarios = [
        _scenario(["CC-AUTH", "DM-3"], "pass", "connect", items),
        _scenario(["CC-SYNC"], "fail", "sync"),
    ]
    run = RunInfo(target="the demo", sandbox="emulated", duration=12.5)
    write_report(tmp_path, requirements, scenarios, run)
    report = json.loads((tmp_path / "report.json").read_text())
    # design.md's keys exactly as they are, plus the suite run
    assert set(report) == {"generated_at", "target", "sandbox", "requirements", "badges", "run"}
    assert report["target"]["name"] == "the demo" and report["sandbox"] == "emulated"
    # a bare name: every other field is null and named as not recorded, never left out
    assert report["target"]["date"] == run.generated_at
    assert report["target"]["client_id"] is None
    assert report["target"]["missing"]["client_id"] == "not recorded by this run"
    assert report["generated_at"] == run.generated_at
    assert [r["id"] for r in report["requirements"]] == [r.id for r in requirements]
    for row in report["requirements"]:
        assert set(row) == {"id", "title", "status", "reason", "scenarios", "evidence"}
        assert row["status"] in {"pass", "fail", "not-checked"}
    by_id = {row["id"]: row for row in report["requirements"]}
    assert by_id["DM-3"]["evidence"][0]["data"] == {"host": "root"}
    assert report["badges"] == {
        "CC-AUTH": "earned",
        "CC-COLLECT": "missing",
        "CC-DISPLAY": "missing",
        "CC-CONNECT": "missing",
        "CC-SYNC": "missing",
    }


def test_index_html_shows_badges_statuses_screenshots_and_escapes_evidence(tmp_path):
    requirements = load_checklist()
    items = [
        {"kind": "screenshot", "caption": "The panel after connecting", "data": None,
         "file": "screenshots/panel.png"},
        {"kind": "note", "caption": "hostile", "data": "<script>alert(1)</script>", "file": None},
    ]
    scenarios = [_scenario(["BP-6"], "pass", "branding", items)]
    write_report(tmp_path, requirements, scenarios,
                 RunInfo(target="demo", sandbox="emulated", duration=3.0))
    page = html.fromstring((tmp_path / "index.html").read_text())
    assert "<script>alert" not in (tmp_path / "index.html").read_text()
    badges = [b.text_content() for b in page.xpath('//*[contains(@class, "badge ")]')]
    assert any("CC-AUTH" in b and "missing" in b for b in badges)
    figure = page.xpath('//section[@id="BP-6"]//figure')[0]
    assert figure.xpath(".//img/@src") == ["screenshots/panel.png"]
    assert "The panel after connecting" in figure.text_content()
    status = page.xpath('//section[@id="BP-6"]//h3/span/text()')
    assert status == ["pass"]
    assert "3.0 s" in page.text_content()


def test_report_md_lists_every_requirement_and_the_duration(tmp_path):
    requirements = load_checklist()
    write_report(tmp_path, requirements, [_scenario(["DM-7"], "fail", "log")],
                 RunInfo(target="demo", sandbox="live", duration=42.0))
    text = (tmp_path / "report.md").read_text()
    for requirement in requirements:
        assert f"| [{requirement.id}](#{requirement.id.lower()}) |" in text
    assert "| [DM-7](#dm-7) | Log every call to ORCID and its response | fail | 1 |" in text
    assert "42.0 s" in text
    assert "fail: log: log said no" in text


def test_evidence_redacts_secrets_and_keeps_the_rest():
    data = scrub({"access_token": "89f0181c-168b-4d7d-831c-1fdda2d7bbbb", "scope": "/read-limited",
                  "nested": [{"refresh_token": "abcdefghijkl", "put_code": 12}]})
    assert data["access_token"] == "89f0… (36 chars)"
    assert data["scope"] == "/read-limited"
    assert data["nested"][0] == {"refresh_token": "abcd… (12 chars)", "put_code": 12}
    assert redact("short") == "*** (5 chars)"


def test_the_store_folds_phases_and_writes_one_line_per_scenario(tmp_path):
    store = EvidenceStore(tmp_path)
    record = store.begin("n1", "f.feature", "one", {"DM-1", "data-management"})
    record.add("authorize_url", "where we sent the user", {"state": "s3cr3t-state-value"})
    store.outcome("n1", "setup", "passed", "")
    store.outcome("n1", "call", "failed", "boom")
    store.outcome("n1", "teardown", "passed", "")
    store.finish("n1")
    store.begin("n2", "f.feature", "two", {"DM-2"})
    store.outcome("n2", "setup", "skipped", "no chromium")
    store.finish("n2")
    rows = read_scenarios(tmp_path)
    assert [(r["scenario"], r["status"], r["message"]) for r in rows] == [
        ("one", "fail", "boom"),
        ("two", "skip", "no chromium"),
    ]
    assert rows[0]["ids"] == ["DM-1"]
    assert rows[0]["items"][0]["data"] == {"state": "s3cr… (18 chars)"}


def test_the_measured_durations_are_shown_against_the_aim(tmp_path):
    requirements = load_checklist()
    scenarios = [_scenario(["DM-3"], "pass", "token")]
    scenarios[0]["duration"] = 0.437
    write_report(tmp_path, requirements, scenarios,
                 RunInfo(target="demo", sandbox="emulated", duration=71.25, screenshots=False))
    text = (tmp_path / "report.md").read_text()
    assert "71.2 s (without screenshots; OVER the 60 s aim)" in text
    assert "pass: token (0.44 s)" in text
    page = html.fromstring((tmp_path / "index.html").read_text()).text_content()
    assert "71.2 s (without screenshots; OVER the 60 s aim)" in page and "0.44 s" in page
    report = json.loads((tmp_path / "report.json").read_text())
    row = next(r for r in report["requirements"] if r["id"] == "DM-3")
    assert row["scenarios"][0]["duration"] == 0.437
    write_report(tmp_path, requirements, scenarios,
                 RunInfo(target="demo", sandbox="emulated", duration=95.0, screenshots=True))
    assert "95.0 s (with screenshots; within the 180 s aim)" in (tmp_path / "report.md").read_text()


def test_report_json_has_the_suite_run_with_its_duration_aim_and_counts(tmp_path):
    requirements = load_checklist()
    scenarios = [_scenario(["DM-3"], "pass", "a"), _scenario(["DM-4"], "pass", "b"),
                 _scenario(["DM-7"], "fail", "c")]
    command = "pytest features -p orcid_pyramid.compliance.plugin --orcid-no-screenshots"
    write_report(tmp_path, requirements, scenarios,
                 RunInfo(target="demo", sandbox="emulated", duration=71.2504, command=command,
                         counts={"pass": 2, "fail": 1}, screenshots=False))
    run = json.loads((tmp_path / "report.json").read_text())["run"]
    assert run == {"duration_seconds": 71.25, "screenshots": False, "aim_seconds": 60,
                   "within_aim": False, "counts": {"pass": 2, "fail": 1, "not-checked": 0},
                   "command": command}
    write_report(tmp_path, requirements, scenarios,
                 RunInfo(target="demo", sandbox="emulated", duration=95.0, screenshots=True))
    run = json.loads((tmp_path / "report.json").read_text())["run"]
    assert (run["screenshots"], run["aim_seconds"], run["within_aim"]) == (True, 180, True)
    assert run["counts"] == {"pass": 2, "fail": 1, "not-checked": 0}  # counted from the scenarios


def test_report_json_run_says_null_when_the_aim_is_unknown(tmp_path):
    write_report(tmp_path, load_checklist(), [_scenario(["DM-3"], "skip", "a")],
                 RunInfo(target="demo", sandbox="live", duration=3))
    run = json.loads((tmp_path / "report.json").read_text())["run"]
    assert run["duration_seconds"] == 3.0 and isinstance(run["duration_seconds"], float)
    assert run["screenshots"] is run["aim_seconds"] is run["within_aim"] is None
    assert run["counts"] == {"pass": 0, "fail": 0, "not-checked": 1} and run["command"] == ""


def test_each_screenshot_is_shown_once_where_it_belongs_and_linked_elsewhere(tmp_path):
    shot = {"kind": "screenshot", "caption": "ORCID's sign-in page, pre-filled", "file":
            "screenshots/02-signin.png", "data": {"shows": ["BP-1"]}}
    other = {"kind": "screenshot", "caption": "The call log", "file": "screenshots/08-log.png",
             "data": {"shows": ["DM-7"]}}
    scenarios = [_scenario(["REV-2"], "pass", "walk-through", [shot, other]),
                 _scenario(["BP-1"], "pass", "pre-fill", [shot]),
                 _scenario(["CC-AUTH"], "pass", "connect", [shot])]
    write_report(tmp_path, load_checklist(), scenarios,
                 RunInfo(target="demo", sandbox="emulated", duration=3.0))
    page = html.fromstring((tmp_path / "index.html").read_text())
    assert page.xpath("//img/@src") == ["screenshots/08-log.png", "screenshots/02-signin.png"]
    # the sign-in page lives under BP-1 (what it shows), though REV-2 comes first
    assert page.xpath('//section[@id="BP-1"]//figure/@id') == ["shot-02-signin"]
    for section in ("REV-2", "CC-AUTH"):
        assert page.xpath(f'//section[@id="{section}"]//a[@href="#shot-02-signin"]'), section
    # DM-7's scenarios took no screenshot: the call log stays with the scenario that took it
    assert page.xpath('//section[@id="REV-2"]//figure/@id') == ["shot-08-log"]
    text = (tmp_path / "report.md").read_text()
    assert text.count("](screenshots/02-signin.png)") == 1
    assert text.count("](screenshots/08-log.png)") == 1
    assert text.count("[ORCID's sign-in page, pre-filled](#shot-02-signin) (shown under BP-1)") == 2
    homes = {row["id"]: [(i["file"], i["home"]) for i in row["evidence"]]
             for row in json.loads((tmp_path / "report.json").read_text())["requirements"]}
    assert homes["CC-AUTH"] == [("screenshots/02-signin.png", "BP-1")]


def test_the_summary_comes_first_and_links_every_requirement(tmp_path):
    requirements = load_checklist()
    write_report(tmp_path, requirements, [_scenario(["DM-7"], "fail", "log")],
                 RunInfo(target="demo", sandbox="emulated", duration=3.0))
    page = html.fromstring((tmp_path / "index.html").read_text())
    body = [e for e in page.body if e.tag in ("section", "h2")]
    assert body[0].get("id") == "summary"
    summary = body[0]
    total = len(requirements)
    assert f"1 of {total} requirements fail, {total - 1} not checked." in summary.text_content()
    links = summary.xpath('.//table[@class="summary"]//tr/td[1]/a/@href')
    assert links == [f"#{r.id}" for r in requirements]
    assert all(page.xpath(f'//section[@id="{r.id}"]') for r in requirements)
    assert "@media print" in (tmp_path / "index.html").read_text()
