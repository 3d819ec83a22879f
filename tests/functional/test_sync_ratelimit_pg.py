"""The shared rate bucket on PostgreSQL: a taker that waits for the bucket's row behind other
takers (many threads and processes update that one row) does not count that wait against its
token (issue 13).

The row keeps the database's clock, read once the row is the taker's, and the token's time is
when the statement began plus how long the database held it: before, the time was read before
the statement, so under full load the wait for the row aged tokens past the window and they
were replaced again and again.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from orcid_pyramid.models import Base, get_engine
from orcid_pyramid.sync.ratelimit import DbTokenBucket


def test_a_wait_for_the_bucket_row_does_not_age_the_token(pg_url):
    engine = get_engine(pg_url)
    Base.metadata.create_all(engine)
    bucket = DbTokenBucket(engine, 24, 40)
    first = bucket.acquire()  # creates the row; from a full bucket: the window alone
    assert first - time.time() <= bucket.window + 0.01
    held, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:  # another taker's transaction, slow to commit
        with engine.begin() as conn:
            conn.execute(text("UPDATE orcid_rate_buckets SET tokens = tokens"
                              " WHERE name = 'orcid-api'"))
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    held.wait(5)
    threading.Timer(0.3, release.set).start()
    asked = time.time()
    deadline = bucket.acquire()  # waits about 0.3 s for the row
    answered = time.time()
    holder.join()

    assert answered - asked >= 0.25
    # the token counts from when the row was ours, not from when we asked: it is good now,
    # and would have been replaced (0.3 s > the 42 ms window) if the wait counted
    assert deadline - asked >= 0.25 + bucket.window
    assert bucket.fresh(deadline) == deadline and bucket.retaken == 0
    engine.dispose()


def test_sync_creates_the_bucket_row_before_its_threads_take_their_first_tokens(
        emulator, pg_url, tmp_path):
    """On a new database the threads of ``sync`` found the bucket's row missing, each one,
    and queued behind each other's attempts to create it before their first requests: a
    conditional take, a read and an insert each (all but one refused). Now the command
    creates it first and every token is the one reservation statement."""
    from click.testing import CliRunner
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from orcid_pyramid.cli import main

    from .sync_support import build_world, site_ini, work

    world = build_world(emulator, pg_url)
    for n in range(6):
        world.connect(f"u{n}")
        world.put_many(f"u{n}", {"w": work(n)})
    seen: list[str] = []
    reserved: list[int] = []  # tokens each reservation took

    def before(conn, cursor, statement, parameters, context, executemany):
        if "orcid_rate_buckets" in statement:
            seen.append(statement)
            if statement.startswith("UPDATE") and "RETURNING" in statement:
                reserved.append(parameters.get("count", 1))

    event.listen(Engine, "before_cursor_execute", before)
    try:
        result = CliRunner().invoke(main, ["sync", site_ini(tmp_path, world), "--once",
                                           "--workers", "6"])
    finally:
        event.remove(Engine, "before_cursor_execute", before)
    assert result.exit_code == 0, result.output
    kinds = [statement.split(" ", 1)[0] for statement in seen]
    assert kinds.count("INSERT") == 1, kinds
    # every token a reservation (one per request, one more for a request that left too late
    # on a loaded machine), never the conditional take of a thread that found no row
    takes = [statement for statement in seen if statement.startswith("UPDATE")
             and "RETURNING" not in statement]
    assert takes == [], takes
    # (the six first requests' tokens in one of them: sync.firstround)
    assert sum(reserved) >= 6, (kinds, reserved)
