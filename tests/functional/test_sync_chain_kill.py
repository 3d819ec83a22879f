"""A researcher's bulks follow one another without writing in between: the put codes of the
bulks ORCID answered wait in memory, and the fence before each bulk names every work not
written yet (issue 13). ``orcid-pyramid sync`` is killed (SIGKILL) while its third bulk's
answer is on its way, no put code written: the next run reads the record and adopts the works
instead of posting them again. Nothing is lost or duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import select

from orcid_pyramid.models.sync import OrcidItem, OrcidSyncLock

from .sync_support import (
    assert_each_work_once_and_synced,
    build_world,
    site_ini,
    wait_until,
    work,
)

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]

WORKS = 300  # three bulks


def _sync(ini: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "orcid_pyramid", "sync", ini, "--once"],
                            env={**os.environ, "PYTHONPATH": os.getcwd()},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_worker_killed_between_two_bulks_loses_and_duplicates_nothing(
        emulator_factory, fresh_db_url, tmp_path):
    emulator = emulator_factory(rate_limit="none")
    world = build_world(emulator, fresh_db_url)
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n) for n in range(WORKS)})
    emulator.control.set_latency(1500)
    ini = site_ini(tmp_path, world, "orcid.sync_lease = 2\norcid.timeout = 3")
    start = len(emulator.control.calls())

    def posts() -> list[dict]:
        return [c for c in emulator.control.calls()[start:]
                if c["method"] == "POST" and c["path"].endswith("/works")]

    victim = _sync(ini)
    try:
        # ORCID stores a bulk when it arrives and answers 1.5 s later: once the record holds
        # all 300 works, the third bulk's answer is still on its way
        wait_until(lambda: len(world.record_items(orcid)) == WORKS,
                   "the third bulk to reach ORCID", timeout=60)
        with world.session() as db:
            marker = db.execute(select(OrcidSyncLock.posting)
                                .where(OrcidSyncLock.user_id == "u1")).scalar_one()
            written = db.execute(select(OrcidItem.id)
                                 .where(OrcidItem.put_code.is_not(None))).all()
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
    finally:
        if victim.poll() is None:
            victim.kill()
    # no put code was written yet; the marker names the works of all three bulks
    assert written == [] and len(marker.split(",")) == WORKS
    emulator.control.set_latency(0)

    survivor = _sync(ini)
    _, err = survivor.communicate(timeout=120)
    assert survivor.returncode == 0, err[-3000:]
    calls = [c for c in emulator.control.calls()[start:] if c["host"] == "api"]
    # the three bulks were read back and adopted, not posted again, and no work was PUT
    # (ORCID holds what was sent)
    assert len(posts()) == 3
    assert [c for c in calls if c["method"] == "PUT"] == []
    assert any(c["method"] == "GET" and c["path"].endswith("/works") for c in calls)
    assert_each_work_once_and_synced(world, orcid, WORKS)
