"""The compliance suite's pytest plugin (``-p orcid_pyramid.compliance.plugin``).

It registers the kit's fixtures (:mod:`.fixtures`) and every checklist ID and area as a marker
(so ``--strict-markers`` catches a typo in a ``.feature`` tag), adds the target options, loads
the step modules, and records each scenario's evidence and pytest's own outcome
(``pytest_runtest_logreport``; Cucumber JSON is not trusted for pass/fail).

Options:
  ``--orcid-app CONFIG``   run against any Pyramid app's ini that includes the add-on
  ``--orcid-live``         run against the live ORCID sandbox (credentials from the environment)
  ``--orcid-evidence DIR`` write ``scenarios.jsonl`` and screenshots to DIR
  ``--orcid-no-screenshots`` browser scenarios run but save no PNG
  ``--orcid-require-browser`` stop before running when there is no Chromium (off: the browser
                           scenarios then skip as ``no browser``; ``orcid-pyramid report`` has
                           it on)
  ``--orcid-breakage NAME`` run the demo with one deliberately broken configuration
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .checklist import areas, load_checklist
from .evidence import EvidenceStore, ScenarioEvidence

pytest_plugins = [
    "orcid_pyramid.compliance.fixtures.emulator",
    "orcid_pyramid.compliance.fixtures.database",
    "orcid_pyramid.compliance.fixtures.app",
    "orcid_pyramid.compliance.steps.target",
    "orcid_pyramid.compliance.steps.common",
    "orcid_pyramid.compliance.steps.connect",
    "orcid_pyramid.compliance.steps.records",
    "orcid_pyramid.compliance.steps.sync",
    "orcid_pyramid.compliance.steps.browser",
    "orcid_pyramid.compliance.steps.breaches",
]

#: tags with a meaning to the suite beyond the checklist
SUITE_TAGS = {
    "breach": "shows that a breach of the requirement is caught",
    "browser": "needs Chromium (skips with a reason when it is absent)",
    "demo-only": "needs the bundled demo site (skips against --orcid-app)",
    "emulator-only": "needs the emulator's control API (skips against the live sandbox)",
    "webhooks": "the site runs with ORCID's webhooks on (the demo turns them on; an app must)",
}

_STORE = pytest.StashKey[EvidenceStore]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("orcid", "ORCID compliance suite")
    group.addoption(
        "--orcid-app",
        metavar="CONFIG",
        default=None,
        help="run the compliance features against this Pyramid app's ini (default: the demo)",
    )
    group.addoption(
        "--orcid-live",
        action="store_true",
        default=False,
        help="run against the live ORCID sandbox (needs ORCID_CLIENT_ID, ORCID_CLIENT_SECRET, "
        "ORCID_SANDBOX_EMAIL, ORCID_SANDBOX_PASSWORD)",
    )
    group.addoption(
        "--orcid-evidence",
        metavar="DIR",
        default=None,
        help="write each scenario's evidence (scenarios.jsonl, screenshots/) to DIR",
    )
    group.addoption(
        "--orcid-no-screenshots",
        action="store_true",
        default=False,
        help="do not save screenshots (browser scenarios still run)",
    )
    group.addoption(
        "--orcid-require-browser",
        action="store_true",
        default=False,
        help="stop before running when there is no Chromium (default: browser scenarios skip)",
    )
    group.addoption(
        "--orcid-breakage",
        metavar="NAME",
        default=None,
        help="run the demo with a deliberately broken configuration "
        "(see orcid_pyramid.compliance.breakage)",
    )


def pytest_configure(config: pytest.Config) -> None:
    requirements = load_checklist()
    for requirement in requirements:
        config.addinivalue_line("markers", f"{requirement.id}: {requirement.title}")
    for tag, section in areas(requirements).items():
        config.addinivalue_line("markers", f"{tag}: checklist area '{section}'")
    for tag, meaning in SUITE_TAGS.items():
        config.addinivalue_line("markers", f"{tag}: {meaning}")
    if config.getoption("orcid_live") and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError("--orcid-live runs one scenario at a time (they share one "
                                "sandbox researcher and ORCID's grants): drop -n")
    breakage = config.getoption("orcid_breakage")
    if breakage:
        from orcid_pyramid.compliance.breakage import BREAKAGES

        if breakage not in BREAKAGES:
            raise pytest.UsageError(
                f"--orcid-breakage {breakage}: unknown; known: {', '.join(sorted(BREAKAGES))}")
    if config.getoption("orcid_require_browser"):
        from .browser import NO_CHROMIUM, chromium_path

        if chromium_path() is None:
            raise pytest.UsageError(f"--orcid-require-browser: {NO_CHROMIUM}")
    directory = config.getoption("orcid_evidence")
    store = EvidenceStore(Path(directory) if directory else None)
    config.stash[_STORE] = store
    config.pluginmanager.register(_OutcomeRecorder(store), "orcid-compliance-outcomes")


def evidence_store(config: pytest.Config) -> EvidenceStore:
    """The run's evidence store (set up in ``pytest_configure``)."""
    return config.stash[_STORE]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """``@demo-only`` needs the bundled demo; ``@emulator-only`` needs the emulator."""
    config = item.config
    live = config.getoption("orcid_live")
    # --orcid-live runs the bundled demo, so only --orcid-app lacks the demo's pages
    if item.get_closest_marker("demo-only") and config.getoption("orcid_app") and not live:
        pytest.skip("needs the bundled demo site (its pages and accounts)")
    if item.get_closest_marker("emulator-only") and live:
        pytest.skip("stages ORCID-side events through the emulator's control API")


