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
bytes, on the same relay as the emulator's TLS front (``emulator/relay.py``), because no
forward proxy is among the project's dependencies.
"""

from __future__ import annotations

import asyncio

from orcid_pyramid.emulator.relay import RelayServer, relay
from orcid_pyramid.emulator.tls import SERVER_NAMES

#: the names tunnelled to the emulator: ORCID's own (sandbox and production)
ORCID_HOSTS = frozenset(name for name in SERVER_NAMES if name.endswith("orcid.org"))


class OrcidHostProxy(RelayServer):
    """``CONNECT`` proxy on ``host:port`` (0: a free port) to the emulator at ``target``."""

    thread_name = "orcid-audit-proxy"

    def __init__(self, target: tuple[str, int], host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.target = target
        self.refused: list[str] = []

    @property
    def url(self) -> str:
        """The value for ``HTTPS_PROXY``."""
        return f"http://{self.host}:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     opened: list[asyncio.StreamWriter]) -> None:
        """Tunnel a ``CONNECT`` to an ORCID name on 443; refuse anything else with 403."""
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
        opened.append(upstream)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await relay(reader, writer, up_reader, upstream)
