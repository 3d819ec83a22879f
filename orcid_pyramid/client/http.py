"""HTTP plumbing: a session whose every call has a timeout, and the one send path.

:class:`Transport` is what the OAuth and member-API code call. It applies the rate limiter
to API calls, sends through :class:`~orcid_pyramid.client.calllog.CallLog` (so every
exchange is recorded, redacted), and turns transport failures and unexpected statuses into
the client's own errors. The client does not retry: the sync worker owns retries and
backoff, using ``retryable``/``retry_after`` on the errors.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.ssl_ import create_urllib3_context

from .calllog import FIRST_WRITE, TRANSPORT_EXCEPTIONS, CallLog, CallRecord, Redactor
from .mapping import describe_response, error_from_exception, error_from_response
from .session import OrcidSession

DEFAULT_TIMEOUT = 10.0
USER_AGENT = "orcid-pyramid-client"

log = logging.getLogger("orcid_pyramid.client")


#: Third-party loggers that print request lines at DEBUG level (urllib3 logs every path, which
#: for webhooks holds the callback URL and its secret): their records are redacted.
THIRD_PARTY_LOGGERS = ("urllib3.connectionpool",)
#: Logger families that write token request bodies, token answers and tokens at DEBUG
#: (requests-oauthlib's ``OAuth2Session`` logs ``data`` as a dict repr, which no pattern
#: reliably recognises): their records below INFO are dropped, the others redacted.
OAUTH_LOGGER_FAMILIES = ("requests_oauthlib", "oauthlib")


class RedactingLogFilter(logging.Filter):
    """Rewrites a log record's message through the redactor before any handler sees it.

    With ``min_level``, records below it are dropped instead: a logger filter runs whatever
    level the host gives the logger or the root (DEBUG included), so this holds where a level
    set by us would not (a host's ``logging`` configuration or pytest's ``caplog`` may set it).
    """

    def __init__(self, redactor: Redactor | None = None, *, min_level: int = logging.NOTSET
                 ) -> None:
        super().__init__("orcid-pyramid-redaction")
        self.redactor = redactor or Redactor()
        self.min_level = min_level

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop a record below ``min_level``; redact the formatted message of the others."""
        if record.levelno < self.min_level:
            return False
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging system's problem, not ours
            return True
        redacted = self.redactor.text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_log_redaction() -> None:
    """Attach :class:`RedactingLogFilter` to the third-party loggers (idempotent).

    A logger's filters apply only to records created on that very logger, not to its
    children's, so every logger of the OAuth families that exists is covered: they exist
    once their modules are imported, which the client does before building a transport.
    Called when a client is built, never at import time.
    """
    logging.getLogger("requests_oauthlib.oauth2_session")  # the one that logs the bodies
    names = set(THIRD_PARTY_LOGGERS) | set(OAUTH_LOGGER_FAMILIES) | {
        name for name in list(logging.Logger.manager.loggerDict)
        if name.split(".")[0] in OAUTH_LOGGER_FAMILIES}
    for name in sorted(names):
        logger = logging.getLogger(name)
        if any(isinstance(f, RedactingLogFilter) for f in logger.filters):
            continue
        quiet = name.split(".")[0] in OAUTH_LOGGER_FAMILIES
        logger.addFilter(RedactingLogFilter(min_level=logging.INFO if quiet else logging.NOTSET))


class RateLimiter(Protocol):
    """Anything with a blocking ``acquire()`` (the sync engine's shared token bucket), called
    on the open connection just before the request's first byte leaves; one with a
    ``fresh(value)`` then gets what ``acquire()`` returned (the sync engine's buckets: the
    token's deadline), and may replace a token whose request is late
    (:meth:`orcid_pyramid.sync.ratelimit.DbTokenBucket.fresh`); one with a
    ``missed()`` is told of each 503 a counted call got (its reserve was too small); one with
    a ``sent()`` has it run once the request has left, while its answer is awaited (the sync
    engine takes a thread's next token there): its failure is logged, never raised."""

    def acquire(self) -> Any: ...


