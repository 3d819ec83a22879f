"""One table of settings: the defaults, the lint's required keys, ``orcid-pyramid check --help``
and the README's table all come from ``SETTINGS_DOC``; ORCID's scope hierarchy is one table."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from orcid_pyramid.cli.check import check
from orcid_pyramid.client.tokens import expand_scopes
from orcid_pyramid.emulator import scopes as emulator_scopes
from orcid_pyramid.settings import REQUIRED, SETTINGS_DOC, lint, load_settings, settings_table

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Settings\n"):]
    start = section.index("| key | default | meaning |")
    return section[start:section.index("\n\n", start)]


def test_the_readmes_settings_table_is_the_codes():
    assert _readme_table() == settings_table(), (
        "README.md's settings table differs from orcid_pyramid.settings.SETTINGS_DOC; paste "
        "the output of: python -c 'from orcid_pyramid.settings import settings_table; "
        "print(settings_table())'")


def test_the_defaults_written_back_are_the_tables():
    written: dict = {}
    load_settings(written)
    plain = {key: default for key, default, _ in SETTINGS_DOC
             if default and not default.startswith("(")}
    assert {k: v for k, v in written.items() if k in plain} == plain


def test_the_lint_names_every_required_key_of_the_table():
    problems = {p.setting for p in lint(load_settings({"orcid.environment": "sandbox"}))}
    assert REQUIRED == {"orcid.client_id", "orcid.client_secret", "orcid.support_email",
                        "orcid.token_key", "orcid.sqlalchemy.url"}
    assert REQUIRED <= problems


def test_check_help_lists_every_setting_with_its_default():
    result = CliRunner().invoke(check, ["--help"])
    assert result.exit_code == 0
    for key, default, _ in SETTINGS_DOC:
        assert f"{key} = {default}".rstrip() in result.output


def test_booleans_read_pyramids_words_and_refuse_others():
    assert load_settings({"orcid.create_tables": "on"}).create_tables is True
    assert load_settings({"orcid.create_tables": "off"}).create_tables is False
    problems = []
    try:
        load_settings({"orcid.create_tables": "maybe"})
    except Exception as exc:  # SettingsError
        problems = exc.problems
    assert [p.setting for p in problems] == ["orcid.create_tables"]


def test_read_limited_covers_read_public_as_at_orcid():
    """ORCID's ScopePathType: /read-limited inherits the per-section read-limited scopes, each
    of which inherits /read-public (orcid-facts/scopes.md)."""
    assert "/read-public" in expand_scopes({"/read-limited"})
    assert {"/activities/read-limited", "/person/read-limited"} <= expand_scopes(
        {"/read-limited"})


def test_the_addons_scope_table_agrees_with_the_emulators():
    """The emulator models ORCID on its own (it imports nothing of the add-on); the two
    readings of ORCID's hierarchy must give the same answers."""
    for scope in emulator_scopes.KNOWN | {"openid"}:
        assert expand_scopes({scope}) == emulator_scopes.expand({scope}), scope
