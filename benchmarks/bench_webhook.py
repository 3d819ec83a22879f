"""Webhook deliveries while ORCID is slow: the web thread's time per delivery and the reads.

A host app with the add-on's models and sync include (in process, WebTest), an emulator in its
own process answering every call after ``--latency-ms``, one connected researcher. Contenders,
side by side: the webhook view as it is (queues the read; the worker then reads once) and
the read made inside the request, as the view did before (``pull_link`` per delivery).
Printed: median web time per delivery for each, and ORCID reads per burst of ``--deliveries``.

    .venv/bin/python benchmarks/bench_webhook.py [--deliveries 12] [--latency-ms 300]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench_sync_common import database, emulator, world

SECRET = "bench-webhook-secret"


def host_app(w):
    """The add-on's models and sync include on the world's database."""
    from pyramid.config import Configurator

    s = w.settings
    settings = {"orcid.dbengine": w.engine, "orcid.environment": "emulator",
                "orcid.base_url": s.base_url, "orcid.api_url": s.api_url,
                "orcid.client_id": s.client_id, "orcid.client_secret": s.client_secret,
                "orcid.token_key": ",".join(s.token_keys),
                "orcid.support_email": "support@example.org",
                "orcid.features": "collect connect-activities webhooks",
                "orcid.rate_limit": "1000/1000", "orcid.webhook_secret": SECRET,
                "orcid.webhook_debounce": "0", "sqlalchemy.url": "sqlite://"}
    with Configurator(settings=settings) as config:
        config.include("orcid_pyramid.models")
        config.include("orcid_pyramid.sync")
        return config.make_wsgi_app()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=12)
    parser.add_argument("--latency-ms", type=float, default=300.0)
    args = parser.parse_args()
    from sqlalchemy import select
    from webtest import TestApp

    from orcid_pyramid.models import OrcidLink
    from orcid_pyramid.sync.pull import pull_link
    from orcid_pyramid.sync.webhook import webhook_token
    from orcid_pyramid.sync.worker import Worker

    with emulator(latency_ms=args.latency_ms) as handle, database() as url:
        w = world(handle, url)
        orcid = w.connect("u1")
        app = host_app(w)
        web = TestApp(app)
        path = f"/orcid/webhook/{webhook_token(SECRET, orcid)}"

        def reads(since: int) -> int:
            return len([c for c in handle.control.calls()[since:]
                        if c["path"].endswith(f"{orcid}/activities")])

        before = len(handle.control.calls())
        queued = []
        for _ in range(args.deliveries):
            started = time.perf_counter()
            web.post(path, status=204)
            queued.append(time.perf_counter() - started)
        Worker.from_registry(app.registry).run_once()
        queued_reads = reads(before)

        before = len(handle.control.calls())
        inline = []
        client = w.client()
        for _ in range(args.deliveries):
            started = time.perf_counter()
            with w.session() as db:  # what the view did: read the record in the request
                link = db.execute(select(OrcidLink).where(OrcidLink.orcid == orcid)).scalar_one()
                api = client.member(w.cipher.decrypt(link.access_token_enc), orcid)
                pull_link(db, api, link)
                db.commit()
            inline.append(time.perf_counter() - started)
        inline_reads = reads(before)

    q, i = statistics.median(queued) * 1000, statistics.median(inline) * 1000
    print(f"{args.deliveries} deliveries, ORCID latency {args.latency_ms:.0f} ms")
    print(f"  queued for the worker: median {q:.2f} ms per delivery in the web thread, "
          f"{queued_reads} read(s) of the record")
    print(f"  read in the request:   median {i:.2f} ms per delivery in the web thread, "
          f"{inline_reads} read(s) of the record")
    print(f"  web thread time: {i / q:.0f}x less")


if __name__ == "__main__":
    main()
