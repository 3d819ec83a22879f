"""Costs that must grow linearly with the number of items (issue 13, item 4), per item at
2,500, 5,000 and 10,000 items, spread over 20 researchers and held by one researcher:

- queuing with ``put`` (one call per object, one transaction per researcher) and with
  ``put_many`` (aim: at most 0.5 ms per item either way);
- the worker's CPU per item sent on the first push (emulator without rate limit or latency,
  in its own process), and PostgreSQL's (every server process on this machine; PostgreSQL
  only): one researcher with 10,000 works must cost per work what 20 with 500 each do (the
  first read of a researcher's due rows once joined them with the registry in a statement
  that PostgreSQL, without statistics of tables just filled, ran as a nested loop: the
  database's CPU per work grew with the researcher's number of works);
- a re-sync with nothing changed (every object queued again with the same content): no call,
  and the same time per item at every size.

- the CPU of one host transaction that queues 1, 5 or 20 works (``--call-sizes``): what a
  web request that adds a few works pays, mostly the transaction's own statements.

``--sizes`` changes the sizes, ``--researchers`` the spreads (default ``20,1``): with many
researchers of a few works each (``--sizes 5000 --researchers 250,50``), PostgreSQL's CPU per
work must stay near what 50 researchers cost (each researcher's reads once went through every
unfinished row of the outbox while the tables had no statistics: see
``orcid_pyramid.sync.statistics``). PostgreSQL with ``ORCID_PYRAMID_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import time

from bench_sync_common import database, emulator, setup_path, world

RESEARCHERS = 20


def one_size(handle, n: int, researchers: int = RESEARCHERS) -> dict:
    """The per-item figures for ``n`` items over ``researchers`` on a fresh database."""
    from bench_sync_shapes import postgres_cpu

    from tests.functional.sync_support import work

    per = n // researchers
    with database() as url:
        w = world(handle, url, **{"orcid.rate_limit": "10000/10000"})
        users = [f"r{r}-{n}" for r in range(researchers)]
        for user in users:
            w.connect(user)
        objects = {user: {f"w{i}": work(r * 100_000 + i) for i in range(per)}
                   for r, user in enumerate(users)}
        from orcid_pyramid.sync.service import SyncService

        cpu, started = time.process_time(), time.perf_counter()
        for user in users:
            with w.session() as db:
                service = SyncService(db, w.settings)
                for key, item in objects[user].items():
                    service.put(user, key, item)
                db.commit()
        put_s, put_cpu = time.perf_counter() - started, time.process_time() - cpu
        is_pg = url.startswith("postgresql")
        cpu, started, db = time.process_time(), time.perf_counter(), is_pg and postgres_cpu()
        first = w.drain()
        push_cpu, push_s = time.process_time() - cpu, time.perf_counter() - started
        push_db = postgres_cpu() - db if is_pg else float("nan")
        calls_before = len(handle.control.calls())
        cpu, started = time.process_time(), time.perf_counter()
        for user in users:
            w.put_many(user, objects[user])
        put_many_s, many_cpu = time.perf_counter() - started, time.process_time() - cpu
        cpu, started = time.process_time(), time.perf_counter()
        again = w.drain()
        resync_s, resync_cpu = time.perf_counter() - started, time.process_time() - cpu
        calls = sum(1 for c in handle.control.calls()[calls_before:]
                    if c["host"] == "api" and "/v3.0/" in c["path"])
        w.engine.dispose()
    assert first.posted == n and again.unchanged == n, (first, again)
    per = 1000 / n
    return {"put": put_s * per, "put_cpu": put_cpu * per, "put_many": put_many_s * per,
            "many_cpu": many_cpu * per, "push_cpu": push_cpu * per, "push_s": push_s,
            "push_db": push_db * per,
            "resync": resync_s * per, "resync_cpu": resync_cpu * per, "resync_s": resync_s,
            "calls": calls}


def small_calls(handle, size: int, researchers: int = 40, rounds: int = 3) -> list[float]:
    """CPU ms of this process per host transaction that queues ``size`` works with
    ``put_many`` (the web request of a researcher who adds a few works), each round over
    ``researchers`` researchers on one database: a transaction's own cost shows here."""
    from tests.functional.sync_support import work

    figures = []
    with database() as url:
        w = world(handle, url, **{"orcid.rate_limit": "10000/10000"})
        users = [f"c{r}-{size}" for r in range(researchers)]
        for user in users:
            w.connect(user)
        for done in range(rounds):
            objects = {user: {f"w{done}-{i}": work(r * 100_000 + done * 1000 + i)
                              for i in range(size)} for r, user in enumerate(users)}
            cpu = time.process_time()
            for user in users:
                w.put_many(user, objects[user])
            figures.append((time.process_time() - cpu) / researchers * 1000)
        w.engine.dispose()
    return sorted(figures)


def main() -> None:
    setup_path()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2500,5000,10000")
    parser.add_argument("--researchers", default=f"{RESEARCHERS},1",
                        help="the items spread over this many researchers, each in turn")
    parser.add_argument("--call-sizes", default="1,5,20",
                        help="works per host transaction for the per-transaction figures")
    args = parser.parse_args()
    print("ms per item, wall (CPU of this process; the machine's load inflates wall time); "
          "by: researchers; push db: PostgreSQL's CPU")
    print(f"{'items':>6} {'by':>4} {'put':>13} {'put_many':>13} {'push CPU':>9} "
          f"{'push db':>8} {'re-sync':>13} {'re-sync s':>10} {'calls':>6}")
    with emulator(rate_limit=None) as handle:
        for n in (int(x) for x in args.sizes.split(",")):
            for researchers in (int(x) for x in args.researchers.split(",")):
                m = one_size(handle, n, researchers)
                print(f"{n:6d} {researchers:4d} {m['put']:5.2f} ({m['put_cpu']:5.2f}) "
                      f"{m['put_many']:5.2f} ({m['many_cpu']:5.2f}) {m['push_cpu']:9.2f} "
                      f"{m['push_db']:8.2f} {m['resync']:5.2f} ({m['resync_cpu']:5.2f}) "
                      f"{m['resync_s']:10.2f} {m['calls']:6d}", flush=True)
        print("CPU ms of this process per host transaction of put_many (40 researchers, 3 "
              "rounds: least and median)")
        for size in (int(x) for x in args.call_sizes.split(",")):
            figures = small_calls(handle, size)
            print(f"{size:6d} works: {figures[0]:6.2f} ms, median {figures[1]:6.2f} "
                  f"({figures[1] / size:5.2f} ms a work)", flush=True)


if __name__ == "__main__":
    main()
