"""``put_many`` as a researcher's outbox history grows (issue 13, item 4: costs that grow
linearly). PostgreSQL (``ORCID_PYRAMID_TEST_DATABASE_URL``).

One researcher holds ``--works`` works (default 5,000). Each round the host queues every work
with new content twice (the second ``put_many`` replaces the pending rows of the first), then
the worker sends them; sent rows stay in the outbox until pruned (``orcid.sync_prune_days``),
so the user's history grows by one row per work a round. Per round it prints the rows the
user has in the outbox and the ms per item of each ``put_many``: they must stay flat. (The
replacement once looked the keys up as a filter over the user's every row, once psycopg
prepared the statement and PostgreSQL chose a generic plan: 44 ms per 500 keys at 15,000
rows, growing with the history.)

    python benchmarks/bench_sync_history.py [--works 5000] [--rounds 8]
"""

from __future__ import annotations

import argparse
import time

from bench_sync_common import database, emulator, setup_path, world


def main() -> None:
    setup_path()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--works", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    from sqlalchemy import func, select

    from orcid_pyramid.models.sync import OrcidOutbox
    from tests.functional.sync_support import work

    n = args.works
    print(f"{'round':>5} {'history':>8} {'put_many':>9} {'replacing':>10}  (ms per item)")
    with emulator(rate_limit=None) as handle, database() as url:
        w = world(handle, url, **{"orcid.rate_limit": "10000/10000"})
        w.connect("r0")
        for rnd in range(args.rounds):
            with w.session() as db:
                history = db.execute(select(func.count()).select_from(OrcidOutbox)).scalar_one()
            times = []
            for version in ("a", "b"):
                objects = {f"w{i}": work(i, title=f"Round {rnd}{version} {i}") for i in range(n)}
                started = time.perf_counter()
                w.put_many("r0", objects)
                times.append((time.perf_counter() - started) / n * 1000)
            counts = w.drain()
            assert counts.done == n, counts
            print(f"{rnd:5d} {history:8d} {times[0]:9.3f} {times[1]:10.3f}", flush=True)
        w.engine.dispose()


if __name__ == "__main__":
    main()
