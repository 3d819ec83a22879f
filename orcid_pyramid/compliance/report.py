"""The review report: ``index.html``, ``report.md`` and ``report.json`` from a suite run.

Input is the checklist and the scenario records the plugin wrote (``scenarios.jsonl``: each
scenario's tags, pytest outcome and evidence). A requirement passes only when it has scenarios
and every one of them passed; it fails when any failed; otherwise it is ``not-checked``, with
the reason (the skipped scenarios' own messages: no browser, no schemas, no live credentials,
or no scenario at all). A skipped scenario never counts towards a pass: a requirement shown
green must have been shown in full. A Collect & Connect badge is earned only when its element
passes. ``report.json`` has every key of the design's report
contract, exactly as specified, plus ``run``: the suite run's duration, whether screenshots
were taken, the time aim and whether the run kept it, the scenario counts and the command.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .checklist import Requirement

TEMPLATES = Path(__file__).with_name("templates")
#: the statuses a scenario has in the report: pytest's outcomes, a skip shown as ``not-checked``
STATUSES = ("pass", "fail", "not-checked")
#: the statuses a requirement can have (design.md's report contract)
REQUIREMENT_STATUSES = ("pass", "fail", "not-checked")
#: why a requirement no scenario covers is not checked
NOT_COVERED = "no scenario in the suite checks this requirement"


@dataclass
class RunInfo:
    """What was tested and how long it took."""

    #: ``report.json``'s ``target`` (:func:`.target_info.build_target`); a bare name is taken
    #: as a target whose other fields were not recorded
    target: str | dict[str, Any]
    sandbox: str  # "emulated" | "live"
    duration: float
    generated_at: str = ""
    command: str = ""
    counts: dict[str, int] | None = None
    #: True/False when known: whether Chromium screenshots were taken (sets the time aim)
    screenshots: bool | None = None

    @property
    def aim_seconds(self) -> int | None:
        """The issue's time aim for this kind of run: 3 min with screenshots, 60 s without."""
        if self.screenshots is None:
            return None
        return 180 if self.screenshots else 60

    @property
    def within_aim(self) -> bool | None:
        """Whether the suite ran within its time aim (None when the aim is unknown)."""
        if self.aim_seconds is None:
            return None
        return self.duration <= self.aim_seconds

    @property
    def duration_text(self) -> str:
        """The measured suite duration, next to the aim it is held to."""
        text = f"{self.duration:.1f} s"
        if self.aim_seconds is not None:
            kind = "with" if self.screenshots else "without"
            verdict = "within" if self.within_aim else "OVER"
            text += f" ({kind} screenshots; {verdict} the {self.aim_seconds} s aim)"
        return text

    def as_json(self, scenarios: list[dict[str, Any]]) -> dict[str, Any]:
        """``report.json``'s ``run`` object; counts from ``scenarios`` unless given.

        ``screenshots``, ``aim_seconds`` and ``within_aim`` are null when the run did not say
        whether screenshots were taken (``orcid-pyramid report`` always says).
        """
        counts = self.counts if self.counts is not None else scenario_counts(scenarios)
        return {
            "duration_seconds": round(float(self.duration), 3),
            "screenshots": self.screenshots,
            "aim_seconds": self.aim_seconds,
            "within_aim": self.within_aim,
            "counts": {status: int(counts.get(status, 0)) for status in STATUSES},
            "command": self.command,
        }

    def __post_init__(self) -> None:
        if not self.generated_at:
            self.generated_at = datetime.now(UTC).replace(microsecond=0).isoformat()

    def target_json(self) -> dict[str, Any]:
        """The target with every field of :data:`.target_info.FIELDS`; each one unknown is
        null and named under ``missing`` with the reason."""
        from .target_info import FIELDS

        target = dict(self.target) if isinstance(self.target, dict) else {"name": self.target}
        target["date"] = target.get("date") or self.generated_at
        missing = dict(target.get("missing") or {})
        for key, _ in FIELDS:
            if not target.get(key):
                target[key] = None
                missing.setdefault(key, "not recorded by this run")
        target["missing"] = {key: missing[key] for key, _ in FIELDS if key in missing}
        return target


def shown_status(status: str) -> str:
    """A scenario's status as the report shows it: pytest's ``skip`` is ``not-checked``
    (what the scenario checks was not shown, whatever the reason)."""
    return "not-checked" if status == "skip" else status


def scenario_counts(scenarios: list[dict[str, Any]]) -> dict[str, int]:
    """How many scenarios passed, failed and were not checked (every status, zero included)."""
    counts = dict.fromkeys(STATUSES, 0)
    for scenario in scenarios:
        status = shown_status(scenario["status"])
        counts[status] = counts.get(status, 0) + 1
    return counts


def screenshots_taken(scenarios: list[dict[str, Any]]) -> bool:
    """Whether the run saved any screenshot (what ``run.screenshots`` reports: taken, not
    asked for; without Chromium none is)."""
    return any(item.get("kind") == "screenshot" and item.get("file")
               for scenario in scenarios for item in scenario.get("items", []))


