"""When bytes reached this machine: the kernel's receive stamp of a socket (Linux).

ORCID's proxy counts a request against the rate limit when it arrives. The emulator's one
interpreter reads every socket, runs the TLS front and every thread's handling, so on a
loaded machine the loop may read a request tens of milliseconds after it came; counting from
then bunches calls that came apart (a 503 ORCID would not give). Linux stamps each segment it
receives when asked (``SO_TIMESTAMPNS``) and hands the stamp back beside the data from
``recvmsg``: :func:`stamping` asks, :func:`kernel_arrival` reads it, and
:class:`StampingListener` makes a listening socket whose connections note the stamp of what
they last received (the TLS front's sockets, which asyncio reads itself). Written here: no
library among the project's dependencies reads the kernel's receive stamps.
"""

from __future__ import annotations

import platform
import socket
import struct
import sys
import time

#: Linux's ``SO_TIMESTAMPNS`` (Python names no constant for it): the kernel stamps each
#: segment it receives with the wall clock. Its value is 35 on the machines listed;
#: elsewhere nothing is stamped and the arrival is when the loop read the bytes.
SO_TIMESTAMPNS = 35
_STAMPING_MACHINES = {"x86_64", "amd64", "aarch64", "arm64", "armv7l", "i386", "i686",
                      "riscv64", "ppc64le", "s390x"}
TIMESPEC = struct.Struct("@ll")
ANCILLARY = socket.CMSG_SPACE(TIMESPEC.size) if hasattr(socket, "CMSG_SPACE") else 0


def _stamps_here() -> bool:
    return sys.platform.startswith("linux") and platform.machine() in _STAMPING_MACHINES


def stamping(sock) -> bool:
    """Ask the kernel to stamp what ``sock`` receives; False where it cannot."""
    if not _stamps_here():
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        return False
    return True


def kernel_arrival(ancillary) -> float | None:
    """The stamp among ``recvmsg``'s ancillary data, on the ``time.monotonic`` clock."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= TIMESPEC.size:
            seconds, nanoseconds = TIMESPEC.unpack_from(data)
            return time.monotonic() - max(0.0, time.time() - (seconds + nanoseconds / 1e9))
    return None


class StampedSocket(socket.socket):
    """An accepted connection that notes, in ``received[peer]``, the kernel's stamp of the
    last bytes it read (asyncio reads it with ``recv``/``recv_into``; those read with
    ``recvmsg`` here). ``received`` is the listener's, shared by its connections."""

    received: dict
    peer: tuple

    def recv_into(self, buffer, nbytes=0, flags=0):
        view = memoryview(buffer)
        if nbytes:
            view = view[:nbytes]
        size, ancillary, _flags, _address = self.recvmsg_into([view], ANCILLARY, flags)
        self._note(ancillary, size)
        return size

    def recv(self, bufsize, flags=0):
        data, ancillary, _flags, _address = self.recvmsg(bufsize, ANCILLARY, flags)
        self._note(ancillary, len(data))
        return data

    def _note(self, ancillary, size: int) -> None:
        if size:
            stamp = kernel_arrival(ancillary)
            if stamp is not None:
                self.received[self.peer] = stamp

    def close(self):
        self.received.pop(getattr(self, "peer", None), None)
        super().close()


class StampingListener(socket.socket):
    """A listening socket whose accepted connections are :class:`StampedSocket` s.
    ``received``: peer address → the stamp of the last bytes read from that peer, while its
    connection is open."""

    received: dict

    @classmethod
    def listen_on(cls, host: str, port: int, backlog: int = 128) -> StampingListener | None:
        """A listener on ``host:port``; None where the kernel stamps nothing, or where
        ``host`` names several addresses ("localhost": IPv6 and IPv4), which the caller's
        own listening serves all of (asyncio listens on each)."""
        if not _stamps_here():
            return None
        info = {entry[4]: entry for entry in socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)}
        if len(info) != 1:
            return None
        family, kind, proto, _name, address = next(iter(info.values()))
        sock = cls(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(backlog)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        sock.received = {}
        if not stamping(sock):
            sock.close()
            return None
        return sock

    def accept(self):
        fd, address = self._accept()
        conn = StampedSocket(self.family, self.type, self.proto, fileno=fd)
        conn.received = self.received
        conn.peer = address
        stamping(conn)
        return conn, address  # asyncio makes it non-blocking
