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