def requirement_verdict(scenarios: list[dict[str, Any]]) -> tuple[str, str]:
    """``(status, reason)`` of one requirement from the scenarios that check it.

    ``pass`` needs every scenario passed; one skip makes it ``not-checked`` with the skip's
    message as the reason, since part of what the requirement asks was never shown.
    """
    if not scenarios:
        return "not-checked", NOT_COVERED
    outcomes = [s["status"] for s in scenarios]
    if "fail" in outcomes:
        return "fail", ""
    if all(outcome == "pass" for outcome in outcomes):
        return "pass", ""
    reasons = []
    for scenario in scenarios:
        if scenario["status"] != "pass":
            reason = scenario.get("message") or "skipped without a reason"
            if reason not in reasons:
                reasons.append(reason)
    return "not-checked", "; ".join(reasons)


def _checking(requirement: Requirement, scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in scenarios if requirement.id in s.get("ids", [])]


def requirement_statuses(
    requirements: list[Requirement], scenarios: list[dict[str, Any]]
) -> dict[str, str]:
    """Requirement ID -> ``pass`` | ``fail`` | ``not-checked`` (see :func:`requirement_verdict`)."""
    return {r.id: requirement_verdict(_checking(r, scenarios))[0] for r in requirements}


def exit_code(report: dict[str, Any]) -> int:
    """``orcid-pyramid report``'s exit status for a report: what its summary says.

    0 when every requirement passed, 1 when any failed, 3 when none failed but some were not
    checked (a run that cannot back every line is not a pass). 2 is left to a suite that could
    not run at all.
    """
    statuses = {row["status"] for row in report["requirements"]}
    if "fail" in statuses:
        return 1
    if "not-checked" in statuses:
        return 3
    return 0


def build_report(
    requirements: list[Requirement], scenarios: list[dict[str, Any]], run: RunInfo
) -> dict[str, Any]:
    """The report as design.md's ``report.json`` shape, plus the ``run`` object."""
    rows, statuses = [], {}
    for requirement in requirements:
        mine = _checking(requirement, scenarios)
        status, reason = requirement_verdict(mine)
        statuses[requirement.id] = status
        rows.append(
            {
                "id": requirement.id,
                "title": requirement.title,
                "status": status,
                "reason": reason,
                "scenarios": [
                    {
                        "name": s.get("scenario", ""),
                        "feature": s.get("feature", ""),
                        "status": shown_status(s["status"]),
                        "message": s.get("message", ""),
                        "breach": "breach" in s.get("tags", []),
                        "duration": s.get("duration"),
                    }
                    for s in mine
                ],
                "evidence": _evidence(mine),
            }
        )
    _place_screenshots(rows)
    badges = {
        requirement.id: ("earned" if statuses[requirement.id] == "pass" else "missing")
        for requirement in requirements
        if requirement.is_badge
    }
    return {
        "generated_at": run.generated_at,
        "target": run.target_json(),
        "sandbox": run.sandbox,
        "requirements": rows,
        "badges": badges,
        "run": run.as_json(scenarios),
    }


def _evidence(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scenarios' evidence, each screenshot file once (several scenarios retake them)."""
    items, files = [], set()
    for scenario in scenarios:
        for item in scenario.get("items", []):
            if item.get("file"):
                if item["file"] in files:
                    continue
                files.add(item["file"])
            items.append(dict(item, scenario=scenario.get("scenario", "")))
    return items


def _place_screenshots(rows: list[dict[str, Any]]) -> None:
    """Give each screenshot one ``home``: the first requirement (checklist order) that took it
    and that it ``shows``, else the first that took it. The report shows the image there and
    links to it (``anchor``) from every other requirement that took it: each picture once."""
    homes: dict[str, str] = {}
    for row in rows:
        for item in row["evidence"]:
            if item["kind"] != "screenshot" or not item.get("file"):
                continue
            shows = (item.get("data") or {}).get("shows") or []
            if item["file"] not in homes or (
                    homes[item["file"]] not in shows and row["id"] in shows):
                homes[item["file"]] = row["id"]
    for row in rows:
        for item in row["evidence"]:
            if item["kind"] == "screenshot" and item.get("file"):
                item["home"] = homes[item["file"]]
                item["anchor"] = "shot-" + Path(item["file"]).stem


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "jinja2"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pretty"] = lambda data: json.dumps(data, indent=2, sort_keys=True, default=str)
    env.filters["compact"] = lambda data: json.dumps(data, sort_keys=True, default=str)
    return env


def render_html(report: dict[str, Any], requirements: list[Requirement], run: RunInfo) -> str:
    """``index.html``: one printable page, badges first, then each requirement."""
    from .target_info import FIELDS

    return _environment().get_template("index.html.jinja2").render(
        report=report, checklist={r.id: r for r in requirements}, run=run, fields=FIELDS
    )


def render_markdown(report: dict[str, Any], requirements: list[Requirement], run: RunInfo) -> str:
    """``report.md``: the text to paste into ORCID's credentials request."""
    env = _environment()
    env.autoescape = False
    from .target_info import FIELDS

    return env.get_template("report.md.jinja2").render(
        report=report, checklist={r.id: r for r in requirements}, run=run, fields=FIELDS
    )


def write_report(
    out: Path, requirements: list[Requirement], scenarios: list[dict[str, Any]], run: RunInfo
) -> dict[str, Any]:
    """Write the three report files to ``out`` and return the report data."""
    out.mkdir(parents=True, exist_ok=True)
    report = build_report(requirements, scenarios, run)
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    (out / "index.html").write_text(render_html(report, requirements, run), encoding="utf-8")
    (out / "report.md").write_text(render_markdown(report, requirements, run), encoding="utf-8")
    return report
