"""Webhooks and pull: ORCID's callback reaches our view, which queues a read of the record;
the sync worker reads it and tells the host what the researcher changed there; registration
at connect time; the path token."""

from __future__ import annotations

import threading
import time

import pytest
import transaction
from pyramid.config import Configurator
from sqlalchemy import select
from waitress.server import create_server
from webtest import TestApp

from orcid_pyramid.events import OrcidConnected, OrcidItemChanged, OrcidItemDeleted
from orcid_pyramid.models.sync import OrcidItem, OrcidPullCursor
from orcid_pyramid.sync.pull import pull_all
from orcid_pyramid.sync.webhook import webhook_token
from orcid_pyramid.sync.worker import Worker

from .sync_support import build_world, work

SECRET = "webhook-secret-for-tests"


def make_app(world, events: list):
    """A minimal host: pyramid_tm, the add-on's models and the sync include."""
    settings = {"orcid.dbengine": world.engine, "orcid.environment": "emulator",
                "orcid.base_url": world.settings.base_url,
                "orcid.api_url": world.settings.api_url,
                "orcid.client_id": world.settings.client_id,
                "orcid.client_secret": world.settings.client_secret,
                "orcid.token_key": ",".join(world.settings.token_keys),
                "orcid.support_email": "support@example.org",
                "orcid.features": "collect connect-activities webhooks",
                "orcid.rate_limit": "1000/1000",
                "orcid.webhook_secret": SECRET, "orcid.webhook_debounce": "0",
                "sqlalchemy.url": "sqlite://"}
    with Configurator(settings=settings) as config:
        config.include("orcid_pyramid.models")
        config.include("orcid_pyramid.sync")
        config.add_subscriber(events.append, OrcidItemDeleted)
        config.add_subscriber(events.append, OrcidItemChanged)

        def connected(request):  # what the callback view does after storing the link
            request.registry.notify(OrcidConnected(request, request.matchdict["user"],
                                                   world.users[request.matchdict["user"]]))
            return request.response

        config.add_route("test.connected", "/test-connected/{user}")
        config.add_view(connected, route_name="test.connected")
        return config.make_wsgi_app()


@pytest.fixture
def world(emulator, fresh_db_url):
    return build_world(emulator, fresh_db_url)


@pytest.fixture
def served(world):
    """The host app on a real socket, so the emulator can call it."""
    events: list = []
    app = make_app(world, events)
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}", events, app
    server.close()
    thread.join(5)


def _item(world, key):
    with world.session() as db:
        return db.execute(select(OrcidItem).where(OrcidItem.local_key == key)).scalar_one()


def test_the_webhook_path_token_is_refused_when_forged_or_malformed(world):
    app = TestApp(make_app(world, []))
    orcid = world.connect("u1")
    good = webhook_token(SECRET, orcid)
    assert app.post(f"/orcid/webhook/{good}", status=204).body == b""
    forged = good[:-1] + ("0" if good[-1] != "0" else "1")
    for token in (forged, "nonsense", good[:16], "x" * 56, good + "00"):
        response = app.post(f"/orcid/webhook/{token}", status=404)
        assert orcid not in response.text and "Traceback" not in response.text
    other = webhook_token(SECRET, "0000-0002-1825-0097")  # well-formed, nobody linked
    app.post(f"/orcid/webhook/{other}", status=404)


def test_a_deletion_on_orcid_reaches_the_host_through_the_registered_webhook(world, emulator,
                                                                             served):
    base, events, app = served
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1))
    world.drain()
    import requests

    requests.get(f"{base}/test-connected/u1", timeout=10).raise_for_status()
    hooks = emulator.control.webhooks()
    registered = [h["callback"] for h in hooks["webhooks"]]
    assert registered == [f"{base}/orcid/webhook/{webhook_token(SECRET, orcid)}"]
    put_code = _item(world, "w1").put_code
    emulator.control.delete_item(orcid, "work", put_code)
    for _ in range(200):  # the emulator delivers from its own thread; 204 = committed
        if any(d["status"] == 204 for d in emulator.control.webhooks()["deliveries"]):
            break
        time.sleep(0.05)
    assert events == []  # the delivery only queued the read
    Worker.from_registry(app.registry).run_once()
    assert [(type(e).__name__, e.user_id, e.put_code) for e in events] == [
        ("OrcidItemDeleted", "u1", put_code)]
    item = _item(world, "w1")
    assert item.status == "deleted_on_orcid" and item.put_code is None


def _api_calls(emulator, since: int, orcid: str) -> list[dict]:
    return [c for c in emulator.control.calls()[since:]
            if c["host"] == "api" and orcid in c["path"]]


