"""Serve the emulator on a socket: waitress, and with ``tls`` a TLS front before it.

With TLS, waitress listens on a free loopback port that only the front talks to, and is told
the scheme is https, so every URL the emulator writes (discovery document, redirects,
``Location``) names the HTTPS address clients used.
"""

from __future__ import annotations

import heapq
import itertools
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer
from waitress.server import create_server as waitress_server
from waitress.task import WSGITask
from waitress.wasyncore import _DISCONNECTED

from .faults import HOLD_ANSWER
from .ratelimit import ARRIVED
from .stamps import ANCILLARY, kernel_arrival, stamping
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
    """Made when a request's first bytes are read: notes when they arrived."""

    def __init__(self, adj, arrived: float | None = None) -> None:
        super().__init__(adj)
        self.arrived = time.monotonic() if arrived is None else arrived


class _ArrivalTask(WSGITask):
    def get_environment(self):
        environ = super().get_environment()
        environ[ARRIVED] = getattr(self.request, "arrived", None)
        environ[HOLD_ANSWER] = self.channel.hold_answer
        return environ


class _Waker:
    """One daemon thread that calls each function given to :meth:`at` at its moment
    (``time.monotonic()``): it wakes a server's loop when a held answer may leave."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def at(self, moment: float, call: Callable[[], None]) -> None:
        with self._changed:
            heapq.heappush(self._due, (moment, next(self._order), call))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="orcid-emulator-waker",
                                                daemon=True)
                self._thread.start()
            self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._due:
                    self._changed.wait()
                left = self._due[0][0] - time.monotonic()
                if left > 0:
                    self._changed.wait(left)
                    continue
                _, _, call = heapq.heappop(self._due)
            try:
                call()
            except (OSError, ValueError):
                pass  # the server was closed meanwhile: nothing to wake


_WAKER = _Waker()


class _ArrivalChannel(HTTPChannel):
    """A connection whose requests know when their first bytes reached this machine: the
    kernel's stamp where it gives one (Linux), so a request that came while the emulator's
    interpreter was busy elsewhere (one interpreter reads every socket and runs every
    thread's handling) is counted from its arrival, as ORCID's proxy counts it, and not from
    when the loop got round to reading it: on a loaded 2-core machine that was up to 50 ms
    later, and calls that came apart were counted together (a 503 ORCID would not give).
    Behind the TLS front, the stamp is the one the front's own socket got for the bytes
    it passed on (the server's ``front_arrivals``, by the front's address on this side),
    or when the front passed them on when it has none."""

    task_class = _ArrivalTask

    def __init__(self, server, sock, addr, adj, map=None):  # noqa: A002 - waitress's name
        self._stamped = stamping(sock)
        self._read_at: float | None = None
        self._held_until = 0.0
        super().__init__(server, sock, addr, adj, map)

    def hold_answer(self, moment: float) -> None:
        """Called by the task's thread before it writes its answer: what it writes leaves no
        earlier than ``moment`` (``time.monotonic()``; the call's latency after its
        arrival), and the thread is free meanwhile (``faults.HOLD_ANSWER``)."""
        self._held_until = moment
        _WAKER.at(moment, self.server.orcid_wake)

    def _held(self) -> bool:
        return self._held_until > time.monotonic()

    def writable(self):
        """Not while an answer is held (unless the connection is being closed)."""
        return (self.will_close or not self._held()) and super().writable()

    def _flush_some(self, do_close=True):
        # the task's thread flushes a large answer itself as it writes: not before its time
        if self._held() and not self.will_close:
            return False
        return super()._flush_some(do_close=do_close)

    def parser_class(self, adj) -> _ArrivalParser:  # waitress calls self.parser_class(adj)
        return _ArrivalParser(adj, self._read_at)

    def recv(self, buffer_size):
        if not self._stamped:
            data = super().recv(buffer_size)
            self._read_at = self._from_front(None) if data else None
            return data
        try:
            data, ancillary, _flags, _address = self.socket.recvmsg(
                buffer_size, ANCILLARY)
        except OSError as why:
            if why.args[0] in _DISCONNECTED:
                self.handle_close()
                return b""
            raise
        if not data:
            self.handle_close()
            return b""
        self._read_at = self._from_front(kernel_arrival(ancillary))
        return data

    def _from_front(self, stamp: float | None) -> float | None:
        """The earlier of ``stamp`` and the stamp the TLS front noted for these bytes."""
        arrivals = getattr(self.server, "front_arrivals", None)
        front = None if arrivals is None else arrivals.pop(self.addr, None)
        if front is None:
            return stamp
        return front if stamp is None else min(front, stamp)


#: open connections the emulator serves at once (waitress's own default is 100)
CONNECTIONS = 1000


def create_server(app, **kwargs):
    """waitress's ``create_server`` whose requests carry their arrival time (the environ's
    ``ratelimit.ARRIVED``: when the request's first byte was read, before it waited for a
    thread), so the rate limit and the latency count from there, as at ORCID.

    Connections: waitress stops accepting new ones while 100 are open (its
    ``connection_limit``), and a client's idle keep-alive connections stay open, so a 101st
    client waited in the kernel's queue until its own timeout (two sync processes of 64
    threads each: a tenth of a first push's requests stalled 10 s, timed out and were sent
    again while ORCID still held the first one). ORCID takes many more: the emulator takes
    up to ``CONNECTIONS``."""
    kwargs.setdefault("connection_limit", CONNECTIONS)
    server = waitress_server(app, **kwargs)
    for one in _servers(server):
        one.channel_class = _ArrivalChannel
        _guard_trigger(one)
        # asked for on the listening socket too: the kernel turns its stamping on a moment
        # after the first socket asks (the first connections' segments came unstamped)
        stamping(one.socket)
    return server


def _guard_trigger(server) -> None:
    """``server.orcid_wake()``: wake the server's loop (pull its trigger) only while the
    server is open, for the waker's thread. The trigger is a pipe whose write end is a file
    descriptor number: once the server is closed, the number goes to the next file or socket
    the process opens, and a pull then wrote "x" into another connection (a TLS client of
    another emulator took it for its server's answer). The trigger's close and the waker's
    pull take one lock, so a pull never follows the close."""
    trigger = server.trigger
    lock = threading.Lock()
    close = trigger.close

    def guarded_close() -> None:
        with lock:
            close()

    def wake() -> None:
        with lock:
            if not trigger._closed:
                trigger.pull_trigger()

    trigger.close = guarded_close
    server.orcid_wake = wake


def _servers(server) -> list[BaseWSGIServer]:
    """waitress's server, or its servers when it listens on several sockets."""
    return [server] if isinstance(server, BaseWSGIServer) else [
        one for one in server.map.values() if isinstance(one, BaseWSGIServer)]


def make_local_ca(directory: str | Path | None = None) -> LocalCA:
    """A new throwaway CA in ``directory`` (default: a new private temporary directory)."""
    if directory is None:
        directory = tempfile.mkdtemp(prefix="orcid-emulator-ca-")
    return LocalCA.create(directory)


def connect_delay(app):
    """For the TLS front of ``app`` (an emulator): how long a new connection waits before its
    handshake, in seconds, as the control API's ``latency`` ``connect_ms`` says now; None
    for an app that is not an emulator."""
    faults = getattr(app, "faults", None)
    if faults is None or not hasattr(faults, "connect_ms"):
        return None
    return lambda: faults.connect_ms / 1000.0


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
        front = start_front(app, server, ca, host=host, port=port)
    except OSError:
        server.close()
        raise
    return Listening(f"https://{_url_host(host)}:{front.port}", server, front, ca)


def start_front(app, server, ca: LocalCA, *, host: str = "127.0.0.1", port: int = 0) -> TLSFront:
    """Start the TLS front of ``app`` (an emulator) served by ``server`` (waitress, on
    loopback) on ``host:port``, its stamps of the client's bytes handed to ``server``'s
    connections (``front_arrivals``). Raises OSError when the port is taken."""
    front = TLSFront(("127.0.0.1", server.effective_port), ca.server_context(), host=host,
                     port=port, connect_delay=connect_delay(app)).start()
    for one in _servers(server):
        one.front_arrivals = front.arrivals
    return front


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
