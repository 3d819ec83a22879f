"""A byte relay on an asyncio loop in a thread of its own: the emulator's TLS front and the
audit's ORCID-host proxy are both one.

The loop runs in its own thread from the start (the caller's thread may be running an event
loop of its own: Playwright's sync API does), so each connection's state is only ever touched
by that thread. A subclass says what to do with one connection in :meth:`RelayServer.handle`;
the base tracks the connection, closes every stream it opened when it ends, and closes them
all on :meth:`RelayServer.stop`. Written here because no relay or proxy is among the
project's dependencies.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable

#: the ways a relayed connection ends that are nobody's error: the peer went away, the TLS
#: handshake failed, the first line never came, the relay was stopped
ENDINGS = (asyncio.CancelledError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
           TimeoutError, ConnectionError, ssl.SSLError, OSError)


class RelayServer:
    """Listen on ``host:port`` (0: a free port; ``self.port`` after :meth:`start`), with TLS
    when ``ssl_context`` is given."""

    thread_name = "orcid-relay"

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     opened: list[asyncio.StreamWriter]) -> None:
        """Serve one connection; append any stream opened for it to ``opened``."""
        raise NotImplementedError

    def start(self):
        """Listen (raises OSError when the port is taken) and serve in a daemon thread."""
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        listening = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        try:
            self._server = listening.result(10)
        except OSError:
            self._end_loop()
            raise
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _listen(self) -> asyncio.base_events.Server:
        tls = {"ssl": self.ssl_context, "ssl_handshake_timeout": 10} if self.ssl_context else {}
        return await asyncio.start_server(self._connection, self.host, self.port, backlog=128,
                                          **tls)

    def stop(self) -> None:
        """Close the listener and every open connection, then end the thread."""
        if self._thread is None:
            return

        async def shutdown() -> None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._end_loop()

    def _end_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None
        self._loop.close()

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        opened: list[asyncio.StreamWriter] = []
        try:
            await self.handle(reader, writer, opened)
        except ENDINGS:
            pass
        finally:
            self._tasks.discard(task)
            for each in (*opened, writer):
                abort(each)


async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                peer_reader: asyncio.StreamReader, peer_writer: asyncio.StreamWriter,
                on_read: Callable[[], None] | None = None) -> None:
    """Copy both ways until either side ends; ``on_read`` is called each time bytes read
    from ``reader`` are about to be passed on."""
    await asyncio.gather(pipe(reader, peer_writer, on_read), pipe(peer_reader, writer))


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
               on_read: Callable[[], None] | None = None) -> None:
    """Copy until end of stream, then pass the end on (close: the relay is per connection)."""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if on_read is not None:
                on_read()
            writer.write(data)
            await writer.drain()
    finally:
        # one side ended: end both, as waitress does when it drops a connection (the reset
        # fault) or when the client goes away
        abort(writer)


def abort(writer: asyncio.StreamWriter) -> None:
    """Close ``writer`` unless it is closing already."""
    try:
        if writer.transport.is_closing():
            return
        writer.close()
    except (RuntimeError, OSError):
        pass
