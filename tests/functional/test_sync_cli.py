"""``orcid-pyramid sync CONFIG``: drains the outbox with a summary; ``--pull`` reads changes."""

from __future__ import annotations

import gc
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from orcid_pyramid.cli import main
from orcid_pyramid.models.meta import utcnow
from orcid_pyramid.models.sync import OrcidItem, OrcidOutbox

from .sync_support import build_world, site_ini, work


@pytest.fixture
def world(emulator, fresh_db_url):
    return build_world(emulator, fresh_db_url)


def _ini(tmp_path, world, extra: str = "") -> str:
    return site_ini(tmp_path, world, extra)


def test_sync_once_drains_the_outbox_and_prints_a_summary(world, emulator, tmp_path):
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n) for n in range(3)})
    result = CliRunner().invoke(main, ["sync", _ini(tmp_path, world), "--once"])
    assert result.exit_code == 0, result.output
    assert "posted (new)" in result.output
    assert len(world.record_items(orcid)) == 3
    row = next(line for line in result.output.splitlines() if "posted (new)" in line)
    assert "3" in row


def test_sync_run_inside_another_program_leaves_its_garbage_collector_alone(
        world, emulator, tmp_path):
    """The command tunes the collector only in its own process (``orcid-pyramid``, ``python
    -m orcid_pyramid``): invoked in a test's process it must not freeze that process's
    objects nor change its thresholds."""
    world.connect("u1")
    world.put("u1", "w1", work(1))
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    result = CliRunner().invoke(main, ["sync", _ini(tmp_path, world), "--once"])
    assert result.exit_code == 0, result.output
    assert (gc.get_threshold(), gc.get_freeze_count()) == (thresholds, frozen)


def test_sync_pull_notices_an_item_deleted_on_orcid(world, emulator, tmp_path):
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1))
    world.drain()
    world.emulator.control.delete_item(orcid, "work", world.record_items(orcid)[0]["put-code"])
    runner = CliRunner()
    result = runner.invoke(main, ["sync", _ini(tmp_path, world), "--once", "--pull"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines()
               if "items deleted on ORCID (pull)" in line)
    assert "1" in row


def test_sync_pull_names_a_record_orcid_did_not_answer_for(world, emulator, tmp_path):
    """ORCID answers 503 to the pull's read: the command says which record was not read and
    why, instead of counting it as nothing changed."""
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1))
    world.drain()
    emulator.control.set_faults(1.0, ["503"])
    try:
        result = CliRunner().invoke(main, ["sync", _ini(tmp_path, world), "--once", "--pull"])
    finally:
        emulator.control.set_faults(0)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("pull: ")]
    assert len(lines) == 1 and orcid in lines[0] and "503" in lines[0], result.output


def _events(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_sync_pull_emits_item_changed_when_the_user_edits_an_item_on_orcid(world, emulator,
                                                                           tmp_path):
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1, title="As the site wrote it"))
    world.put("u1", "w2", work(2))
    world.drain()
    events_file = tmp_path / "events.jsonl"
    ini = _ini(tmp_path, world, f"test.events_file = {events_file}")
    runner = CliRunner()
    # the first read after our own write is the baseline: nothing changed on ORCID yet
    first = runner.invoke(main, ["sync", ini, "--once", "--pull"])
    assert first.exit_code == 0, first.output
    assert _events(events_file) == []
    put_code = next(w["put-code"] for w in world.record_items(orcid)
                    if w["item"]["title"]["title"]["value"] == "As the site wrote it")
    edited = work(1, title="As the researcher changed it").to_json()
    emulator.control.edit_item(orcid, "work", put_code, item=edited)
    second = runner.invoke(main, ["sync", ini, "--once", "--pull"])
    assert second.exit_code == 0, second.output
    assert _events(events_file) == [{"event": "OrcidItemChanged", "user_id": "u1",
                                     "orcid": orcid, "section": "work",
                                     "put_code": put_code, "local_key": "w1"}]
    row = next(line for line in second.output.splitlines()
               if "items changed on ORCID (pull)" in line)
    assert "1" in row
    with world.session() as db:
        items = {i.local_key: i for i in db.execute(select(OrcidItem)).scalars()}
    assert items["w1"].changed_on_orcid and not items["w2"].changed_on_orcid
    # read again with nothing new: no second event
    third = runner.invoke(main, ["sync", ini, "--once", "--pull"])
    assert third.exit_code == 0, third.output
    assert len(_events(events_file)) == 1


