"""The token buckets: refill, burst, waiting, and the shared database row."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from orcid_pyramid.models import Base
from orcid_pyramid.sync.ratelimit import (
    RESERVE_MEMORY,
    DbTokenBucket,
    LocalTokenBucket,
    bucket_for,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_local_bucket_allows_the_burst_then_the_rate():
    clock = Clock()
    bucket = LocalTokenBucket(10, 5, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        assert bucket.try_acquire() == 0
    assert bucket.try_acquire() > 0
    for _ in range(20):
        bucket.acquire()
    # 20 tokens after the burst at 10/s take two seconds of (fake) waiting
    assert abs(clock.now - 1002.0) < 0.01


def _engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'bucket.sqlite'}")
    Base.metadata.create_all(engine)
    return engine


def _reserve(bucket) -> float:
    """The bucket's reserve under ORCID's burst of 40, in ORCID's tokens (1/24 s each)."""
    return round(40 - bucket.burst, 6)


def test_db_bucket_keeps_a_margin_under_orcids_numbers(tmp_path):
    bucket = DbTokenBucket(_engine(tmp_path), 24, 40)
    assert 0.99 * 24 <= bucket.rate < 24
    # a reserve of one token at first: room for 42 ms of delay on the way to ORCID for the
    # first token taken from a full bucket (see ratelimit.deadline)
    assert _reserve(bucket) == 1
    assert bucket.window == pytest.approx(1 / 24)


def test_a_503_widens_the_reserve_for_every_bucket_on_the_database(tmp_path):
    clock = Clock()
    engine = _engine(tmp_path)
    first = DbTokenBucket(engine, 24, 40, clock=clock, sleep=clock.sleep)
    first.acquire()
    first.missed()
    first.missed()  # the same second: one widening for a burst of 503s
    assert _reserve(first) == 2
    assert first.window == pytest.approx(2 / 24)  # the window widens with it
    clock.sleep(1.5)
    first.missed()
    assert _reserve(first) == 3
    # another process's bucket starts from what this one learned
    second = DbTokenBucket(engine, 24, 40, clock=clock, sleep=clock.sleep)
    second.acquire()
    assert second.burst == first.burst
    # at most JITTER_MAX of reserve, however many 503s
    for _ in range(20):
        clock.sleep(1.5)
        first.missed()
    assert _reserve(first) == 6


def test_a_learned_reserve_is_forgotten_after_a_day_without_503(tmp_path):
    clock = Clock()
    engine = _engine(tmp_path)
    bucket = DbTokenBucket(engine, 24, 40, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    bucket.missed()
    assert _reserve(bucket) == 2
    clock.sleep(RESERVE_MEMORY + 60)
    bucket.acquire()  # reads the reserve again (every RESERVE_READ seconds)
    assert _reserve(bucket) == 1
    later = DbTokenBucket(engine, 24, 40, clock=clock, sleep=clock.sleep)
    later.acquire()
    assert later.burst == bucket.burst


def test_a_503_takes_one_token_more_from_the_shared_bucket(tmp_path):
    clock = Clock()
    engine = _engine(tmp_path)
    bucket = DbTokenBucket(engine, 10, 3, margin=1.0, jitter=0, clock=clock, sleep=clock.sleep)
    bucket.acquire()  # creates the row and takes one of 3
    bucket.missed()  # one more: 1 left
    assert bucket.try_acquire() == 0
    assert bucket.try_acquire() > 0


def test_local_bucket_learns_its_reserve_in_memory():
    clock = Clock()
    bucket = LocalTokenBucket(10, 5, clock=clock, sleep=clock.sleep, least_burst=3)
    for _ in range(4):
        bucket.missed()
        clock.sleep(1.5)
    assert bucket.burst == 3  # never below least_burst
    plain = LocalTokenBucket(10, 5, clock=clock, sleep=clock.sleep)
    plain.missed()
    assert plain.burst == 5  # no learning asked: only one token taken
    assert plain.tokens == 4


def test_db_bucket_is_shared_between_two_limiters_on_one_row(tmp_path):
    clock = Clock()
    engine = _engine(tmp_path)
    first = DbTokenBucket(engine, 10, 4, margin=1.0, jitter=0, clock=clock, sleep=clock.sleep)
    second = DbTokenBucket(engine, 10, 4, margin=1.0, jitter=0, clock=clock, sleep=clock.sleep)
    first.try_acquire()  # creates the row
    taken = 0
    for limiter in (first, second) * 4:
        if limiter.try_acquire() == 0:
            taken += 1
    assert taken == 4  # one burst of 4, wherever the tokens were taken
    wait = second.try_acquire()
    assert 0 < wait <= 0.1 + 1e-9
    clock.sleep(wait)
    assert first.try_acquire() == 0


def test_a_late_request_gets_a_new_token_only_when_its_lateness_could_matter(tmp_path):
    """``fresh`` (run just before the request's first byte leaves) replaces a token whose
    request is later than the window plus what the bucket lacked of full when the token was
    taken (ratelimit.deadline): the first token from a full bucket gets the window alone,
    one taken from a bucket below full that much more."""
    clock = Clock()
    for bucket in (DbTokenBucket(_engine(tmp_path), 10, 2, margin=1.0, jitter=0, clock=clock,
                                 sleep=clock.sleep, window=0.025),
                   LocalTokenBucket(10, 2, clock=clock, sleep=clock.sleep, window=0.025)):
        clock.now = 1000.0
        first = bucket.acquire()  # from a full bucket: the window alone
        assert first == pytest.approx(1000.025)
        clock.sleep(0.02)
        assert bucket.fresh(first) == first and bucket.retaken == 0
        clock.sleep(0.01)  # 30 ms late: a new token, the second of the burst of 2
        second = bucket.fresh(first)
        assert bucket.retaken == 1
        # taken with 1.3 tokens in the bucket of 2 (0.07 s of refill short of full)
        assert second == pytest.approx(1000.03 + 0.025 + 0.07)
        # 0.3 of a token left: the next one comes 0.07 s later, and the bucket was 0.17 s of
        # refill short of full when it was reserved: 0.1 s after its turn it is still good
        third = bucket.acquire()
        assert clock.now == pytest.approx(1000.10)
        assert third == pytest.approx(1000.03 + 0.025 + 0.17)
        clock.sleep(0.1)
        assert bucket.fresh(third) == third and bucket.retaken == 1


def test_db_bucket_acquire_waits_the_refill_time(tmp_path):
    clock = Clock()
    bucket = DbTokenBucket(_engine(tmp_path), 5, 1, margin=1.0, jitter=0, clock=clock,
                           sleep=clock.sleep)
    for _ in range(11):
        bucket.acquire()
    assert 1.9 < clock.now - 1000.0 < 2.2


def test_sqlite_gets_one_in_process_bucket_per_database(tmp_path):
    engine = _engine(tmp_path)
    assert bucket_for(engine, 24, 40) is bucket_for(engine, 24, 40)
    assert isinstance(bucket_for(engine, 24, 40), LocalTokenBucket)


def test_a_503_with_the_database_unreachable_widens_this_process_only(tmp_path, caplog):
    """The 503's caller (a web request, a worker) gets ORCID's error, not the database's."""
    clock = Clock()
    engine = _engine(tmp_path)
    bucket = DbTokenBucket(engine, 24, 40, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE orcid_rate_buckets")
    bucket.missed()
    assert _reserve(bucket) == 2
    assert "could not record the rate bucket's wider reserve (OperationalError)" in caplog.text
