"""load_settings: defaults, coercion, derived values, and never overwriting the host."""

from __future__ import annotations

import logging

import pytest
from pyramid.exceptions import ConfigurationError

from orcid_pyramid.settings import (
    FEATURES,
    SETTINGS_DOC,
    OrcidSettings,
    SettingsError,
    load_settings,
    settings_from_registry,
)


def test_defaults_are_the_sandbox_with_openid_collect_and_connect():
    s = load_settings({})
    assert s.environment == "sandbox"
    assert s.base_url == "https://sandbox.orcid.org"
    assert s.api_url == "https://api.sandbox.orcid.org"
    assert s.token_url == "https://sandbox.orcid.org/oauth/token"
    assert s.features == frozenset({"openid", "collect", "connect-activities"})
    assert s.scopes == ("openid", "/read-limited", "/activities/update")
    assert s.redirect_uri is None and s.token_keys == () and s.user_info is None
    assert (s.route_prefix, s.deleted_item_policy, s.rate_limit) == ("/orcid", "respect", "24/40")
    assert (s.rate_per_second, s.rate_burst) == (24.0, 40)
    assert (s.timeout, s.state_ttl) == (10.0, 600)
    assert (s.call_log_retention_days, s.call_log_body_limit) == (90, 16384)
    assert s.disconnect_delete_items is True and s.disconnect_delete_calls is True
    assert s.admin_permission == "orcid.admin" and s.create_tables is False
    assert s.display_host == "sandbox.orcid.org" and s.lang is None


def test_production_and_emulator_environments_derive_their_urls():
    prod = load_settings({"orcid.environment": "production"})
    assert (prod.base_url, prod.api_url) == ("https://orcid.org", "https://api.orcid.org")
    assert prod.token_url == "https://orcid.org/oauth/token"
    assert prod.id_uri("0000-0002-1825-0097") == "https://orcid.org/0000-0002-1825-0097"
    emu = load_settings({"orcid.environment": "Emulator", "orcid.token_key": "k"})
    assert (emu.base_url, emu.api_url) == ("http://127.0.0.1:8765", "http://127.0.0.1:8765/api")
    assert emu.id_uri("0000-0002-1825-0097") == "https://sandbox.orcid.org/0000-0002-1825-0097"


def test_an_emulator_base_url_moves_the_token_url_with_it():
    s = load_settings({"orcid.environment": "emulator", "orcid.base_url": "http://127.0.0.1:5/",
                       "orcid.api_url": "http://127.0.0.1:5/api/"})
    assert s.base_url == "http://127.0.0.1:5" and s.api_url == "http://127.0.0.1:5/api"
    assert s.token_url == "http://127.0.0.1:5/oauth/token"


def test_types_are_coerced_from_ini_strings():
    s = load_settings({
        "orcid.timeout": " 2.5 ", "orcid.state_ttl": "60", "orcid.disconnect_delete_items": "no",
        "orcid.disconnect_delete_calls": "On", "orcid.create_tables": "true",
        "orcid.features": "authenticate,\n connect-person  WEBHOOKS",
        "orcid.token_key": "new, old\nolder", "orcid.rate_limit": "12 / 20",
        "orcid.call_log_body_limit": "100",
    })
    assert s.timeout == 2.5 and s.state_ttl == 60 and s.call_log_body_limit == 100
    assert s.disconnect_delete_items is False and s.disconnect_delete_calls is True
    assert s.create_tables is True
    assert s.features == frozenset({"authenticate", "connect-person", "webhooks"})
    assert s.scopes == ("/authenticate", "/person/update")  # webhooks asks the user nothing
    assert s.token_keys == ("new", "old", "older")
    assert (s.rate_per_second, s.rate_burst) == (12.0, 20)


def test_already_typed_values_are_accepted():
    s = load_settings({"orcid.timeout": 3, "orcid.create_tables": True})
    assert s.timeout == 3.0 and s.create_tables is True


def test_an_explicit_scope_wins_over_the_features():
    s = load_settings({"orcid.scope": "/authenticate", "orcid.features": "collect"})
    assert s.scopes == ("/authenticate",) and s.scope_explicit


