"""The call log: one record per HTTP exchange with ORCID, redacted before it exists.

Every exchange the client makes (token, revoke, jwks, userinfo, member API, webhook) is sent
through :meth:`CallLog.send`, the one place that times it, hooks the response (a ``requests``
response hook) or the failure (the exception path, for calls that got no response), builds a
:class:`CallRecord` and hands it to ``call_sink``. The record only ever holds redacted text:
the URL, request body and response body pass :class:`Redactor` (``redaction.py``) first, then
are capped at ``body_limit`` characters (capping after redaction, so a cut never leaves half a
secret that no pattern recognises).
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
import urllib3.exceptions

from .redaction import REDACTED, SECRET_KEYS, Redactor

#: ``run``: what this thread's connection runs just before the first byte of the request being
#: sent leaves (the rate bucket's token; :mod:`orcid_pyramid.client.http` calls it), or None;
#: ``after``: what it runs once the whole request has left, before the answer is read (the
#: rate bucket's ``sent``), or None
FIRST_WRITE = threading.local()

#: ``records``: while a list, the exchanges this thread makes wait there to be recorded
#: (:func:`held_records`), or None
_HELD = threading.local()

__all__ = ["REDACTED", "SECRET_KEYS", "CallLog", "CallRecord", "Redactor", "cap",
           "held_records", "release_records"]

log = logging.getLogger("orcid_pyramid.client")

#: Failures that mean "no usable answer". requests wraps almost everything in
#: RequestException; the others can escape from custom adapters (e.g. a WSGI transport).
TRANSPORT_EXCEPTIONS = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
)

DEFAULT_BODY_LIMIT = 16384


@dataclass(frozen=True)
class CallRecord:
    """One HTTP exchange with ORCID, already redacted (safe to store and display)."""

    at: datetime
    method: str
    url: str
    status: int | None
    duration_ms: float
    request_body: str | None
    response_body: str | None
    orcid: str | None
    user_id: str | None
    error: str | None
    kind: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (``at`` as ISO 8601)."""
        return {
            "at": self.at.isoformat(),
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "duration_ms": self.duration_ms,
            "request_body": self.request_body,
            "response_body": self.response_body,
            "orcid": self.orcid,
            "user_id": self.user_id,
            "error": self.error,
            "kind": self.kind,
        }


def cap(text: str | None, limit: int) -> str | None:
    """Cut ``text`` to ``limit`` characters, saying how much was cut."""
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"... [{len(text) - limit} more characters]"


@contextmanager
def held_records() -> Iterator[None]:
    """Within the block, this thread's exchanges are timed as ever but recorded (redacted,
    handed to the sink) only at :func:`release_records` or when the block ends, however it
    ends, in the order they were made. A block inside another one changes nothing.

    Why: the sync engine sends a researcher's bulks one after the other, each as soon as
    the answer to the one before is in. Redacting a bulk's two bodies (an answer of 100
    works is some 77 kB) and making its row took 0.7-0.9 ms of the interpreter between the
    answer and the next bulk, and when ten researchers' answers came back together each
    thread waited for the others' share too (``bench_sync_shapes.py``). The engine holds
    the records of a run of bulks and releases them with the run's put codes, in the same
    transaction, so the call log loses nothing it would have kept before. Nothing is
    written or logged before it is redacted: what waits is the exchange, in memory."""
    if getattr(_HELD, "records", None) is not None:
        yield
        return
    _HELD.records = []
    try:
        yield
    finally:
        try:
            release_records()
        finally:
            _HELD.records = None


def release_records() -> None:
    """Record now what this thread holds (:func:`held_records`), oldest first."""
    held = getattr(_HELD, "records", None)
    while held:
        held.pop(0)()