class _CheckedFirstWrite:
    """A urllib3 connection that runs the sending thread's ``FIRST_WRITE.run`` (see
    :mod:`~orcid_pyramid.client.calllog`) once the connection is open (TLS done) and just
    before the request's first byte leaves: a rate-limited call takes its token there, so
    that neither opening a connection nor anything else on the way stands between the token
    and ORCID counting the request."""

    _first_write: Callable[[], None] | None = None
    _after_send: Callable[[], None] | None = None

    def request(self, *args: Any, **kwargs: Any) -> None:
        self._first_write = getattr(FIRST_WRITE, "run", None)
        self._after_send = getattr(FIRST_WRITE, "after", None) if self._first_write else None
        FIRST_WRITE.run = FIRST_WRITE.after = None
        return super().request(*args, **kwargs)  # type: ignore[misc]

    def getresponse(self, *args: Any, **kwargs: Any):
        """Run the sending thread's ``FIRST_WRITE.after`` (the request has left), then
        read the answer. Its failure is logged: the request is already on its way."""
        after, self._after_send = self._after_send, None
        if after is not None:
            try:
                after()
            except Exception as exc:  # noqa: BLE001 - the answer still matters more
                log.warning("while a request was on its way, its follow-up work failed "
                            "(%s); the request goes on", type(exc).__name__)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]

    def send(self, data: Any) -> None:
        run, self._first_write = self._first_write, None
        if run is not None:
            if self.sock is None and self.auto_open:  # type: ignore[attr-defined]
                self.connect()  # type: ignore[attr-defined]  # plain HTTP opens lazily
            run()
        return super().send(data)  # type: ignore[misc]


class _CheckedHTTPConnection(_CheckedFirstWrite, HTTPConnection):
    pass


#: (CA file, CA directory, their modification times) -> the process's TLS context for them
_CONTEXTS: dict[tuple, ssl.SSLContext] = {}
_CONTEXTS_LOCK = threading.Lock()


def _stamp(path: str | None) -> int | None:
    try:
        return os.stat(path).st_mtime_ns if path else None
    except OSError:
        return None


def verifying_context(ca_certs: str | None, ca_cert_dir: str | None) -> ssl.SSLContext:
    """The process's one TLS context that verifies servers against ``ca_certs`` /
    ``ca_cert_dir`` (loaded again when a file changes). requests hands every new connection
    the CA bundle's path, and urllib3 then builds a context and parses the whole bundle for
    it, holding the interpreter: with certifi's bundle, the default, a new connection cost
    18.7 ms of CPU against 3.8 ms with the shared context, so the 50 threads of a first push
    of 50 researchers spent 0.93 s of CPU opening their connections to ORCID (0.19 s now)
    where ORCID's limit allows the whole push 0.52 s (``benchmarks/bench_tls_connect.py``).
    Verification is unchanged: the context is urllib3's own (certificates required, host
    names checked, TLS 1.2 at least)."""
    key = (ca_certs, ca_cert_dir, _stamp(ca_certs), _stamp(ca_cert_dir))
    with _CONTEXTS_LOCK:
        context = _CONTEXTS.get(key)
        if context is None:
            context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
            context.load_verify_locations(ca_certs, ca_cert_dir)
            for old in [k for k in _CONTEXTS if k[:2] == key[:2]]:
                del _CONTEXTS[old]  # a bundle replaced on disk: its old context goes
            _CONTEXTS[key] = context
        return context