def test_defaults_are_written_back_but_host_values_are_never_overwritten():
    settings = {"orcid.environment": "production", "orcid.timeout": "3",
                "orcid.route_prefix": "/id", "orcid.features": "authenticate"}
    load_settings(settings)
    assert settings["orcid.environment"] == "production"
    assert settings["orcid.timeout"] == "3"
    assert settings["orcid.route_prefix"] == "/id"
    assert settings["orcid.features"] == "authenticate"
    assert settings["orcid.state_ttl"] == "600"  # a missing key gets its default
    assert "orcid.token_key" not in settings and "orcid.client_secret" not in settings


def test_the_add_on_database_falls_back_to_the_host_database():
    assert load_settings({"sqlalchemy.url": "sqlite://"}).sqlalchemy_url == "sqlite://"
    own = load_settings({"sqlalchemy.url": "sqlite://", "orcid.sqlalchemy.url": "sqlite:///o"})
    assert own.sqlalchemy_url == "sqlite:///o"


def test_uncoercible_values_are_all_reported_at_once():
    with pytest.raises(SettingsError) as info:
        load_settings({"orcid.timeout": "soon", "orcid.state_ttl": "1.5",
                       "orcid.create_tables": "maybe", "orcid.environment": "prod"})
    error = info.value
    assert isinstance(error, ConfigurationError)
    assert [p.setting for p in error.problems] == [
        "orcid.environment", "orcid.timeout", "orcid.state_ttl", "orcid.create_tables"]
    text = str(error)
    assert "'soon' is not a number" in text and "'1.5' is not a whole number" in text
    assert "'maybe' is not true or false" in text
    assert "'prod' is not an environment" in text and "sandbox, production or emulator" in text


def test_emulator_without_token_key_derives_a_stable_key_and_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="orcid_pyramid.settings"):
        first = load_settings({"orcid.environment": "emulator", "orcid.client_id": "APP-1"})
    second = load_settings({"orcid.environment": "emulator", "orcid.client_id": "APP-1"})
    assert first.token_keys == second.token_keys and len(first.token_keys) == 1
    assert first.token_key_derived
    assert "orcid.token_key is not set" in caplog.text
    assert first.token_keys[0] not in caplog.text


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_no_key_is_derived_outside_the_emulator(environment):
    s = load_settings({"orcid.environment": environment})
    assert s.token_keys == () and not s.token_key_derived


def test_repr_never_shows_secrets():
    s = load_settings({"orcid.client_secret": "s3cret-value", "orcid.token_key": "key-value",
                       "orcid.webhook_secret": "hook-value"})
    for secret in ("s3cret-value", "key-value", "hook-value"):
        assert secret not in repr(s)


def test_settings_are_frozen():
    s = load_settings({})
    with pytest.raises(AttributeError):
        s.timeout = 1  # type: ignore[misc]


def test_every_key_is_documented_once_and_every_feature_named():
    keys = [row[0] for row in SETTINGS_DOC]
    assert len(keys) == len(set(keys))
    assert all(key.startswith("orcid.") and meaning for key, _, meaning in SETTINGS_DOC)
    features_row = dict((k, m) for k, _, m in SETTINGS_DOC)["orcid.features"]
    assert all(feature in features_row for feature in FEATURES)
    # each OrcidSettings field read from an ini key has a row
    for field in ("client_id", "token_url", "webhook_secret", "call_log_body_limit", "lang",
                  "site_name", "layout"):
        assert f"orcid.{field}" in keys


def test_site_name_defaults_to_this_site_and_keeps_the_hosts_value():
    settings: dict = {}
    assert load_settings(settings).site_name == "this site"
    assert settings["orcid.site_name"] == "this site"  # the effective value is visible
    host = {"orcid.site_name": "  Example University "}
    assert load_settings(host).site_name == "Example University"
    assert host["orcid.site_name"] == "  Example University "


def test_layout_is_none_unless_the_host_names_its_base_template():
    assert load_settings({}).layout is None
    spec = "myapp:templates/base.jinja2"
    assert load_settings({"orcid.layout": spec}).layout == spec


def test_the_registry_keeps_one_settings_object():
    class Registry(dict):
        settings = {"orcid.timeout": "4"}

    registry = Registry()
    first = settings_from_registry(registry)
    assert isinstance(first, OrcidSettings) and first.timeout == 4.0
    assert settings_from_registry(registry) is first