class CallLog:
    """Sends requests and records each exchange; the single choke point for ORCID traffic."""

    def __init__(
        self,
        sink: Callable[[CallRecord], None] | None = None,
        *,
        redactor: Redactor | None = None,
        body_limit: int = DEFAULT_BODY_LIMIT,
        describe_error: Callable[[requests.Response], str | None] | None = None,
    ) -> None:
        self.sink = sink
        self.redactor = redactor or Redactor()
        self.body_limit = body_limit
        self.describe_error = describe_error

    def send(
        self,
        session: requests.Session,
        method: str,
        url: str,
        *,
        kind: str,
        log_context: Mapping[str, Any] | None = None,
        secrets: Iterable[str | None] = (),
        first_write: Callable[[], None] | None = None,
        after_send: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request through ``session`` and record it; re-raises transport errors.

        ``secrets`` are values this call carries (token, code) that must never be recorded;
        ``log_context`` may hold ``user_id``, ``orcid`` and more ``secrets``.
        ``first_write``: run by the connection just before the request's first byte leaves
        (see :data:`FIRST_WRITE`); the record's time and duration start after it.
        ``after_send``: run by that connection once the request has left, while its answer
        is awaited (only with ``first_write``).
        """
        exchange = _Exchange(self, method, url, kind, log_context, secrets)
        if first_write is not None:
            def run() -> None:
                first_write()
                exchange.restart()
            FIRST_WRITE.run = run
            FIRST_WRITE.after = after_send
        try:
            return session.request(method, url, hooks={"response": [exchange.on_response]},
                                   **kwargs)
        except TRANSPORT_EXCEPTIONS as exc:
            if not exchange.recorded:
                exchange.record(getattr(exc, "request", None), None, None,
                                _exception_text(exchange.redactor, exc))
            raise
        finally:
            FIRST_WRITE.run = FIRST_WRITE.after = None

    def emit(self, record: CallRecord) -> None:
        """Hand ``record`` to the sink; a failing sink is logged, never raised."""
        log.debug("ORCID %s %s %s -> %s (%.1f ms)", record.kind, record.method, record.url,
                  record.status if record.status is not None else record.error,
                  record.duration_ms)
        if self.sink is None:
            return
        try:
            self.sink(record)
        except Exception:
            # A broken sink must not turn a successful write into a failure (the put code
            # would be lost); say so loudly instead.
            log.exception("ORCID call-log sink failed for %s %s", record.method, record.url)


class _Exchange:
    """One request in flight: its clock, its secrets, and whether it was recorded yet."""

    def __init__(self, log_: CallLog, method, url, kind, log_context, secrets) -> None:
        self.log = log_
        self.method = method.upper()
        self.url = url
        self.kind = kind
        self.context = dict(log_context or {})
        self.redactor = log_.redactor.with_secrets(
            [*secrets, *self.context.pop("secrets", ())])
        self.restart()
        self.recorded = False

    def restart(self) -> None:
        """The exchange starts now (the rate bucket's wait is not ORCID's time)."""
        self.at = datetime.now(UTC)
        self.started = time.perf_counter()

    def on_response(self, response: requests.Response, *args: Any, **kw: Any):
        """The ``requests`` response hook: read the body, then record the exchange."""
        try:
            response.content  # noqa: B018 - read the body now, so a cut-off body is seen here
        except Exception as exc:  # the body broke off: record what we know, then re-raise
            self.record(response.request, response.status_code, None,
                        _exception_text(self.redactor, exc))
            raise
        error = None
        if response.status_code >= 400 and self.log.describe_error is not None:
            error = self.log.describe_error(response)
        self.record(response.request, response.status_code, response, error)
        return response

    def record(self, request, status, response, error) -> None:
        """Build the redacted :class:`CallRecord` and emit it (once), or leave that for
        when this thread's held records are released (:func:`held_records`)."""
        self.recorded = True
        duration_ms = round((time.perf_counter() - self.started) * 1000.0, 3)
        held = getattr(_HELD, "records", None)
        if held is not None:
            held.append(lambda: self._emit(request, status, response, error, duration_ms))
            return
        self._emit(request, status, response, error, duration_ms)

    def _emit(self, request, status, response, error, duration_ms: float) -> None:
        redactor, limit = self.redactor, self.log.body_limit
        req_url = getattr(request, "url", None) or self.url
        req_type = (getattr(request, "headers", None) or {}).get("Content-Type")
        resp_body = None
        if response is not None:
            resp_body = redactor.body(response.content, response.headers.get("Content-Type"))
        orcid = self.context.get("orcid")
        if orcid is None and self.kind == "token" and response is not None:
            orcid = _orcid_in_token_answer(response)
        self.log.emit(CallRecord(
            at=self.at,
            method=self.method,
            url=redactor.url(req_url),
            status=status,
            duration_ms=duration_ms,
            request_body=cap(redactor.body(getattr(request, "body", None), req_type), limit),
            response_body=cap(resp_body, limit),
            orcid=_opt_str(orcid),
            user_id=_opt_str(self.context.get("user_id")),
            error=error,
            kind=self.kind,
        ))


def _exception_text(redactor: Redactor, exc: BaseException) -> str:
    return redactor.text(f"{type(exc).__name__}: {exc}")[:1000]


def _orcid_in_token_answer(response: requests.Response) -> str | None:
    # the iD is not secret, and the call log should say whose token exchange this was (DM-7)
    try:
        value = json.loads(response.content).get("orcid")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    return value if isinstance(value, str) else None


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
