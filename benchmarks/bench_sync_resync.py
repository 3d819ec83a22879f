"""A re-sync with nothing changed: every object queued again with the same content must
cost no write call (content hashes match), against the emulator at 24/40 and 100 ms.
``--researchers`` / ``--works`` shorten the run (defaults 20 x 50)."""

from __future__ import annotations

import argparse
from collections import Counter

from bench_sync_common import api_calls, database, drain, emulator, setup_path, world


def main() -> None:
    setup_path()
    from tests.functional.sync_support import employment, work

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--researchers", type=int, default=20)
    parser.add_argument("--works", type=int, default=50)
    args = parser.parse_args()

    def everything(r):
        items = {f"w{i}": work(r * 1000 + i) for i in range(args.works)}
        items["e1"] = employment()
        return items

    with database() as url, emulator(rate_limit="24/40", latency_ms=100) as handle:
        w = world(handle, url, **{"orcid.rate_limit": "24/40"})
        for r in range(args.researchers):
            w.connect(f"r{r}")
            w.put_many(f"r{r}", everything(r))
        first_s, _ = drain(w)
        for r in range(args.researchers):
            w.put_many(f"r{r}", everything(r))
        start = len(handle.control.calls())
        again_s, counts = drain(w)
        calls = api_calls(handle, start)
    writes = Counter(c["method"] for c in calls if c["method"] in ("POST", "PUT", "DELETE"))
    unchanged = sum(c.unchanged for c in counts)
    print(f"re-sync of {unchanged} unchanged items for {args.researchers} researchers")
    print(f"  first push          : {first_s:8.2f} s")
    print(f"  re-sync             : {again_s:8.2f} s")
    print(f"  write calls         : {sum(writes.values())} {dict(writes)}")
    print(f"  all API calls       : {len(calls)}")


if __name__ == "__main__":
    main()
