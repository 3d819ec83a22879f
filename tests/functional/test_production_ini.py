"""production.ini is safe as it is: built through its own entry point
(``egg:orcid-pyramid#production``) with its secrets in the environment, tables made by
``orcid-pyramid initdb production.ini``. No built-in password, nobody reads the admin pages
unless named, HTTPS only, security headers on every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyramid.exceptions import ConfigurationError
from webtest import TestApp

from orcid_pyramid.cli import main as cli
from orcid_pyramid.crypto import generate_key
from orcid_pyramid.demo.passwords import hash_password

ROOT = Path(__file__).resolve().parents[2]
INI = str(ROOT / "production.ini")
PASSWORD = "a-long-operator-chosen-password"
HOST = "demo.example.org"


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "ORCID_CLIENT_ID": "APP-NPXKK6HFN6TJ4YYI",
        "ORCID_CLIENT_SECRET": "0c3b0d8e-ffff-4a4a-9c9c-abcdefabcdef",
        "ORCID_TOKEN_KEY": generate_key(),
        "ORCID_SUPPORT_EMAIL": "support@example.org",
        "ORCID_REDIRECT_URI": f"https://{HOST}/orcid/callback",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite'}",
        "SESSION_SECRET": "s" * 40,
        "DEMO_PASSWORD_HASH": hash_password(PASSWORD),
    }


@pytest.fixture
def production(tmp_path, monkeypatch):
    """The app of production.ini (after ``orcid-pyramid initdb production.ini``)."""
    from pyramid.paster import get_app

    env = production_env(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("ORCID_ENVIRONMENT", "ORCID_BASE_URL", "ORCID_API_URL"):
        monkeypatch.delenv(name, raising=False)
    initdb = CliRunner().invoke(cli, ["initdb", INI], catch_exceptions=False)
    assert initdb.exit_code == 0, initdb.output
    app = get_app(INI)
    yield app
    stop = app.registry.get("demo.worker_stop")
    if stop is not None:
        stop.set()
        app.registry["demo.worker_thread"].join(10)
    app.registry["orcid.dbengine"].dispose()


def https_client(app) -> TestApp:
    return TestApp(app, extra_environ={"HTTP_HOST": HOST, "wsgi.url_scheme": "https"})


def sign_in(client: TestApp, username: str, password: str):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", {"username": username, "password": password,
                                  "csrf_token": token, "next": "/profile"},
                       headers={"Referer": f"https://{HOST}/login"}, status="*")


def test_the_builtin_demo_password_does_not_sign_in(production):
    """Fails on main: production.ini served the demo, where alice / demo-password worked."""
    client = https_client(production)
    assert sign_in(client, "alice", "demo-password").status_int == 400
    assert "demo-password" not in client.get("/").text
    assert sign_in(client, "alice", PASSWORD).status_int == 303


def test_nobody_reads_the_admin_pages_unless_named(production):
    """Fails on main: the demo's admin account read the call log with the shared password."""
    client = https_client(production)
    assert sign_in(client, "admin", PASSWORD).status_int == 303
    for path in ("/orcid/admin/calls", "/orcid/admin/items"):
        assert client.get(path, status="*").status_int == 403


def test_plain_http_is_redirected_or_refused(production):
    """Fails on main: the site answered plain http."""
    plain = TestApp(production, extra_environ={"HTTP_HOST": HOST})
    response = plain.get("/orcid/?x=1", status=301)
    assert response.headers["Location"] == f"https://{HOST}/orcid/?x=1"
    assert plain.post("/login", {"username": "alice"}, status="*").status_int == 403


def test_every_page_carries_hsts_and_the_security_headers(production):
    client = https_client(production)
    sign_in(client, "alice", PASSWORD)
    for path in ("/", "/profile", "/orcid/", "/orcid/connect", "/no-such-page"):
        response = client.get(path, status="*")
        assert response.status_int < 500
        for name in ("Strict-Transport-Security", "X-Frame-Options", "Content-Security-Policy",
                     "X-Content-Type-Options", "Referrer-Policy"):
            assert name in response.headers, (path, name)


