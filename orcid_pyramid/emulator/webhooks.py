"""Webhooks (orcid-facts/webhooks.md): register/unregister endpoints and the delivery thread.

``PUT /{orcid}/webhook/{url-encoded callback}`` with a ``/webhook`` client-credentials token
answers 201 (``Location`` = the webhook URL) or 204 when it already exists; ``DELETE`` answers
204, 404/9028 when unknown, 403 when another client registered it. When a record changes, each
callback gets an empty-body ``POST`` from a daemon thread; failures (non-2xx or no connection)
are retried with doubling delays up to ``max_attempts``. Deliveries to one callback that are
already waiting are coalesced, as ORCID batches its notifications.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import requests
from webob import Request, Response

from .errors import invalid_token_body
from .oidc import bearer
from .responses import api_error, oauth_error
from .seed import ORCID_RE
from .state import EmulatorState, Webhook

log = logging.getLogger("orcid_pyramid.emulator.webhooks")


def webhook_endpoint(request: Request, state: EmulatorState, path: str) -> Response:
    """Handle ``/{orcid}/webhook/{callback}`` (``path`` without the host prefix)."""
    orcid, _, rest = path.lstrip("/").partition("/webhook/")
    callback = unquote(rest)
    if request.method not in ("PUT", "DELETE"):
        return api_error(405, 9001, "There is an issue with your call. Full validation error: "
                         f"HTTP 405 Method Not Allowed ({request.method})")
    raw = bearer(request)
    token = state.find_token(raw)
    if token is None or not token.live(state.now()):
        # named as the API names it (orcid-facts/errors.md#bearer-tokens)
        text = invalid_token_body(raw, token.revoke_reason if token else None)[
            "error_description"] if raw else "Invalid access token"
        return oauth_error("invalid_token", text, 401)
    if "/webhook" not in token.scopes:
        return api_error(403, 9038, "403 Forbidden: Insufficient or wrong scope. Full "
                         "validation error: This request requires the '/webhook' scope")
    if not ORCID_RE.match(orcid) or state.record(orcid) is None:
        return api_error(404, 9016, f"404 Not Found: The resource was not found. Full "
                         f"validation error: ORCID iD {orcid} not found")
    parts = urlsplit(callback)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return api_error(400, 9012, f"Webhook uri: {callback} is syntactically incorrect")
    key = (orcid, callback)
    with state.lock:
        existing = state.webhooks.get(key)
        if request.method == "PUT":
            if existing is not None:
                return Response(status=204)
            state.webhooks[key] = Webhook(orcid, callback, token.client_id, state.now())
            response = Response(status=201)
            # the webhook URL as the client wrote it: the callback stays percent-encoded
            head = request.path_info[: request.path_info.index("/webhook/") + 9]
            response.location = request.application_url + head + quote(callback, safe="")
            return response
        if existing is None:
            return api_error(404, 9028, "404 Not Found: The webhook was not found.")
        if existing.client_id != token.client_id:
            return api_error(403, 9014, "Unable to unregister webhook: Only the client that "
                             "register the webhook can unregister it")
        del state.webhooks[key]
    return Response(status=204)


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    callback: str = ""
    orcid: str = ""
    attempt: int = 1
    generation: int = 0


class WebhookDispatcher:
    """Queues webhook calls; one daemon thread schedules them and a small pool sends them, so
    a slow subscriber does not hold up the others. Started on first use.

    ``clear`` (on reset) starts a new generation: calls still in flight from before finish
    but are neither recorded nor retried, so one test never sees another's deliveries.
    """

    def __init__(self, state: EmulatorState, base_delay: float = 1.0, max_attempts: int = 5,
                 batch_delay: float = 0.0, timeout: float = 5.0) -> None:
        self.state = state
        self.base_delay = base_delay
        self.max_attempts = max_attempts
        self.batch_delay = batch_delay
        self.timeout = timeout
        self._cond = threading.Condition()
        self._heap: list[_Delivery] = []
        self._pending: set[str] = set()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._generation = 0
        self._pool: ThreadPoolExecutor | None = None

    def notify(self, orcid: str) -> None:
        """Queue a call to every callback registered on ``orcid`` (the state hook)."""
        hooks = self.state.webhooks_for(orcid)
        if not hooks:
            return
        with self._cond:
            if self._stopping:
                return
            now = self.state.now()
            for hook in hooks:
                if hook.callback in self._pending:
                    continue  # coalesced with the one already waiting
                self._pending.add(hook.callback)
                heapq.heappush(self._heap, _Delivery(now + self.batch_delay, next(self._seq),
                                                     hook.callback, orcid,
                                                     generation=self._generation))
            self._start()
            self._cond.notify_all()

    def clear(self) -> None:
        """Drop waiting deliveries (on reset)."""
        with self._cond:
            self._heap.clear()
            self._pending.clear()
            self._generation += 1

    def idle(self) -> bool:
        """True when nothing is waiting to be sent."""
        with self._cond:
            return not self._heap and not self._pending

    def _start(self) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=4,
                                            thread_name_prefix="orcid-emulator-webhook-send")
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="orcid-emulator-webhooks",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (waiting deliveries are dropped)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (
                        not self._heap or self._heap[0].due > self.state.now()):
                    wait = self._heap[0].due - self.state.now() if self._heap else None
                    self._cond.wait(timeout=wait)
                if self._stopping:
                    return
                job = heapq.heappop(self._heap)
                self._pending.discard(job.callback)
                self._pool.submit(self._send, job)

    def _send(self, job: _Delivery) -> None:
        status, error = None, None
        try:
            response = requests.post(job.callback, data=b"", timeout=self.timeout)
            status = response.status_code
            response.close()
        except (requests.RequestException, ValueError, OSError) as exc:
            # an unreachable or odd callback is the subscriber's problem: record it, retry
            error = type(exc).__name__
        ok = status is not None and 200 <= status < 300
        if job.generation != self._generation:
            return  # sent before a reset: not this run's business
        with self.state.lock:
            self.state.deliveries.append({"callback": job.callback, "orcid": job.orcid,
                                          "attempt": job.attempt, "status": status,
                                          "error": error, "time": self.state.now()})
        if ok:
            return
        log.info("webhook call failed (attempt %s, status %s, %s)", job.attempt, status, error)
        if job.attempt >= self.max_attempts:
            return
        delay = self.base_delay * (2 ** (job.attempt - 1))
        with self._cond:
            if self._stopping:
                return
            if job.generation != self._generation:
                return
            heapq.heappush(self._heap, _Delivery(self.state.now() + delay, next(self._seq),
                                                 job.callback, job.orcid, job.attempt + 1,
                                                 job.generation))
            self._cond.notify_all()
