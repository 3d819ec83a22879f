"""The startup lint: one test per rule, each checking the message names setting and fix."""

from __future__ import annotations

import pytest
from pyramid.exceptions import ConfigurationError

from orcid_pyramid.crypto import generate_key
from orcid_pyramid.lint import LintProblem, check_or_raise, is_loopback
from orcid_pyramid.settings import lint, lint_redirect_uri, load_settings

KEY = generate_key()


def settings(environment="sandbox", **overrides):
    values = {
        "orcid.environment": environment,
        "orcid.client_id": "APP-NPXKK6HFN6TJ4YYI",
        "orcid.client_secret": "secret",
        "orcid.support_email": "support@example.org",
        "orcid.token_key": KEY,
        "sqlalchemy.url": "sqlite://",
    }
    if environment != "emulator":  # required outside the emulator
        values["orcid.redirect_uri"] = "https://site.example.org/orcid/callback"
    values.update({"orcid." + k.replace("__", "."): v for k, v in overrides.items()})
    return load_settings({k: v for k, v in values.items() if v is not None})


def only(problems: list[LintProblem]) -> LintProblem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


@pytest.mark.parametrize("environment", ["sandbox", "production", "emulator"])
def test_complete_settings_are_clean(environment):
    assert lint(settings(environment)) == []
    check_or_raise(settings(environment))


def test_a_problem_reads_as_one_line_naming_setting_and_fix():
    problem = LintProblem("orcid.x", "is wrong", "set it right")
    assert str(problem) == "orcid.x: is wrong. Fix: set it right."


@pytest.mark.parametrize("key", ["base_url", "api_url", "redirect_uri"])
def test_plain_http_is_refused_in_sandbox(key):
    problems = lint(settings(**{key: "http://sandbox.orcid.org/x"}))
    http = [p for p in problems if p.setting == f"orcid.{key}"]
    assert http and "plain http" in http[0].message and "DM-2" in http[0].message
    assert "https://sandbox.orcid.org/x" in http[0].fix


def test_plain_http_is_allowed_for_a_loopback_emulator_only():
    assert lint(settings("emulator", base_url="http://localhost:9", api_url="http://[::1]:9/api",
                         redirect_uri="http://127.0.0.2:6543/orcid/callback")) == []
    problem = only(lint(settings("emulator", redirect_uri="http://demo.example.org/cb")))
    assert problem.setting == "orcid.redirect_uri"
    assert "only for the emulator on a loopback host" in problem.message


def test_plain_http_token_url_is_refused_in_production():
    problems = lint(settings("production", token_url="http://orcid.org/oauth/token"))
    assert any(p.setting == "orcid.token_url" and "plain http" in p.message for p in problems)


def test_a_relative_url_is_refused():
    problem = only(lint(settings(redirect_uri="/orcid/callback")))
    assert "not an absolute http(s) URL" in problem.message


@pytest.mark.parametrize("url", [
    "https://api.sandbox.orcid.org/oauth/token",
    "https://pub.sandbox.orcid.org/oauth/token",
])
def test_a_token_url_on_an_api_host_is_refused(url):
    problem = only(lint(settings(token_url=url)))
    assert problem.setting == "orcid.token_url" and "DM-3" in problem.message
    assert "API host" in problem.message
    assert "https://sandbox.orcid.org/oauth/token" in problem.fix


def test_the_emulator_token_url_must_be_the_root_not_the_api_prefix():
    problem = only(lint(settings("emulator", token_url="http://127.0.0.1:8765/api/oauth/token")))
    assert "API host" in problem.message and "http://127.0.0.1:8765/oauth/token" in problem.fix


def test_any_other_token_url_is_refused():
    problem = only(lint(settings(token_url="https://sandbox.orcid.org/oauth/tokens")))
    assert "not the root token URI https://sandbox.orcid.org/oauth/token" in problem.message


def test_the_root_token_url_is_accepted_when_written_out():
    assert lint(settings(token_url="https://sandbox.orcid.org/oauth/token")) == []


@pytest.mark.parametrize("version", ["2.0", "2.1", "3.1"])
def test_a_message_version_other_than_3_0_is_refused(version):
    problem = only(lint(settings(api_version=version)))
    assert problem.setting == "orcid.api_version" and "REV-1" in problem.message
    assert "set it to 3.0" in problem.fix


def test_version_3_0_may_be_spelled_with_a_v():
    assert lint(settings(api_version="v3.0")) == []


def test_sandbox_urls_in_production_are_refused():
    problems = lint(settings("production", base_url="https://sandbox.orcid.org",
                             api_url="https://api.sandbox.orcid.org"))
    assert {p.setting for p in problems} == {"orcid.base_url", "orcid.api_url", "orcid.token_url"}
    assert all("sandbox URL in the production environment" in p.message for p in problems)


def test_production_urls_in_sandbox_are_refused():
    problem = only(lint(settings(api_url="https://api.orcid.org")))
    assert "production URL in the sandbox environment" in problem.message


