"""The CPU of one ORCID call on the client's side: the client's session against a plain
requests session, side by side.

requests reads the environment at every call (the proxy variables, walking the whole
environment three times, and the CA bundle variables) and looks up ``~/.netrc`` for a call
that names no ``auth``. The client's session (``orcid_pyramid.client.http.OrcidSession``)
reads the environment's part once per host while those variables keep their values, and
never consults netrc (credentials come from the calls).

Against the emulator over HTTPS in a child process (so this process's CPU is the client's
alone), one researcher's token, one keep-alive connection: each contender makes ``--calls``
reads of the person section through :class:`~orcid_pyramid.client.OrcidClient` (call log,
error mapping and all). Both use the client's transport and adapter; only the session class
differs. The contenders alternate, ``--rounds`` times. Printed: CPU milliseconds of this
process per call (median of the rounds and range), the ratio, and the CPU seconds a second
of calls at ORCID's limit (24/s) costs each.

Then a bulk answer: the emulator's answer to a bulk POST of 100 works (ORCID's copy of each
work, some 77 kB), read as the client reads it (``orcid_pyramid.client.api._bulk_entries``:
the put codes and errors alone, with ``msgspec``) against decoding it whole with ``json`` and
walking the entries, as the client did: CPU milliseconds an answer, alternating, and the ratio.

    .venv/bin/python benchmarks/bench_client_calls.py [--calls 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sync_common import database, emulator, world  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import json
    import os

    import requests

    from orcid_pyramid.client import build_session
    from orcid_pyramid.client.api import MEDIA_TYPE
    from orcid_pyramid.client.http import TimeoutHTTPAdapter
    from orcid_pyramid.models import OrcidLink
    from tests.functional.sync_support import work

    def plain_session() -> requests.Session:
        session = requests.Session()
        adapter = TimeoutHTTPAdapter()
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    with database() as url, emulator(rate_limit=None, https=True) as handle:
        w = world(handle, url)
        w.connect("r0")
        with w.session() as db:
            link = db.query(OrcidLink).one()
            orcid, token = link.orcid, w.cipher.decrypt(link.access_token_enc)
        contenders = {"requests.Session": plain_session, "OrcidSession": build_session}
        apis = {}
        for name, make in contenders.items():
            apis[name] = w.client(session=make()).member(token, orcid)
            apis[name].read("person")  # the connection opened before the clock starts
        cpu: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(args.rounds):
            for name, api in apis.items():
                started = time.process_time()
                for _ in range(args.calls):
                    api.read("person")
                cpu[name].append((time.process_time() - started) / args.calls * 1000)
        # a bulk answer as ORCID writes it, for the second comparison
        answer = requests.post(
            f"{w.settings.api_url}/v3.0/{orcid}/works",
            data=json.dumps({"bulk": [{"work": work(n).to_json()} for n in range(100)]}),
            headers={"Authorization": f"Bearer {token}", "Accept": MEDIA_TYPE,
                     "Content-Type": MEDIA_TYPE},
            verify=os.environ.get("REQUESTS_CA_BUNDLE", True), timeout=30)
        assert answer.status_code == 200, answer.status_code
        w.engine.dispose()
    medians = {name: statistics.median(values) for name, values in cpu.items()}
    for name, values in cpu.items():
        print(f"{name:>18}: {medians[name]:.3f} ms of CPU a call "
              f"({min(values):.3f}-{max(values):.3f}, {args.rounds} rounds of {args.calls}); "
              f"at ORCID's 24 calls/s: {medians[name] * 24 / 1000:.3f} s of CPU a second")
    plain, own = medians["requests.Session"], medians["OrcidSession"]
    print(f"ratio: {plain / own:.2f}x; saved {plain - own:.3f} ms a call")
    whole, read = bulk_answer(answer, args.rounds)
    print(f"bulk answer of 100 works ({len(answer.content) / 1000:.0f} kB): decoded whole "
          f"{whole:.3f} ms, read for its put codes {read:.3f} ms of CPU: {whole / read:.1f}x; "
          f"saved {whole - read:.3f} ms a bulk")


def bulk_answer(answer, rounds: int, reads: int = 200) -> tuple[float, float]:
    """CPU milliseconds to read ``answer`` (a bulk answer) whole with ``json`` and walk its
    entries, and as the client reads it: the medians of ``rounds`` alternating rounds."""
    import json

    from orcid_pyramid.client.api import _bulk_entries

    def whole() -> list:
        codes = []
        for entry in json.loads(answer.content.decode("utf-8"))["bulk"]:
            work = entry.get("work") if isinstance(entry, dict) else None
            codes.append(work.get("put-code") if isinstance(work, dict) else entry.get("error"))
        return codes

    def read() -> list:
        return [e.work.put_code if e.work else e.error for e in _bulk_entries(answer)]

    assert whole() == read()
    cpu: dict = {whole: [], read: []}
    for _ in range(rounds):
        for contender in cpu:
            started = time.process_time()
            for _ in range(reads):
                contender()
            cpu[contender].append((time.process_time() - started) / reads * 1000)
    return statistics.median(cpu[whole]), statistics.median(cpu[read])


if __name__ == "__main__":
    main()
