"""A first import on a new install: ``put_many`` as the outbox grows from empty (issue 13).

A host's backfill queues every researcher's works right after ``initdb``: 400 researchers x 50
works through ``SyncService.put_many``, one transaction per researcher, on one connection (as a
script or one web process would). Side by side in one run, each on a fresh database:

- ``generic``: psycopg's defaults for every statement: one is prepared on its fifth run on a
  connection, and PostgreSQL's ``plan_cache_mode = auto`` then keeps a generic plan once it
  costs no more than the custom ones (the add-on's engine before ``models.plan_for_the_values``);
- ``custom``: the add-on's engine now: the per-key lookups (``sync.rows.by_key``) are never
  prepared, each run planned for its values; the other statements as before.

Prints ms per work for each 2,500 rows queued, and the ratio for the last 2,500 (the aim: at
most 0.5 ms per work, flat as the table grows). Needs PostgreSQL
(``ORCID_PYRAMID_TEST_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from bench_sync_common import database, setup_path

SLICE = 2500


def one_run(custom: bool, researchers: int, works: int) -> list[float]:
    """ms per work for each ``SLICE`` rows queued, on a fresh database."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from orcid_pyramid.models import Base, plan_for_the_values
    from orcid_pyramid.sync.service import SyncService
    from tests.functional.sync_support import work

    figures = []
    with database() as url:
        engine = create_engine(url, pool_size=1, max_overflow=0)
        if custom:
            plan_for_the_values(engine)
        Base.metadata.create_all(engine)
        sessions = sessionmaker(bind=engine)
        queued, started = 0, time.perf_counter()
        for user in range(researchers):
            with sessions() as db:
                SyncService(db).put_many(f"r{user}", {f"w{i}": work(user * 1000 + i)
                                                      for i in range(works)})
                db.commit()
            queued += works
            if queued % SLICE == 0:
                now = time.perf_counter()
                figures.append((now - started) / SLICE * 1000)
                started = now
        engine.dispose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--researchers", type=int, default=400)
    parser.add_argument("--works", type=int, default=50)
    args = parser.parse_args()
    setup_path()
    if not os.environ.get("ORCID_PYRAMID_TEST_DATABASE_URL", "").startswith("postgresql"):
        print("needs PostgreSQL: set ORCID_PYRAMID_TEST_DATABASE_URL", file=sys.stderr)
        return 2
    generic = one_run(False, args.researchers, args.works)
    custom = one_run(True, args.researchers, args.works)
    print(f"{'rows':>7} {'generic ms/work':>16} {'custom ms/work':>15}")
    for index, (before, after) in enumerate(zip(generic, custom, strict=True)):
        print(f"{(index + 1) * SLICE:7,d} {before:16.3f} {after:15.3f}")
    print(f"last {SLICE:,} rows: generic / custom = {generic[-1] / custom[-1]:.1f}x "
          f"(aim: custom at most 0.5 ms per work, flat)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
