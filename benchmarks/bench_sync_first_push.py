"""First push of one researcher's works: the sync worker (bulk POST, 100 a call) against the
PyPI ``orcid`` package (python-orcid 1.0.3) posting one work per call, side by side in one
run against an emulator with ORCID's rate limit (24/s, burst 40) and 100 ms latency.

``--works N`` sets the sample (default 300; at least 300 for the reported figure). The
worker sends one request at a time per iD (one writer per iD), its bulk POSTs one after the
other.
"""

from __future__ import annotations

import argparse
import time

import requests
from bench_sync_common import database, emulator, setup_path, world


def python_orcid_push(handle, world_, orcid: str, token: str, works) -> float:
    """Post ``works`` one by one with python-orcid; returns seconds."""
    import orcid as python_orcid
    import orcid.orcid as python_orcid_module

    # python-orcid has no base-URL option and speaks /v2.0: point its private endpoint and
    # its module-level version at the emulator's member API and /v3.0
    python_orcid_module.VERSION = "/v3.0"
    api = python_orcid.MemberAPI(world_.settings.client_id, world_.settings.client_secret,
                                 sandbox=True, timeout=30)
    api._endpoint = handle.api_url
    started = time.perf_counter()
    for item in works:
        api.add_record(orcid, token, "work", item.content_json())
    return time.perf_counter() - started


def main() -> None:
    setup_path()
    from tests.functional.sync_support import work

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--works", type=int, default=300)
    args = parser.parse_args()
    n = args.works
    with database() as url, emulator(rate_limit="24/40", latency_ms=100) as handle:
        w = world(handle, url, **{"orcid.rate_limit": "24/40"})
        # one member-API request first, so that neither contender pays the emulator
        # process's one-off start-up (it loads its API modules on the first API call)
        requests.get(f"{handle.api_url}/v3.0/{w.connect('warm-up')}/works", timeout=30)
        ours = w.connect("ours")
        w.put_many("ours", {f"w{i}": work(i) for i in range(n)})
        worker = w.worker()
        started = time.perf_counter()
        counts = worker.run_once()
        ours_s = time.perf_counter() - started
        assert counts.posted == n, counts
        assert len(w.record_items(ours)) == n
        # the baseline: a second researcher, same works, one POST each
        theirs = w.connect("theirs")
        redirect = handle.control.authorize(theirs, w.settings.client_id,
                                            "/read-limited /activities/update",
                                            w.settings.redirect_uri or "")
        token = w.client().exchange_code(redirect.split("code=", 1)[1].split("&")[0])
        theirs_s = python_orcid_push(handle, w, theirs, token.access_token,
                                     [work(i) for i in range(n)])
        assert len(w.record_items(theirs)) == n
    ours_rate, theirs_rate = n / ours_s, n / theirs_s
    print(f"first push of {n} works for one researcher (emulator 24/40, 100 ms latency)")
    print(f"  orcid-pyramid worker : {ours_s:8.2f} s  {ours_rate:8.1f} works/s")
    print(f"  python-orcid 1.0.3   : {theirs_s:8.2f} s  {theirs_rate:8.1f} works/s")
    print(f"  ratio                : {ours_rate / theirs_rate:8.1f}x")


if __name__ == "__main__":
    main()
