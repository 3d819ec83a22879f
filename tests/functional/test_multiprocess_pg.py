"""Four worker processes on one PostgreSQL outbox: each row is sent once, one writer per iD,
and the shared rate bucket keeps all four under the emulator's 24/s limit (no 503)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import select

from orcid_pyramid.models.sync import OrcidItem, OrcidOutbox

from .sync_support import build_world, work

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]

USERS = 12
WORKS = 25

CHILD = """
import json, sys
from orcid_pyramid.settings import load_settings
from orcid_pyramid.models import get_engine
from orcid_pyramid.sync.worker import Worker
values = json.loads(sys.argv[1])
settings = load_settings(values)
worker = Worker(get_engine(values["sqlalchemy.url"]), settings, backoff_base=0.05,
                batch_users=2)
print("ready", flush=True)
sys.stdin.readline()  # every process starts at once
counts = worker.run_once()
print(json.dumps({"posted": counts.posted, "updated": counts.updated,
                  "retried": counts.retried}))
"""


def _run_workers(world, n):
    values = {"orcid.environment": "emulator", "orcid.base_url": world.settings.base_url,
              "orcid.api_url": world.settings.api_url,
              "orcid.client_id": world.settings.client_id,
              "orcid.client_secret": world.settings.client_secret,
              "orcid.support_email": "support@example.org",
              "orcid.token_key": ",".join(world.settings.token_keys),
              "orcid.rate_limit": "24/40", "sqlalchemy.url": world.settings.sqlalchemy_url}
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(values)], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(n)]
    # started one after the other, a process could drain everything before the last one had
    # imported its modules (a CI run under load: one process sent all 12 users)
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()[-3000:]
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_four_worker_processes_send_every_row_exactly_once(emulator_factory, pg_url):
    emulator = emulator_factory(rate_limit="24/40")
    world = build_world(emulator, pg_url)
    for u in range(USERS):
        world.connect(f"u{u}")
        world.put_many(f"u{u}", {f"w{n}": work(u * 100 + n) for n in range(WORKS)})
    start = len(emulator.control.calls())
    results = _run_workers(world, 4)
    assert sum(r["posted"] for r in results) == USERS * WORKS
    assert sum(1 for r in results if r["posted"]) >= 2  # the work was really shared
    # a second wave of changes: every fifth work is revised
    for u in range(USERS):
        world.put_many(f"u{u}", {f"w{n}": work(u * 100 + n, title=f"Revised {n}")
                                 for n in range(0, WORKS, 5)})
    results = _run_workers(world, 4)
    assert sum(r["updated"] for r in results) == USERS * WORKS // 5
    calls = [c for c in emulator.control.calls()[start:]
             if c["host"] == "api" and "/v3.0/" in c["path"]]
    writes = Counter((c["method"], c["status"]) for c in calls)
    assert writes == {("POST", 200): USERS, ("PUT", 200): USERS * WORKS // 5}
    for orcid in world.users.values():
        works = world.record_items(orcid, "works")
        assert len(works) == WORKS
        assert len({w["item"]["external-ids"]["external-id"][0]["external-id-value"]
                    for w in works}) == WORKS
    with world.session() as db:
        assert db.execute(select(OrcidOutbox).where(OrcidOutbox.done_at.is_(None))).all() == []
        assert {i.status for i in db.execute(select(OrcidItem)).scalars()} == {"synced"}
