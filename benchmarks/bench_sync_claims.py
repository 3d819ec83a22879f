"""Claiming a researcher and giving them back, before and now, side by side (issue 13, items 2
and 4: the worker's CPU per researcher, which on a first push of one bulk each decides how
far apart the researchers' first requests leave).

Each thread of ``orcid-pyramid sync`` takes a researcher with a conditional update of their
lock row (``Claimer._take``), commits, and gives them back when done (``Lease.give_back``,
committed with the last outcomes). Before, both statements were built with SQLAlchemy for
each researcher and the claim went through the ORM session's execution; now, on PostgreSQL,
the driver takes them as written (``_CLAIM_PG``, ``_GIVE_BACK_PG`` in
``orcid_pyramid/sync/lease.py``), as the fence already was.

N researchers with free lock rows; rounds alternate between the two: each claims every
researcher, commits, gives each back and commits, on one session. Printed: the median CPU of
this process (the worker's side: PostgreSQL's own work is the same statement either way) per
researcher claimed and given back, the ratio, and whether both took and gave back every
researcher. The reference statements are those of ``orcid_pyramid/sync/lease.py`` at commit
b34e7bd, copied below; they live only here.

    ORCID_PYRAMID_TEST_DATABASE_URL=postgresql+psycopg://... \\
        .venv/bin/python benchmarks/bench_sync_claims.py [--researchers 200] [--rounds 7]

PostgreSQL only (SQLite keeps the statements built with SQLAlchemy).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta

from bench_sync_common import database, setup_path


def reference_take(session, user_id: str, token: str, now, until) -> bool:
    """``Claimer._take`` on PostgreSQL as of b34e7bd (without the marker's recovery: the
    benchmark's rows have none)."""
    from sqlalchemy import or_, select, update

    from orcid_pyramid.sync.lease import _LOCKS

    free = or_(_LOCKS.c.locked_until.is_(None), _LOCKS.c.locked_until < now)
    target = _LOCKS.c.user_id == (
        select(_LOCKS.c.user_id).where(_LOCKS.c.user_id == user_id, free)
        .with_for_update(skip_locked=True).scalar_subquery())
    taken = session.execute(
        update(_LOCKS).where(target, free).values(locked_by=token, locked_until=until)
        .returning(_LOCKS.c.posting)
    ).first()
    return taken is not None


def reference_give_back(session, user_id: str, token: str) -> None:
    """``Lease.give_back(outcomes_recorded=True)`` as of b34e7bd."""
    from sqlalchemy import update

    from orcid_pyramid.sync.lease import _LOCKS

    session.connection().execute(
        update(_LOCKS).where(_LOCKS.c.user_id == user_id, _LOCKS.c.locked_by == token)
        .values(locked_by=None, locked_until=None, posting=None))


def one_round(session, users: list[str], now_code: bool, round_no: int) -> tuple[float, int]:
    """CPU seconds of this process per researcher claimed and given back; how many were."""
    from orcid_pyramid.models.meta import utcnow
    from orcid_pyramid.sync.lease import Claimer, Lease

    claimer = Claimer(f"bench:{round_no}", 60.0, 21.0, is_postgres=True)
    now = utcnow()
    until = now + timedelta(seconds=60)
    tokens = {user: f"bench:{round_no}#{i}" for i, user in enumerate(users)}
    started = time.process_time()
    taken = 0
    for user in users:
        if now_code:
            taken += claimer._take(session, user, tokens[user], now, until)
        else:
            taken += reference_take(session, user, tokens[user], now, until)
        session.commit()
    for user in users:
        if now_code:
            Lease(session, user, tokens[user], 60.0, 21.0).give_back(outcomes_recorded=True)
        else:
            reference_give_back(session, user, tokens[user])
        session.commit()
    return (time.process_time() - started) / len(users), taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--researchers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if not os.environ.get("ORCID_PYRAMID_TEST_DATABASE_URL", "").strip():
        raise SystemExit("PostgreSQL only: set ORCID_PYRAMID_TEST_DATABASE_URL")
    setup_path()
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from orcid_pyramid.models import Base, get_engine
    from orcid_pyramid.models.sync import OrcidSyncLock

    with database() as url:
        engine = get_engine(url)
        Base.metadata.create_all(engine)
        users = [f"bench-{i}" for i in range(args.researchers)]
        with Session(engine) as session:
            session.add_all([OrcidSyncLock(user_id=user) for user in users])
            session.commit()
        figures: dict[bool, list[float]] = {False: [], True: []}
        complete = True
        with Session(engine, expire_on_commit=False) as session:
            for round_no in range(args.rounds * 2 + 2):
                now_code = bool(round_no % 2)
                cpu, taken = one_round(session, users, now_code, round_no)
                if round_no >= 2:  # the first round of each warms its statements
                    figures[now_code].append(cpu)
                held = session.execute(select(OrcidSyncLock.user_id).where(
                    OrcidSyncLock.locked_by.is_not(None))).all()
                session.commit()
                complete = complete and taken == len(users) and not held
        engine.dispose()
    before = statistics.median(figures[False]) * 1000
    now_ms = statistics.median(figures[True]) * 1000
    print(f"{args.researchers} researchers, {args.rounds} rounds each, alternating")
    print(f"claim + give back, CPU of the worker per researcher: before {before:.3f} ms, "
          f"now {now_ms:.3f} ms: {before / now_ms:.2f}x less")
    print(f"every researcher taken and given back in every round by both: {complete}")


if __name__ == "__main__":
    main()
