"""``orcid-pyramid sync`` sizes its threads to the researchers waiting (PostgreSQL, issue 13).

Each thread sends for one researcher at a time, so the number of threads bounds the requests
in flight: with a fixed 16 and ORCID taking a second per bulk, no more than 16 requests a
second could leave, two thirds of ORCID's 24. The command starts one thread per researcher
with changes to send (up to 64); run without ``--once`` it keeps one thread looking for work
and starts more, each second, for researchers whose changes have fallen due since, and those
stop once nothing is left to take; none is started for researchers another worker holds.

Seen from outside: the requests the emulator holds at once, and the threads of the process
(``/proc/PID/task``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from orcid_pyramid.models.meta import utcnow
from orcid_pyramid.models.sync import OrcidOutbox, OrcidSyncLock

from .sync_support import build_world, site_ini, wait_until, work

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]

RESEARCHERS = 30
#: ORCID's time for one bulk here: long enough that every researcher's POST is in flight
#: before the first answer comes back, whatever the machine's speed
LATENCY_MS = 1500


def _world(emulator_factory, pg_url):
    emulator = emulator_factory(rate_limit="24/40")
    world = build_world(emulator, pg_url, **{"orcid.rate_limit": "24/40"})
    for n in range(RESEARCHERS):
        world.connect(f"u{n}")
    emulator.control.set_latency(LATENCY_MS)  # for the API calls that follow
    return emulator, world


def _queue(world) -> None:
    for n in range(RESEARCHERS):
        world.put(f"u{n}", "w1", work(n))


def _sync(tmp_path, world, *args: str) -> subprocess.Popen:
    ini = site_ini(tmp_path, world, rate_limit="24/40")
    return subprocess.Popen([sys.executable, "-m", "orcid_pyramid", "sync", ini, *args],
                            env={**os.environ, "PYTHONPATH": os.getcwd()},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _most_posts_at_once(emulator, start: int) -> int:
    """The most bulk POSTs the emulator held at one moment (from its call log)."""
    posts = [c for c in emulator.control.calls()[start:]
             if c["method"] == "POST" and c["path"].endswith("/works")]
    assert len(posts) == RESEARCHERS
    return max(sum(1 for other in posts
                   if other["time"] <= post["time"] < other["time"] + other["duration_ms"] / 1000)
               for post in posts)


def _pending(world) -> int:
    with world.session() as db:
        return len(db.execute(select(OrcidOutbox.id).where(OrcidOutbox.done_at.is_(None)))
                   .all())


def _threads(pid: int) -> int:
    return len(os.listdir(Path("/proc") / str(pid) / "task"))


@pytest.mark.parametrize("due_in", [0, 3], ids=["due now", "due in 3 s"])
def test_sync_once_sends_for_every_waiting_researcher_at_once(emulator_factory, pg_url,
                                                              tmp_path, due_in):
    """All together, not one by one: due now (16 threads, the old default, held 16, then the
    other 14 after the first answers), or due later (retried after ORCID was down, say):
    ``--once`` waits for them in one thread and starts threads for them once they fall due."""
    emulator, world = _world(emulator_factory, pg_url)
    _queue(world)
    if due_in:
        with world.session() as db:
            db.execute(update(OrcidOutbox).values(
                next_attempt_at=utcnow() + timedelta(seconds=due_in)))
            db.commit()
    start = len(emulator.control.calls())
    proc = _sync(tmp_path, world, "--once")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    assert _pending(world) == 0
    assert _most_posts_at_once(emulator, start) >= RESEARCHERS - 4


@contextmanager
def _running(tmp_path, world):
    """``orcid-pyramid sync CONFIG`` (no ``--once``), started and past its first look for
    work; killed on the way out if a failed assertion left it running."""
    proc = _sync(tmp_path, world)
    try:
        wait_until(lambda: proc.poll() is not None or _threads(proc.pid) > 1,
                   "the command to start", timeout=60)
        time.sleep(2)  # its threads started and found nothing to send
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()


def _interrupt(proc) -> str:
    """Ctrl-C: the command stops and prints its summary; its standard output."""
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-3000:]
    return out


def test_sync_without_once_starts_threads_for_work_due_later_and_stops_them_after(
        emulator_factory, pg_url, tmp_path):
    emulator, world = _world(emulator_factory, pg_url)
    _queue(world)
    with world.session() as db:  # not due yet (queuing 30 researchers one by one takes a
        # while on a busy machine: they are to fall due together)
        db.execute(update(OrcidOutbox).values(next_attempt_at=utcnow() + timedelta(hours=1)))
        db.commit()
    with _running(tmp_path, world) as proc:
        idle = _threads(proc.pid)
        start = len(emulator.control.calls())
        with world.session() as db:  # while the command runs, 30 researchers fall due
            db.execute(update(OrcidOutbox).values(next_attempt_at=utcnow()))
            db.commit()
        wait_until(lambda: proc.poll() is not None or _pending(world) == 0,
                   "the queued works to be sent", timeout=120)
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert _most_posts_at_once(emulator, start) >= RESEARCHERS - 4
        # the threads started for them stop once nothing is left: an idle site has one
        # thread looking for work, not one per researcher of its last push
        wait_until(lambda: _threads(proc.pid) <= idle, "the extra threads to stop",
                   timeout=60)
        out = _interrupt(proc)
    posted = next(line for line in out.splitlines() if "posted (new)" in line)
    assert str(RESEARCHERS) in posted, out


def test_sync_starts_no_thread_for_researchers_another_worker_holds(emulator_factory, pg_url,
                                                                    tmp_path):
    """Another process holds the researchers' leases (it is sending for them): a thread
    started for them would find nobody to take, every second. Once the leases lapse, the
    command sends for all of them."""
    emulator, world = _world(emulator_factory, pg_url)
    _queue(world)
    with world.session() as db:
        db.execute(insert(OrcidSyncLock), [
            {"user_id": f"u{n}", "locked_by": "other-machine:1#1",
             "locked_until": utcnow() + timedelta(hours=1)} for n in range(RESEARCHERS)])
        db.commit()
    with _running(tmp_path, world) as proc:
        idle = _threads(proc.pid)
        seen = []
        for _ in range(250):  # 2.5 s: the command counts the researchers due every second
            seen.append(_threads(proc.pid))
            time.sleep(0.01)
        assert max(seen) <= idle, (idle, sorted(set(seen)))
        with world.session() as db:  # the other process's leases lapse
            db.execute(update(OrcidSyncLock).values(locked_until=utcnow() - timedelta(seconds=1)))
            db.commit()
        wait_until(lambda: proc.poll() is not None or _pending(world) == 0,
                   "the works to be sent once the leases lapse", timeout=120)
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        _interrupt(proc)
