"""``orcid-pyramid sync CONFIG [--once] [--pull] [--workers N]``: drain the outbox.

The site's app is bootstrapped (so event subscribers run for ``--pull``); workers share the
database's rate bucket and one-writer-per-iD leases, so several ``sync`` processes may run
side by side on PostgreSQL. A rich progress bar shows the rows sent; a summary table ends
the run.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time

import click


def _summary_table(counts, elapsed: float, pulled=None):
    from rich.table import Table

    table = Table(title="orcid-pyramid sync", show_header=True)
    table.add_column("outcome")
    table.add_column("items", justify="right")
    for label, value in (("posted (new)", counts.posted), ("updated (PUT)", counts.updated),
                         ("deleted", counts.deleted), ("unchanged, no call", counts.unchanged),
                         ("put code adopted", counts.adopted),
                         ("rejected by ORCID", counts.rejected),
                         ("retries scheduled", counts.retried),
                         ("held (link revoked)", counts.held),
                         ("deleted by the user on ORCID", counts.deleted_on_orcid)):
        table.add_row(label, str(value))
    table.add_row("waited for ORCID's rate limit (s)", f"{counts.rate_waited:.1f}")
    table.add_row("rate tokens replaced (request held up)", str(counts.tokens_replaced))
    if pulled is not None:
        table.add_row("records read (pull)", str(pulled.users))
        table.add_row("items deleted on ORCID (pull)", str(len(pulled.deleted)))
        table.add_row("items changed on ORCID (pull)", str(len(pulled.changed)))
    table.caption = f"{elapsed:.1f} s"
    return table


#: worker threads at most when ``--workers`` is not given (PostgreSQL). Each thread sends for
#: one researcher at a time (one request at a time per iD), so the command starts one thread per
#: researcher with changes to send, up to what ORCID can have in flight from one client: its
#: burst (40) and what its rate (24/s) admits while the first answers are on their way (about
#: a second for a bulk of 100 works): 64. With 16 threads and 1 s per request, at most 16
#: requests/s could leave, two thirds of ORCID's 24 (benchmarks/bench_sync_shapes.py
#: ``--latency-ms 1000``: 100 researchers x 100 works at 0.47 of the bound); and threads with
#: nobody to send for are not free: at the start of a push each one looks for work.
MAX_WORKERS = 64
#: how a worker thread of ``sync`` runs: the one thread of a process that keeps running (and
#: does the chores while nothing else runs); the one of ``--once`` that stays until nothing is
#: pending, retries included; an extra thread, for as long as a researcher is free to take
FOREVER, DRAIN, EXTRA = "forever", "drain", "extra"
#: seconds between two looks of ``sync`` for researchers whose changes have fallen due and
#: whom no thread holds (more threads are started for them)
LOOK_EVERY = 1.0
#: the worker's database connections: a thread holds one only while it reads or writes, never
#: while a request is in flight (100 researchers x 100 works, 64 threads on 20 connections:
#: 0.94 of ORCID's bound at 100 ms a request, 0.96 at 1 s); and two ``sync`` processes
#: (several machines) stay within PostgreSQL's default of 100 connections
POOL_SIZE = 20


def _worker_engine(engine, workers: int):
    """PostgreSQL: an engine whose pool has a connection for each thread, up to
    :data:`POOL_SIZE` (the site's engine may have a smaller pool; beyond 20 threads, a thread
    waits for a connection only while 20 others are reading or writing)."""
    if engine.dialect.name != "postgresql" or workers <= 4:
        return engine
    from sqlalchemy import create_engine

    from orcid_pyramid.sync.worker import ASYNC_COMMIT

    # the worker's commits do not wait for the disk (see worker._commit_without_waiting),
    # set once per connection; the fence still waits (SET LOCAL ... on)
    # (added to the URL's own ``options``, e.g. a search_path, which connect_args replaces)
    options = engine.url.query.get("options") or ""
    options = " ".join([options] if isinstance(options, str) else options)
    from orcid_pyramid.models import plan_for_the_values

    worker_engine = create_engine(
        engine.url, pool_size=min(workers, POOL_SIZE), max_overflow=4,
        connect_args={"options": f"{options} -c synchronous_commit=off".strip()},
        execution_options={ASYNC_COMMIT: True})
    plan_for_the_values(worker_engine)
    return worker_engine


def researchers_waiting(engine) -> int:
    """How many researchers have changes due now and no worker holds them (a thread started
    for a researcher another process is sending for would find nobody to take), up to
    ``lease.POOL_SIZE`` (64, what the threads' count needs): one look of the worker
    (``lease.due_users``), which reads the due rows only as far as it needs, where counting
    them all once a second read the whole outbox each time. Researchers whose changes are
    retried later get their threads once those fall due (``sync`` asks every second)."""
    from orcid_pyramid.models.meta import utcnow
    from orcid_pyramid.sync.lease import due_users

    with engine.connect() as connection:
        return len(due_users(connection, utcnow())[0])


def _more_wanted(engine, alive: int) -> int:
    """Threads to start for researchers due now that nobody holds, up to
    :data:`MAX_WORKERS` running (none while the database cannot say: the running threads go
    on, and the next second asks again)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return min(MAX_WORKERS - alive, researchers_waiting(engine))
    except SQLAlchemyError as exc:
        logging.getLogger("orcid_pyramid.sync").warning(
            "cannot count the researchers waiting (%s): trying again in a second",
            type(exc).__name__)
        return 0


def _run_workers(registry, workers: int | None, once: bool, progress_cb):
    """Run the worker threads until the outbox is drained (``once``) or Ctrl-C.

    ``workers`` None (PostgreSQL's default): a thread per researcher with changes to send, up
    to :data:`MAX_WORKERS`. One thread keeps running: without ``once``, until Ctrl-C; with
    it, until nothing is pending, retries included. The others send what is due and stop
    when no researcher is left to take, and each second more are started for researchers
    whose changes have fallen due since (an idle site, or one waiting for retries, has one
    thread looking for work, not 64). Threads that stayed after their researcher in a first
    push of 50 looked for work and asked when the next row fell due while the last
    researchers' bulks were still being made, on the same interpreter.

    PostgreSQL: before the threads start, the researchers due now are claimed, read and
    their first bulks fenced together, one statement each for them all
    (:meth:`~orcid_pyramid.sync.worker.Worker.take_first`), and each thread starts with one
    of them; the thread count is theirs (a database error there: each thread claims its
    own, as many as a look counts)."""
    from orcid_pyramid.gctune import tune as tune_gc
    from orcid_pyramid.sync.firstround import FirstRound
    from orcid_pyramid.sync.lease import CandidatePool
    from orcid_pyramid.sync.outcome import Counts
    from orcid_pyramid.sync.ratelimit import bucket_for
    from orcid_pyramid.sync.statistics import EVERY_SECONDS as STATISTICS_EVERY
    from orcid_pyramid.sync.statistics import refresh_statistics
    from orcid_pyramid.sync.worker import Worker

    total = Counts()
    lock = threading.Lock()
    stop = threading.Event()
    engine = _worker_engine(registry["orcid.dbengine"], workers or MAX_WORKERS)
    # one look for due users serves the claims of every thread (lease.CandidatePool)
    candidates = CandidatePool()
    # one bucket for the process: its threads share the reserve it learns from 503s
    settings = registry["orcid.settings"]
    limiter = bucket_for(engine, settings.rate_per_second, settings.rate_burst)
    limiter.prepare()  # the bucket's row, before the threads' first tokens
    # statistics of a large import just queued, before the threads' first reads (then among
    # the chores, once for the process's threads: see sync.statistics)
    if candidates.turn("statistics", STATISTICS_EVERY):
        refresh_statistics(engine)
    threads: list[threading.Thread] = []
    ended: queue.SimpleQueue = queue.SimpleQueue()  # one item per thread that has finished

    # PostgreSQL: the researchers due now, claimed and read together, one for each thread
    # started below (Worker.take_first)
    firsts: queue.SimpleQueue = queue.SimpleQueue()
    taken: list = []
    if engine.dialect.name == "postgresql":
        taker = Worker.from_registry(registry, engine=engine, candidates=candidates,
                                     rate_limiter=limiter)
        taken = taker.take_first(workers or MAX_WORKERS)
        for entry in taken:
            firsts.put(entry)

    # their first requests leave together (sync.firstround), not one thread after the other
    together = FirstRound(limiter, len(taken)) if len(taken) > 1 else None

    def one(mode: str) -> None:
        mine = limiter
        try:
            try:
                first = firsts.get_nowait()
            except queue.Empty:
                first = None
            mine = together.limiter() if first is not None and together else limiter
            worker = Worker.from_registry(registry, engine=engine, candidates=candidates,
                                          rate_limiter=mine)
            try:
                if mode == FOREVER:
                    worker.run_forever(stop, progress=progress_cb, first=first)
                else:  # DRAIN: until nothing is pending; EXTRA: while a researcher is free
                    worker.run_once(progress=progress_cb, stop=stop, until_idle=mode == EXTRA,
                                    first=first)
            finally:
                with lock:
                    total.add(worker.counts)
        finally:
            if mine is not limiter:
                mine.leave()  # (a thread that failed before its first request)
            ended.put(None)

    def start(n: int, mode: str) -> None:
        for _ in range(max(0, n)):
            thread = threading.Thread(target=one, args=(mode,),
                                      name=f"orcid-sync-{len(threads)}")
            threads.append(thread)
            thread.start()

    # threads for the work due now (those taken above, else a look's count); --once waits
    # for retries in one thread, and more are started for them once they fall due
    if workers is not None:
        waiting = 0
    else:
        waiting = len(taken) or researchers_waiting(engine)
    # the start-up is done: its objects out of the collector's way, young collections rarer
    # (orcid_pyramid.gctune: 2.5 ms of CPU a bulk went to collections)
    tune_gc()
    if workers is not None:
        start(workers, DRAIN if once else FOREVER)
    else:
        start(1, DRAIN if once else FOREVER)
        start(min(MAX_WORKERS, waiting) - 1, EXTRA)
    # the threads say when they end: a Ctrl-C that interrupts Thread.join(timeout) marks the
    # joined thread as stopped while it still runs (CPython's bpo-45274 handling), and the
    # summary then went out without that thread's counts
    finished = 0
    look_at = time.monotonic() + LOOK_EVERY
    try:
        while finished < len(threads):
            try:
                ended.get(timeout=max(0.0, look_at - time.monotonic()))
                finished += 1
            except queue.Empty:
                pass
            # once a second, not at each thread's end: the 40 threads of a first push of
            # 40 researchers ending within a few milliseconds made 40 looks for nobody
            if time.monotonic() < look_at:
                continue
            look_at = time.monotonic() + LOOK_EVERY
            running = len(threads) - finished
            if workers is None and running < MAX_WORKERS:
                start(_more_wanted(engine, running), EXTRA)
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        if engine is not registry["orcid.dbengine"]:
            engine.dispose()
    total.rate_waited = float(getattr(limiter, "waited", 0.0))
    total.tokens_replaced = int(getattr(limiter, "retaken", 0))
    return total


@click.command()
@click.argument("config_uri", metavar="CONFIG")
@click.option("--once", is_flag=True, help="Drain what is due (waiting for retries) and exit.")
@click.option("--pull", is_flag=True,
              help="Also read every linked record for changes made on ORCID (no webhooks).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help=f"Worker threads (PostgreSQL; by default one per researcher with changes "
                   f"to send, up to {MAX_WORKERS}; SQLite always uses one).")
def sync(config_uri: str, once: bool, pull: bool, workers: int | None) -> None:
    """Send queued changes to ORCID within the rate limit (CONFIG: the site's ini file)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from orcid_pyramid.scripts import ScriptError, bootstrap_app
    from orcid_pyramid.settings import SettingsError, settings_from_registry
    from orcid_pyramid.sync.status import pending_count

    console = Console(stderr=True)
    started = time.monotonic()
    try:
        with bootstrap_app(config_uri) as env:
            registry = env["registry"]
            settings = settings_from_registry(registry)
            engine = registry.get("orcid.dbengine")
            if engine is None:
                raise click.ClickException("the app does not include orcid_pyramid's models")
            if engine.dialect.name == "sqlite":
                if workers and workers > 1:
                    console.print("SQLite runs one writer at a time: using 1 worker.")
                workers = 1
            from sqlalchemy.orm import Session

            with Session(bind=engine) as db:
                pending = pending_count(db)
            # read first: a deletion seen on ORCID must stop a PUT that is still queued
            pulled = _pull(env, engine, settings) if pull else None
            with Progress(TextColumn("[bold]sending to ORCID"), BarColumn(),
                          MofNCompleteColumn(), console=console, transient=False) as bar:
                task = bar.add_task("sync", total=pending or None)
                done = {"n": 0}
                progress_lock = threading.Lock()

                def progress_cb(counts) -> None:
                    with progress_lock:
                        done["n"] = max(done["n"], counts.done)
                        bar.update(task, completed=min(done["n"], pending or done["n"]))

                counts = _run_workers(registry, workers, once, progress_cb)
                bar.update(task, completed=counts.done)
    except (ScriptError, SettingsError) as exc:
        raise click.ClickException(str(exc)) from None
    out = Console()
    out.print(_summary_table(counts, time.monotonic() - started, pulled))
    for problem in (pulled.errors if pulled is not None else ()):
        # a record ORCID did not answer for, or one a worker kept writing to: read next time
        out.print(f"pull: {problem}", markup=False, highlight=False)


def _pull(env, engine, settings):
    """Read every linked record and notify the app's subscribers of changes on ORCID."""
    from sqlalchemy.orm import Session

    from orcid_pyramid.client.factory import client_factory
    from orcid_pyramid.crypto import TokenCipher
    from orcid_pyramid.sync.lease import Claimer
    from orcid_pyramid.sync.pull import pull_all
    from orcid_pyramid.sync.ratelimit import bucket_for
    from orcid_pyramid.sync.worker import db_call_sink

    with Session(bind=engine) as db:
        limiter = bucket_for(engine, settings.rate_per_second, settings.rate_burst)
        factory = env["registry"].get("orcid.client_factory") or client_factory(settings)
        client = factory(db_call_sink(db), limiter)
        cipher = env["registry"].get("orcid.cipher") or TokenCipher.from_settings(settings)
        # a worker may be writing to a record meanwhile: read it once that writer is done
        claimer = Claimer(f"pull:{os.getpid()}", settings.sync_lease or 60.0,
                          2 * float(settings.timeout or 10.0) + 1.0,
                          is_postgres=engine.dialect.name == "postgresql")
        result = pull_all(db, client, cipher, claim_user=claimer.claim_user,
                          notify=env["registry"].notify, request=env["request"])
        db.commit()
    return result
