"""New HTTPS connections: the client's transport against a plain requests session, side by side.

A first push starts a thread per researcher (up to 64), each with its own client and so its
own first connection to ORCID. requests hands every new connection the CA bundle's path, and
urllib3 builds a TLS context and parses the whole bundle for it; the client's transport keeps
one context per bundle for the process (``orcid_pyramid.client.http.verifying_context``).

Against the emulator over HTTPS on loopback, trusted through a bundle the size of requests'
default (certifi's public CAs plus the emulator's local CA, as a site with a custom bundle
would have), each contender opens ``--connections`` new sessions one after the other and
makes one GET on each. The contenders alternate, ``--rounds`` times. Printed: the CPU
milliseconds of this process per new connection (the client's side: the emulator runs in
other threads of this process, but its share is the same for both), the ratio, and what 50
connections cost in CPU seconds against the 0.52 s that ORCID's limit allows a first push
of 50 researchers.

    .venv/bin/python benchmarks/bench_tls_connect.py [--connections 50] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import certifi
    import requests

    from orcid_pyramid.client import build_session
    from orcid_pyramid.compliance.fixtures.emulator import process_ca, start_emulator

    handle = start_emulator(tls=True)
    ca = process_ca()
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "bundle.pem"
        bundle.write_bytes(Path(certifi.where()).read_bytes() + b"\n"
                           + Path(ca.ca_file).read_bytes())
        os.environ.pop("REQUESTS_CA_BUNDLE", None)
        url = handle.base_url + "/_emulator/faults"
        contenders = {"plain requests": requests.Session, "client transport": build_session}
        cpu: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(args.rounds):
            for name, make in contenders.items():
                started = time.process_time()
                for _ in range(args.connections):
                    with make() as session:
                        session.get(url, verify=str(bundle), timeout=10).raise_for_status()
                cpu[name].append((time.process_time() - started) / args.connections * 1000)
    handle.stop()
    print(f"{args.connections} new HTTPS connections a round, {args.rounds} rounds, CA bundle: "
          f"certifi's + the emulator's")
    medians = {name: statistics.median(values) for name, values in cpu.items()}
    for name, values in cpu.items():
        print(f"{name:>17}: {medians[name]:6.2f} ms CPU a connection (median; "
              f"{min(values):.2f}-{max(values):.2f}); 50 connections: "
              f"{medians[name] * 50 / 1000:.2f} s of CPU (the bound of a 50-researcher first "
              f"push at ORCID's limit: 0.52 s)")
    ratio = medians["plain requests"] / medians["client transport"]
    print(f"ratio plain / transport: {ratio:.1f}x")


if __name__ == "__main__":
    main()
