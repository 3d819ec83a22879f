"""The sync worker at ORCID's limit in four shapes of work, side by side in one run (issue 13).

Against an emulator at ORCID's limits (24 requests/s, burst 40) with 100 ms latency
(``--latency-ms``), the worker runs as a site runs it (``orcid-pyramid sync CONFIG
--once``, default worker count, in a child process) for a first push and then for updates,
in each shape (researchers x works): 10x100, 50x100, 100x100, 10x500. Per shape and phase
it prints:

- **share of the limit**: the bound / the time ORCID saw (first request start to last
  answer). The bound is what ORCID's limits allow at best: the later of the last request's
  earliest start ((requests - burst) / rate, never below 0) plus one latency, and the
  busiest iD's requests x latency (one request at a time per iD). The emulator's latency is
  the least time a call takes, its handling included (a bulk POST of 100 works costs it some
  6-10 ms of CPU, inside the 100 ms unless concurrent bulks queue for its interpreter).
  ``share*`` takes the time the emulator really held each request as its latency: what is
  left is the worker's own share of the delay.
- works/s, against python-orcid 1.0.3 posting one work per call (one researcher) and on 8
  threads (8 researchers at once, no rate limiter of its own: its 503s are counted);
- 503 answers, overlapping requests per iD, duplicate works on the records, the worker's
  peak memory (RSS of the child process) and CPU seconds (user + system, start-up included);
- ``emu cpu``: the emulator's own CPU seconds over the phase (its process, read from
  ``/proc``): one interpreter, so its bulks are handled one after the other whatever the
  client does;
- ``db cpu``: PostgreSQL's CPU seconds over the phase (every server process on this machine,
  the sync process's connections and the server's own background work such as WAL writing
  and autovacuum);
- ``cap``: the best share the worker's own token bucket allows, whatever its CPU: it keeps a
  margin under ORCID's limit (``orcid_pyramid.sync.ratelimit.below``: the rate x 0.995, and a
  reserve of ORCID's burst for the delay on the way, 1 token of 40 until a 503 teaches it
  more), so that what reaches ORCID never exceeds its bucket. For 50 requests that margin
  costs a twelfth of the bound (cap 0.92); for 100, a fiftieth (0.98);
- ``room``: the fewest tokens ORCID's bucket (24/s, burst 40) held beyond the one a request
  took, replayed over the emulator's call log (each call from its arrival, as ORCID's proxy
  counts): how close the worker came to a 503 (below 0: a 503). What the delays on the way
  used of the worker's reserve is the reserve less room;
- ``late``: rate tokens the worker replaced because a request left after its token's
  deadline (``orcid_pyramid.sync.ratelimit.deadline``) (each one a token left unused; from the
  ``sync`` summary);
- ``ideal`` (with ``--ideal``): the share a client that costs nothing reaches on this
  machine, the ceiling for the worker. Every bulk body is built before the clock starts; as
  many threads as the worker starts by default (one per researcher, up to 64), each on a
  connection opened beforehand, take the researchers one at a time and send each one's
  bulks one after the other, paced only by ORCID's limit (request k leaves (k - burst) /
  rate after the first one); the share is measured like the worker's, from the emulator's
  call log, on a fresh emulator, after each run of the worker. It keeps no reserve for the
  delay on the way: a run in which it got a 503 shows no ceiling (nan), as ORCID would not
  have allowed it.

Updates: ``--updates`` (default 1,000) works spread evenly over the researchers. Needs
PostgreSQL (``ORCID_PYRAMID_TEST_DATABASE_URL``) for more than one worker thread.
``--processes N`` runs N ``sync`` processes at once on the one database (several machines).
``--skip-baseline`` leaves python-orcid out; ``--ideal`` adds the zero-cost client's share.
``--repeat N`` runs each shape N times (a fresh emulator and database each time): on this
machine's 2 cores, shared by the worker, PostgreSQL and the emulator, one first push of
50x100 has measured anywhere from 0.61 to 0.81, so one run says little; the summary lines
give the median share and its range.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench_sync_common import api_calls, database, emulator, setup_path, world

SHAPES = ((10, 100), (50, 100), (100, 100), (10, 500))
RATE, BURST, LATENCY = 24.0, 40, 0.1


def bound(per_orcid: Counter) -> float:
    """The shortest time ORCID's limits allow for these requests (see the docstring)."""
    requests = sum(per_orcid.values())
    return max(max(0, requests - BURST) / RATE + LATENCY, max(per_orcid.values()) * LATENCY)


