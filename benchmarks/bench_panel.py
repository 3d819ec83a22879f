"""Panel page cost: the add-on's panel vs the same page from a bare Pyramid + Jinja2 view.

All apps run in process (WebTest), on the same SQLite file holding one connected user with
two synced works, with the same session factory and security policy. The bare view reads the
same two tables with a plain SQLAlchemy session and renders an equivalent template. Printed:
median latency of each, their ratio (aim <= 1.3x), the same against a bare view that also
uses pyramid_tm + zope.sqlalchemy like most SQLAlchemy hosts, and the SQL statements per panel page
(counted with a ``before_cursor_execute`` listener; aim 1).

    .venv/bin/python benchmarks/bench_panel.py [--requests 400]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BARE_TEMPLATE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Your ORCID iD</title>
<link rel="stylesheet" href="{{ request.static_url('orcid_pyramid:static/orcid.css') }}">
</head><body><main><div class="orcid-panel"><h1>Your ORCID iD</h1><dl>
<dt>ORCID iD</dt><dd>
<a class="orcid-id" href="{{ uri }}" aria-label="ORCID record of {{ name }}: {{ uri }}">
<img src="{{ request.static_url('orcid_pyramid:static/orcid-id.svg') }}" alt="ORCID iD icon">
{{ uri }}</a></dd>
<dt>Name on ORCID</dt><dd>{{ name }}</dd><dt>Connected</dt><dd>{{ connected }}</dd>
<dt>You allowed this site to</dt>
<dd><ul>{% for w in words %}<li>{{ w }}</li>{% endfor %}</ul></dd></dl>
<table>{% for i in items %}
<tr><td>{{ i.section }}</td><td>{{ i.title }}</td><td>{{ i.status }}</td></tr>
{% endfor %}</table>
<form method="post" action="/orcid/disconnect">
<input type="hidden" name="csrf_token" value="{{ get_csrf_token() }}">
<button type="submit">Disconnect your ORCID iD</button></form></div></main></body></html>
"""


def _seed(engine, cipher) -> None:
    from sqlalchemy.orm import Session

    from orcid_pyramid.models import OrcidLink
    from orcid_pyramid.models.sync import OrcidItem

    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(OrcidLink(
            user_id="alice", orcid="0000-0002-1825-0097", name="Josiah Carberry",
            access_token_enc=cipher.encrypt("a" * 36), refresh_token_enc=cipher.encrypt("r" * 36),
            token_type="bearer", scope="openid /read-limited /activities/update",
            expires_at=datetime(2046, 1, 1, tzinfo=UTC), id_token_claims={"sub": "x"}))
        titles = ("The Semiotics of the Lost Umbrella", "Toward a Unified Theory")
        for n, title in enumerate(titles):
            session.add(OrcidItem(user_id="alice", orcid="0000-0002-1825-0097", section="work",
                                  local_key=f"alice-{n}", put_code=100 + n, title=title,
                                  status="synced", updated_at=now))
        session.commit()


def _addon_app(db_url: str):
    from orcid_pyramid.demo import main

    return main({}, **{
        "orcid.environment": "emulator", "orcid.base_url": "http://127.0.0.1:9",
        "orcid.client_id": "APP-DEMOCLIENT000001", "orcid.client_secret": "demo-client-secret",
        "orcid.support_email": "support@example.org", "orcid.sqlalchemy.url": db_url,
        "orcid.create_tables": "true", "demo.session_secret": "bench-secret-0123456789",
    })


