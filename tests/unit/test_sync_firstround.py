"""``sync.firstround``: the first requests of a ``sync`` run's threads take their tokens in one
statement; a thread that makes no request, or never comes, does not hold the others for
ever. On the real bucket (its row in a SQLite database), with threads."""

from __future__ import annotations

import threading

from sqlalchemy import create_engine, text

from orcid_pyramid.models import Base
from orcid_pyramid.sync.firstround import FirstRound
from orcid_pyramid.sync.ratelimit import DbTokenBucket


def _bucket(tmp_path) -> DbTokenBucket:
    engine = create_engine(f"sqlite:///{tmp_path}/bucket.sqlite")
    Base.metadata.create_all(engine)
    # (a token good for 30 s: a thread held up on a loaded machine does not replace it; a
    # refill of one token in 100 s, so that the tokens counted are the ones taken, however
    # slow the machine: at 10 a second, CI's once refilled one between two counts)
    bucket = DbTokenBucket(engine, 0.01, 20, margin=1.0, jitter=0, window=30)
    bucket.prepare()
    return bucket


def _tokens(bucket) -> float:
    with bucket.engine.connect() as conn:
        return conn.execute(text("SELECT tokens FROM orcid_rate_buckets")).scalar()


def _run(targets) -> list:
    got: list = [None] * len(targets)

    def run(index, target):
        got[index] = target()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return got


def test_the_ready_threads_leave_together_once_the_others_are_gone(tmp_path):
    """Three threads ready, one whose first researcher needs no request: the three tokens are
    one reservation, each thread with its own deadline, the fourth thread takes none."""
    bucket = _bucket(tmp_path)
    together = FirstRound(bucket, 4, wait_at_most=30)
    limiters = [together.limiter() for _ in range(4)]
    got = _run([limiters[0].acquire, limiters[1].acquire, limiters[2].acquire,
                limiters[3].leave])
    assert together.released == 3
    assert len({deadline for deadline in got[:3]}) == 3
    assert abs(_tokens(bucket) - 17) < 0.01  # 20 - 3


def test_a_thread_that_never_comes_holds_the_others_no_longer_than_the_wait(tmp_path):
    """Four expected, two come: they leave together once the round's wait is over."""
    bucket = _bucket(tmp_path)
    together = FirstRound(bucket, 4, wait_at_most=0.2)
    limiters = [together.limiter() for _ in range(2)]
    _run([limiters[0].acquire, limiters[1].acquire])
    assert together.released == 2


def test_after_the_round_a_thread_takes_its_own_tokens(tmp_path):
    """Once the round has left, a thread that left it and every later token take their own
    tokens, one reservation each."""
    bucket = _bucket(tmp_path)
    together = FirstRound(bucket, 2, wait_at_most=30)
    first, second = together.limiter(), together.limiter()
    _run([first.acquire, second.leave])
    assert together.released == 1
    before = _tokens(bucket)
    second.acquire()
    first.acquire()
    assert abs(_tokens(bucket) - (before - 2)) < 0.01