def test_sync_with_a_missing_config_says_so_without_a_traceback(tmp_path):
    result = CliRunner().invoke(main, ["sync", str(tmp_path / "nope.ini"), "--once"])
    assert result.exit_code != 0
    assert "does not exist" in result.output and "Traceback" not in result.output


def _finished_rows(world, ages_in_days: dict[str, int]) -> None:
    """Outbox rows of ``u1`` that a worker finished ``ages_in_days`` days ago, by key."""
    now = utcnow()
    with world.session() as db:
        for key, days in ages_in_days.items():
            at = now - timedelta(days=days)
            db.add(OrcidOutbox(user_id="u1", section="work", local_key=key, action="put",
                               payload={}, content_hash="x", title=key, created_at=at,
                               attempts=1, next_attempt_at=at, done_at=at))
        db.commit()


def _outbox(world) -> dict[str, bool]:
    with world.session() as db:
        return {row.local_key: row.done_at is not None
                for row in db.execute(select(OrcidOutbox)).scalars()}


@pytest.mark.parametrize("extra, kept", [
    ("", {"recent": True, "fresh": True}),
    ("orcid.outbox_retention_days = 0", {"old": True, "recent": True, "fresh": True}),
])
def test_sync_deletes_outbox_rows_finished_longer_ago_than_the_retention(
        world, emulator, tmp_path, extra, kept):
    """The outbox kept a row for every change ever sent; the worker now deletes those finished
    more than ``orcid.outbox_retention_days`` (30) days ago, and keeps every one with 0."""
    world.connect("u1")
    _finished_rows(world, {"old": 40, "recent": 1})
    world.put("u1", "fresh", work(1))
    result = CliRunner().invoke(main, ["sync", _ini(tmp_path, world, extra), "--once"])
    assert result.exit_code == 0, result.output
    assert _outbox(world) == kept


def test_sync_sends_what_is_due_before_its_chores(world, emulator, tmp_path):
    """A queued revocation (a researcher who disconnected while ORCID was down) and a
    researcher's new work, both due: ``sync --once`` sends the work first and does its chores
    after, so that its housekeeping never holds back what is due for ORCID (fails on the
    code before: the chores came first, and in a first push of 10 researchers the thread
    that did them spent some 40 ms on them before it claimed its researcher)."""
    from orcid_pyramid.models import OrcidLink, OrcidPendingRevocation

    world.connect("u1")
    world.put("u1", "w1", work(1))
    gone = world.connect("u2")
    with world.session() as db:
        link = db.execute(select(OrcidLink).where(OrcidLink.user_id == "u2")).scalar_one()
        db.add(OrcidPendingRevocation(token_enc=link.access_token_enc, orcid=gone,
                                      user_id="u2"))
        db.delete(link)
        db.commit()
    start = len(emulator.control.calls())
    result = CliRunner().invoke(main, ["sync", _ini(tmp_path, world), "--once",
                                       "--workers", "1"])
    assert result.exit_code == 0, result.output
    calls = [(call["method"], call["path"]) for call in emulator.control.calls()[start:]]
    posts = [n for n, (method, path) in enumerate(calls)
             if method == "POST" and path.rsplit("/", 1)[-1] in ("work", "works")]
    revokes = [n for n, (_, path) in enumerate(calls) if path.endswith("/oauth/revoke")]
    assert posts and revokes, calls
    assert posts[-1] < revokes[0], calls
