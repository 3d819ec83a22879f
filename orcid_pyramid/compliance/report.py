"""The review report: ``index.html``, ``report.md`` and ``report.json`` from a suite run.

Input is the checklist and the scenario records the plugin wrote (``scenarios.jsonl``: each
scenario's tags, pytest outcome and evidence). A requirement passes when it has scenarios and
all of them passed, fails when any failed, and is skipped otherwise; a Collect & Connect badge
is earned when its requirement passes. ``report.json`` has every key of the design's report
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
#: the statuses a scenario or requirement can have
STATUSES = ("pass", "fail", "skip")


@dataclass
class RunInfo:
    """What was tested and how long it took."""

    target: str
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


def scenario_counts(scenarios: list[dict[str, Any]]) -> dict[str, int]:
    """How many scenarios passed, failed and were skipped (every status, zero included)."""
    counts = dict.fromkeys(STATUSES, 0)
    for scenario in scenarios:
        counts[scenario["status"]] = counts.get(scenario["status"], 0) + 1
    return counts


def requirement_statuses(
    requirements: list[Requirement], scenarios: list[dict[str, Any]]
) -> dict[str, str]:
    """Requirement ID -> ``pass`` | ``fail`` | ``skip`` from the scenarios tagged with it."""
    statuses: dict[str, str] = {}
    for requirement in requirements:
        mine = [s["status"] for s in scenarios if requirement.id in s.get("ids", [])]
        if "fail" in mine:
            statuses[requirement.id] = "fail"
        elif "pass" in mine:
            statuses[requirement.id] = "pass"
        else:
            statuses[requirement.id] = "skip"
    return statuses


def build_report(
    requirements: list[Requirement], scenarios: list[dict[str, Any]], run: RunInfo
) -> dict[str, Any]:
    """The report as design.md's ``report.json`` shape, plus the ``run`` object."""
    statuses = requirement_statuses(requirements, scenarios)
    rows = []
    for requirement in requirements:
        mine = [s for s in scenarios if requirement.id in s.get("ids", [])]
        rows.append(
            {
                "id": requirement.id,
                "title": requirement.title,
                "status": statuses[requirement.id],
                "scenarios": [
                    {
                        "name": s.get("scenario", ""),
                        "feature": s.get("feature", ""),
                        "status": s["status"],
                        "message": s.get("message", ""),
                        "breach": "breach" in s.get("tags", []),
                        "duration": s.get("duration"),
                    }
                    for s in mine
                ],
                "evidence": _evidence(mine),
            }
        )
    badges = {
        requirement.id: ("earned" if statuses[requirement.id] == "pass" else "missing")
        for requirement in requirements
        if requirement.is_badge
    }
    return {
        "generated_at": run.generated_at,
        "target": run.target,
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
    return _environment().get_template("index.html.jinja2").render(
        report=report, checklist={r.id: r for r in requirements}, run=run
    )


def render_markdown(report: dict[str, Any], requirements: list[Requirement], run: RunInfo) -> str:
    """``report.md``: the text to paste into ORCID's credentials request."""
    env = _environment()
    env.autoescape = False
    return env.get_template("report.md.jinja2").render(
        report=report, checklist={r.id: r for r in requirements}, run=run
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
