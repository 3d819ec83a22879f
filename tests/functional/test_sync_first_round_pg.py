"""The first requests of ``orcid-pyramid sync`` take their tokens together, and a researcher's
next bulk has its token before the answer to the one in flight (PostgreSQL; issue 13).

- The command's threads started one after the other, each running until its first request was
  on its way, with a token statement of its own on the bucket's one row: ten researchers'
  first bulks reached ORCID over 35-50 ms, where the bound of a first push of ten researchers
  is one request's latency (0.65-0.71 of it). Now the threads of the researchers taken at the
  start make their first requests ready and take their tokens in one statement
  (``sync.firstround``).
- Between two bulks of one researcher, the thread went to the database for the next token
  after the answer, and waited for the interpreter behind every thread busy with its own
  answer. Now that token is taken while the bulk before is in flight
  (``sync.ratelimit.AHEAD``).

Seen through the command, as a site runs it: the statements it sends (with their times), the
emulator's call log and records."""

from __future__ import annotations

import gc
import re
import time
from collections import Counter

import pytest
from click.testing import CliRunner
from sqlalchemy import event, make_url, update
from sqlalchemy.engine import Engine

from orcid_pyramid.cli import main
from orcid_pyramid.models.link import OrcidLink
from orcid_pyramid.models.sync import OrcidOutbox

from .sync_support import assert_each_work_once_and_synced, build_world, site_ini, work


@pytest.fixture
def reservations(pg_url):
    """``(time.time(), tokens)`` of each reservation that took tokens from this test's
    database's bucket while the fixture lives (the listener sees every engine of the process:
    a thread another test left running counts on its own database, not here)."""
    # (the test's private schema, named in its URL's search_path)
    ours = str(make_url(pg_url).query.get("options", "")).rpartition("=")[2] or pg_url
    seen: list[tuple[float, int]] = []

    def after(conn, cursor, statement, parameters, context, executemany):
        if (statement.startswith("UPDATE orcid_rate_buckets") and "RETURNING" in statement
                and cursor.rowcount == 1
                and ours in conn.engine.url.render_as_string(hide_password=False)):
            seen.append((time.time(), (parameters or {}).get("count", 1)))

    event.listen(Engine, "after_cursor_execute", after)
    yield seen
    event.remove(Engine, "after_cursor_execute", after)


