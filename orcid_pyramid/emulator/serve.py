"""Serve the emulator on a socket: waitress, and with ``tls`` a TLS front before it.

With TLS, waitress listens on a free loopback port that only the front talks to, and is told
the scheme is https, so every URL the emulator writes (discovery document, redirects,
``Location``) names the HTTPS address clients used.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer
from waitress.server import create_server as waitress_server
from waitress.task import WSGITask

from .ratelimit import ARRIVED
from .tls import LocalCA, TLSFront


@dataclass
class Listening:
    """Where the emulator answers: ``base_url`` and, with TLS, the local CA it uses."""

    base_url: str
    server: object = field(repr=False)
    front: TLSFront | None = field(default=None, repr=False)
    ca: LocalCA | None = None

    def close(self) -> None:
        """Stop the front (if any), then waitress's sockets."""
        if self.front is not None:
            self.front.stop()
        self.server.close()


class _ArrivalParser(HTTPRequestParser):
    """Made when a request's first bytes are read: notes the time."""

    def __init__(self, adj) -> None:
        super().__init__(adj)
        self.arrived = time.monotonic()


class _ArrivalTask(WSGITask):
    def get_environment(self):
        environ = super().get_environment()
        environ[ARRIVED] = getattr(self.request, "arrived", None)
        return environ


class _ArrivalChannel(HTTPChannel):
    parser_class = _ArrivalParser
    task_class = _ArrivalTask


def create_server(app, **kwargs):
    """waitress's ``create_server`` whose requests carry their arrival time (the environ's
    ``ratelimit.ARRIVED``: when the request's first byte was read, before it waited for a
    thread), so the rate limit and the latency count from there, as at ORCID."""
    server = waitress_server(app, **kwargs)
    servers = [server] if isinstance(server, BaseWSGIServer) else [
        one for one in server.map.values() if isinstance(one, BaseWSGIServer)]
    for one in servers:
        one.channel_class = _ArrivalChannel
    return server


def make_local_ca(directory: str | Path | None = None) -> LocalCA:
    """A new throwaway CA in ``directory`` (default: a new private temporary directory)."""
    if directory is None:
        directory = tempfile.mkdtemp(prefix="orcid-emulator-ca-")
    return LocalCA.create(directory)


def listen(app, *, host: str = "127.0.0.1", port: int = 0, threads: int = 8,
           ca: LocalCA | None = None) -> Listening:
    """Create the waitress server (and, with ``ca``, start the TLS front on ``host:port``).

    The caller runs ``server.run()`` (or its own loop over ``server._map``). Raises OSError
    when the port is taken.
    """
    if ca is None:
        server = create_server(app, host=host, port=port, threads=threads)
        return Listening(f"http://{_url_host(host)}:{server.effective_port}", server)
    server = create_server(app, host="127.0.0.1", port=0, threads=threads, url_scheme="https")
    try:
        front = TLSFront(("127.0.0.1", server.effective_port), ca.server_context(), host=host,
                         port=port).start()
    except OSError:
        server.close()
        raise
    return Listening(f"https://{_url_host(host)}:{front.port}", server, front, ca)


#: net allocations between two collections of the young generation (CPython's default: 700)
YOUNG = 50_000


def tune_collector() -> None:
    """For a process that serves the emulator from now on: freeze what the start-up made and
    collect the young generation every ``YOUNG`` allocations.

    The emulator keeps every record it is given, and each bulk POST adds some 3,000 containers
    that live on; with CPython's defaults the collector walked them again and again, 1.9 ms
    of the 8-10 ms of CPU a bulk of 100 works cost (``gc.callbacks``, 100 bulks; the side by
    side is in ``benchmarks/bench_emulator.py``). Cycles are still collected, later. The
    ``sync`` command does the same for the worker (``orcid_pyramid.gctune``, a part of the
    add-on, which the emulator does not import).
    """
    import gc

    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
