"""An HTTPS proxy that sends ORCID's host names to the emulator, and nothing anywhere else.

Some ORCID libraries write ORCID's host names into their code (python-orcid calls
``https://api.sandbox.orcid.org`` whatever it is told). The emulator's certificate already
names those hosts, so a site needs only the two variables its HTTP library honours:
``HTTPS_PROXY=http://127.0.0.1:PORT`` (this proxy) and the CA bundle (``REQUESTS_CA_BUNDLE``
for Python's requests, ``SSL_CERT_FILE``/``curl.cainfo`` elsewhere). The browser the audit
drives uses the same proxy, so a site that sends it to ``https://sandbox.orcid.org/oauth/
authorize`` reaches the emulator's pages too.

Only ``CONNECT`` to an ORCID host name on port 443 is tunnelled, to the emulator's TLS port on
loopback; every other request is refused with 403, so nothing the site does through the proxy
leaves the machine. The TLS session is between the site and the emulator; the proxy relays
bytes. Written here (an asyncio loop in one thread, like the emulator's TLS front) because no
forward proxy is among the project's dependencies.
"""

from __future__ import annotations

import asyncio
import threading

from orcid_pyramid.emulator.tls import SERVER_NAMES, _abort, _pipe

#: the names tunnelled to the emulator: ORCID's own (sandbox and production)
ORCID_HOSTS = frozenset(name for name in SERVER_NAMES if name.endswith("orcid.org"))


class OrcidHostProxy:
    """``CONNECT`` proxy on ``host:port`` (0: a free port) to the emulator at ``target``."""

    def __init__(self, target: tuple[str, int], host: str = "127.0.0.1", port: int = 0):
        self.target = target
        self.host = host
        self.port = port
        self.refused: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._server = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        """The value for ``HTTPS_PROXY``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> OrcidHostProxy:
        """Listen (OSError when the port is taken) and serve in a daemon thread."""
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name="orcid-audit-proxy", daemon=True)
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, self.host, self.port), self._loop)
        try:
            self._server = future.result(10)
        except OSError:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None
            self._loop.close()
            raise
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Close the listener and every tunnel."""
        if self._thread is None:
            return

        async def shutdown() -> None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None
        self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        task = asyncio.current_task()
        self._tasks.add(task)
        upstream = None
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            words = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            method, target = (words + ["", ""])[:2]
            name, _, port = target.rpartition(":")
            if method != "CONNECT" or name.lower() not in ORCID_HOSTS or port != "443":
                self.refused.append(f"{method} {target}")
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
                await writer.drain()
                return
            up_reader, upstream = await asyncio.open_connection(*self.target)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except (asyncio.CancelledError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                TimeoutError, ConnectionError, OSError):
            pass
        finally:
            self._tasks.discard(task)
            for each in (upstream, writer):
                if each is not None:
                    _abort(each)
