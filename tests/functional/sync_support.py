"""Shared set-up for the sync tests: a database, settings, researchers connected to the emulator.

Nothing is faked but the emulator: researchers are created through its control API, sign in
(``/_emulator/authorize``), and their codes are exchanged by the real client over HTTP; the
links are stored encrypted exactly as the callback stores them.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field

from orcid_pyramid.client import Endpoints, OrcidClient
from orcid_pyramid.compliance.fixtures.app import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from orcid_pyramid.crypto import TokenCipher, generate_key
from orcid_pyramid.models import Base, OrcidLink, get_engine
from orcid_pyramid.settings import load_settings
from orcid_pyramid.sync.builders import (
    DisambiguatedOrganization,
    Employment,
    ExternalId,
    Organization,
    Work,
)
from orcid_pyramid.sync.service import SyncService
from orcid_pyramid.sync.worker import Worker

CLIENT_ID = DEMO_CLIENT_ID
CLIENT_SECRET = DEMO_CLIENT_SECRET
REDIRECT = "https://site.example.org/orcid/callback"
SCOPE = "/read-limited /activities/update"
_counter = itertools.count(1)


def make_settings(emulator, db_url: str, **extra) -> object:
    """``OrcidSettings`` for the emulator (fast rate limit unless ``orcid.rate_limit`` given)."""
    values = {
        "orcid.environment": "emulator",
        "orcid.base_url": emulator.base_url,
        "orcid.api_url": emulator.api_url,
        "orcid.client_id": CLIENT_ID,
        "orcid.client_secret": CLIENT_SECRET,
        "orcid.support_email": "support@example.org",
        "orcid.token_key": generate_key(),
        "orcid.rate_limit": "1000/1000",
        "orcid.redirect_uri": REDIRECT,
        "orcid.webhook_secret": "webhook-secret-for-tests",
        "sqlalchemy.url": db_url,
    }
    values.update({k: str(v) for k, v in extra.items()})
    return load_settings(values)


@dataclass
class SyncWorld:
    """An emulator, a database with the add-on's tables and settings pointing at both."""

    emulator: object
    engine: object
    settings: object
    users: dict = field(default_factory=dict)  # user_id -> orcid

    @property
    def cipher(self) -> TokenCipher:
        """The cipher for the stored tokens."""
        return TokenCipher.from_settings(self.settings)

    def session(self):
        """A new plain session (the test commits)."""
        from sqlalchemy.orm import Session

        return Session(bind=self.engine, expire_on_commit=False)

    def client(self, **kwargs) -> OrcidClient:
        """A real client for the emulator."""
        endpoints = Endpoints(self.settings.base_url, self.settings.api_url)
        return OrcidClient(endpoints, CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT, **kwargs)

    def connect(self, user_id: str, *, given: str = "Test") -> str:
        """Create a researcher on the emulator, sign them in and store their link."""
        n = next(_counter)
        orcid = self.emulator.control.add_user(given, f"Researcher{n}",
                                               f"r{n}-{user_id}@example.org", "password-123")
        redirect = self.emulator.control.authorize(orcid, CLIENT_ID, SCOPE, REDIRECT, state="s")
        code = redirect.split("code=", 1)[1].split("&", 1)[0]
        token = self.client().exchange_code(code)
        with self.session() as db:
            db.add(OrcidLink(user_id=user_id, orcid=orcid, scope=" ".join(token.scopes),
                             access_token_enc=self.cipher.encrypt(token.access_token),
                             refresh_token_enc=self.cipher.encrypt(token.refresh_token or "x")))
            db.commit()
        self.users[user_id] = orcid
        return orcid

    def put(self, user_id: str, local_key: str, item) -> None:
        """The host changes an object and asks for it on ORCID, in its own transaction."""
        with self.session() as db:
            SyncService(db, self.settings).put(user_id, local_key, item)
            db.commit()

    def put_many(self, user_id: str, items: dict) -> None:
        """The host changes several objects of one user in one transaction."""
        with self.session() as db:
            SyncService(db, self.settings).put_many(user_id, items)
            db.commit()

    def remove(self, user_id: str, local_key: str, section: str) -> None:
        """The host deletes an object."""
        with self.session() as db:
            SyncService(db, self.settings).remove(user_id, local_key, section)
            db.commit()

    def worker(self, **kwargs) -> Worker:
        """A worker on this world's database."""
        kwargs.setdefault("backoff_base", 0.01)
        return Worker(self.engine, self.settings, **kwargs)

    def drain(self, **kwargs):
        """Run one worker until nothing is pending."""
        return self.worker(**kwargs).run_once()

    def record_items(self, orcid: str, section: str = "works") -> list[dict]:
        """The items of one section of the emulator's record (control API)."""
        record = self.emulator.control.record(orcid)
        return section_items(record, section)


def one_pass(worker):
    """``worker``'s loop, stopped once it has been through the due researchers' rows (however
    long that takes on a loaded machine: a deadline of a few tenths of a second stopped it
    before its first request there); its counts."""
    stop = threading.Event()
    return worker.run_once(stop=stop, progress=lambda counts: stop.set())