def _sync(world, tmp_path, rate_limit: str = "1000/1000") -> str:
    # the command's own process collects its garbage and freezes its start-up before the
    # threads start (orcid_pyramid.gctune); run here, in the test's process, it does not,
    # and a full collection over the earlier tests' garbage held the round's threads past
    # its 0.1 s wait (1 run in 2 of this file: [2, 1, 1, 1] where [5] was due)
    gc.collect()
    result = CliRunner().invoke(main, ["sync", site_ini(tmp_path, world, rate_limit=rate_limit),
                                       "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def _replaced(output: str) -> int:
    """The tokens the command replaced because a request left after its token's deadline (a
    thread held up on a loaded machine takes a new one: ``DbTokenBucket.fresh``)."""
    found = re.search(r"rate tokens replaced \(request held up\)\W+(\d+)", output)
    assert found, output
    return int(found.group(1))


def _first_push(emulator_factory, pg_url, tmp_path, researchers: int, works: int,
                revoked: str | None = None):
    """``researchers`` (``u0``, ``u1``...) with ``works`` new works each, pushed by the
    command, ``revoked``'s link marked revoked first: (the world, their iDs, the bulk POSTs
    ORCID answered, the tokens the command replaced).

    The emulator speaks plain HTTP here: in this process, each thread's TLS handshake
    costs the interpreter both its sides (some 8 ms), and twelve of them on CI's loaded
    machine kept the round's threads from being ready within its 0.1 s ([4, 1, 1, ...]
    where [12] was due); ORCID's side of a handshake is not the worker's CPU."""
    emulator = emulator_factory(tls=False)
    world = build_world(emulator, pg_url)
    orcids = [world.connect(f"u{n}") for n in range(researchers)]
    for n in range(researchers):
        world.put_many(f"u{n}", {f"w{k}": work(n * 1000 + k) for k in range(works)})
    if revoked is not None:
        with world.session() as db:
            db.execute(update(OrcidLink).where(OrcidLink.user_id == revoked)
                       .values(status="revoked"))
            db.commit()
    start = len(emulator.control.calls())
    replaced = _replaced(_sync(world, tmp_path))
    posts = _posts(emulator, start)
    assert {c["status"] for c in posts} == {200}, posts
    return world, orcids, posts, replaced


def _each_once(world, wanted: dict[str, int]) -> None:
    """Each iD's record holds its number of works, each DOI once."""
    for orcid, works in wanted.items():
        dois = Counter(x["item"]["external-ids"]["external-id"][0]["external-id-value"]
                       for x in world.record_items(orcid))
        assert len(dois) == works and set(dois.values()) == {1}, orcid


def _posts(emulator, start: int) -> list[dict]:
    return [c for c in emulator.control.calls()[start:]
            if c["method"] == "POST" and c["path"].endswith("/works")]


@pytest.mark.parametrize(("researchers", "works"), [(12, 3), (4, 300)],
                         ids=["12 researchers x 1 bulk", "4 researchers x 3 bulks"])
def test_the_first_researchers_take_their_first_tokens_in_one_statement(
        emulator_factory, pg_url, tmp_path, reservations, researchers, works):
    """The first reservation takes 12 tokens, and no token is taken beyond the requests made.
    12 researchers with one bulk each: their first bulks' (on the code before: 12
    reservations of one). 4 researchers with three bulks each: each first bulk's and the two
    that follow it, so no thread goes to the bucket's row while the second bulks leave
    together (on the code before: 8 at first, each third bulk's token in a statement of its
    own as its second bulk left)."""
    world, orcids, posts, replaced = _first_push(emulator_factory, pg_url, tmp_path,
                                                 researchers, works)
    assert len(posts) == 12
    assert reservations[0][1] == 12, reservations
    # a request held up past its token's deadline takes a new one, one reservation of one
    assert sum(tokens for _, tokens in reservations) == len(posts) + replaced, reservations
    _each_once(world, {orcid: works for orcid in orcids})


def test_a_first_researcher_with_nothing_to_send_takes_no_token(
        emulator_factory, pg_url, tmp_path, reservations):
    """Of six researchers taken at the start, one has revoked access: the other five take
    their tokens together, the sixth none, and its works wait (held, not sent)."""
    world, orcids, posts, replaced = _first_push(emulator_factory, pg_url, tmp_path, 6, 2,
                                                 revoked="u5")
    assert len(posts) == 5 and orcids[5] not in {c["orcid"] for c in posts}
    # (a request held up past its token's deadline takes a new one: CI's loaded machine
    # once held all five 125 ms after their round's reservation)
    assert [tokens for _, tokens in reservations] == [5] + [1] * replaced, reservations
    with world.session() as db:
        waiting = db.query(OrcidOutbox).filter(OrcidOutbox.user_id == "u5",
                                               OrcidOutbox.done_at.is_(None)).count()
    assert waiting == 2
    _each_once(world, {orcid: 2 for orcid in orcids[:5]})


def test_the_next_bulks_token_is_taken_while_the_bulk_before_is_in_flight(
        emulator, pg_url, tmp_path, reservations):
    """One researcher, 250 works (three bulks), 300 ms a request, a bucket of 2 requests a
    second (burst 3), below full once the first bulk has its token: the tokens of the second
    and third bulks are reserved while the first and second are at ORCID, one token a
    request, none replaced (on the code before: each one after the answer before it)."""
    world = build_world(emulator, pg_url)
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{k}": work(k) for k in range(250)})
    start = len(emulator.control.calls())
    emulator.control.set_latency(300)
    try:
        output = _sync(world, tmp_path, rate_limit="2/3")
    finally:
        emulator.control.set_latency(0)
    posts = sorted(_posts(emulator, start), key=lambda c: c["time"])
    assert [c["status"] for c in posts] == [200, 200, 200]
    assert sum(tokens for _, tokens in reservations) == 3, reservations
    for bulk in posts[:2]:
        answered = bulk["time"] + bulk["duration_ms"] / 1000
        during = [at for at, _ in reservations if bulk["time"] < at < answered]
        assert len(during) == 1, (bulk, reservations)
    assert re.search(r"rate tokens replaced \(request held up\)\W+0\b", output), output
    assert_each_work_once_and_synced(world, orcid, 250)
