"""How fast is the emulator? In process, one thread, direct WSGI calls.

Measures authenticated single-work POSTs per second, bulk POSTs of 100 works per second (JSON,
as the sync worker sends them, with the CPU ms each costs) and ``GET /works`` per second
(records of 5, 50 and 300 works) and prints each figure with its ratio to ORCID's member API
limit (24 requests/s). Aims: >= 300 POST/s
and >= 1,000 GET/s, so the emulator is never the bottleneck of a test run.

Then the garbage collector's settings side by side (``emulator.serve.tune_collector``, which
the ``emulator`` command applies once it serves): ``GC_BULKS`` bulk POSTs into one record
that keeps them all (as a sync run fills the emulator), in a fresh process each, CPython's
default thresholds against the tuned ones, alternated ``GC_ROUNDS`` times; it prints the
CPU ms per bulk, the ms per bulk spent in collections (``gc.callbacks``) and the ratio.

    python benchmarks/bench_emulator.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from urllib.parse import parse_qs, urlencode, urlsplit

ORCID_RATE = 24.0
REDIRECT = "http://127.0.0.1:9/callback"
BATCH = 300
GET_SIZES = (5, 50, 300)


def call(app, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    """One WSGI request; returns (status code, headers, body)."""
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
        "SCRIPT_NAME": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": False,
        "wsgi.multiprocess": False, "wsgi.run_once": False, "CONTENT_LENGTH": str(len(body)),
        "REMOTE_ADDR": "127.0.0.1",
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    out: dict = {}

    def start_response(status, response_headers, exc_info=None):
        out["status"] = int(status.split()[0])
        out["headers"] = dict(response_headers)

    chunks = app(environ, start_response)
    data = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return out["status"], out["headers"], data


def user_token(app) -> str:
    """Authorize the demo researcher and exchange the code."""
    from orcid_pyramid.emulator import seed

    body = json.dumps({"orcid": seed.DEMO_ORCID, "client_id": seed.DEMO_CLIENT_ID,
                       "scope": "/read-limited /activities/update",
                       "redirect_uri": REDIRECT}).encode()
    _, _, answer = call(app, "POST", "/_emulator/authorize", body,
                        {"Content-Type": "application/json"})
    code = parse_qs(urlsplit(json.loads(answer)["redirect"]).query)["code"][0]
    form = urlencode({"client_id": seed.DEMO_CLIENT_ID, "client_secret": seed.DEMO_CLIENT_SECRET,
                      "grant_type": "authorization_code", "code": code,
                      "redirect_uri": REDIRECT}).encode()
    _, _, answer = call(app, "POST", "/oauth/token", form,
                        {"Content-Type": "application/x-www-form-urlencoded"})
    return json.loads(answer)["access_token"]


def work(n: int) -> bytes:
    return json.dumps({"title": {"title": {"value": f"Benchmark work {n}"}},
                       "type": "journal-article",
                       "external-ids": {"external-id": [{
                           "external-id-type": "doi", "external-id-value": f"10.5555/bench.{n}",
                           "external-id-relationship": "self"}]}}).encode()


def measure(seconds: float, step) -> tuple[int, float]:
    """Run ``step(i)`` for about ``seconds``; (count, elapsed)."""
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        step(count)
        count += 1
    return count, time.perf_counter() - started


def measure_n(n: int, step) -> tuple[int, float]:
    """Run ``step(i)`` ``n`` times; (n, elapsed)."""
    started = time.perf_counter()
    for i in range(n):
        step(i)
    return n, time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="duration of each run")
    parser.add_argument("--gc-child", choices=("default", "tuned"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.gc_child:
        return gc_child(args.gc_child == "tuned")

    from orcid_pyramid.emulator import make_app, seed

    app = make_app(seed="demo", rate_limit=None)
    try:
        headers = {"Accept": "application/json",
                   "Content-Type": "application/json"}
        works = f"/api/v3.0/{seed.DEMO_ORCID}/works"
        post_path = f"/api/v3.0/{seed.DEMO_ORCID}/work"

        def post(i: int) -> int:
            status, answer_headers, _ = call(app, "POST", post_path, work(i), headers)
            if status != 201:
                raise SystemExit(f"POST answered {status}")
            return int(answer_headers["Location"].rsplit("/", 1)[1])

        # POSTs fill records from 0 to BATCH works, a fresh record each batch (the reset and
        # the new token are not timed): the rate does not depend on how long the run is
        posts, post_time = 0, 0.0
        while post_time < args.seconds:
            app.reset()
            headers["Authorization"] = f"Bearer {user_token(app)}"
            count, elapsed = measure_n(BATCH, post)
            posts, post_time = posts + count, post_time + elapsed
        bulk_rate, bulk_cpu_ms = bulk_figures(app, headers, args.seconds)
        # GETs read records of 5, 50 (a realistic size for one researcher) and 300 works
        # (a repeated read is served from the read cache; "after a PUT" times only GETs that
        # each follow a change to one work, so the list is rendered again every time)
        get_rates, cold_rates = {}, {}
        for size in GET_SIZES:
            app.reset()
            headers["Authorization"] = f"Bearer {user_token(app)}"
            first = [post(i) for i in range(size)][0]

            def get(i: int) -> None:
                status, _, _ = call(app, "GET", works, headers=headers)
                if status != 200:
                    raise SystemExit(f"GET answered {status}")

            gets, get_time = measure(args.seconds, get)
            get_rates[size] = gets / get_time
            cold_rates[size] = cold_get_rate(app, headers, first, args.seconds, get)
    finally:
        app.close()
    post_rate = posts / post_time
    print(f"POST /work   : {post_rate:8.0f} req/s  ({post_rate / ORCID_RATE:5.1f}x ORCID's "
          f"24/s; aim >= 300; records of 0-{BATCH} works)")
    print(f"POST /works  : {bulk_rate:8.1f} bulks/s ({bulk_cpu_ms:.2f} CPU ms per bulk of "
          f"{BULK} works, fresh record each bulk)")
    for size, rate in get_rates.items():
        print(f"GET  /works  : {rate:8.0f} req/s  ({rate / ORCID_RATE:5.1f}x ORCID's "
              f"24/s; aim >= 1000; record of {size} works)")
    for size, rate in cold_rates.items():
        print(f"GET  /works  : {rate:8.0f} req/s  ({rate / ORCID_RATE:5.1f}x ORCID's "
              f"24/s; each after a PUT; record of {size} works)")
    gc_side_by_side()
    return 0


GC_BULKS, GC_ROUNDS = 100, 3


def gc_side_by_side() -> None:
    """The collector's default and tuned settings, each in fresh processes, alternated."""
    import subprocess

    runs: dict[str, list[tuple[float, float]]] = {"default": [], "tuned": []}
    for _ in range(GC_ROUNDS):
        for mode in runs:
            out = subprocess.run([sys.executable, __file__, "--gc-child", mode], check=True,
                                 capture_output=True, text=True).stdout.split()
            runs[mode].append((float(out[0]), float(out[1])))
    best = {mode: min(r[0] for r in figures) for mode, figures in runs.items()}
    for mode, figures in runs.items():
        print(f"POST /works  : collector {mode:7s}: "
              f"{'/'.join(f'{r[0]:.2f}' for r in figures)} CPU ms per bulk, of which "
              f"{'/'.join(f'{r[1]:.2f}' for r in figures)} in collections "
              f"({GC_BULKS} bulks of {BULK} into one record, {GC_ROUNDS} runs)")
    print(f"POST /works  : tuned / default, best runs: {best['tuned'] / best['default']:.2f} "
          "of the CPU")


