"""HTTPS for the emulator: a throwaway local certificate authority and a TLS front.

A site reaches ORCID's sandbox over HTTPS only, so the emulator does too (docs/orcid-facts/
hosts.md). ``LocalCA.create(directory)`` makes a new CA (its private key never
leaves memory) and one server certificate for the loopback names and
ORCID's host names, so a client needs only the CA file: ``REQUESTS_CA_BUNDLE`` for requests,
``--ignore-certificate-errors-spki-list`` (the CA's key hash) for Chromium.

waitress speaks plain HTTP only, and the emulator's faults (``reset``, ``timeout``) rely on
waitress, so TLS is a front: :class:`TLSFront` accepts TLS connections on one port and relays
each one, byte for byte, to the waitress port on loopback (a :class:`~.relay.RelayServer`: an
asyncio loop in one thread, so the TLS state is only ever touched by that thread). waitress
is told the scheme is https (``url_scheme``), so every URL the emulator writes says https. We
wrote the relay ourselves: no TLS-terminating proxy is among this project's dependencies.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import ipaddress
import os
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .relay import RelayServer, relay
from .stamps import StampingListener

#: the names the server certificate covers: loopback, the ``api.``/``pub.`` hosts under
#: ``localhost`` (Chromium resolves them to loopback), and ORCID's own host names, so the
#: emulator can stand in for them behind a proxy.
SERVER_NAMES = (
    "localhost", "api.localhost", "pub.localhost",
    "sandbox.orcid.org", "api.sandbox.orcid.org", "pub.sandbox.orcid.org",
    "orcid.org", "api.orcid.org", "pub.orcid.org",
)
SERVER_IPS = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class LocalCA:
    """A CA file, the server certificate (chain) and key files, and the CA's key hash."""

    directory: Path
    ca_file: Path
    cert_file: Path
    key_file: Path
    spki_sha256: str

    @classmethod
    def create(cls, directory: str | os.PathLike, *, names=SERVER_NAMES, ips=SERVER_IPS,
               days: int = 30) -> LocalCA:
        """A new CA and server certificate in ``directory`` (created; files 0600)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "orcid-pyramid emulator"),
            x509.NameAttribute(NameOID.COMMON_NAME,
                               f"orcid-pyramid emulator local CA {os.urandom(4).hex()}"),
        ])
        ca_cert = (
            x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
            .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        alt_names = [x509.DNSName(n) for n in names]
        alt_names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        ca_pem = ca_cert.public_bytes(pem)
        files = {
            "ca.pem": ca_pem,
            "server.pem": cert.public_bytes(pem) + ca_pem,
            "server-key.pem": key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()),
        }
        for name, data in files.items():
            path = directory / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        return cls(directory, directory / "ca.pem", directory / "server.pem",
                   directory / "server-key.pem", spki_hashes(directory / "ca.pem")[0])

    def server_context(self) -> ssl.SSLContext:
        """The TLS settings of the front: TLS 1.2 or newer, this CA's server certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA only (for tests and the control client)."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def chromium_args(self) -> list[str]:
        """Chromium flags that trust this CA's key and nothing more."""
        return [f"--ignore-certificate-errors-spki-list={self.spki_sha256}"]


def spki_hashes(ca_file: str | os.PathLike) -> list[str]:
    """The base64 SHA-256 of each certificate's public key in a PEM file (Chromium's form)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    hashes = []
    for cert in x509.load_pem_x509_certificates(Path(ca_file).read_bytes()):
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        hashes.append(base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii"))
    return hashes


class TLSFront(RelayServer):
    """Accept TLS on ``host:port`` and relay each connection to ``backend`` (plain, loopback).

    ``port`` 0 picks a free port (``self.port`` after ``start()``). ``stop()`` closes the
    listener and every open connection.
    """

    thread_name = "orcid-emulator-tls"

    def __init__(self, backend: tuple[str, int], context: ssl.SSLContext,
                 host: str = "127.0.0.1", port: int = 0,
                 connect_delay: Callable[[], float] | None = None) -> None:
        # with ``connect_delay`` (seconds, read for each new connection) the listener is
        # plain and each connection waits that long before its TLS handshake: the round
        # trips a new connection to ORCID costs (TCP, then TLS) before a request can leave
        super().__init__(host, port, None if connect_delay else context)
        self.context = context
        self.connect_delay = connect_delay
        self.backend = backend
        #: the backend's side of each relayed connection (this front's address there) →
        #: the kernel's stamp of the client's bytes passed on and not yet read by the
        #: backend (the emulator's server counts a request's arrival from it)
        self.arrivals: dict[tuple, float] = {}
        self._received: dict[tuple, float] = {}

    async def _listen(self) -> asyncio.base_events.Server:
        # the listening socket's connections note the kernel's stamp of what they read
        # (stamps.StampingListener), so a request counts from when it reached this machine,
        # not from when the front, sharing one interpreter with the emulator, relayed it
        # (elsewhere, or on a host name of several addresses, the server's own stamp of
        # the relayed bytes stands)
        listener = StampingListener.listen_on(self.host, self.port, backlog=128)
        if listener is None:
            where = {"host": self.host, "port": self.port, "backlog": 128}
        else:
            where = {"sock": listener}
            self._received = listener.received
        loop = asyncio.get_running_loop()
        try:
            if self.connect_delay is None:
                return await asyncio.start_server(self._connection, ssl=self.ssl_context,
                                                  ssl_handshake_timeout=10, **where)

            def protocol() -> _HeldProtocol:
                return _HeldProtocol(asyncio.StreamReader(limit=2 ** 16, loop=loop),
                                     self._connection, loop=loop)

            return await loop.create_server(protocol, **where)
        except OSError:
            if listener is not None:
                listener.close()
            raise

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     opened: list[asyncio.StreamWriter]) -> None:
        """Relay to the backend; when it is not listening (the emulator is paused), the
        client sees the connection close."""
        if self.connect_delay is not None:
            delay = self.connect_delay()
            if delay > 0:
                await asyncio.sleep(delay)
            await writer.start_tls(self.context, ssl_handshake_timeout=10)
        try:
            backend_reader, backend_writer = await asyncio.open_connection(*self.backend)
        except OSError:
            return
        opened.append(backend_writer)
        peer = writer.get_extra_info("peername")
        here = backend_writer.get_extra_info("sockname")

        def note_arrival() -> None:
            stamp = self._received.get(peer)
            if stamp is not None:
                self.arrivals.setdefault(here, stamp)

        try:
            await relay(reader, writer, backend_reader, backend_writer, note_arrival)
        finally:
            self.arrivals.pop(here, None)


class _HeldProtocol(asyncio.StreamReaderProtocol):
    """A connection that reads nothing until its TLS handshake starts: the client's first
    handshake bytes wait in the kernel, not in a stream reader that TLS would never see."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.pause_reading()  # type: ignore[attr-defined]
        super().connection_made(transport)
