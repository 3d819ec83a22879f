"""Tokens at rest and the request session: what lands on disk, and request.orcid_db."""

from __future__ import annotations

import pytest
import transaction
from pyramid.config import Configurator
from pyramid.response import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from webtest import TestApp

from orcid_pyramid.crypto import TokenCipher, generate_key
from orcid_pyramid.models import (
    Base,
    OrcidLink,
    get_engine,
    get_session_factory,
    get_tm_session,
)

ACCESS = "89f0181c-168b-4d7d-831c-1fdda2d7bbbb"
REFRESH = "69e883f6-d84e-4ae6-87f5-ef0044e3e9a7"
ID_TOKEN = ("eyJraWQiOiJzYW5kYm94LW9yY2lkLW9yZy0zIiwiYWxnIjoiUlMyNTYifQ."
            "eyJzdWIiOiIwMDAwLTAwMDItMTgyNS0wMDk3In0.c2lnbmF0dXJlLW9mLXRoZS1pZC10b2tlbg")


def test_the_sqlite_file_holds_no_plaintext_token(tmp_path):
    path = tmp_path / "scan.sqlite"
    engine = get_engine(f"sqlite:///{path}")
    cipher = TokenCipher([generate_key()])
    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        session.add(OrcidLink(user_id="alice", orcid="0000-0002-1825-0097",
                              access_token_enc=cipher.encrypt(ACCESS),
                              refresh_token_enc=cipher.encrypt(REFRESH),
                              id_token_enc=cipher.encrypt(ID_TOKEN), scope="/read-limited"))
    engine.dispose()
    raw = path.read_bytes()
    assert b"0000-0002-1825-0097" in raw  # the scan does see the row's plain columns
    assert ACCESS.encode() not in raw and REFRESH.encode() not in raw
    assert ID_TOKEN.encode() not in raw and ID_TOKEN.split(".")[2].encode() not in raw
    assert ACCESS.replace("-", "").encode() not in raw


def test_get_tm_session_commits_and_aborts_with_the_transaction(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'tm.sqlite'}")
    Base.metadata.create_all(engine)
    factory = get_session_factory(engine)
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        get_tm_session(factory, manager).add(OrcidLink(user_id="a", orcid="0000-0000-0000-0001"))
    manager.begin()
    get_tm_session(factory, manager).add(OrcidLink(user_id="b", orcid="0000-0000-0000-0002"))
    manager.abort()
    with Session(engine) as session:
        assert session.scalars(select(OrcidLink.user_id)).all() == ["a"]
    engine.dispose()



def test_tm_sessions_of_one_factory_each_join_their_own_manager(tmp_path):
    # zope.sqlalchemy's events are on the factory once: each session must still join only
    # the manager it was made for, and a plain session of the same factory none
    engine = get_engine(f"sqlite:///{tmp_path / 'tm2.sqlite'}")
    Base.metadata.create_all(engine)
    factory = get_session_factory(engine)
    first, second = (transaction.TransactionManager(explicit=True) for _ in range(2))
    first.begin()
    second.begin()
    get_tm_session(factory, first).add(OrcidLink(user_id="a", orcid="0000-0000-0000-0001"))
    get_tm_session(factory, second).add(OrcidLink(user_id="b", orcid="0000-0000-0000-0002"))
    with factory() as plain:  # commits by itself, as services/state.py does
        plain.add(OrcidLink(user_id="c", orcid="0000-0000-0000-0003"))
        plain.commit()
    second.abort()
    first.commit()
    third = transaction.TransactionManager(explicit=True)
    third.begin()
    joined = get_tm_session(factory, third)
    joined.add(OrcidLink(user_id="d", orcid="0000-0000-0000-0004"))
    with pytest.raises(AssertionError, match="transaction manager"):
        joined.commit()  # a joined session commits through its manager only
    third.abort()
    with Session(engine) as session:
        assert sorted(session.scalars(select(OrcidLink.user_id))) == ["a", "c"]
    engine.dispose()

def _app(settings: dict):
    def add(request):
        request.orcid_db.add(OrcidLink(user_id=request.params["u"], orcid=request.params["o"]))
        if request.params.get("fail"):
            raise RuntimeError("the host's view failed after writing")
        return Response("ok")

    with Configurator(settings=settings) as config:
        config.include("orcid_pyramid.models")
        config.add_route("add", "/add")
        config.add_view(add, route_name="add")
        return config.make_wsgi_app()


def test_request_orcid_db_joins_the_request_transaction(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    app = TestApp(_app({"orcid.sqlalchemy.url": url, "orcid.create_tables": "true"}))
    app.get("/add", {"u": "alice", "o": "0000-0002-1825-0097"})
    with pytest.raises(RuntimeError):
        app.get("/add", {"u": "bob", "o": "0000-0001-5109-3700", "fail": "1"})
    engine = get_engine(url)
    with Session(engine) as session:
        assert session.scalars(select(OrcidLink.user_id)).all() == ["alice"]
    engine.dispose()


def test_the_test_hooks_give_the_app_a_shared_engine_and_session(db_engine, dbsession):
    app = TestApp(_app({"orcid.dbengine": db_engine}),
                  extra_environ={"orcid.dbsession": dbsession})
    app.get("/add", {"u": "hooked", "o": "0000-0003-1415-9269"})
    dbsession.flush()
    count = dbsession.scalar(select(func.count()).select_from(OrcidLink)
                             .where(OrcidLink.user_id == "hooked"))
    assert count == 1  # seen through the test's own session, rolled back after the test


def test_without_create_tables_nothing_is_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'none.sqlite'}"
    _app({"orcid.sqlalchemy.url": url})
    engine = get_engine(url)
    with engine.connect() as connection:
        assert not engine.dialect.has_table(connection, "orcid_links")
    engine.dispose()
