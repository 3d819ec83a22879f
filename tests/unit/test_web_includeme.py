"""includeme: settings checked at startup, the host's session/security checked at commit,
routes under the prefix, request methods."""

from __future__ import annotations

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.session import SignedCookieSessionFactory

from orcid_pyramid.demo.users import DemoSecurityPolicy

BASE = {
    "orcid.environment": "emulator",
    "orcid.base_url": "http://127.0.0.1:9",
    "orcid.client_id": "APP-DEMOCLIENT000001",
    "orcid.client_secret": "s3cret-value",
    "orcid.support_email": "support@example.org",
}


def _config(tmp_path, session=True, security=True, **extra):
    settings = dict(BASE, **{"orcid.sqlalchemy.url": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    settings.update(extra)
    config = Configurator(settings=settings)
    if session:
        config.set_session_factory(SignedCookieSessionFactory("k" * 32))
    if security:
        config.set_security_policy(DemoSecurityPolicy())
    return config


def _dispose(config):
    engine = config.registry.get("orcid.dbengine") if hasattr(config.registry, "get") else None
    if engine is not None:
        engine.dispose()


def test_routes_views_and_request_methods_are_registered(tmp_path):
    """The route names are API; paths sit under orcid.route_prefix."""
    config = _config(tmp_path, **{"orcid.route_prefix": "/account/orcid"})
    config.include("orcid_pyramid")
    app = config.make_wsgi_app()
    from pyramid.interfaces import IRoutesMapper

    mapper = app.registry.queryUtility(IRoutesMapper)
    routes = {r.name: "/" + r.pattern.lstrip("/") for r in mapper.get_routes()}
    assert routes["orcid.panel"] == "/account/orcid/"
    assert routes["orcid.connect"] == "/account/orcid/connect"
    assert routes["orcid.callback"] == "/account/orcid/callback"
    assert routes["orcid.disconnect"] == "/account/orcid/disconnect"
    assert routes["orcid.disconnect.confirm"] == "/account/orcid/disconnect"  # GET: no-JS page
    assert routes["orcid.admin.calls"] == "/account/orcid/admin/calls"
    assert routes["orcid.webhook"] == "/account/orcid/webhook/{token}"
    from pyramid.interfaces import IRequestExtensions

    methods = app.registry.getUtility(IRequestExtensions).descriptors
    assert {"orcid_settings", "orcid_client", "orcid_link", "orcid_cipher", "orcid_db"} <= set(
        methods)
    _dispose(config)


@pytest.mark.parametrize(("session", "security", "words"), [
    (False, True, "config.set_session_factory("),
    (True, False, "config.set_security_policy("),
])
def test_missing_host_session_or_security_fails_at_startup(tmp_path, session, security, words):
    """The add-on needs the host's session factory and security policy and says what to add."""
    config = _config(tmp_path, session=session, security=security)
    config.include("orcid_pyramid")
    with pytest.raises(ConfigurationError) as err:
        config.commit()
    assert words in str(err.value)
    _dispose(config)


def test_bad_settings_fail_fast_with_the_lints_message(tmp_path):
    """A plain-http redirect URI outside the emulator stops the start and says why (DM-2)."""
    config = _config(tmp_path, **{"orcid.environment": "sandbox",
                                  "orcid.base_url": "", "orcid.token_key": "",
                                  "orcid.redirect_uri": "http://site.example/cb"})
    with pytest.raises(ConfigurationError) as err:
        config.include("orcid_pyramid")
    assert "orcid.redirect_uri" in str(err.value) or "https" in str(err.value)


def test_unimportable_user_info_fails_fast(tmp_path):
    """orcid.user_info must name a callable."""
    config = _config(tmp_path, **{"orcid.user_info": "no.such.module:func"})
    with pytest.raises(ConfigurationError) as err:
        config.include("orcid_pyramid")
    assert "orcid.user_info" in str(err.value)
    _dispose(config)


def test_defaults_are_written_back_without_overwriting(tmp_path):
    """Settings read late, defaults filled in, the host's values kept."""
    config = _config(tmp_path, **{"orcid.state_ttl": "120"})
    config.include("orcid_pyramid")
    settings = config.get_settings()
    assert settings["orcid.state_ttl"] == "120"
    assert settings["orcid.route_prefix"] == "/orcid"
    assert config.registry["orcid.settings"].state_ttl == 120
    _dispose(config)


def test_host_that_already_included_jinja2_and_tm_is_fine(tmp_path):
    """Including pyramid_jinja2/pyramid_tm first does not conflict with the add-on."""
    config = _config(tmp_path)
    config.include("pyramid_jinja2")
    config.include("pyramid_tm")
    config.include("orcid_pyramid")
    config.commit()
    _dispose(config)


@pytest.mark.parametrize("reissue_time, warned", [(0, True), (120, False), (None, False)])
def test_a_cookie_session_issued_again_on_every_read_is_warned_about(tmp_path, caplog,
                                                                     reissue_time, warned):
    """Pyramid's default (reissue_time=0) lets a late answer put back a cookie without the
    OAuth state (tests/functional/test_web_session_late_answer.py shows it with the sign-in):
    the host is told at startup, once."""
    config = _config(tmp_path, session=False)
    config.set_session_factory(SignedCookieSessionFactory("k" * 32, reissue_time=reissue_time))
    config.include("orcid_pyramid")
    with caplog.at_level("WARNING", logger="orcid_pyramid"):
        config.make_wsgi_app()
    said = [r.getMessage() for r in caplog.records if "reissue_time" in r.getMessage()]
    assert len(said) == (1 if warned else 0), said
    _dispose(config)
