"""One writer per iD after a request that got no answer (issue 13, item 1).

When the client gives up on a request (its timeout), ORCID may still hold it: the request
left, and ORCID may apply it later. Nothing more may go for that iD until ORCID can no longer
be holding it, neither from the same worker (its next row) nor from another one (which
claims the user once the first gives it back). The emulator's ``timeout`` fault holds each
request longer than the client waits, then answers 504; its call list shows how long it
held each one.
"""

from __future__ import annotations

import threading
import time

from .sync_support import build_world, wait_until, work
from .test_sync_one_writer import _api_calls_by_orcid, _overlaps

WORKS = 3
#: the client gives up after this (connect and read), the emulator holds each request longer
CLIENT_TIMEOUT = 0.3
HELD = 1.0


def _revised_and_faulty(world, emulator) -> int:
    """One researcher's works on ORCID, then revised locally; every request from now on is
    held ``HELD`` seconds and answered 504. Returns where the calls of interest start."""
    world.connect("u0")
    world.put_many("u0", {f"w{n}": work(n) for n in range(WORKS)})
    world.drain()
    world.put_many("u0", {f"w{n}": work(n, title=f"Revised {n}") for n in range(WORKS)})
    emulator.control.set_faults(1.0, ["timeout"], timeout_seconds=HELD)
    return len(emulator.control.calls())


def _run(world, workers: int, seconds: float) -> None:
    made = [world.worker(timeout=CLIENT_TIMEOUT) for _ in range(workers)]
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=w.run_once, kwargs={"deadline": deadline})
               for w in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _member_calls(emulator, start: int) -> list[dict]:
    return [c for c in emulator.control.calls()[start:]
            if c["host"] == "api" and "/v3.0/" in c["path"]]


def _assert_then_everything_lands(world, emulator) -> None:
    """Faults off: one more run sends every revision, once."""
    emulator.control.set_faults(0.0)
    world.drain()
    titles = sorted(item["item"]["title"]["title"]["value"]
                    for item in world.record_items(world.users["u0"]))
    assert titles == [f"Revised {n}" for n in range(WORKS)]


def _faulty_run_overlaps_nothing(emulator, world, workers: int) -> None:
    """``workers`` workers for 3.5 s against the faults: the request is tried again after
    the hold, never while ORCID may still hold an earlier one; then everything lands."""
    start = _revised_and_faulty(world, emulator)
    _run(world, workers, 3.5)
    # the emulator lists a call once it has answered it, HELD after it came: a request that
    # left near the end of the run is listed that much later (read at once, a loaded machine
    # saw only the first call)
    ended = time.monotonic()
    wait_until(lambda: len(_member_calls(emulator, start)) >= 2,
               "the request tried again after the hold", timeout=HELD + 5.0)
    time.sleep(max(0.0, ended + HELD + 0.5 - time.monotonic()))
    calls = _member_calls(emulator, start)
    assert len(calls) >= 2, calls  # the request was tried again after the hold
    assert {c["status"] for c in calls} == {504}
    assert _overlaps(_api_calls_by_orcid(emulator)[world.users["u0"]]) == []
    _assert_then_everything_lands(world, emulator)


def test_after_an_unanswered_request_the_worker_sends_nothing_more_for_that_id_while_orcid_may_hold_it(  # noqa: E501
        emulator_factory, fresh_db_url):
    emulator = emulator_factory()
    _faulty_run_overlaps_nothing(emulator, build_world(emulator, fresh_db_url), 1)


def test_another_worker_does_not_take_the_id_while_orcid_may_hold_an_unanswered_request(
        emulator_factory, pg_url):
    emulator = emulator_factory()
    _faulty_run_overlaps_nothing(emulator, build_world(emulator, pg_url), 3)
