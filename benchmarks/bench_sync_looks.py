"""The worker's look for researchers with due work, before and now, side by side (issue 13,
item 4: costs that grow linearly).

Each ``orcid-pyramid sync`` process looks for researchers with due rows once for up to 64
claims of its threads and at least once a second (``orcid_pyramid.sync.lease``). The look
before grouped every due row of the outbox by researcher; now it reads the due rows in due
order, 16,384 at first (``LOOK_ROWS``), more only when the researchers other threads hold
fill them. Here the outbox holds N due rows, 100 works for each of N / 100 researchers
(oldest first), the 64 oldest researchers held by other threads (their rows come first,
as in a push), and both tables analysed, as the worker leaves them. For each N the two
looks alternate; printed: the median time of each (PostgreSQL executes it, this process
waits), their ratio, the share of one database core that one look a second takes, and
whether both found the same 64 researchers in the same order. Then the same for the count
of researchers due that ``orcid-pyramid sync`` (without ``--once``) makes each second while
fewer than 64 threads run: every due row counted before, one look now (the count need not
go past 64).

The reference look is ``Claimer._due_users`` of ``orcid_pyramid/sync/lease.py`` at commit
4a7b338, the reference count ``researchers_waiting(engine)`` of
``orcid_pyramid/cli/sync.py`` there; their statements are copied below and live only here.

    ORCID_PYRAMID_TEST_DATABASE_URL=postgresql+psycopg://... \\
        .venv/bin/python benchmarks/bench_sync_looks.py [--sizes 10000,100000,1000000]

Without that variable the look runs on SQLite.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

from bench_sync_common import database, setup_path

WORKS_EACH = 100
HELD = 64


def reference_look(session, now, free) -> list[str]:
    """The look as of 4a7b338: every due row, grouped by researcher."""
    from sqlalchemy import func, or_, select

    from orcid_pyramid.models.sync import OrcidOutbox, OrcidSyncLock

    due = (select(OrcidOutbox.user_id, func.max(OrcidSyncLock.user_id))
           .outerjoin(OrcidSyncLock, OrcidSyncLock.user_id == OrcidOutbox.user_id)
           .where(OrcidOutbox.done_at.is_(None), OrcidOutbox.next_attempt_at <= now,
                  or_(OrcidSyncLock.user_id.is_(None), free))
           .group_by(OrcidOutbox.user_id)
           .order_by(func.min(OrcidOutbox.next_attempt_at))
           .limit(64))
    found = session.execute(due).all()
    session.commit()
    return [user_id for user_id, _ in found]


def reference_count(engine, now) -> int:
    """The count as of 4a7b338: every due row of researchers nobody holds."""
    from sqlalchemy import func, or_, select

    from orcid_pyramid.models.sync import OrcidOutbox, OrcidSyncLock

    query = (select(func.count(func.distinct(OrcidOutbox.user_id)))
             .where(OrcidOutbox.done_at.is_(None))
             .outerjoin(OrcidSyncLock, OrcidSyncLock.user_id == OrcidOutbox.user_id)
             .where(OrcidOutbox.next_attempt_at <= now,
                    or_(OrcidSyncLock.locked_until.is_(None),
                        OrcidSyncLock.locked_until < now)))
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()


def fill(engine, rows: int) -> None:
    """``rows`` due outbox rows (``WORKS_EACH`` a researcher, the oldest first), a lock row
    for every researcher, the ``HELD`` oldest held by another worker; then ANALYZE."""
    from sqlalchemy import insert, text

    from orcid_pyramid.models.meta import utcnow
    from orcid_pyramid.models.sync import OrcidOutbox, OrcidSyncLock

    now = utcnow()
    researchers = rows // WORKS_EACH
    start = now - timedelta(hours=1)
    with engine.begin() as conn:
        for first in range(0, rows, 20_000):
            conn.execute(insert(OrcidOutbox), [
                {"user_id": f"r{i // WORKS_EACH:07d}", "section": "work",
                 "local_key": f"w{i % WORKS_EACH}", "action": "put", "payload": None,
                 "content_hash": None, "title": "", "created_at": now, "attempts": 0,
                 # one researcher's works queued together; researchers one after the other
                 "next_attempt_at": start + timedelta(microseconds=i)}
                for i in range(first, min(rows, first + 20_000))])
        conn.execute(insert(OrcidSyncLock), [
            {"user_id": f"r{r:07d}",
             "locked_by": "elsewhere#1" if r < HELD else None,
             "locked_until": now + timedelta(hours=1) if r < HELD else None}
            for r in range(researchers)])
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE orcid_outbox"))
            conn.execute(text("ANALYZE orcid_sync_locks"))
        else:
            conn.execute(text("ANALYZE"))


def measure(rows: int, rounds: int) -> dict:
    from sqlalchemy import create_engine, or_
    from sqlalchemy.orm import Session

    from orcid_pyramid.cli.sync import researchers_waiting
    from orcid_pyramid.models import Base
    from orcid_pyramid.models.meta import utcnow
    from orcid_pyramid.models.sync import OrcidSyncLock
    from orcid_pyramid.sync.lease import POOL_SIZE, Claimer

    with database() as url:
        engine = create_engine(url)
        Base.metadata.create_all(engine)
        fill(engine, rows)
        claimer = Claimer("bench", 60, 21, is_postgres=engine.dialect.name == "postgresql")
        now = utcnow()
        free = or_(OrcidSyncLock.locked_until.is_(None), OrcidSyncLock.locked_until < now)
        times = {"before": [], "now": [], "count before": [], "count now": []}
        found = {}
        counts = {"count before": lambda: reference_count(engine, now),
                  "count now": lambda: researchers_waiting(engine)}
        with Session(engine) as session:
            looks = {"before": lambda: reference_look(session, now, free),
                     "now": lambda: claimer._due_users(session, now)}
            for _ in range(rounds):
                for name, look in {**looks, **counts}.items():
                    started = time.perf_counter()
                    found[name] = look()
                    times[name].append(time.perf_counter() - started)
        engine.dispose()
    ms = {name: statistics.median(seconds) * 1000 for name, seconds in times.items()}
    return {"rows": rows, "before_ms": ms["before"], "now_ms": ms["now"],
            "ratio": ms["before"] / ms["now"], "same": found["before"] == found["now"],
            "found": len(found["now"]), "count_before_ms": ms["count before"],
            "count_now_ms": ms["count now"], "count_ratio": ms["count before"] / ms["count now"],
            "counted": (found["count before"], found["count now"]),
            "same_count": min(found["count before"], POOL_SIZE) == found["count now"]}


def main() -> None:
    setup_path()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="due rows in the outbox (100 a researcher)")
    parser.add_argument("--rounds", type=int, default=7, help="looks of each kind per size")
    args = parser.parse_args()
    print(f"{'due rows':>9} {'before':>10} {'now':>10} {'ratio':>7} "
          f"{'core before':>11} {'core now':>9}  same researchers (found)")
    figures = []
    for rows in (int(x) for x in args.sizes.split(",")):
        m = measure(rows, args.rounds)
        figures.append(m)
        print(f"{m['rows']:>9,} {m['before_ms']:>7.1f} ms {m['now_ms']:>7.1f} ms "
              f"{m['ratio']:>6.1f}x {m['before_ms'] / 10:>10.1f}% {m['now_ms'] / 10:>8.1f}%  "
              f"{'yes' if m['same'] else 'NO'} ({m['found']})", flush=True)
    print("the count of researchers due, once a second without --once (before: all of them; "
          "now: up to 64)")
    print(f"{'due rows':>9} {'before':>10} {'now':>10} {'ratio':>7} "
          f"{'core before':>11} {'core now':>9}  same up to 64 (before, now)")
    for m in figures:
        print(f"{m['rows']:>9,} {m['count_before_ms']:>7.1f} ms {m['count_now_ms']:>7.1f} ms "
              f"{m['count_ratio']:>6.1f}x {m['count_before_ms'] / 10:>10.1f}% "
              f"{m['count_now_ms'] / 10:>8.1f}%  {'yes' if m['same_count'] else 'NO'} "
              f"{m['counted']}")


if __name__ == "__main__":
    main()