def test_deliveries_call_no_orcid_and_the_worker_reads_once_for_several(world, emulator):
    """A burst of deliveries: each answered 204 without any call to ORCID from the web
    thread (fails on old main: each delivery read the record in the request); the worker's
    next loop reads the record once for all of them and the host hears of the deletion."""
    events: list = []
    app = make_app(world, events)
    web = TestApp(app)
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1))
    world.drain()
    put_code = _item(world, "w1").put_code
    emulator.control.delete_item(orcid, "work", put_code)
    before = len(emulator.control.calls())
    for _ in range(3):
        web.post(f"/orcid/webhook/{webhook_token(SECRET, orcid)}", status=204)
    assert [c for c in emulator.control.calls()[before:]
            if not c["path"].startswith("/_emulator")] == []
    assert events == []
    Worker.from_registry(app.registry).run_once()
    reads = _api_calls(emulator, before, orcid)
    assert [(c["method"], c["path"].rsplit("/", 1)[-1]) for c in reads] == [
        ("GET", "activities")]
    assert [(type(e).__name__, e.put_code) for e in events] == [("OrcidItemDeleted", put_code)]
    before = len(emulator.control.calls())
    Worker.from_registry(app.registry).run_once()  # nothing queued any more: no read
    assert _api_calls(emulator, before, orcid) == []


def test_a_delivery_waits_the_debounce_before_the_worker_reads(world, emulator):
    """With ``orcid.webhook_debounce`` the read is not due yet: a worker loop right after the
    delivery makes no call; it is still queued for a later loop."""
    from orcid_pyramid.models.tasks import OrcidTask

    app = make_app(world, [])
    app.registry["orcid.settings"] = world.settings.__class__(
        **{**world.settings.__dict__, "webhook_debounce": 3600.0})
    orcid = world.connect("u1")
    TestApp(app).post(f"/orcid/webhook/{webhook_token(SECRET, orcid)}", status=204)
    before = len(emulator.control.calls())
    Worker.from_registry(app.registry).run_once()
    assert _api_calls(emulator, before, orcid) == []
    with world.session() as db:
        assert [t.orcid for t in db.execute(select(OrcidTask)).scalars()] == [orcid]


def test_a_read_orcid_did_not_answer_stays_queued_until_it_does(world, emulator):
    """ORCID down when the worker makes the queued read: the task stays (backing off) and a
    later loop with ORCID back reads the record; the host hears of the deletion then."""
    from datetime import timedelta

    from sqlalchemy import update

    from orcid_pyramid.models.meta import utcnow
    from orcid_pyramid.models.tasks import OrcidTask

    events: list = []
    app = make_app(world, events)
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1))
    world.drain()
    put_code = _item(world, "w1").put_code
    emulator.control.delete_item(orcid, "work", put_code)
    TestApp(app).post(f"/orcid/webhook/{webhook_token(SECRET, orcid)}", status=204)
    emulator.control.set_faults(1.0, ["503"])
    try:
        Worker.from_registry(app.registry).run_once()
    finally:
        emulator.control.set_faults(0)
    assert events == []
    with world.session() as db:
        task = db.execute(select(OrcidTask)).scalar_one()
        assert task.attempts == 1 and task.due_at > utcnow()
        # the back-off is over (moved, not waited for)
        db.execute(update(OrcidTask).values(due_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    Worker.from_registry(app.registry).run_once()
    assert [(type(e).__name__, e.put_code) for e in events] == [("OrcidItemDeleted", put_code)]
    with world.session() as db:
        assert db.execute(select(OrcidTask)).scalars().all() == []


def test_pull_reads_each_record_once_and_skips_it_when_nothing_changed(world, emulator):
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1))
    world.put("u1", "w2", work(2))
    world.drain()
    events: list = []
    client = world.client()
    with world.session() as db:
        first = pull_all(db, client, world.cipher, notify=events.append)
        db.commit()
    assert first.deleted == [] and events == []
    with world.session() as db:
        assert db.get(OrcidPullCursor, orcid).last_modified is not None
    before = len(emulator.control.calls())
    with world.session() as db:
        second = pull_all(db, client, world.cipher, notify=events.append)
        db.commit()
    assert second.unchanged == 1
    assert len([c for c in emulator.control.calls()[before:] if c["host"] == "api"]) == 1
    emulator.control.delete_item(orcid, "work", _item(world, "w2").put_code)
    with world.session() as db:
        third = pull_all(db, client, world.cipher, notify=events.append)
        db.commit()
    assert [k for k, _ in third.deleted] == ["work"]
    assert [type(e).__name__ for e in events] == ["OrcidItemDeleted"]
    assert _item(world, "w2").status == "deleted_on_orcid"
    assert _item(world, "w1").status == "synced"


def test_request_orcid_sync_writes_in_the_requests_transaction(world):
    from pyramid.scripting import prepare

    env = prepare(registry=make_app(world, []).registry)
    request = env["request"]
    request.tm = transaction.TransactionManager(explicit=True)
    try:
        request.tm.begin()
        request.orcid_sync.put("u9", "w1", work(1))
        request.tm.abort()
        with world.session() as db:
            assert db.execute(select(OrcidItem)).scalars().all() == []
        with request.tm:
            del request.orcid_db
            request.orcid_sync.put("u9", "w1", work(1))
        with world.session() as db:
            assert [i.local_key for i in db.execute(select(OrcidItem)).scalars()] == ["w1"]
    finally:
        env["closer"]()