def _bare_app(engine, template_dir: Path, with_tm: bool = False):
    from pyramid.config import Configurator
    from pyramid.session import SignedCookieSessionFactory
    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    from orcid_pyramid.demo.users import DemoSecurityPolicy
    from orcid_pyramid.models import OrcidLink
    from orcid_pyramid.models.sync import OrcidItem
    from orcid_pyramid.views.panel import permissions_in_words

    (template_dir / "bare.jinja2").write_text(BARE_TEMPLATE)
    factory = sessionmaker(bind=engine)

    def open_session(request):
        if not with_tm:
            return factory()
        import zope.sqlalchemy

        session = factory()
        zope.sqlalchemy.register(session, transaction_manager=request.tm)
        return session

    def panel(request):
        with open_session(request) as db:
            link = db.execute(select(OrcidLink).where(
                OrcidLink.user_id == request.authenticated_userid)).scalar_one()
            items = db.execute(select(OrcidItem).where(OrcidItem.user_id == link.user_id)
                               .order_by(OrcidItem.section, OrcidItem.title)).scalars().all()
            return {"uri": f"https://sandbox.orcid.org/{link.orcid}", "name": link.name,
                    "connected": link.created_at.strftime("%d %B %Y"),
                    "words": permissions_in_words(link.scopes), "items": items}

    def login(request):
        from pyramid.security import remember

        request.response.headers.extend(remember(request, "alice"))
        return request.response

    config = Configurator(settings={"jinja2.directories": str(template_dir)})
    config.include("pyramid_jinja2")
    if with_tm:
        config.include("pyramid_tm")
    config.set_session_factory(SignedCookieSessionFactory("bench-secret-0123456789"))
    config.set_security_policy(DemoSecurityPolicy())
    config.add_static_view("orcid-static", "orcid_pyramid:static/")
    config.add_route("panel", "/orcid/")
    config.add_route("login", "/login")
    config.add_view(panel, route_name="panel", renderer="bare.jinja2")
    config.add_view(login, route_name="login")
    return config.make_wsgi_app()


def _time(app, path: str) -> float:
    started = time.perf_counter()
    response = app.get(path)
    elapsed = time.perf_counter() - started
    assert response.status_int == 200, response.status
    return elapsed


def run(requests: int) -> dict:
    """Measure and return the figures (also printed by ``main``)."""
    from sqlalchemy import event
    from webtest import TestApp

    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        addon = _addon_app(db_url)
        engine = addon.registry["orcid.dbengine"]
        _seed(engine, addon.registry["orcid.cipher"])
        bare = _bare_app(engine, Path(tmp))
        web_addon = TestApp(addon, extra_environ={"HTTP_HOST": "localhost"})
        page = web_addon.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        web_addon.post("/login", {"username": "alice", "password": "demo-password",
                                  "csrf_token": token})
        web_bare = TestApp(bare, extra_environ={"HTTP_HOST": "localhost"})
        web_bare.get("/login")
        web_tm = TestApp(_bare_app(engine, Path(tmp), with_tm=True),
                         extra_environ={"HTTP_HOST": "localhost"})
        web_tm.get("/login")
        assert "0000-0002-1825-0097" in web_addon.get("/orcid/").text
        assert "0000-0002-1825-0097" in web_bare.get("/orcid/").text

        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        web_addon.get("/orcid/")
        per_page = list(statements)
        event.remove(engine, "before_cursor_execute", count)

        for _ in range(50):  # warm all up (template compile, pools)
            _time(web_addon, "/orcid/")
            _time(web_bare, "/orcid/")
            _time(web_tm, "/orcid/")
        addon_times, bare_times, tm_times = [], [], []
        for _ in range(requests):  # interleaved, so machine noise hits all alike
            addon_times.append(_time(web_addon, "/orcid/"))
            bare_times.append(_time(web_bare, "/orcid/"))
            tm_times.append(_time(web_tm, "/orcid/"))
        engine.dispose()
    addon_ms = statistics.median(addon_times) * 1000
    bare_ms = statistics.median(bare_times) * 1000
    tm_ms = statistics.median(tm_times) * 1000
    return {"requests": requests, "addon_median_ms": round(addon_ms, 3),
            "bare_median_ms": round(bare_ms, 3), "ratio": round(addon_ms / bare_ms, 2),
            "bare_tm_median_ms": round(tm_ms, 3), "ratio_tm": round(addon_ms / tm_ms, 2),
            "sql_per_panel": len(per_page),
            "sql": [" ".join(s.split())[:90] for s in per_page]}


def main() -> None:
    """Command line: run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    figures = run(parser.parse_args().requests)
    print(f"panel with the add-on : median {figures['addon_median_ms']:.2f} ms")
    print(f"bare Pyramid + Jinja2 : median {figures['bare_median_ms']:.2f} ms")
    print(f"ratio                 : {figures['ratio']:.2f}x (aim <= 1.3x)")
    print(f"bare + pyramid_tm     : median {figures['bare_tm_median_ms']:.2f} ms "
          f"(ratio {figures['ratio_tm']:.2f}x: the share of the transaction machinery)")
    print(f"SQL per panel page    : {figures['sql_per_panel']} (aim 1)")
    for statement in figures["sql"]:
        print(f"  - {statement}")


if __name__ == "__main__":
    main()
