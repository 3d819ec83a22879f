"""Drain 100,000 outbox rows and report the worker's peak memory (aim: at most 200 MB).

The worker runs in a child process so that its peak RSS (``ru_maxrss``) is its own; the
emulator runs without a rate limit in another process. ``--rows`` shortens the run
(default 100000, as ``--researchers`` x works each).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench_sync_common import database, emulator, setup_path, world

CHILD = """
import json, resource, sys, time
from orcid_pyramid.models import get_engine
from orcid_pyramid.settings import load_settings
from orcid_pyramid.sync.worker import Worker
values = json.loads(sys.argv[1])
worker = Worker(get_engine(values["sqlalchemy.url"]), load_settings(values))
started = time.perf_counter()
counts = worker.run_once()
print(json.dumps({"seconds": time.perf_counter() - started, "posted": counts.posted,
                  "retried": counts.retried,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    setup_path()
    from tests.functional.sync_support import work

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--researchers", type=int, default=100)
    args = parser.parse_args()
    per = args.rows // args.researchers
    with database() as url, emulator(rate_limit=None) as handle:
        w = world(handle, url, **{"orcid.rate_limit": "10000/10000"})
        started = time.perf_counter()
        for r in range(args.researchers):
            w.connect(f"r{r}")
            w.put_many(f"r{r}", {f"w{i}": work(r * 100_000 + i) for i in range(per)})
        queued_s = time.perf_counter() - started
        s = w.settings
        values = {"orcid.environment": "emulator", "orcid.base_url": s.base_url,
                  "orcid.api_url": s.api_url, "orcid.client_id": s.client_id,
                  "orcid.client_secret": s.client_secret,
                  "orcid.support_email": "support@example.org",
                  "orcid.token_key": ",".join(s.token_keys),
                  "orcid.rate_limit": "10000/10000", "sqlalchemy.url": url}
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(values)],
                             capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": root})
        result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"drained {result['posted']} of {per * args.researchers} rows "
          f"({args.researchers} researchers, {w.engine.dialect.name})")
    print(f"  queueing            : {queued_s:8.1f} s")
    print(f"  drain               : {result['seconds']:8.1f} s "
          f"({result['posted'] / result['seconds']:.0f} rows/s)")
    print(f"  worker peak RSS     : {result['maxrss_mb']:8.1f} MB (aim <= 200 MB)")


if __name__ == "__main__":
    main()
