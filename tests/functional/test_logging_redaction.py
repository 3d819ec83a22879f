"""The logging of development.ini and production.ini cannot write a code, a token or a secret:
their handler redacts every line. Proved with the most talkative settings (Pyramid's debug
logging of every URL and matchdict, DEBUG everywhere) through a real connect and a webhook
delivery."""

from __future__ import annotations

import configparser
import io
import logging
from pathlib import Path

import pytest

from orcid_pyramid.compliance.fixtures.app import (
    DEMO_CLIENT_SECRET,
    approve,
    authorize_request,
    local_path,
    login_as,
)
from orcid_pyramid.sync.webhook import webhook_token

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "webhook-secret-0123456789abcdef"
SEED_ORCID = "0000-0002-1825-0097"


@pytest.fixture
def ini_logging():
    """``configure(ini)``: the ini file's logging, as pserve sets it up, written to a buffer;
    the logging set-up of the test run is restored afterwards."""
    from pyramid.paster import setup_logging

    manager = logging.Logger.manager
    saved = {name: (lg.level, list(lg.handlers), lg.propagate, lg.disabled)
             for name, lg in manager.loggerDict.items() if isinstance(lg, logging.Logger)}
    root = (logging.root.level, list(logging.root.handlers))

    def configure(ini: str) -> io.StringIO:
        setup_logging(str(ROOT / ini))
        stream = io.StringIO()
        for handler in logging.root.handlers:
            handler.setStream(stream)
        for logger in [logging.root] + [lg for lg in manager.loggerDict.values()
                                        if isinstance(lg, logging.Logger)]:
            logger.setLevel(logging.DEBUG)
        return stream

    yield configure
    for handler in logging.root.handlers:
        if handler not in root[1]:
            handler.close()
    logging.root.setLevel(root[0])
    logging.root.handlers[:] = root[1]
    for name, lg in manager.loggerDict.items():
        if isinstance(lg, logging.Logger):
            level, handlers, propagate, disabled = saved.get(name, (0, [], True, False))
            lg.setLevel(level)
            lg.handlers[:] = handlers
            lg.propagate, lg.disabled = propagate, disabled


def test_development_ini_does_not_ask_pyramid_to_log_every_url():
    """Fails on main: debug_authorization = true logged the callback URL with its code."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "development.ini")
    assert parser["app:main"]["pyramid.debug_authorization"] == "false"


@pytest.mark.parametrize("ini", ["development.ini", "production.ini"])
def test_the_log_holds_no_code_no_webhook_token_and_no_secret(ini, ini_logging,
                                                              demo_app_factory, emulator):
    """Fails on main: the callback's code and the webhook path token were in the log."""
    from webtest import TestApp

    app = TestApp(demo_app_factory(**{
        "pyramid.debug_authorization": "true", "pyramid.debug_notfound": "true",
        "pyramid.debug_routematch": "true", "orcid.webhook_secret": WEBHOOK_SECRET,
        "orcid.features": "openid collect connect-activities webhooks"}),
        extra_environ={"HTTP_HOST": "localhost"})
    stream = ini_logging(ini)
    login_as(app, "alice")
    callback = approve(emulator, authorize_request(app.get("/orcid/connect").text))
    code = callback.split("code=")[1].split("&")[0]
    assert app.get(local_path(callback)).status_int == 302
    token = webhook_token(WEBHOOK_SECRET, SEED_ORCID)
    app.post(f"/orcid/webhook/{token}", status="*")
    app.get(f"/orcid/nowhere?code={code}", status="*")
    logging.getLogger("orcid_pyramid.test").info("client secret %s", DEMO_CLIENT_SECRET)
    text = stream.getvalue()
    assert "[redacted]" in text and "/orcid/callback" in text  # the log did talk
    for secret in (code, token, DEMO_CLIENT_SECRET, WEBHOOK_SECRET):
        assert secret not in text, secret
