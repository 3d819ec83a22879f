"""Evidence collected while the compliance scenarios run, and their outcomes.

Each scenario gets a :class:`ScenarioEvidence` (the ``evidence`` fixture) that steps fill with
what the add-on really did: the authorize URL, the token endpoint and its host, stored token
fields (redacted), call-log rows, put codes, screenshots. The plugin adds pytest's own outcome
and, when ``--orcid-evidence DIR`` is given, appends one JSON line per scenario to
``DIR/scenarios.jsonl`` as soon as the scenario ends, so a crashed run keeps what it saw.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCENARIOS_FILE = "scenarios.jsonl"
#: what the run knows of the site it checked (see :mod:`.target_info`)
TARGET_FILE = "target.json"
SCREENSHOT_DIR = "screenshots"

#: keys whose values are secrets wherever they appear in evidence
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "code",
        "token",
        "authorization",
        "password",
        "state",
        "nonce",
    }
)

_ID_RE = re.compile(r"^[A-Z]+-[A-Z0-9]+$")


def redact(value: object) -> str:
    """A secret shown without revealing it: its first four characters and its length."""
    if value is None:
        return "(none)"
    text = str(value)
    if len(text) <= 8:
        return f"*** ({len(text)} chars)"
    return f"{text[:4]}… ({len(text)} chars)"


def scrub(data: Any) -> Any:
    """A copy of ``data`` with every value under a secret key redacted (recursively)."""
    if isinstance(data, dict):
        return {
            key: (redact(value) if str(key).lower() in SECRET_KEYS and value else scrub(value))
            for key, value in data.items()
        }
    if isinstance(data, list | tuple):
        return [scrub(item) for item in data]
    return data


def checklist_ids(tags: set[str] | list[str]) -> list[str]:
    """The checklist IDs among a scenario's tags (``DM-3``), sorted."""
    return sorted(tag for tag in tags if _ID_RE.match(tag))


@dataclass
class EvidenceItem:
    """One piece of evidence: a kind (``authorize_url``, ``call_log`` …), a caption, data."""

    kind: str
    caption: str
    data: Any = None
    file: str | None = None


@dataclass
class ScenarioEvidence:
    """What one scenario saw, and (filled in by the plugin) how it ended."""

    nodeid: str
    feature: str = ""
    scenario: str = ""
    tags: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    items: list[EvidenceItem] = field(default_factory=list)
    status: str = "skip"
    message: str = ""
    duration: float = 0.0
    directory: Path | None = None

    def add(self, kind: str, caption: str, data: Any = None) -> None:
        """Record a piece of evidence; values under secret keys are redacted."""
        self.items.append(EvidenceItem(kind=kind, caption=caption, data=scrub(data)))

    def screenshot_path(self, name: str) -> Path | None:
        """Where a screenshot called ``name`` goes, or None when no evidence dir is set."""
        if self.directory is None:
            return None
        folder = self.directory / SCREENSHOT_DIR
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{_slug(name)}.png"

    def add_screenshot(self, path: Path, caption: str, shows: tuple[str, ...] = ()) -> None:
        """Record a screenshot already written to ``path``; ``shows`` names the requirements
        it is evidence for (the report shows it once, in the first of them that took it)."""
        relative = path.name if self.directory is None else str(path.relative_to(self.directory))
        self.items.append(EvidenceItem(kind="screenshot", caption=caption, file=relative,
                                       data={"shows": list(shows)}))

    def to_json(self) -> dict[str, Any]:
        """The JSON line written for this scenario."""
        record = asdict(self)
        record.pop("directory")
        return record


class EvidenceStore:
    """All scenarios of a run, keyed by pytest node id."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.scenarios: dict[str, ScenarioEvidence] = {}
        self._started: dict[str, float] = {}
        self.target: dict[str, Any] | None = None
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            (directory / SCENARIOS_FILE).write_text("", encoding="utf-8")
            (directory / TARGET_FILE).unlink(missing_ok=True)

    def describe_target(self, info: dict[str, Any]) -> None:
        """Keep (and write, once per run) what the run knows of the site it checks."""
        if self.target is not None:
            return
        self.target = info
        if self.directory is not None:
            (self.directory / TARGET_FILE).write_text(json.dumps(info, indent=2, default=str),
                                                      encoding="utf-8")

    def begin(self, nodeid: str, feature: str, scenario: str, tags: set[str]) -> ScenarioEvidence:
        """Start (or return) the record of a scenario."""
        record = self.for_node(nodeid)
        record.feature = feature
        record.scenario = scenario
        record.tags = sorted(tags)
        record.ids = checklist_ids(tags)
        return record

    def for_node(self, nodeid: str) -> ScenarioEvidence:
        """The record of a node, created on first use."""
        if nodeid not in self.scenarios:
            self.scenarios[nodeid] = ScenarioEvidence(nodeid=nodeid, directory=self.directory)
            self._started[nodeid] = time.monotonic()
        return self.scenarios[nodeid]

    def outcome(self, nodeid: str, when: str, outcome: str, message: str) -> None:
        """Fold one phase's result (setup/call/teardown) into the scenario's status."""
        record = self.for_node(nodeid)
        if outcome == "failed":
            if record.status != "fail":
                record.message = message
            record.status = "fail"
        elif outcome == "skipped" and record.status != "fail":
            record.status = "skip"
            record.message = message
        elif outcome == "passed" and when == "call" and record.status != "fail":
            record.status = "pass"

    def finish(self, nodeid: str) -> None:
        """The scenario is over: stamp its duration and append its JSON line."""
        record = self.for_node(nodeid)
        record.duration = round(time.monotonic() - self._started.get(nodeid, time.monotonic()), 3)
        if self.directory is None or not record.ids:
            return
        with (self.directory / SCENARIOS_FILE).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record.to_json(), default=str) + "\n")


def read_scenarios(directory: Path) -> list[dict[str, Any]]:
    """The scenario records a run wrote to ``directory``."""
    path = directory / SCENARIOS_FILE
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def read_target(directory: Path) -> dict[str, Any] | None:
    """What the run wrote about its site, or None when it built none."""
    path = directory / TARGET_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _slug(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9._-]+", "-", name).strip("-") or "screenshot"
