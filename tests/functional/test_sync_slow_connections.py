"""Opening a connection to ORCID costs round trips (TCP, then TLS) before a request can leave.

The worker takes a request's rate token on the open connection, just before the request's
first byte: the handshake never stands between the token and ORCID counting the request.
When the token was taken first, each thread's first request reached ORCID a handshake after
its token while later requests on connections already open arrived at once: ORCID's bucket
had sat full through the handshakes, and the requests that then came together were more
than it held (503s). Seen from outside: the HTTPS emulator holds every new connection 1 s
before its handshake, the worker runs as a site runs it (``orcid-pyramid sync CONFIG
--once``, one thread per researcher), and the emulator's answers are read back.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from .sync_support import build_world, site_ini, work

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]

RESEARCHERS = 8
WORKS = 250  # three bulks each: the first on a new connection, the next two on it again
LIMIT = "5/3"  # ORCID's limit, scaled down so that the run takes seconds: 5/s, burst 3


def test_a_slow_handshake_gets_no_503(emulator_factory, pg_url, tmp_path):
    emulator = emulator_factory(rate_limit=None, tls=True)
    assert emulator.base_url.startswith("https://")
    world = build_world(emulator, pg_url, **{"orcid.rate_limit": LIMIT})
    for n in range(RESEARCHERS):
        world.connect(f"u{n}")
        world.put_many(f"u{n}", {f"w{w}": work(n * 1000 + w) for w in range(WORKS)})
    emulator.control.set_rate_limit(LIMIT)
    emulator.control.set_latency(20, connect_ms=1000)
    start = len(emulator.control.calls())
    ini = site_ini(tmp_path, world, rate_limit=LIMIT)
    done = subprocess.run([sys.executable, "-m", "orcid_pyramid", "sync", ini, "--once"],
                          env={**os.environ, "PYTHONPATH": os.getcwd()}, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]

    calls = [c for c in emulator.control.calls()[start:] if "/_emulator/" not in c["path"]]
    refused = [c["path"] for c in calls if c["status"] == 503]
    assert refused == [], f"{len(refused)} of {len(calls)} calls refused with 503"
    posts = [c for c in calls if c["method"] == "POST" and c["path"].endswith("/works")]
    assert len(posts) == RESEARCHERS * 3
    for orcid in world.users.values():  # every work once, none lost
        assert len(world.record_items(orcid)) == WORKS
    # the handshakes were not inside the tokens: no token went stale on one (8 new
    # connections, each held 1 s, would have made 8 tokens stale); the summary says so
    replaced = re.search(r"rate tokens replaced \(request held up\)\W+(\d+)", done.stdout)
    assert replaced is not None, done.stdout
    assert int(replaced.group(1)) < RESEARCHERS