class _CheckedHTTPSConnection(_CheckedFirstWrite, HTTPSConnection):
    def connect(self) -> None:
        """Verify with the process's context for the CA bundle (:func:`verifying_context`)
        instead of one built and loaded for this connection, in the plain case: a bundle
        to verify against, no context, client certificate or pinning of the caller's."""
        if (self.ssl_context is None and (self.ca_certs or self.ca_cert_dir)
                and not self.ca_cert_data and not self.cert_file
                and not self.assert_fingerprint and self.assert_hostname is None
                and self.cert_reqs in (None, "CERT_REQUIRED", ssl.CERT_REQUIRED)):
            self.ssl_context = verifying_context(self.ca_certs, self.ca_cert_dir)
            self.ca_certs = self.ca_cert_dir = None
        super().connect()


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class TimeoutHTTPAdapter(HTTPAdapter):
    """An adapter that applies a default timeout to calls that did not set one, and whose
    connections take a rate-limited request's token at its first write
    (:class:`_CheckedFirstWrite`)."""

    checks_tokens = True

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, **kwargs: Any) -> None:
        self.timeout = timeout
        kwargs.setdefault("max_retries", 0)  # retries are the caller's decision
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool,
                                                   "https": _CheckedHTTPSPool}

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        """Send with ``timeout`` or, when none was given, the adapter's default."""
        if timeout is None:
            timeout = self.timeout
        run = getattr(FIRST_WRITE, "run", None)
        if run is not None and select_proxy(request.url, proxies):
            FIRST_WRITE.run = None  # a proxy's connections are not ours: run it now
            run()
        return super().send(request, stream=stream, timeout=timeout, verify=verify,
                            cert=cert, proxies=proxies)


def build_session(timeout: float = DEFAULT_TIMEOUT, *, pool_size: int = 10) -> requests.Session:
    """An :class:`OrcidSession` whose http and https adapters enforce ``timeout``."""
    session = OrcidSession()
    adapter = TimeoutHTTPAdapter(timeout, pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


class Transport:
    """Session + call log + rate limiter + error mapping: every ORCID call goes through here."""

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        call_sink: Callable[[CallRecord], None] | None = None,
        rate_limiter: RateLimiter | None = None,
        secrets: Iterable[str | None] = (),
        body_limit: int | None = None,
    ) -> None:
        install_log_redaction()
        self.timeout = timeout
        self.session = session if session is not None else build_session(timeout)
        self.rate_limiter = rate_limiter
        self.redactor = Redactor(secrets)
        kwargs: dict[str, Any] = {} if body_limit is None else {"body_limit": body_limit}
        self.call_log = CallLog(
            call_sink,
            redactor=self.redactor,
            describe_error=lambda r: describe_response(r, self.redactor),
            **kwargs,
        )

    def _checks_tokens(self, url: str) -> bool:
        """Whether the session's adapter for ``url`` takes a token at the first write."""
        try:
            return bool(getattr(self.session.get_adapter(url), "checks_tokens", False))
        except requests.exceptions.InvalidSchema:
            return False  # sending says so, as a transport error

    def request(
        self,
        method: str,
        url: str,
        *,
        kind: str,
        expect: Collection[int] = (200,),
        log_context: Mapping[str, Any] | None = None,
        secrets: Iterable[str | None] = (),
        rate_limited: bool = False,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request; return the response if its status is in ``expect``.

        Any other status raises the mapped :class:`~orcid_pyramid.client.errors.OrcidError`;
        so does a transport failure. Redirects are never followed (a 301 means a
        deprecated record and must surface).
        """
        take = sent = None
        limiter = self.rate_limiter if rate_limited else None
        if limiter is not None:
            fresh = getattr(limiter, "fresh", None)

            def take() -> None:
                token = limiter.acquire()
                if fresh is not None and token is not None:
                    fresh(token)

            # (the sync engine's bucket: the thread's next token, while this one is out)
            sent = getattr(limiter, "sent", None)
            if not self._checks_tokens(url):
                take()  # an adapter of the host's: the token is taken before sending
                take = sent = None
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        secrets = list(secrets)
        try:
            response = self.call_log.send(
                self.session, method, url, kind=kind, log_context=log_context,
                secrets=secrets, first_write=take, after_send=sent, **kwargs,
            )
        except TRANSPORT_EXCEPTIONS as exc:
            raise error_from_exception(exc, self.redactor.with_secrets(secrets)) from None
        if response.status_code == 503 and rate_limited and self.rate_limiter is not None:
            missed = getattr(self.rate_limiter, "missed", None)
            if missed is not None:
                missed()
        if response.status_code not in expect:
            raise error_from_response(response, self.redactor.with_secrets(secrets))
        return response
