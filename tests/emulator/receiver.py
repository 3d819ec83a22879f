"""A real HTTP endpoint on 127.0.0.1 that records the POSTs it gets (webhook tests)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """Answers each POST with the next status of ``statuses`` (then 204) and records it."""

    def __init__(self, statuses=()) -> None:
        self.statuses = list(statuses)
        self.hits: list[tuple[str, bytes]] = []
        self._cond = threading.Condition()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with owner._cond:
                    status = owner.statuses.pop(0) if owner.statuses else 204
                    owner.hits.append((self.path, body))
                    owner._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` POSTs arrived; False if they did not within ``timeout``."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.hits) >= count, timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