def gc_child(tuned: bool) -> int:
    """One process: ``GC_BULKS`` bulks into one record; prints CPU ms and GC ms per bulk."""
    import gc

    from orcid_pyramid.emulator import make_app, seed
    from orcid_pyramid.emulator.serve import tune_collector

    app = make_app(seed="demo", rate_limit=None)
    headers = {"Accept": "application/json", "Content-Type": "application/json",
               "Authorization": f"Bearer {user_token(app)}"}
    bodies = [bulk_body(n * BULK) for n in range(GC_BULKS)]
    if tuned:
        tune_collector()
    spent = {"total": 0.0, "since": 0.0}

    def clock(phase: str, _info: dict) -> None:
        if phase == "start":
            spent["since"] = time.perf_counter()
        else:
            spent["total"] += time.perf_counter() - spent["since"]

    gc.callbacks.append(clock)
    path = f"/api/v3.0/{seed.DEMO_ORCID}/works"
    started = time.process_time()
    for body in bodies:
        status, _, _ = call(app, "POST", path, body, headers)
        if status != 200:
            raise SystemExit(f"bulk POST answered {status}")
    cpu = time.process_time() - started
    gc.callbacks.remove(clock)
    app.close()
    print(f"{cpu / GC_BULKS * 1000:.3f} {spent['total'] / GC_BULKS * 1000:.3f}")
    return 0


BULK = 100


def bulk_body(start: int) -> bytes:
    """A bulk of ``BULK`` works (each with a DOI), as the sync worker sends it."""
    return json.dumps({"bulk": [{"work": json.loads(work(start + i))}
                                for i in range(BULK)]}).encode()


def bulk_figures(app, headers: dict, seconds: float) -> tuple[float, float]:
    """(bulks per second, CPU ms per bulk); each bulk goes to a fresh record (reset untimed)."""
    from orcid_pyramid.emulator import seed

    path = f"/api/v3.0/{seed.DEMO_ORCID}/works"
    body = bulk_body(0)
    count, wall, cpu = 0, 0.0, 0.0
    while wall < seconds:
        app.reset()
        headers["Authorization"] = f"Bearer {user_token(app)}"
        w0, c0 = time.perf_counter(), time.process_time()
        status, _, _ = call(app, "POST", path, body, headers)
        wall += time.perf_counter() - w0
        cpu += time.process_time() - c0
        if status != 200:
            raise SystemExit(f"bulk POST answered {status}")
        count += 1
    return count / wall, cpu / count * 1000


def cold_get_rate(app, headers: dict, put_code: int, seconds: float, get) -> float:
    """GETs per second when each follows a PUT of one work (only the GETs are timed)."""
    from orcid_pyramid.emulator import seed

    path = f"/api/v3.0/{seed.DEMO_ORCID}/work/{put_code}"
    count, spent = 0, 0.0
    while spent < seconds:
        body = json.loads(work(0))
        body["put-code"] = put_code
        body["title"]["title"]["value"] = f"Benchmark work 0, version {count}"
        status, _, _ = call(app, "PUT", path, json.dumps(body).encode(), headers)
        if status != 200:
            raise SystemExit(f"PUT answered {status}")
        started = time.perf_counter()
        get(count)
        spent += time.perf_counter() - started
        count += 1
    return count / spent


if __name__ == "__main__":
    sys.exit(main())
