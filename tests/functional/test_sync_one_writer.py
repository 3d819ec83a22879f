"""One writer per iD (issue "Collect, Connect and Synchronize"): never two requests in flight
for one researcher's record, while several researchers still proceed side by side.

The proof comes from the emulator's own call list: each member-API call has its start
(``time``) and how long the emulator held it (``duration_ms``, the injected latency
included). For each iD, every call must end before the next one starts.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from .sync_support import build_world, employment, work

WORKS_PER_USER = 250  # three bulk POSTs each (100 + 100 + 50)


def _api_calls_by_orcid(emulator) -> dict[str, list[dict]]:
    by_orcid: dict[str, list[dict]] = defaultdict(list)
    for call in emulator.control.calls():
        if call["host"] == "api" and "/v3.0/" in call["path"]:
            by_orcid[call["orcid"]].append(call)
    return {orcid: sorted(calls, key=lambda c: c["time"]) for orcid, calls in by_orcid.items()}


def _overlaps(calls: list[dict]) -> list[tuple[int, int]]:
    """Pairs of call indexes where the second started before the first had ended."""
    found = []
    for before, after in zip(calls, calls[1:], strict=False):
        if after["time"] < before["time"] + before["duration_ms"] / 1000.0:
            found.append((before["index"], after["index"]))
    return found


def test_the_worker_sends_one_request_at_a_time_per_orcid(emulator_factory, fresh_db_url):
    # latency keeps each call open long enough that parallel calls would overlap
    emulator = emulator_factory(latency_ms=40)
    world = build_world(emulator, fresh_db_url)
    users = [f"u{n}" for n in range(3)]
    for user_id in users:
        world.connect(user_id)
        world.put_many(user_id, {f"{user_id}-w{i}": work(i, doi_prefix=f"10.5555/{user_id}")
                                 for i in range(WORKS_PER_USER)})
        world.put(user_id, f"{user_id}-job", employment())
    workers = 1 if world.engine.dialect.name == "sqlite" else 3
    made = [world.worker() for _ in range(workers)]
    threads = [threading.Thread(target=w.run_once) for w in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(w.counts.posted for w in made) == len(users) * (WORKS_PER_USER + 1)
    by_orcid = _api_calls_by_orcid(emulator)
    assert set(by_orcid) == set(world.users.values())
    for orcid, calls in by_orcid.items():
        bulk = [c for c in calls if c["method"] == "POST" and c["path"].endswith("/works")]
        assert len(bulk) == 3, (orcid, calls)  # the case where parallel chunks were possible
        assert _overlaps(calls) == [], f"calls for {orcid} overlapped"
        assert len(world.record_items(orcid)) == WORKS_PER_USER


def test_the_overlap_check_sees_calls_in_flight_together():
    """The check itself: two calls for one iD held open at the same time are caught."""
    calls = [{"index": 0, "time": 100.0, "duration_ms": 50.0},
             {"index": 1, "time": 100.02, "duration_ms": 50.0},
             {"index": 2, "time": 100.2, "duration_ms": 10.0}]
    assert _overlaps(calls) == [(0, 1)]