def test_the_production_app_checks_the_environment_and_the_database_cli(production):
    """``check --db production.ini`` reads what the running app reads."""
    result = CliRunner().invoke(cli, ["check", "--db", INI], catch_exceptions=False)
    assert (result.exit_code, result.output) == (0, "OK\n")


@pytest.mark.parametrize(("override", "words"), [
    ({"demo.password_hash": ""}, "demo.password_hash is not set"),
    ({"demo.embed_emulator": "true"}, "demo.embed_emulator = true is not allowed"),
    ({"demo.https_only": "false"}, "demo.https_only = false is not allowed"),
    ({"orcid.environment": "emulator"}, "orcid.environment = emulator is for development"),
    ({"demo.password_hash": "plain-text"}, "is not a scrypt$N$r$p$salt$hash"),
])
def test_the_production_app_refuses_unsafe_settings(tmp_path, override, words):
    from pyramid.paster import get_appsettings

    from orcid_pyramid.demo.production import main

    settings = {**get_appsettings(INI), "sqlalchemy.url": f"sqlite:///{tmp_path}/x.sqlite"}
    env = production_env(tmp_path)
    settings.update({key: env[value[4:].split("|")[0]] for key, value in settings.items()
                     if value.startswith("env:") and value[4:].split("|")[0] in env})
    settings.update({"orcid.environment": "sandbox", "orcid.base_url": "",
                     "orcid.api_url": ""})
    settings.update(override)
    with pytest.raises(ConfigurationError) as err:
        main({}, **settings)
    assert words in str(err.value)


def test_sync_once_on_production_ini_runs_no_second_background_worker(tmp_path, monkeypatch):
    """``orcid-pyramid sync --once production.ini`` builds the site's app (demo.sync_worker
    = true there) but drains with its own worker only; no demo worker thread is left."""
    import threading

    for name, value in production_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    assert runner.invoke(cli, ["initdb", INI]).exit_code == 0
    result = runner.invoke(cli, ["sync", "--once", INI], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not [t for t in threading.enumerate() if t.name == "orcid-sync-demo" and t.is_alive()]


def test_each_request_is_logged_without_its_query_string(production, caplog):
    """The access log (``demo.access_log``, on in production): method, path and status, never
    the query string (it carries OAuth codes); the rehearsal looks there for 5xx answers."""
    client = https_client(production)
    with caplog.at_level("INFO", logger="orcid_pyramid.demo.access"):
        client.get("/login?code=Q1w2E3&state=s3cr3t-state")
        client.get("/no-such-page", status=404)
    lines = [r.getMessage() for r in caplog.records if r.name == "orcid_pyramid.demo.access"]
    assert lines == ["GET /login answered 200", "GET /no-such-page answered 404"], lines
    assert all(r.levelname == "INFO" for r in caplog.records
               if r.name == "orcid_pyramid.demo.access")


def test_a_server_error_is_logged_at_error(production, caplog):
    """A 5xx (here: the database lost the add-on's table under a signed-in user) is an ERROR
    line of the access log, which is what the rehearsal looks for."""
    from sqlalchemy import text

    client = https_client(production)
    assert sign_in(client, "alice", PASSWORD).status_int == 303
    with production.registry["orcid.dbengine"].begin() as conn:
        conn.execute(text("DROP TABLE orcid_links"))
    caplog.clear()
    with caplog.at_level("INFO", logger="orcid_pyramid.demo.access"):
        answer = client.get("/orcid/", status="*")
    assert answer.status_int >= 500, answer.status
    access = [r for r in caplog.records if r.name == "orcid_pyramid.demo.access"]
    assert [(r.levelname, r.getMessage()) for r in access] == [
        ("ERROR", f"GET /orcid/ answered {answer.status_int}")]