@pytest.mark.parametrize("key", ["client_id", "client_secret", "support_email"])
def test_missing_required_values_are_named(key):
    problem = only(lint(settings(**{key: None})))
    assert problem.setting == f"orcid.{key}" and "required and missing" in problem.message


def test_a_missing_database_is_named():
    s = load_settings({"orcid.client_id": "a", "orcid.client_secret": "b",
                       "orcid.support_email": "s@x.org", "orcid.token_key": KEY,
                       "orcid.redirect_uri": "https://site.example.org/orcid/callback"})
    assert only(lint(s)).setting == "orcid.sqlalchemy.url"


def test_a_support_email_must_look_like_one():
    assert "not an e-mail address" in only(lint(settings(support_email="support"))).message


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_a_token_key_is_required_outside_the_emulator(environment):
    problem = only(lint(settings(environment, token_key=None)))
    assert problem.setting == "orcid.token_key" and "Fernet" in problem.fix


def test_the_emulator_runs_without_a_token_key():
    assert lint(settings("emulator", token_key=None)) == []


def test_an_invalid_fernet_key_is_refused_without_echoing_it():
    problem = only(lint(settings(token_key=f"{KEY},not-a-key-at-all")))
    assert "key #2 is not a valid Fernet key" in problem.message
    assert "not-a-key-at-all" not in str(problem)


def test_an_unknown_feature_gets_a_suggestion():
    problem = only(lint(settings(features="openid colect")))
    assert problem.setting == "orcid.features" and "'colect'" in problem.message
    assert problem.fix == "did you mean collect?"


def test_openid_and_authenticate_together_are_flagged():
    problem = only(lint(settings(features="openid authenticate")))
    assert "one or the other" in problem.message


def test_webhooks_need_a_webhook_secret():
    problem = only(lint(settings(features="openid webhooks")))
    assert problem.setting == "orcid.webhook_secret"
    assert lint(settings(features="openid webhooks", webhook_secret="x" * 32)) == []


def test_an_explicit_scope_must_be_a_user_scope():
    problem = only(lint(settings(scope="/authenticate /webhook")))
    assert problem.setting == "orcid.scope" and "'/webhook'" in problem.message


@pytest.mark.parametrize("value", ["fast", "24", "0/40", "24/0", "24/x"])
def test_a_bad_rate_limit_is_refused(value):
    problem = only(lint(settings(rate_limit=value)))
    assert problem.setting == "orcid.rate_limit" and "24/40" in problem.fix


def test_a_rate_above_orcids_limit_is_refused_except_in_the_emulator():
    problem = only(lint(settings(rate_limit="30/40")))
    assert "above ORCID's limit" in problem.message
    assert lint(settings("emulator", rate_limit="100/200")) == []


@pytest.mark.parametrize("typo,suggestion", [("readd", "re-add"), ("respekt", "respect")])
def test_a_policy_typo_gets_a_suggestion(typo, suggestion):
    problem = only(lint(settings(deleted_item_policy=typo)))
    assert problem.setting == "orcid.deleted_item_policy"
    assert problem.fix == f"did you mean {suggestion}?"


def test_numbers_out_of_range_are_refused():
    problems = lint(settings(timeout="0", state_ttl="-1", call_log_body_limit="-5"))
    assert {p.setting for p in problems} == {
        "orcid.timeout", "orcid.state_ttl", "orcid.call_log_body_limit"}


def test_route_prefix_support_url_and_user_info_are_checked():
    problems = lint(settings(route_prefix="orcid", support_url="mailto:x@y.org",
                             user_info="no_such_module_xyz.func"))
    assert [p.setting for p in problems] == [
        "orcid.route_prefix", "orcid.support_url", "orcid.user_info"]
    assert lint(settings(user_info="os.path.join")) == []
    assert "not callable" in only(lint(settings(user_info="os.sep"))).message


def test_redirect_uri_check_for_the_computed_callback_url():
    s = settings()
    assert lint_redirect_uri(s, "https://example.org/orcid/callback") == []
    problem = only(lint_redirect_uri(s, "http://example.org/orcid/callback"))
    assert problem.setting == "orcid.redirect_uri" and "DM-2" in problem.message
    assert "fragment" in only(lint_redirect_uri(s, "https://example.org/cb#x")).message


def test_check_or_raise_lists_every_problem():
    with pytest.raises(ConfigurationError) as info:
        check_or_raise(settings(client_id=None, token_url="https://api.sandbox.orcid.org/oauth/token"))
    text = str(info.value)
    assert "2 configuration problem(s)" in text
    assert "orcid.client_id" in text and "orcid.token_url" in text


@pytest.mark.parametrize("host,expected", [
    ("localhost", True), ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True),
    ("10.0.0.1", False), ("example.org", False), ("", False), (None, False),
])
def test_loopback_hosts(host, expected):
    assert is_loopback(host) is expected


def test_the_public_api_host_is_refused_as_api_url():
    problem = only(lint(settings(api_url="https://pub.sandbox.orcid.org")))
    assert "public API" in problem.message and "api." in problem.fix