def pytest_report_header(config: pytest.Config) -> str:
    if config.getoption("orcid_live"):
        target = "the live ORCID sandbox"
    elif config.getoption("orcid_app"):
        target = f"the app in {config.getoption('orcid_app')} (emulated sandbox)"
    else:
        target = "the bundled demo site (emulated sandbox)"
    breakage = config.getoption("orcid_breakage")
    suffix = f", deliberately broken: {breakage}" if breakage else ""
    return f"orcid compliance target: {target}{suffix}"


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature, scenario) -> None:
    tags = set(feature.tags) | set(scenario.tags)
    record = evidence_store(request.config).begin(
        request.node.nodeid, feature.rel_filename, scenario.name, tags
    )
    request.node.user_properties.append(("checklist_ids", " ".join(record.ids)))
    request.node.user_properties.append(("feature", feature.rel_filename))


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> ScenarioEvidence:
    """The current scenario's evidence record; steps add to it."""
    return evidence_store(request.config).for_node(request.node.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    store = evidence_store(config)
    scenarios = [record for record in store.scenarios.values() if record.ids]
    if not scenarios:
        return
    from .report import requirement_statuses

    statuses = requirement_statuses(load_checklist(), [s.to_json() for s in scenarios])
    terminalreporter.section("ORCID checklist")
    for requirement_id, status in statuses.items():
        terminalreporter.write_line(f"{requirement_id:<11} {status}")


class _OutcomeRecorder:
    """Folds pytest's own phase reports into the evidence store (the pass/fail source)."""

    def __init__(self, store: EvidenceStore) -> None:
        self.store = store

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        message = ""
        if report.failed:
            message = _last_line(report.longreprtext)
        elif report.skipped and isinstance(report.longrepr, tuple):
            message = str(report.longrepr[2]).removeprefix("Skipped: ")
        if getattr(report, "wasxfail", None) is not None:
            # an expected failure is still a requirement not met
            self.store.outcome(report.nodeid, report.when, "failed", f"xfail: {report.wasxfail}")
        else:
            self.store.outcome(report.nodeid, report.when, report.outcome, message)
        if report.when == "teardown":
            self.store.finish(report.nodeid)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("E "):
            return line[2:].strip()
    return lines[-1] if lines else ""