def wait_until(condition, what: str, timeout: float = 15.0, interval: float = 0.02) -> None:
    """Poll ``condition()`` until it is true; fail naming ``what`` after ``timeout`` seconds
    (a generous bound: a slow machine only makes the wait longer, never the test wrong)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout} s")
        time.sleep(interval)


def assert_each_work_once_and_synced(world, orcid: str, works: int) -> None:
    """The record holds each of the ``works`` DOIs once, no outbox row is left, and every
    registry row is synced with a put code of its own (after a worker was killed, say)."""
    from collections import Counter

    from sqlalchemy import select

    from orcid_pyramid.models.sync import OrcidItem, OrcidOutbox

    dois = Counter(w["item"]["external-ids"]["external-id"][0]["external-id-value"]
                   for w in world.record_items(orcid))
    assert len(dois) == works and set(dois.values()) == {1}
    with world.session() as db:
        assert db.execute(select(OrcidOutbox).where(OrcidOutbox.done_at.is_(None))).all() == []
        items = db.execute(select(OrcidItem)).scalars().all()
    assert len(items) == works and {i.status for i in items} == {"synced"}
    assert len({i.put_code for i in items}) == works


def take_over(world, user_id: str) -> float:
    """Another writer takes ``user_id`` over, as a claim does once a lease has lapsed; the
    time it did."""
    from datetime import timedelta

    from sqlalchemy import update

    from orcid_pyramid.models.meta import utcnow
    from orcid_pyramid.models.sync import OrcidSyncLock

    with world.session() as db:
        db.execute(update(OrcidSyncLock).where(OrcidSyncLock.user_id == user_id)
                   .values(locked_by="another-worker#1",
                           locked_until=utcnow() + timedelta(hours=1)))
        db.commit()
    return time.time()


def section_items(record: dict, section: str) -> list[dict]:
    """Items of ``section`` in the control API's record dump."""
    return list((record.get("sections") or {}).get(section, []))


def build_world(emulator, db_url: str, **settings) -> SyncWorld:
    """Create the tables on ``db_url`` and return the world."""
    engine = get_engine(db_url)
    if engine.dialect.name == "sqlite":
        from sqlalchemy import event

        @event.listens_for(engine, "connect")
        def _fast(dbapi_connection, record):  # test speed only: no fsync per commit
            dbapi_connection.execute("PRAGMA synchronous=OFF")

    Base.metadata.create_all(engine)
    return SyncWorld(emulator, engine, make_settings(emulator, db_url, **settings))


def work(n: int, title: str | None = None, doi_prefix: str = "10.5555/test") -> Work:
    """A valid journal article with a DOI."""
    return Work(title=title or f"Work number {n}", type="journal-article",
                external_ids=[ExternalId("doi", f"{doi_prefix}.{n}")])


def employment(role: str = "Professor") -> Employment:
    """A valid employment at a ROR-identified organisation."""
    org = Organization("Boston University", "Boston", None, "US",
                       DisambiguatedOrganization("05qwgg493", "ROR"))
    return Employment(organization=org, role_title=role, start_date="2020-01")


def host_app(global_config, **settings):
    """A minimal host for ``orcid-pyramid sync CONFIG`` in tests (paste ``call:`` factory).

    With the setting ``test.events_file``, its subscribers append each ``OrcidItemChanged``
    / ``OrcidItemDeleted`` they receive to that file, one JSON line each (what a host's
    subscriber would do with them, observable from the test).
    """
    from pyramid.config import Configurator

    from orcid_pyramid.events import OrcidItemChanged, OrcidItemDeleted

    events_file = settings.get("test.events_file")
    with Configurator(settings=settings) as config:
        config.include("orcid_pyramid.models")
        config.include("orcid_pyramid.sync")
        if events_file:
            def record(event) -> None:
                line = {"event": type(event).__name__, "user_id": event.user_id,
                        "orcid": event.orcid, "section": event.section,
                        "put_code": event.put_code,
                        "local_key": event.details.get("local_key")}
                with open(events_file, "a", encoding="utf-8") as out:
                    out.write(json.dumps(line) + "\n")

            config.add_subscriber(record, OrcidItemChanged)
            config.add_subscriber(record, OrcidItemDeleted)
        return config.make_wsgi_app()


def site_ini(tmp_path, world, extra: str = "", *, rate_limit: str = "1000/1000") -> str:
    """A site ini for ``orcid-pyramid sync``: :func:`host_app` on the world's database and
    emulator, plus ``extra`` lines; returns its path."""
    s = world.settings
    path = tmp_path / "site.ini"
    path.write_text(f"""[app:main]
use = call:tests.functional.sync_support:host_app
sqlalchemy.url = {s.sqlalchemy_url.replace("%", "%%")}
orcid.environment = emulator
orcid.base_url = {s.base_url}
orcid.api_url = {s.api_url}
orcid.client_id = {s.client_id}
orcid.client_secret = {s.client_secret}
orcid.token_key = {",".join(s.token_keys)}
orcid.support_email = support@example.org
orcid.rate_limit = {rate_limit}
{extra}
""")
    return str(path)