def bucket_cap(per_orcid: Counter) -> float:
    """The share the worker's own bucket allows at best (see the docstring): its last token
    comes after (requests - its burst) / its rate."""
    from orcid_pyramid.sync.ratelimit import below

    rate, burst = below(RATE, BURST)
    requests = sum(per_orcid.values())
    best = max(max(0.0, requests - burst) / rate + LATENCY, max(per_orcid.values()) * LATENCY)
    return bound(per_orcid) / best


def bound_seen(calls: list[dict]) -> float:
    """The bound with each request's own duration at the emulator as its latency."""
    per_orcid: Counter = Counter()
    for call in calls:
        per_orcid[call["orcid"]] += call["duration_ms"] / 1000
    slowest = max(c["duration_ms"] for c in calls) / 1000
    return max(max(0, len(calls) - BURST) / RATE + slowest, max(per_orcid.values()))


def room(calls: list[dict]) -> float:
    """The fewest tokens ORCID's bucket held beyond the one a request takes, over the phase
    (the emulator logs each call from its arrival, as ORCID's proxy counts it): how close the
    worker came to a 503 (below 0: a 503)."""
    tokens, last, least = float(BURST), None, float("inf")
    for call in sorted(calls, key=lambda c: c["time"]):
        if last is not None:
            tokens = min(float(BURST), tokens + (call["time"] - last) * RATE)
        last = call["time"]
        least = min(least, tokens - 1)
        if tokens >= 1:
            tokens -= 1
    return least


def overlaps(calls: list[dict]) -> int:
    """Requests for one iD that started before the previous one for it had ended."""
    by_orcid: dict[str, list[dict]] = defaultdict(list)
    for call in calls:
        by_orcid[call["orcid"]].append(call)
    found = 0
    for mine in by_orcid.values():
        mine.sort(key=lambda c: c["time"])
        ends = 0.0
        for call in mine:
            if call["time"] < ends:
                found += 1
            ends = max(ends, call["time"] + call["duration_ms"] / 1000)
    return found


def run_sync(ini: str, workers: int | None,
             processes: int = 1) -> tuple[float, float, float, float]:
    """``orcid-pyramid sync INI --once`` in ``processes`` processes at once: (wall seconds,
    the largest peak RSS in MB of one process, CPU seconds of all of them: on a loaded
    machine the steadier measure of the worker's own cost, and the rate tokens they replaced
    because a request was held up past the window, read from their summaries)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    command = [sys.executable, "-m", "orcid_pyramid", "sync", ini, "--once"]
    if workers:
        command += ["--workers", str(workers)]
    outputs = [tempfile.TemporaryFile() for _ in range(processes)]
    started = time.perf_counter()
    procs = [subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL,
                              env={**os.environ, "PYTHONPATH": root}, cwd=root)
             for out in outputs]
    peak = cpu = 0.0
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"orcid-pyramid sync failed ({proc.returncode})")
        peak = max(peak, usage.ru_maxrss / 1024)
        cpu += usage.ru_utime + usage.ru_stime
    wall = time.perf_counter() - started
    late = 0.0
    for out in outputs:
        out.seek(0)
        found = re.search(rb"rate tokens replaced \(request held up\)\W+(\d+)", out.read())
        late += int(found.group(1)) if found else float("nan")
        out.close()
    return wall, peak, cpu, late


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux ``/proc``)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds used so far by PostgreSQL's processes on this machine, including those
    of its connections that have ended (the server's children, reaped by it)."""
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm", encoding="ascii") as comm:
                if not comm.read().startswith("postgres"):
                    continue
            with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, and the children's cutime, cstime
        total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def measure(handle, w, start: int, wanted: Counter, wall: float, rss: float, works: int,
            cpu: float = 0.0, emu_cpu: float = float("nan"), db_cpu: float = float("nan"),
            late: float = float("nan")):
    """One phase's figures from the emulator's call log."""
    calls = api_calls(handle, start)
    writes = [c for c in calls if c["method"] in ("POST", "PUT")]
    first = min(c["time"] for c in calls)
    last = max(c["time"] + c["duration_ms"] / 1000 for c in calls)
    return {"share": bound(wanted) / (last - first), "cap": bucket_cap(wanted),
            "share_seen": bound_seen(calls) / (last - first), "seen_s": last - first,
            "wall_s": wall,
            "works_s": works / (last - first), "requests": len(calls), "writes": len(writes),
            "needed": sum(wanted.values()), "503": sum(1 for c in calls if c["status"] == 503),
            "overlaps": overlaps(calls), "room": room(calls), "rss_mb": rss, "cpu_s": cpu,
            "emu_cpu_s": emu_cpu, "db_cpu_s": db_cpu, "late": late}


