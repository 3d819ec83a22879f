"""After a full flow, no token, code or secret is anywhere in plaintext: not in the database
file, not in any log line (every logger at DEBUG, requests_oauthlib and urllib3 included)."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

from orcid_pyramid.compliance.fixtures.app import (
    DEMO_CLIENT_SECRET,
    SEED_ORCID,
    app_registry,
    approve,
    authorize_request,
    csrf_token,
    local_path,
    stored_link,
)

NOISY = ("", "requests_oauthlib", "oauthlib", "urllib3", "requests", "orcid_pyramid",
         "waitress", "sqlalchemy.engine", "transaction", "txn")


def _log_text(caplog) -> str:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_text:
            lines.append(record.exc_text)
    return "\n".join(lines)


def _db_bytes(app_settings) -> bytes:
    """SQLite: the database file(s) byte for byte. Other databases: every row of every
    orcid_* table as text."""
    url = app_settings["orcid.sqlalchemy.url"]
    if url.startswith("sqlite:///"):
        path = Path(urlsplit(url).path)
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    from sqlalchemy import create_engine, select

    from orcid_pyramid.models import Base

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = [repr(tuple(row)) for table in Base.metadata.sorted_tables
                    for row in connection.execute(select(table))]
    finally:
        engine.dispose()
    return "\n".join(rows).encode()


def test_no_secret_in_database_file_or_logs_after_a_full_flow(testapp, demo_app, login,
                                                              emulator, app_settings, caplog):
    """DM-4 (tokens encrypted at rest) and DM-7 (redacted log): connect, sync works, read the
    admin log, disconnect; then scan the SQLite file and every log record."""
    from orcid_pyramid.sync.worker import Worker

    for name in NOISY:
        caplog.set_level(logging.DEBUG, logger=name)
    login("alice")
    auth = authorize_request(testapp.get("/orcid/connect").text)
    redirect = approve(emulator, auth)
    code = redirect.split("code=")[1].split("&")[0]
    assert testapp.get(local_path(redirect)).status_int == 302
    testapp.post("/works/push", {"csrf_token": csrf_token(testapp.get("/works").text)})
    registry = app_registry(demo_app)
    Worker(registry["orcid.dbengine"], registry["orcid.settings"]).run_once()
    with emulator.state.lock:
        token = next(t for t in emulator.state.tokens.values() if t.orcid == SEED_ORCID)
    secrets = {
        "access token": token.access_token,
        "refresh token": token.refresh_token,
        "authorization code": code,
        "client secret": DEMO_CLIENT_SECRET,
        "token key": app_settings["orcid.token_key"],
        # the id_token is stored (DM-4), encrypted; neither the call log nor a log line has it
        "id_token": registry["orcid.cipher"].decrypt(stored_link(demo_app, "alice").id_token_enc),
    }
    login("admin")
    admin_page = testapp.get("/orcid/admin/calls").text
    stored = _db_bytes(app_settings)
    logs = _log_text(caplog)
    assert "/oauth/token" in logs or "oauth" in admin_page  # the scan saw real traffic
    assert len(stored) > 0
    for label, value in secrets.items():
        assert value.encode() not in stored, f"{label} in the database file"
        assert value not in logs, f"{label} in a log line"
        assert value not in admin_page, f"{label} on the admin page"

    login("alice")
    testapp.post("/orcid/disconnect", {"csrf_token": csrf_token(testapp.get("/works").text)})
    stored = _db_bytes(app_settings)
    logs = _log_text(caplog)
    for label, value in secrets.items():
        assert value.encode() not in stored, f"{label} in the database file after disconnect"
        assert value not in logs, f"{label} in a log line after disconnect"
