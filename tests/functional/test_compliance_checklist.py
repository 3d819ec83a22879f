"""checklist.md, the feature tags and the registered markers stay in step.

An ID in the checklist with no scenario fails the build; a tag that is not in the checklist (a
typo such as ``@DM3``) fails it too, as does a marker the plugin forgot to register.
"""

from __future__ import annotations

import pytest
from pytest_bdd.feature import get_features

from orcid_pyramid.compliance import FEATURES
from orcid_pyramid.compliance import checklist as checklist_module
from orcid_pyramid.compliance.checklist import (
    PACKAGED_CHECKLIST,
    find_checklist,
    load_checklist,
    parse_checklist,
)
from orcid_pyramid.compliance.plugin import SUITE_TAGS

ID_LIKE = checklist_module._ID_ROW  # noqa: SLF001 - the same notion of "an ID" as the parser


def _scenarios():
    for feature in get_features([str(FEATURES)]):
        for scenario in feature.scenarios.values():
            yield feature, scenario, set(feature.tags) | set(scenario.tags)


def _id_tags(tags: set[str]) -> set[str]:
    return {tag for tag in tags if ID_LIKE.match(f"| {tag} | x |")}


def test_every_checklist_id_has_a_scenario():
    covered = set()
    for _feature, _scenario, tags in _scenarios():
        covered |= tags
    missing = [r.id for r in load_checklist() if r.id not in covered]
    assert not missing, f"checklist IDs without a scenario: {missing}"


def test_every_id_tag_is_a_checklist_id():
    known = {r.id for r in load_checklist()}
    unknown = sorted(
        f"{feature.rel_filename}: {scenario.name}: {tag}"
        for feature, scenario, tags in _scenarios()
        for tag in _id_tags(tags) - known
    )
    assert not unknown, f"tags that are not checklist IDs: {unknown}"


def test_every_scenario_has_an_id_and_the_area_tag_of_its_ids():
    by_id = {r.id: r for r in load_checklist()}
    problems = []
    for feature, scenario, tags in _scenarios():
        ids = _id_tags(tags) & set(by_id)
        if not ids:
            problems.append(f"{scenario.name}: no checklist ID")
        for requirement_id in ids:
            if by_id[requirement_id].area not in tags:
                problems.append(
                    f"{feature.rel_filename}: {scenario.name}: {requirement_id} needs the area "
                    f"tag @{by_id[requirement_id].area}"
                )
    assert not problems, problems


def test_every_tag_used_is_a_registered_marker(pytestconfig):
    if not pytestconfig.pluginmanager.has_plugin("orcid_pyramid.compliance.plugin"):
        pytest.fail("the compliance plugin is not loaded: add it to the root conftest.py")
    registered = {line.split(":")[0].strip() for line in pytestconfig.getini("markers")}
    used = set()
    for _feature, _scenario, tags in _scenarios():
        used |= tags
    assert used - registered == set()


def test_the_plugin_registers_a_marker_per_checklist_id_and_area(pytestconfig):
    registered = {line.split(":")[0].strip() for line in pytestconfig.getini("markers")}
    requirements = load_checklist()
    expected = {r.id for r in requirements} | {r.area for r in requirements} | set(SUITE_TAGS)
    assert expected <= registered


def test_the_checklist_is_the_packaged_one_unless_orcid_checklist_names_another(monkeypatch,
                                                                                 tmp_path):
    monkeypatch.delenv("ORCID_CHECKLIST", raising=False)
    assert find_checklist() == PACKAGED_CHECKLIST
    other = tmp_path / "checklist.md"
    other.write_text("## Data management\n| DM-1 | x | y |\n", encoding="utf-8")
    monkeypatch.setenv("ORCID_CHECKLIST", str(other))
    assert find_checklist() == other
    assert [r.id for r in load_checklist()] == ["DM-1"]


def test_the_checklist_parser_reads_ids_titles_and_areas():
    text = (
        "# t\n\n## Data management\n| ID | Requirement | Met |\n|---|---|---|\n"
        "| DM-9 | Do the thing | it is done |\n\n## Collect & Connect elements (badges)\n"
        "| ID | Element | Earns |\n|---|---|---|\n| CC-X | Extra | always |\n"
    )
    parsed = parse_checklist(text)
    assert [(r.id, r.title, r.met, r.area, r.is_badge) for r in parsed] == [
        ("DM-9", "Do the thing", "it is done", "data-management", False),
        ("CC-X", "Extra", "always", "collect-connect", True),
    ]


def test_a_duplicate_checklist_id_is_refused():
    text = "## A\n| X-1 | a | b |\n| X-1 | c | d |\n"
    with pytest.raises(ValueError, match="X-1 twice"):
        parse_checklist(text)


def test_the_checklist_env_var_wins_and_a_missing_file_says_so(tmp_path, monkeypatch):
    custom = tmp_path / "checklist.md"
    custom.write_text("## Best practices\n| BP-99 | Be nice | always |\n", encoding="utf-8")
    monkeypatch.setenv("ORCID_CHECKLIST", str(custom))
    assert [r.id for r in load_checklist()] == ["BP-99"]
    monkeypatch.setenv("ORCID_CHECKLIST", str(tmp_path / "nope.md"))
    with pytest.raises(FileNotFoundError, match="ORCID_CHECKLIST"):
        load_checklist()
