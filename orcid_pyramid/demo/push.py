"""What the demo pushes: the demo user's works and one employment, and a worker to send them.

The demo site calls :func:`enqueue_demo` from a view (inside the request's transaction, via
``request.orcid_sync``) and starts :func:`start_background_worker` once at startup, so the
queued items reach the embedded emulator without running ``orcid-pyramid sync`` by hand.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("orcid_pyramid.sync")

#: the demo employment (Boston University's ROR id, as in ORCID's own samples)
DEMO_EMPLOYMENT_KEY = "demo-employment"


def demo_employment(role_title: str = "Research Scientist"):
    """The employment the demo sends for every user."""
    from ..sync.builders import DisambiguatedOrganization, Employment, Organization

    organization = Organization("Boston University", "Boston", "Massachusetts", "US",
                                DisambiguatedOrganization("https://ror.org/05qwgg493", "ROR"))
    return Employment(organization=organization, role_title=role_title,
                      department_name="Department of Demonstrations", start_date="2020-01")


def enqueue_demo(sync, user_id, works) -> int:
    """Queue ``works`` (objects with ``key`` and ``to_orcid()``) and the demo employment.

    ``sync`` is ``request.orcid_sync``; returns how many items were queued.
    """
    count = 0
    for work in works:
        sync.put(user_id, work.key, work.to_orcid())
        count += 1
    sync.put(user_id, DEMO_EMPLOYMENT_KEY, demo_employment())
    return count + 1


def start_background_worker(engine, settings, *, poll: float = 1.0, client_factory=None,
                            cipher=None) -> tuple[threading.Thread, threading.Event]:
    """Run a sync worker in a daemon thread until the returned event is set."""
    from ..sync.worker import Worker

    stop = threading.Event()
    worker = Worker(engine, settings, client_factory=client_factory, backoff_base=1.0,
                    cipher=cipher)

    def run() -> None:
        while not stop.is_set():
            try:
                worker.run_forever(stop, poll=poll)
            except Exception:  # keep the demo's worker alive; the error is in the log
                log.exception("demo sync worker failed; restarting")
                stop.wait(poll)

    thread = threading.Thread(target=run, name="orcid-sync-demo", daemon=True)
    thread.start()
    return thread, stop
