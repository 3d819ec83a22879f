"""Two ``orcid-pyramid sync`` processes with threads on one PostgreSQL; one is killed with
SIGKILL in the middle of its bulk POSTs (issue 13, item 6). The other takes its researchers
over once their leases lapse, reconciles the POSTs whose answers were lost, and nothing is
lost or duplicated; no two requests for one iD ever overlap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from orcid_pyramid.models.meta import utcnow
from orcid_pyramid.models.sync import OrcidItem, OrcidOutbox, OrcidSyncLock

from .sync_support import build_world, site_ini, wait_until, work
from .test_sync_one_writer import _api_calls_by_orcid, _overlaps

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]

USERS = 6
WORKS = 250  # three bulk POSTs each


def _ini(tmp_path, world) -> str:
    return site_ini(tmp_path, world, "orcid.timeout = 2\norcid.sync_lease = 2",
                    rate_limit="24/40")


def _sync(ini: str):
    return subprocess.Popen([sys.executable, "-m", "orcid_pyramid", "sync", ini, "--once",
                             "--workers", "3"], env={**os.environ, "PYTHONPATH": os.getcwd()},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_worker_process_killed_mid_batch_loses_and_duplicates_nothing(
        emulator_factory, pg_url, tmp_path):
    emulator = emulator_factory(rate_limit="24/40", latency_ms=300)
    world = build_world(emulator, pg_url, **{"orcid.rate_limit": "24/40"})
    for u in range(USERS):
        world.connect(f"u{u}")
        world.put_many(f"u{u}", {f"w{n}": work(u * 1000 + n) for n in range(WORKS)})
    with world.session() as db:  # both processes start sending at the same moment
        db.execute(update(OrcidOutbox).values(next_attempt_at=utcnow() + timedelta(seconds=6)))
        db.commit()
    ini = _ini(tmp_path, world)
    start = len(emulator.control.calls())
    victim, survivor = _sync(ini), _sync(ini)

    def posts() -> list[dict]:
        return [c for c in emulator.control.calls()[start:]
                if c["method"] == "POST" and c["path"].endswith("/works")]

    def victim_mid_batch() -> bool:
        # the victim holds a researcher whose bulks ORCID may hold unrecorded: the lease row
        # names them (set by the fence before a bulk, cleared when its put codes are
        # written). Killed only then, it has something in flight whatever the machine's
        # speed (killed once both had posted, a slow CI run's victim had nothing left)
        with world.session() as db:
            return db.execute(select(OrcidSyncLock.user_id).where(
                OrcidSyncLock.locked_by.like(f"%:{victim.pid}:%"),
                OrcidSyncLock.posting.is_not(None))).first() is not None

    try:
        wait_until(lambda: len({c["orcid"] for c in posts()}) >= 4 and victim_mid_batch(),
                   "both processes to post, the victim in the middle of a batch", timeout=60)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        _, err = survivor.communicate(timeout=120)
    finally:
        for proc in (victim, survivor):
            if proc.poll() is None:
                proc.kill()
    assert survivor.returncode == 0, err[-3000:]

    calls = [c for c in emulator.control.calls()[start:]
             if c["host"] == "api" and "/v3.0/" in c["path"]]
    assert Counter(c["status"] for c in calls if c["method"] == "POST") == {200: len(posts())}
    # the bulks in flight at the kill were reconciled (read, adopted, compared), not posted
    # again: a second POST would have come back 409 per work and each would have been PUT
    assert [c for c in calls if c["method"] == "PUT"] == []
    assert any(c["method"] == "GET" and c["path"].endswith("/works") for c in calls)
    for orcid in world.users.values():
        dois = Counter(w["item"]["external-ids"]["external-id"][0]["external-id-value"]
                       for w in world.record_items(orcid))
        assert len(dois) == WORKS and set(dois.values()) == {1}, orcid
    with world.session() as db:
        assert db.execute(select(OrcidOutbox).where(OrcidOutbox.done_at.is_(None))).all() == []
        items = db.execute(select(OrcidItem)).scalars().all()
    assert len(items) == USERS * WORKS
    assert {i.status for i in items} == {"synced"} and all(i.put_code for i in items)
    assert len({i.put_code for i in items}) == USERS * WORKS
    overlapping = {o: _overlaps(c) for o, c in _api_calls_by_orcid(emulator).items()}
    assert {o: pairs for o, pairs in overlapping.items() if pairs} == {}
