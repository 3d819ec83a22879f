"""The README's figures about the compliance suite match the feature files (issue 14: it said
45 scenarios long after there were more). When a scenario is added, update the README."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def count_scenarios() -> tuple[int, int]:
    """(scenarios, runs): every ``Scenario``/``Scenario Outline``, and what pytest-bdd runs
    (one per scenario, one per example row of an outline)."""
    scenarios = runs = 0
    features = resources.files("orcid_pyramid.compliance").joinpath("features")
    for feature in sorted(features.iterdir(), key=lambda f: f.name):
        if not feature.name.endswith(".feature"):
            continue
        outline, in_examples, header_seen = False, False, False
        for line in feature.read_text().splitlines():
            text = line.strip()
            if text.startswith("Scenario"):
                scenarios += 1
                outline = text.startswith("Scenario Outline")
                in_examples = False
                runs += 0 if outline else 1
            elif outline and text.startswith("Examples"):
                in_examples, header_seen = True, False
            elif in_examples and text.startswith("|"):
                if header_seen:
                    runs += 1
                header_seen = True
    return scenarios, runs


def test_readme_states_the_current_number_of_scenarios_and_runs():
    scenarios, runs = count_scenarios()
    text = README.read_text()
    stated = re.search(r"`pytest features/`: (\d+) scenarios, (\d+) runs", text)
    assert stated, "the README no longer states the suite's size where the Benchmarks say it"
    assert (int(stated.group(1)), int(stated.group(2))) == (scenarios, runs), \
        f"README says {stated.group(0)!r}; the features have {scenarios} scenarios, {runs} runs"
    example = re.search(r'"counts": \{"pass": (\d+), "fail": 0, "not-checked": 0\}', text)
    assert example and int(example.group(1)) == runs, "report.json example counts"