def duplicates(w) -> int:
    """Works on the records beyond one per DOI."""
    extra = 0
    for orcid in w.users.values():
        dois = Counter(x["item"]["external-ids"]["external-id"][0]["external-id-value"]
                       for x in w.record_items(orcid))
        extra += sum(n - 1 for n in dois.values())
    return extra


def shape(researchers: int, works: int, updates: int, workers: int | None, tmp: str,
          processes: int = 1, https: bool = False):
    """First push and updates for one shape on a fresh emulator and database."""
    from tests.functional.sync_support import site_ini, work

    with database() as url, emulator(rate_limit="24/40", latency_ms=LATENCY * 1000,
                                     https=https) as handle:
        w = world(handle, url, **{"orcid.rate_limit": "24/40"})
        for r in range(researchers):
            w.connect(f"r{r}")
            w.put_many(f"r{r}", {f"w{i}": work(r * 10_000 + i) for i in range(works)})
        ini = site_ini(Path(tmp), w, rate_limit="24/40")
        orcids = list(w.users.values())
        start = len(handle.control.calls())
        emu, db = process_cpu(handle.proc.pid), postgres_cpu()
        wall, rss, cpu, late = run_sync(ini, workers, processes)
        emu, db = process_cpu(handle.proc.pid) - emu, postgres_cpu() - db
        bulks = -(-works // 100)
        push = measure(handle, w, start, Counter({o: bulks for o in orcids}), wall, rss,
                       researchers * works, cpu, emu, db, late)
        each = max(1, updates // researchers)
        for r in range(researchers):
            w.put_many(f"r{r}", {f"w{i}": work(r * 10_000 + i, title=f"Updated {i}")
                                 for i in range(min(each, works))})
        start = len(handle.control.calls())
        emu, db = process_cpu(handle.proc.pid), postgres_cpu()
        wall, rss, cpu, late = run_sync(ini, workers, processes)
        emu, db = process_cpu(handle.proc.pid) - emu, postgres_cpu() - db
        upd = measure(handle, w, start, Counter({o: min(each, works) for o in orcids}), wall,
                      rss, researchers * min(each, works), cpu, emu, db, late)
        dup = duplicates(w)
        w.engine.dispose()
    return push, upd, dup


def ideal_push(researchers: int, works: int) -> float:
    """The first push's share for a client that costs nothing (see the docstring)."""
    import http.client
    import json
    import queue
    import threading
    from urllib.parse import urlsplit

    from tests.functional.sync_support import work

    with database() as url, emulator(rate_limit="24/40", latency_ms=LATENCY * 1000) as handle:
        w = world(handle, url, **{"orcid.rate_limit": "24/40"})
        for r in range(researchers):
            w.connect(f"r{r}")
        from orcid_pyramid.models import OrcidLink

        with w.session() as db:
            links = {link.user_id: (link.orcid, w.cipher.decrypt(link.access_token_enc))
                     for link in db.query(OrcidLink)}
        api = urlsplit(handle.api_url)
        jobs: queue.SimpleQueue = queue.SimpleQueue()
        for r in range(researchers):
            orcid, token = links[f"r{r}"]
            bodies = [json.dumps({"bulk": [{"work": work(r * 10_000 + i).content_json()}
                                           for i in range(s, min(s + 100, works))]}).encode()
                      for s in range(0, works, 100)]
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
                       "Content-Type": "application/json"}
            jobs.put((f"{api.path}/v3.0/{orcid}/works", headers, bodies))
        connections = []
        from orcid_pyramid.cli.sync import MAX_WORKERS

        for _ in range(min(MAX_WORKERS, researchers)):
            connection = http.client.HTTPConnection(api.hostname, api.port, timeout=60)
            connection.connect()
            connections.append(connection)
        slots = iter(range(researchers * -(-works // 100)))
        lock = threading.Lock()
        statuses: Counter = Counter()
        start = len(handle.control.calls())
        # when the first request left: counted from before the threads started, a machine
        # slow to start them sent the later requests early for ORCID's bucket (503s)
        began: list[float] = []

        def send(connection) -> None:
            # one researcher at a time per thread, as the worker's threads take them: the
            # requests of one iD go one after the other
            while True:
                try:
                    path, headers, bodies = jobs.get_nowait()
                except queue.Empty:
                    return
                for body in bodies:
                    with lock:
                        slot = next(slots)
                        if not began:  # the schedule counts from the first request's start
                            began.append(time.monotonic())
                    wait = began[0] + max(0, slot - BURST + 1) / RATE * 1.02 - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    connection.request("POST", path, body, headers)
                    response = connection.getresponse()
                    response.read()
                    with lock:
                        statuses[response.status] += 1

        threads = [threading.Thread(target=send, args=(c,)) for c in connections]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for connection in connections:
            connection.close()
        calls = api_calls(handle, start)
        bulks = -(-works // 100)
        first = min(c["time"] for c in calls)
        last = max(c["time"] + c["duration_ms"] / 1000 for c in calls)
        w.engine.dispose()
    if set(statuses) != {200} or statuses[200] != researchers * bulks:
        # it keeps no reserve for the delay on the way: a 503 means this run's ceiling is
        # not one ORCID would have allowed, so none is shown for it (nan)
        print(f"the zero-cost client's answers: {dict(statuses)} (no ceiling for this run)")
        return float("nan")
    return bound(Counter({orcid: bulks for orcid, _ in links.values()})) / (last - first)


def python_orcid(sample: int, threads: int) -> tuple[float, int]:
    """python-orcid posting ``sample`` works one per call on ``threads`` researchers at once:
    (works/s that landed, 503 answers)."""
    import concurrent.futures

    import orcid as python_orcid_pkg
    import orcid.orcid as python_orcid_module
    from requests import HTTPError

    from tests.functional.sync_support import work

    python_orcid_module.VERSION = "/v3.0"
    with database() as url, emulator(rate_limit="24/40", latency_ms=LATENCY * 1000) as handle:
        w = world(handle, url, **{"orcid.rate_limit": "24/40"})
        tokens = {}
        for t in range(threads):
            orcid_id = w.connect(f"p{t}")
            redirect = handle.control.authorize(orcid_id, w.settings.client_id,
                                                "/read-limited /activities/update",
                                                w.settings.redirect_uri or "")
            tokens[orcid_id] = w.client().exchange_code(
                redirect.split("code=", 1)[1].split("&")[0]).access_token

        def push(orcid_id: str, n: int, offset: int) -> tuple[int, int]:
            api = python_orcid_pkg.MemberAPI(w.settings.client_id, w.settings.client_secret,
                                             sandbox=True, timeout=30)
            api._endpoint = handle.api_url
            ok = refused = 0
            for i in range(n):
                try:
                    api.add_record(orcid_id, tokens[orcid_id], "work",
                                   work(offset + i).content_json())
                    ok += 1
                except HTTPError as exc:
                    refused += exc.response is not None and exc.response.status_code == 503
            return ok, refused

        per = sample // threads
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            done = list(pool.map(push, tokens, [per] * threads,
                                 [t * 10_000 for t in range(threads)]))
        seconds = time.perf_counter() - started
    return sum(ok for ok, _ in done) / seconds, sum(r for _, r in done)


def main() -> None:
    import tempfile

    setup_path()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None,
                        help="worker threads (default: the command's own default)")
    parser.add_argument("--sample", type=int, default=120,
                        help="works python-orcid posts for its rate")
    parser.add_argument("--shapes", default=",".join(f"{r}x{n}" for r, n in SHAPES))
    parser.add_argument("--processes", type=int, default=1,
                        help="orcid-pyramid sync processes sharing the database")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--ideal", action="store_true",
                        help="also the first push of a client that costs nothing")
    parser.add_argument("--latency-ms", type=float, default=100.0,
                        help="the emulator's latency per call (default 100; ORCID's own "
                             "for a bulk of 100 works can be a second or more)")
    parser.add_argument("--https", action="store_true",
                        help="the emulator over HTTPS, verified against a bundle the size of "
                             "requests' default (certifi's and the emulator's CA), as ORCID "
                             "is reached (the zero-cost client stays on plain HTTP)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each shape, each on a fresh emulator and database; "
                             "with more than one, a line per shape and phase gives the "
                             "median share and the range (the zero-cost client's too)")
    args = parser.parse_args()
    global LATENCY
    LATENCY = args.latency_ms / 1000
    one_rate, eight_rate, eight_503 = 1.0, 1.0, 0
    if not args.skip_baseline:
        one_rate, _ = python_orcid(args.sample // 2, 1)
        eight_rate, eight_503 = python_orcid(args.sample, 8)
    print(f"python-orcid 1.0.3, one work per call: {one_rate:.1f} works/s on one thread; "
          f"{eight_rate:.1f} works/s on 8 threads with {eight_503} 503s")
    head = (f"{'shape':>8} {'phase':>6} {'share':>6} {'share*':>6} {'seen s':>7} {'wall s':>7} "
            f"{'works/s':>8} {'x1thr':>6} {'x8thr':>6} {'req':>5} {'need':>5} {'503':>4} "
            f"{'ovl':>4} {'dup':>4} {'rss MB':>7} {'cpu s':>6} {'emu cpu':>7} {'db cpu':>6} "
            f"{'cap':>5} {'ideal':>5} {'room':>5} {'late':>4}")
    print(head)
    for text in args.shapes.split(","):
        researchers, works = (int(x) for x in text.split("x"))
        runs, ideals = [], []
        for _ in range(max(1, args.repeat)):
            with tempfile.TemporaryDirectory() as tmp:
                push, upd, dup = shape(researchers, works, args.updates, args.workers, tmp,
                                       args.processes, args.https)
            # the zero-cost client after each run of the worker: both meet the same load
            # of this (shared) machine, run after run
            ideal = ideal_push(researchers, works) if args.ideal else float("nan")
            runs.append((push, upd, dup))
            ideals.append(ideal)
            for phase, m in (("push", push), ("update", upd)):
                print(f"{text:>8} {phase:>6} {m['share']:6.2f} {m['share_seen']:6.2f} "
                      f"{m['seen_s']:7.2f} "
                      f"{m['wall_s']:7.2f} {m['works_s']:8.1f} {m['works_s'] / one_rate:6.1f} "
                      f"{m['works_s'] / eight_rate:6.1f} {m['requests']:5d} {m['needed']:5d} "
                      f"{m['503']:4d} {m['overlaps']:4d} {dup:4d} {m['rss_mb']:7.1f} "
                      f"{m['cpu_s']:6.2f} {m['emu_cpu_s']:7.2f} {m['db_cpu_s']:6.2f} "
                      f"{m['cap']:5.2f} {ideal if phase == 'push' else float('nan'):5.2f} "
                      f"{m['room']:5.2f} {m['late']:4.0f}", flush=True)
        if len(runs) > 1:
            for index, phase in enumerate(("push", "update")):
                print(summary(text, phase, [run[index] for run in runs],
                              [run[2] for run in runs],
                              ideals if phase == "push" and args.ideal else []), flush=True)


def summary(text: str, phase: str, runs: list[dict], dups: list[int],
            ideals: list[float] = ()) -> str:
    """One line for several runs of a shape's phase: the median share and its range, and
    what must stay at zero summed over the runs (and the zero-cost client's shares, those of
    its runs without a 503)."""
    shares = sorted(m["share"] for m in runs)
    seen = sorted(m["share_seen"] for m in runs)
    line = (f"{text:>8} {phase:>6} median of {len(runs)}: share {statistics.median(shares):.2f}"
            f" ({shares[0]:.2f}-{shares[-1]:.2f}), share* {statistics.median(seen):.2f}"
            f" ({seen[0]:.2f}-{seen[-1]:.2f}); over the runs: "
            f"{sum(m['503'] for m in runs)} 503s, {sum(m['overlaps'] for m in runs)} overlaps,"
            f" {sum(dups)} duplicates, least room {min(m['room'] for m in runs):.2f}")
    shown = sorted(x for x in ideals if x == x)
    if shown:
        line += (f"; zero-cost client {statistics.median(shown):.2f}"
                 f" ({shown[0]:.2f}-{shown[-1]:.2f}, {len(shown)} of {len(ideals)} runs)")
    return line


if __name__ == "__main__":
    main()
